#!/usr/bin/env bash
# boot_test.sh FIRMWARE KIND IMAGE WANT [OVMF]: boots IMAGE in QEMU (TCG)
# and passes when the text WANT appears on the serial console within
# $BOOT_TIMEOUT seconds (default 180; QEMU is always killed).
#
# FIRMWARE: uefi (the OVMF firmware file given as OVMF), bios (QEMU's
# SeaBIOS), or none (KIND rootfs: the kernel is booted directly).
# KIND: iso; a QEMU disk format (raw, vpc, vhdx, qcow2) attached as virtio;
# or rootfs, a root file system tar whose boot/vmlinuz-* QEMU boots with the
# whole tree as its initramfs.
# The guest is $BOOT_ARCH: x86_64 (default) or aarch64 (-M virt; FIRMWARE
# none only).
set -euo pipefail
firmware=$1 kind=$2 image=$3 marker=$4 ovmf=${5:-}
limit=${BOOT_TIMEOUT:-180}
arch=${BOOT_ARCH:-x86_64}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

case $arch in
  x86_64) qemu=qemu-system-x86_64 args=() console=ttyS0 ;;
  aarch64) qemu=qemu-system-aarch64 args=(-M virt -cpu cortex-a57) console=ttyAMA0 ;;
  *) fail "BOOT_ARCH $arch: want x86_64 or aarch64" ;;
esac
command -v "$qemu" >/dev/null || fail "no $qemu on PATH (tools/bazel installs it: tools/bazel.d/packages.txt)"
args+=(-m 512 -smp 1 -display none -monitor none -nodefaults -no-reboot)
work=${TEST_TMPDIR:-$(mktemp -d)}

case $firmware/$kind in
  uefi/*)
    [[ $arch == x86_64 ]] || fail "uefi boots are x86_64 only (OVMF), not $arch"
    [[ -f $ovmf ]] || fail "uefi needs the OVMF firmware file as the fifth argument (got '$ovmf')"
    args+=(-bios "$ovmf")
    ;;
  bios/*) [[ $arch == x86_64 ]] || fail "bios boots are x86_64 only, not $arch" ;;
  none/rootfs) ;;
  none/*) fail "firmware none boots a rootfs tar's kernel, not a $kind" ;;
  */rootfs) fail "a rootfs tar is booted with firmware none, not $firmware" ;;
  *) fail "firmware $firmware: want uefi, bios or none" ;;
esac
case $kind in
  iso) args+=(-drive "file=$image,media=cdrom,readonly=on,format=raw") ;;
  raw | vpc | vhdx | qcow2) args+=(-drive "file=$image,format=$kind,if=virtio,snapshot=on") ;;
  rootfs)
    command -v bsdtar >/dev/null || fail "no bsdtar on PATH (libarchive-tools; tools/bazel installs it)"
    kernel=$(tar -tf "$image" | grep -E '^(\./)?boot/vmlinuz-' | head -n1) || true
    [[ -n $kernel ]] || fail "no boot/vmlinuz-* in $image"
    tar -xOf "$image" "$kernel" >"$work/kernel"
    # bsdtar rewrites the tar as the newc cpio that the kernel unpacks,
    # device nodes and owners included, without extracting anything.
    bsdtar --format newc -cf - "@$image" | gzip -1 >"$work/initrd.gz"
    args+=(-kernel "$work/kernel" -initrd "$work/initrd.gz" -append "console=$console panic=-1")
    ;;
  *) fail "kind $kind: want iso, raw, vpc, vhdx, qcow2 or rootfs" ;;
esac

log=$work/serial.log
: >"$log"
start=$(date +%s%N)
# QEMU writes the snapshot=on overlay to TMPDIR (/var/tmp by default,
# read-only in a sandbox).
TMPDIR=$work timeout -k 5 "$limit" "$qemu" "${args[@]}" -serial "file:$log" 2>"$work/qemu.err" &
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
  fail "no $marker within ${limit}s: $qemu ${args[*]}"
fi
line=$(grep -aF -- "$marker" "$log" | head -n1 | tr -d '\r')
what=$(basename "$image")
[[ $kind != rootfs ]] || what="$kernel of $what"
size=$(stat -L -c %s "$image")
echo "PASS: $arch $firmware $kind boot of $what ($((size / 1024)) KiB): marker after $((elapsed / 1000)).$((elapsed % 1000 / 100)) s wall: $line"
