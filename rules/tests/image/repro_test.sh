#!/usr/bin/env bash
# repro_test.sh KEEL KERNEL EFI_LOADER ISOLINUX ISOHYBRID_MBR LDLINUX RPM...:
# builds a rootfs and every image output from it twice, in two folders, with
# the same inputs (the boot loaders are the pinned ones the rules use), and
# compares the bytes: rootfs tar and lock, OCI layout and tarball, ISO, and
# the disk as raw, VHD, VHDX and qcow2.
set -euo pipefail
keel=$1 kernel=$2 efi_loader=$3 isolinux=$4 isohybrid=$5 ldlinux=$6
shift 6
rpms=("$@")
fail() { echo "FAIL: $*" >&2; exit 1; }
work=${TEST_TMPDIR:-$(mktemp -d)}
export SOURCE_DATE_EPOCH=1700000000

build() {
  local d=$work/$1
  mkdir -p "$d"
  "$keel" rootfs --out "$d/rootfs.tar" --lock "$d/lock.json" --install keeltest-init \
    --hostname repro "${rpms[@]}" >/dev/null
  "$keel" image oci --layer "$d/rootfs.tar" --tag keel/repro:1 \
    --out-layout "$d/layout" --out-tarball "$d/image.tar" >/dev/null
  "$keel" image iso --kernel "$kernel" --rootfs "$d/rootfs.tar" --cmdline console=ttyS0 \
    --efi-loader "$efi_loader" --isolinux "$isolinux" --isohybrid-mbr "$isohybrid" --ldlinux "$ldlinux" \
    --out "$d/image.iso" >/dev/null
  "$keel" image disk --rootfs "$d/rootfs.tar" --kernel "$kernel" --cmdline console=ttyS0 \
    --efi-loader "$efi_loader" \
    --out-raw "$d/disk.raw" --out-vhd "$d/disk.vhd" --out-vhdx "$d/disk.vhdx" \
    --out-qcow2 "$d/disk.qcow2" >/dev/null
}
build one
build two
n=0
while IFS= read -r f; do
  cmp -s "$work/one/$f" "$work/two/$f" || fail "$f differs between two builds"
  printf '  %-40s %10d bytes  %s\n' "$f" "$(stat -c %s "$work/one/$f")" "$(sha256sum <"$work/one/$f" | cut -c1-16)"
  n=$((n + 1))
done < <(cd "$work/one" && find . -type f | sed 's|^\./||' | sort)
(cd "$work/two" && find . -type f | sed 's|^\./||' | sort) | cmp -s - <(cd "$work/one" && find . -type f | sed 's|^\./||' | sort) ||
  fail "the two builds wrote different file sets"
((n >= 10)) || fail "only $n files built"
echo "PASS: $n files bit-identical across two builds"
