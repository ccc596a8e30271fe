#!/usr/bin/env bash
# rules/tests/cache/check.sh DIR [TARGET]
#
# Checks, with real Bazel builds of TARGET (default: the two end-to-end
# packages of rules/tests/e2e), the promises of rpm_package about caching and
# reproducibility, and prints the numbers:
#
#   1. two builds in two fresh output bases, without any cache, give
#      bit-identical RPMs;
#   2. with --disk_cache, `bazel clean` then a rebuild runs no RpmBuild action;
#   3. a comment added to greet.spec reruns greet's build only: its binary
#      RPMs come out identical, so usegreet's action is a cache hit.
#      Known to fail today: rpmbuild writes the MD5 of the source RPM's
#      header (which holds the spec text) into every binary RPM
#      (RPMTAG_SOURCEPKGID), so any edit of a spec changes its RPMs.
#
# DIR holds the output bases and the disk cache; it must be a path Bazel
# sees (under tools/bazel's offline environment:
# ${KEEL_CACHE:-/var/cache/keel}/bazel-7.7.1/shared/...). It starts two
# Bazel servers of its own and shuts them down. Not part of `bazel test
# //...`: nested Bazel builds take minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
dir=$1
target=${2:-//rules/tests/e2e:all}
spec=rules/tests/e2e/greet.spec
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
rm -rf "$dir/cache"

fail() {
  echo "check.sh: FAIL: $*" >&2
  exit 1
}

# build BASE ARGS...: builds TARGET in output base BASE; prints how many
# RpmBuild actions ran (not cache hits: Bazel replays a hit's output too, so
# the execution log tells), and lists their targets in $dir/ran.
build() {
  local base=$1
  shift
  tools/bazel --output_base="$dir/$base" build --execution_log_json_file="$dir/exec.json" \
    "$@" "$target" >"$dir/$base.log" 2>&1 || fail "build in $base failed; see $dir/$base.log"
  awk '
    /^\{/ { rb = 0; hit = 0; label = "" }
    /"mnemonic": "RpmBuild"/ { rb = 1 }
    /"cacheHit": true/ { hit = 1 }
    /"targetLabel": / { label = $2 }
    /^\}/ && rb && !hit { print label }' "$dir/exec.json" | tr -d '",' >"$dir/ran"
  wc -l <"$dir/ran"
}

# sums BASE: the sha256 and name of every RPM built in output base BASE.
sums() {
  find "$dir/$1/execroot/_main/bazel-out/" -path '*/bin/*.rpms/*.rpm' -type f -print0 |
    xargs -0 sha256sum | sed 's|  .*/| |' | sort -k2
}

restore() { [[ -f $dir/greet.spec.orig ]] && cp "$dir/greet.spec.orig" "$spec"; }
trap 'restore; tools/bazel --output_base="$dir/a" shutdown >/dev/null 2>&1 || true; tools/bazel --output_base="$dir/b" shutdown >/dev/null 2>&1 || true' EXIT

# Fresh output bases: everything is built (the keel tool too).
for base in a b; do
  if [[ -d $dir/$base ]]; then tools/bazel --output_base="$dir/$base" clean >/dev/null 2>&1; fi
done
start=$SECONDS
n=$(build a --disk_cache= --noremote_accept_cached)
echo "output base a, no cache: $n RpmBuild actions ($((SECONDS - start)) s)"
start=$SECONDS
n=$(build b --disk_cache= --noremote_accept_cached)
echo "output base b, no cache: $n RpmBuild actions ($((SECONDS - start)) s)"
sums a >"$dir/a.sums"
sums b >"$dir/b.sums"
[[ -s $dir/a.sums ]] || fail "no RPMs built"
cmp -s "$dir/a.sums" "$dir/b.sums" || fail "RPMs differ between output bases: $(diff "$dir/a.sums" "$dir/b.sums")"
echo "identical RPMs in both output bases: $(wc -l <"$dir/a.sums")"
cat "$dir/a.sums"

# Fill the disk cache with a build that runs every action, then clean.
tools/bazel --output_base="$dir/a" clean >/dev/null 2>&1
n=$(build a --disk_cache="$dir/cache")
echo "output base a, empty disk cache: $n RpmBuild actions"
tools/bazel --output_base="$dir/a" clean >/dev/null 2>&1
n=$(build a --disk_cache="$dir/cache")
echo "after bazel clean, with --disk_cache: $n RpmBuild actions"
((n == 0)) || fail "a clean rebuild ran $n RpmBuild actions"

cp "$spec" "$dir/greet.spec.orig"
# At the top: after %changelog, a comment would be changelog text.
sed -i '1i # A comment: changes the spec, not the RPMs.' "$spec"
n=$(build a --disk_cache="$dir/cache")
echo "after a comment in greet.spec: $n RpmBuild actions: $(tr '\n' ' ' <"$dir/ran")"
grep -q 'usegreet' "$dir/ran" && fail "usegreet was rebuilt"
((n == 1)) || fail "expected 1 RpmBuild action, got $n"
sums a | cmp -s - "$dir/a.sums" || fail "greet's RPMs changed with a comment"
echo "OK"
