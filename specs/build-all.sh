#!/bin/sh
# Builds every package of this spec tree with `keel rpmbuild`, in dependency
# order, taking remote sources from a Bazel repository cache filled by
# `keel sources seed` and local sources from the spec folders. Until the
# Bazel rule rpm_package builds the tree, this is the check that it builds.
#
#   specs/build-all.sh ROOT CACHE OUT [PACKAGE...]
#
# ROOT is the build root (tar.zst or unpacked folder), CACHE the repository
# cache, OUT receives OUT/<package>/*.rpm, logs and times. With REPEAT set to
# a list of packages, those are built a second time into OUT/again/ and the
# RPMs of both builds are compared by sha256. KEEL names the keel binary.
set -eu
[ $# -ge 3 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
root=$1 cache=$2 out=$3
shift 3
specs=$(cd "$(dirname "$0")" && pwd)
keel=${KEEL:-keel}
# Dependency order: keel-init requires busybox and keel-filesystem at run
# time; no package build-requires another package of this tree.
packages=${*:-keel-filesystem busybox keel-init linux}

# sources PKG: the --source arguments of a package, from its signatures file.
sources() {
    sed -n 's/^ *"\([^"]*\)": *"\([0-9a-f]\{64\}\)",\{0,1\} *$/\1 \2/p' "$specs/$1/$1.signatures.json" |
    while read -r file sum; do
        if [ -f "$specs/$1/$file" ]; then
            echo "--source=$specs/$1/$file"
        else
            c=$cache/content_addressable/sha256/$sum/file
            [ -f "$c" ] || { echo "$1: $file ($sum) is not in $cache: run keel sources seed" >&2; exit 1; }
            mkdir -p "$stage/$1"
            ln -sf "$c" "$stage/$1/$file"
            echo "--source=$stage/$1/$file"
        fi
    done
}

build() { # build PKG OUTDIR
    rm -rf "$2"
    mkdir -p "$2"
    args=$(sources "$1")
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086 # one argument per line, no spaces
    "$keel" rpmbuild --root "$root" --spec "$specs/$1/$1.spec" $args \
        --out-dir "$2" --log "$2/build.log" >"$2/keel.out" 2>&1 || { tail -40 "$2/keel.out" >&2; exit 1; }
    t1=$(date +%s.%N)
    printf '%s %.1f\n' "$1" "$(echo "$t1 - $t0" | bc)" >>"$out/times"
    printf '%-16s %6.1f s  ' "$1" "$(echo "$t1 - $t0" | bc)"
    (cd "$2" && ls *.rpm | tr '\n' ' ')
    echo
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"
: >"$out/times"
start=$(date +%s)
for p in $packages; do
    build "$p" "$out/$p"
done
echo "total $(($(date +%s) - start)) s"

for p in ${REPEAT:-}; do
    build "$p" "$out/again/$p"
    for r in "$out/$p"/*.rpm; do
        a=$(sha256sum <"$r") b=$(sha256sum <"$out/again/$p/${r##*/}")
        [ "$a" = "$b" ] || { echo "NOT REPRODUCIBLE: ${r##*/}" >&2; exit 1; }
        echo "reproducible: ${r##*/} ${a%% *}"
    done
done

for p in $packages; do
    for r in "$out/$p"/*.rpm; do
        case $r in *.src.rpm) continue ;; esac
        echo "== ${r##*/} ($(stat -c %s "$r") bytes)"
        echo "provides: $(rpm -qp --provides "$r" 2>/dev/null | tr '\n' ';')"
        echo "requires: $(rpm -qp --requires "$r" 2>/dev/null | grep -v '^rpmlib(' | tr '\n' ';')"
    done
done
