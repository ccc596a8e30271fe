#!/usr/bin/env bash
# rules/tests/cache/check.sh [--dir DIR] [--keep] [--] [TARGET...]
#
# Checks, with real Bazel builds, that Keel's outputs are reproducible and
# that rpm_package caches as it promises, and prints the numbers. TARGETs
# (default: the end-to-end packages //rules/tests/e2e:all, which are always
# built too, for step 3) are built in two fresh output bases; then:
#
#   1. the two builds, each without any cache (no disk cache, no action
#      cache, the repository cache only for pinned downloads), give
#      byte-identical files: every output of every TARGET (default outputs
#      plus the srpm, metadata and lock output groups of rpm_package; build
#      logs are not compared), listed with `bazel cquery --output=files`;
#   2. with --disk_cache, `bazel clean` then a rebuild runs no RpmBuild
#      action;
#   3. a comment added to rules/tests/e2e/greet.spec reruns greet's build
#      only: its binary RPMs come out identical, so usegreet's RpmBuild is an
#      action cache hit, and no output of the TARGETs changes but greet's
#      source RPM (which holds the spec).
#
# It exits non-zero on any failure, listing the files that differ. CI runs
# it with its default targets after `tools/bazel test //...`; for the whole
# distribution:
#
#     rules/tests/cache/check.sh //specs/... //images:all
#
# Two full cold builds of the TARGETs: minutes for the distribution (the
# kernel dominates). The output bases and the disk cache live in DIR
# (default: keel-check/ under Bazel's output user root, which the launcher's
# Bazel can reach); the script starts a Bazel server for each output base
# and shuts both down on exit, and deletes DIR's output bases unless --keep.
set -eEuo pipefail
trap 'echo "check.sh: FAIL: line $LINENO: $BASH_COMMAND (exit status $?)" >&2' ERR
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."

usage() {
  sed -n '2,/^set -eEuo/{/^set -eEuo/d;s/^# \{0,1\}//;p}' "$0" >&2
  exit 2
}

dir="" keep=0 targets=()
while (($#)); do
  case $1 in
    --dir) dir=$2 && shift 2 ;;
    --keep) keep=1 && shift ;;
    -h | --help) usage ;;
    --) shift && targets+=("$@") && break ;;
    -*) echo "check.sh: unknown flag $1" >&2 && usage ;;
    *) targets+=("$1") && shift ;;
  esac
done
readonly e2e=//rules/tests/e2e:all spec=rules/tests/e2e/greet.spec
((${#targets[@]})) || targets=("$e2e")
build_targets=("${targets[@]}")
[[ " ${targets[*]} " == *" $e2e "* ]] || build_targets+=("$e2e")
readonly groups=default,srpm,metadata,lock

fail() {
  echo "check.sh: FAIL: $*" >&2
  exit 1
}

if [[ -z $dir ]]; then
  # Output bases live in the output user root: the parent of this one's.
  base=$(tools/bazel info output_base 2>/dev/null) || fail "cannot ask Bazel for its output base"
  dir=$(dirname "$base")/keel-check
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)

bazel_in() {
  local base=$1
  shift
  tools/bazel --output_base="$dir/$base" "$@"
}

cleanup() {
  [[ -f $dir/greet.spec.orig ]] && cp "$dir/greet.spec.orig" "$spec" && rm -f "$dir/greet.spec.orig"
  local base
  for base in a b; do
    [[ -d $dir/$base ]] || continue
    bazel_in "$base" shutdown >/dev/null 2>&1 || true
    if ((!keep)); then
      chmod -R u+w "$dir/$base" 2>/dev/null || true
      rm -rf "${dir:?}/$base"
    fi
  done
  ((keep)) || rm -rf "${dir:?}/cache"
}
trap cleanup EXIT

# build BASE ARGS...: builds the targets in output base BASE, with their
# extra output groups. Prints "RUN TOTAL HITS": RpmBuild actions that ran,
# then all spawns and how many were cache hits (a hit is replayed into the
# execution log too, so the log tells). The labels of the RpmBuild actions
# that ran go to $dir/ran.
build() {
  local base=$1
  shift
  bazel_in "$base" build --execution_log_json_file="$dir/exec.json" --output_groups=+srpm,+metadata,+lock \
    "$@" -- "${build_targets[@]}" >"$dir/$base.log" 2>&1 || fail "build in $base failed; see $dir/$base.log"
  # The log is a stream of indented JSON objects: each ends with a line
  # starting with "}" (which may start the next one: "}{").
  awk -v ran="$dir/ran" '
    /"mnemonic": "RpmBuild"/ { rb = 1 }
    /"cacheHit": true/ { hit = 1 }
    /"targetLabel": / { label = $2; gsub(/[",]/, "", label) }
    /^\}/ {
      total++; hits += hit
      if (rb && !hit) { n++; print label >ran }
      rb = 0; hit = 0; label = ""
    }
    END { close(ran); printf "%d %d %d\n", n, total, hits }' "$dir/exec.json"
  [[ -f $dir/ran ]] || : >"$dir/ran"
}

# outputs BASE TARGET...: the output files of the TARGETs (paths under the
# execroot), the files inside output folders included, sorted. A TARGET
# "-PATTERN" subtracts, as on Bazel's command line.
outputs() {
  local base=$1 root f list expr=""
  shift
  for f; do
    if [[ $f == -* ]]; then expr+=" - ${f#-}"; else expr+="${expr:+ + }$f"; fi
  done
  root=$(bazel_in "$base" info execution_root 2>/dev/null) || fail "bazel info in output base $base failed"
  list=$(bazel_in "$base" cquery --output=files --output_groups="$groups" -- "$expr" 2>"$dir/cquery.log") ||
    fail "listing the outputs in output base $base failed; see $dir/cquery.log"
  while IFS= read -r f; do
    if [[ -d $root/$f ]]; then
      (cd "$root" && find "$f" -type f)
    elif [[ -f $root/$f ]]; then
      echo "$f"
    fi
  done <<<"$list" | { grep -v '\.log$' || true; } | sort -u
}

# sums BASE LIST: "sha256  path" of each file of LIST in output base BASE.
sums() {
  local root
  root=$(bazel_in "$1" info execution_root 2>/dev/null)
  (cd "$root" && xargs -r -d '\n' sha256sum <"$2")
}

for base in a b; do
  if [[ -d $dir/$base ]]; then
    bazel_in "$base" clean --expunge >/dev/null 2>&1 || true
    chmod -R u+w "$dir/$base" 2>/dev/null || true
    rm -rf "${dir:?}/$base"
  fi
done
rm -rf "${dir:?}/cache" "$dir/ran"

echo "check.sh: targets ${targets[*]}; output bases in $dir"
# 1. Two cold builds. The first fills a fresh disk cache (it starts empty,
# so nothing is a hit) for steps 2 and 3; the second uses none.
start=$SECONDS
read -r n total hits < <(build a --disk_cache="$dir/cache")
echo "1. output base a, cold: $n RpmBuild actions, $total spawns ($hits cache hits) in $((SECONDS - start)) s"
((hits == 0)) || fail "the cold build in a had $hits cache hits"
outputs a "${targets[@]}" >"$dir/a.files"
sums a "$dir/a.files" >"$dir/a.sums"
# One Bazel server at a time: the machine may be small.
bazel_in a shutdown >/dev/null 2>&1 || true
start=$SECONDS
read -r n total hits < <(build b --disk_cache=)
echo "   output base b, cold: $n RpmBuild actions, $total spawns ($hits cache hits) in $((SECONDS - start)) s"
((hits == 0)) || fail "the cold build in b had $hits cache hits"
outputs b "${targets[@]}" >"$dir/b.files"
sums b "$dir/b.files" >"$dir/b.sums"
bazel_in b shutdown >/dev/null 2>&1 || true
[[ -s $dir/a.files ]] || fail "no outputs listed for ${targets[*]}"
if ! cmp -s "$dir/a.files" "$dir/b.files"; then
  fail "the two output bases have different output files:"$'\n'"$(diff "$dir/a.files" "$dir/b.files")"
fi
differ=$(join -j 2 <(sort -k2 "$dir/a.sums") <(sort -k2 "$dir/b.sums") | awk '$2 != $3 { print "  " $1 }')
files=$(wc -l <"$dir/a.files")
rpms=$(grep -c '\.rpm$' "$dir/a.files" || true)
if [[ -n $differ ]]; then
  echo "   $files output files compared ($rpms RPMs): $(wc -l <<<"$differ") differ:"
  echo "$differ"
  fail "outputs differ between two output bases"
fi
echo "   $files output files compared ($rpms RPMs): all identical"

# 2. A clean rebuild from the disk cache.
bazel_in a clean >/dev/null 2>&1 || fail "bazel clean in output base a failed"
start=$SECONDS
read -r n total hits < <(build a --disk_cache="$dir/cache")
echo "2. after bazel clean, with --disk_cache: $n RpmBuild actions, $total spawns ($hits cache hits) in $((SECONDS - start)) s"
((n == 0)) || fail "a clean rebuild ran $n RpmBuild actions: $(tr '\n' ' ' <"$dir/ran")"

# 3. A comment in greet.spec. At the top: after %changelog, a comment would
# be changelog text, which binary RPMs hold.
outputs a "$e2e" >"$dir/e2e.files"
sums a "$dir/e2e.files" >"$dir/e2e.sums"
cp "$spec" "$dir/greet.spec.orig"
sed -i '1i # A comment: changes the spec, not the binary RPMs.' "$spec"
start=$SECONDS
read -r n total hits < <(build a --disk_cache="$dir/cache")
echo "3. after a comment in greet.spec: $n RpmBuild actions ($(tr '\n' ' ' <"$dir/ran")), $total spawns ($hits cache hits) in $((SECONDS - start)) s"
grep -q 'usegreet' "$dir/ran" && fail "usegreet was rebuilt"
((n == 1)) || fail "expected 1 RpmBuild action (greet), got $n"
sums a "$dir/e2e.files" >"$dir/e2e3.sums"
changed=$(join -j 2 <(sort -k2 "$dir/e2e.sums") <(sort -k2 "$dir/e2e3.sums") | awk '$2 != $3 { print $1 }')
if [[ $(grep -c . <<<"$changed") != 1 || $changed != */rules/tests/e2e/greet.src.rpm ]]; then
  fail "a comment in greet.spec changed other outputs than greet's source RPM:"$'\n'"$changed"
fi
echo "   of $(wc -l <"$dir/e2e.files") output files of $e2e, only $changed changed"
echo "check.sh: OK"
