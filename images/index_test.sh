#!/usr/bin/env bash
# index_test.sh INDEX REF: checks the multi-arch OCI index of Keel's core
# container. The index must list exactly linux/amd64 and linux/arm64; for
# each, skopeo picks that manifest, its config names the same architecture,
# umoci unpacks it, its busybox is an ELF for that machine, and a command
# runs inside the unpacked root: natively for amd64, under QEMU user
# emulation (a static qemu-aarch64 copied into the root) for arm64.
set -euo pipefail
index=$1 ref=$2
# chroot is in sbin, which Bazel's test PATH leaves out.
PATH=$PATH:/usr/sbin:/sbin
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
work=${TEST_TMPDIR:-$(mktemp -d)}

raw=$(skopeo inspect --raw "oci:$index:$ref") || fail "skopeo cannot read the index $index:$ref"
grep -q '"mediaType":"application/vnd.oci.image.index.v1+json"' <<<"$raw" || fail "not an OCI image index: $raw"
platforms=$(grep -o '"architecture":"[^"]*","os":"[^"]*"' <<<"$raw" | sort | tr '\n' ' ')
[[ $platforms == '"architecture":"amd64","os":"linux" "architecture":"arm64","os":"linux" ' ]] ||
  fail "index platforms are $platforms, want linux/amd64 and linux/arm64: $raw"

# run ROOT CMD...: runs CMD chrooted in ROOT (as root, or in a user namespace).
run() {
  local root=$1
  shift
  chroot "$root" "$@" 2>/dev/null || unshare -r chroot "$root" "$@"
}

# The command reads the tree with shell builtins only: without binfmt_misc,
# QEMU cannot follow an exec of another aarch64 program.
cmd='. /etc/os-release; read -r host </etc/hostname; echo "$host $ID"'
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
skipped=""
for arch in amd64 arm64; do
  case $arch in
  amd64) machine=62 uname=x86_64 ;;
  arm64) machine=183 uname=aarch64 ;;
  esac
  got=$(skopeo inspect --override-arch "$arch" --format '{{.Os}}/{{.Architecture}} {{len .Layers}}' "oci:$index:$ref") ||
    fail "$arch: skopeo cannot read the image"
  [[ $got == "linux/$arch 1" ]] || fail "$arch: image config says $got, want linux/$arch 1"
  skopeo copy --quiet --override-arch "$arch" "oci:$index:$ref" "oci:$work/$arch:$ref" ||
    fail "$arch: skopeo cannot copy the image out of the index"
  umoci unpack --rootless --image "$work/$arch:$ref" "$work/$arch.bundle" >/dev/null ||
    fail "$arch: umoci cannot unpack the image"
  root=$work/$arch.bundle/rootfs
  elf=$(od -An -tu2 -j18 -N2 "$root/usr/bin/busybox" | tr -d ' ')
  [[ $elf == "$machine" ]] || fail "$arch: busybox is for ELF machine $elf, want $machine"

  prefix=()
  if [[ $arch == arm64 ]]; then
    if [[ -z $qemu ]]; then
      skipped="; SKIPPED running the arm64 image: no qemu-aarch64-static or qemu-aarch64 (Debian's qemu-user)"
      continue
    fi
    cp "$qemu" "$root/.qemu-aarch64"
    prefix=(/.qemu-aarch64)
  fi
  out=$(run "$root" "${prefix[@]}" /bin/sh -c "$cmd") || fail "$arch: /bin/sh does not run inside the image"
  [[ $out == "keel keel" ]] || fail "$arch: the command inside the image printed '$out', want 'keel keel'"
  out=$(run "$root" "${prefix[@]}" /usr/bin/busybox uname -m) || fail "$arch: busybox uname does not run"
  [[ $out == "$uname" ]] || fail "$arch: uname -m inside the image printed '$out', want $uname"
done
echo "PASS: index lists linux/amd64 and linux/arm64; both images unpack with the right ELF machine; commands ran inside them$skipped"
