#!/usr/bin/env bash
# boot_test.sh FIRMWARE KIND IMAGE WANT [OVMF]: boots IMAGE in QEMU (TCG)
# and passes when the text WANT appears on the serial console within
# $BOOT_TIMEOUT seconds (default 180; QEMU is always killed).
# FIRMWARE: uefi (the OVMF firmware file given as OVMF) or bios (QEMU's
# SeaBIOS). KIND: iso, or a QEMU disk format (raw, vpc, vhdx, qcow2)
# attached as virtio.
set -euo pipefail
firmware=$1 kind=$2 image=$3 marker=$4 ovmf=${5:-}
limit=${BOOT_TIMEOUT:-180}
fail() { echo "FAIL: $*" >&2; exit 1; }

args=(-m 512 -smp 1 -display none -monitor none -nodefaults -no-reboot)
case $firmware in
  uefi)
    [[ -f $ovmf ]] || fail "uefi needs the OVMF firmware file as the fifth argument (got '$ovmf')"
    args+=(-bios "$ovmf")
    ;;
  bios) ;;
  *) fail "firmware $firmware: want uefi or bios" ;;
esac
case $kind in
  iso) args+=(-drive "file=$image,media=cdrom,readonly=on,format=raw") ;;
  raw | vpc | vhdx | qcow2) args+=(-drive "file=$image,format=$kind,if=virtio,snapshot=on") ;;
  *) fail "kind $kind: want iso, raw, vpc, vhdx or qcow2" ;;
esac
work=${TEST_TMPDIR:-$(mktemp -d)}
log=$work/serial.log
: >"$log"
start=$(date +%s%N)
# QEMU writes the snapshot=on overlay to TMPDIR (/var/tmp by default,
# read-only in a sandbox).
TMPDIR=$work timeout -k 5 "$limit" qemu-system-x86_64 "${args[@]}" -serial "file:$log" 2>"$work/qemu.err" &
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
  fail "no $marker within ${limit}s: qemu-system-x86_64 ${args[*]}"
fi
line=$(grep -aF -- "$marker" "$log" | head -n1 | tr -d '\r')
size=$(stat -L -c %s "$image")
echo "PASS: $firmware $kind boot of $(basename "$image") ($((size / 1024)) KiB): marker after $((elapsed / 1000)).$((elapsed % 1000 / 100)) s wall: $line"
