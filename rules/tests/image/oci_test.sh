#!/usr/bin/env bash
# oci_test.sh LAYOUT TARBALL INDEX REF HOSTNAME: validates an oci_image's
# layout and tarball and an oci_image_index with skopeo, unpacks the image
# with umoci and runs a command inside its root.
set -euo pipefail
layout=$1 tarball=$2 index=$3 ref=$4 want_host=$5
fail() { echo "FAIL: $*" >&2; exit 1; }

inspect=$(skopeo inspect --format '{{.Architecture}} {{.Os}} {{len .Layers}}' "oci:$layout") ||
  fail "skopeo cannot read the layout $layout"
[[ $inspect == "amd64 linux 1" ]] || fail "layout: arch/os/layers = $inspect, want amd64 linux 1"
inspect=$(skopeo inspect --format '{{.Architecture}} {{len .Layers}}' "docker-archive:$tarball") ||
  fail "skopeo cannot read the tarball $tarball"
[[ $inspect == "amd64 1" ]] || fail "tarball: arch/layers = $inspect, want amd64 1"
raw=$(skopeo inspect --raw "oci:$index") || fail "skopeo cannot read the index $index"
grep -q '"application/vnd.oci.image.index.v1+json"' <<<"$raw" || fail "index is not an OCI image index: $raw"
grep -q '"architecture":"amd64"' <<<"$raw" || fail "index has no amd64 manifest: $raw"

# umoci wants a writable layout (it takes a lock file).
work=${TEST_TMPDIR:-$(mktemp -d)}
cp -RL "$layout" "$work/layout"
chmod -R u+w "$work/layout"
umoci unpack --rootless --image "$work/layout:$ref" "$work/bundle" >/dev/null ||
  fail "umoci cannot unpack $ref"
[[ -f $work/bundle/config.json ]] || fail "umoci wrote no runtime config"
run() {
  chroot "$work/bundle/rootfs" /bin/sh -c "$1" 2>/dev/null ||
    unshare -r chroot "$work/bundle/rootfs" /bin/sh -c "$1"
}
out=$(run 'echo "$(cat /etc/hostname) $(/bin/busybox grep ^ID= /etc/os-release)"') || fail "cannot run /bin/sh inside the image"
[[ $out == "$want_host ID=keeltest" ]] || fail "command inside the image printed '$out', want '$want_host ID=keeltest'"
echo "PASS: layout, tarball and index valid; inside the image: $out"
