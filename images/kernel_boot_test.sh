#!/usr/bin/env bash
# kernel_boot_test.sh WANT FILE...: boots the aarch64 root file system tar
# among FILE... (a rootfs target's outputs) under QEMU (TCG, -M virt, no
# firmware): its kernel (boot/vmlinuz-*, the linux package's Image)
# directly, with the whole tree as the initramfs. Passes when WANT appears on
# the PL011 serial console within $BOOT_TIMEOUT seconds (default 120; QEMU is
# always killed).
set -euo pipefail
marker=$1
shift
rootfs=
for f in "$@"; do
  if [[ $f == *.tar ]]; then rootfs=$f; fi
done
limit=${BOOT_TIMEOUT:-120}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
for tool in qemu-system-aarch64 bsdtar; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIPPED: no $tool (Debian's qemu-system-arm and libarchive-tools, in tools/bazel.d/packages.txt)"
    exit 0
  fi
done
[[ -n $rootfs ]] || fail "no .tar among $*"
work=${TEST_TMPDIR:-$(mktemp -d)}

kernel=$(tar -tf "$rootfs" | grep -E '^(\./)?boot/vmlinuz-' | head -n1) || true
[[ -n $kernel ]] || fail "no boot/vmlinuz-* in $rootfs"
tar -xOf "$rootfs" "$kernel" >"$work/Image"
# bsdtar rewrites the tar as the newc cpio that the kernel unpacks, device
# nodes and owners included, without extracting anything.
bsdtar --format newc -cf - "@$rootfs" | gzip -1 >"$work/initrd.gz"

args=(-M virt -cpu cortex-a57 -m 256 -smp 1 -display none -monitor none -nodefaults -no-reboot
  -kernel "$work/Image" -initrd "$work/initrd.gz" -append "console=ttyAMA0 panic=-1")
log=$work/serial.log
: >"$log"
start=$(date +%s%N)
TMPDIR=$work timeout -k 5 "$limit" qemu-system-aarch64 "${args[@]}" -serial "file:$log" 2>"$work/qemu.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
elapsed=
while :; do
  if grep -qaF -- "$marker" "$log"; then
    elapsed=$((($(date +%s%N) - start) / 1000000))
    break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if [[ -z $elapsed ]]; then
  echo "--- qemu stderr:" >&2
  cat "$work/qemu.err" >&2
  echo "--- serial console (last 40 lines):" >&2
  tail -n 40 "$log" | tr -d '\r' >&2
  fail "no $marker within ${limit}s: qemu-system-aarch64 ${args[*]}"
fi
line=$(grep -aF -- "$marker" "$log" | head -n1 | tr -d '\r')
echo "PASS: aarch64 direct boot of $kernel ($(($(stat -c %s "$work/Image") / 1024)) KiB): marker after $((elapsed / 1000)).$((elapsed % 1000 / 100)) s wall: $line"
