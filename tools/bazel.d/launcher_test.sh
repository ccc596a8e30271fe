#!/usr/bin/env bash
# Tests of tools/bazel's choice of Bazel. Each case runs a copy of the
# launcher in a scratch checkout, with stand-in programs on PATH that record
# their calls, and checks which one ran and that nothing was provisioned.
#
# Usage: launcher_test.sh [LAUNCHER]   (under Bazel, LAUNCHER is found in
# the runfiles; else it defaults to the launcher beside this file).
set -euo pipefail

launcher=${1:-}
if [[ -z $launcher ]]; then
  if [[ -n ${TEST_SRCDIR:-} ]]; then
    launcher=$TEST_SRCDIR/${TEST_WORKSPACE:-_main}/tools/bazel
  else
    launcher=$(dirname "${BASH_SOURCE[0]}")/../bazel
  fi
fi
[[ -f $launcher ]] || {
  echo "launcher not found: $launcher" >&2
  exit 1
}

scratch=$(mktemp -d "${TEST_TMPDIR:-/tmp}/launcher_test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

failures=0
case_failures=0
passes=0
fail() {
  echo "FAIL: $case_name: $*" >&2
  failures=$((failures + 1))
}

pass_if_clean() {
  if ((failures == case_failures)); then passes=$((passes + 1)); fi
}

# stub DIR NAME VERSION: writes DIR/NAME, a program that answers --version
# with "bazel VERSION" and otherwise records "NAME ARGS" in $scratch/calls.
stub() {
  mkdir -p "$1"
  cat >"$1/$2" <<STUB
#!/bin/sh
if [ "\$1" = --version ]; then echo "bazel $3"; exit 0; fi
echo "$2 \$*" >>"$scratch/calls"
exit 7
STUB
  chmod +x "$1/$2"
}

# setup: a fresh scratch checkout (checkout/tools/bazel), corpus beside it,
# and programs that must never run while a Bazel is available.
setup() {
  rm -rf "${scratch:?}"/*
  case_failures=$failures
  mkdir -p "$scratch/checkout/tools" "$scratch/shared/corpus"
  cp "$launcher" "$scratch/checkout/tools/bazel"
  chmod +x "$scratch/checkout/tools/bazel"
  for tool in debootstrap unshare apt-get chroot; do stub "$scratch/forbidden" "$tool" 0.0.0; done
  # The few host programs the launcher uses, without the rest of /usr/bin
  # (where a real Bazel may be installed).
  mkdir -p "$scratch/sys"
  for tool in bash sh env dirname readlink mv cat; do ln -s "$(command -v "$tool")" "$scratch/sys/$tool"; done
  : >"$scratch/calls"
}

# launch ENV...: runs the launcher with ENV, the forbidden tools first on
# PATH, and KEEL_CACHE in the scratch folder. Sets status and output.
launch() {
  set +e
  output=$(cd "$scratch/checkout" && env -u BAZEL_REAL KEEL_CACHE="$scratch/cache" \
    "$@" tools/bazel build //some:target 2>&1)
  status=$?
  set -e
}

expect_calls() {
  local want=$1 got
  got=$(<"$scratch/calls")
  [[ $got == "$want" ]] || fail "calls: got '$got', want '$want'"
}

expect_nothing_provisioned() {
  [[ ! -e $scratch/cache ]] || fail "the cache folder was created"
}

case_name="Bazel 7 on PATH runs with the arguments unchanged"
setup
stub "$scratch/bin" bazel 7.4.1
launch PATH="$scratch/forbidden:$scratch/bin:$scratch/sys"
((status == 7)) || fail "exit status $status, want the stand-in's 7 ($output)"
expect_calls "bazel build //some:target"
expect_nothing_provisioned
grep -qx "common --test_env=KEEL_CORPUS=$scratch/shared/corpus" "$scratch/checkout/.keel.bazelrc" ||
  fail ".keel.bazelrc does not pass the corpus: $(cat "$scratch/checkout/.keel.bazelrc")"
pass_if_clean

case_name="BAZEL_REAL from Bazelisk wins over PATH"
setup
stub "$scratch/bin" bazel 8.0.0
stub "$scratch/real" bazel-real 7.7.1
launch PATH="$scratch/forbidden:$scratch/bin:$scratch/sys" BAZEL_REAL="$scratch/real/bazel-real"
((status == 7)) || fail "exit status $status, want 7 ($output)"
expect_calls "bazel-real build //some:target"
expect_nothing_provisioned
pass_if_clean

case_name="an old Bazel is skipped for a newer one later on PATH"
setup
stub "$scratch/old" bazel 6.5.0
stub "$scratch/new" bazel 7.7.1
launch PATH="$scratch/forbidden:$scratch/old:$scratch/new:$scratch/sys"
((status == 7)) || fail "exit status $status, want 7 ($output)"
expect_calls "bazel build //some:target"
[[ $(grep -c . "$scratch/calls") == 1 ]] || fail "more than one Bazel ran"
expect_nothing_provisioned
pass_if_clean

case_name="without a usable Bazel, a dry run only says it would provision"
setup
stub "$scratch/old" bazel 6.5.0
mkdir -p "$scratch/self"
ln -s "$scratch/checkout/tools/bazel" "$scratch/self/bazel" # the launcher itself, named bazel
launch PATH="$scratch/forbidden:$scratch/self:$scratch/old:$scratch/sys" KEEL_LAUNCHER_DRY_RUN=1
((status == 0)) || fail "exit status $status, want 0 ($output)"
[[ $output == *"would provision"* ]] || fail "output '$output' does not say it would provision"
expect_calls ""
expect_nothing_provisioned
pass_if_clean

echo "$passes passed, $((4 - passes)) failed"
((failures == 0))
