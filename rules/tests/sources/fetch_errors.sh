#!/usr/bin/env bash
# rules/tests/sources/fetch_errors.sh: checks, with real Bazel fetches, what
# a source that cannot be had does. sources.lock.json here (registered in
# MODULE.bazel) pins two files:
#
#   wrong.txt     its URL (file:///dev/null) serves other bytes than the
#                 pinned sha256: the fetch fails naming the file, the
#                 expected and the actual sha256;
#   uncached.txt  neither in the repository cache nor with a URL: the fetch
#                 fails saying how to seed the cache.
#
# Neither may leave the file in the repository cache. Exits non-zero on any
# failure; CI runs it after the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."

fail() {
  echo "fetch_errors.sh: FAIL: $*" >&2
  exit 1
}

lock=rules/tests/sources/sources.lock.json
cache=$(tools/bazel info repository_cache 2>/dev/null) || fail "cannot ask Bazel for its repository cache"

# expect FILE MESSAGE: building @keel_sources//rules/tests/sources:FILE fails
# with MESSAGE, and the cache holds nothing under FILE's sha256.
expect() {
  local file=$1 want=$2 sha out
  sha=$(grep -A2 "\"file\": \"$file\"" "$lock" | grep -oE '[0-9a-f]{64}')
  [[ -n $sha ]] || fail "no sha256 for $file in $lock"
  if out=$(tools/bazel build "@keel_sources//rules/tests/sources:$file" 2>&1); then
    fail "fetching $file succeeded"
  fi
  grep -qF -- "$want" <<<"$out" || fail "fetching $file: the error lacks '$want':"$'\n'"$(tail -n 20 <<<"$out")"
  [[ ! -e $cache/content_addressable/sha256/$sha ]] || fail "the repository cache holds an entry for $file ($sha)"
  echo "$file: $want"
}

expect wrong.txt "wrong.txt of rules/tests/sources: wrong sha256: expected d6dba7e8a54d32d2cf8eef5b0e648c5c388079827039a1e56a9bfb282fc883ab, got e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 from file:///dev/null"
expect uncached.txt "uncached.txt of rules/tests/sources (sha256 f5fa511d4df612683c21400f2a24b730972c32fff9a5d6ff99bd93ddb209f8b9) is not in Bazel's repository cache and has no URL: seed the cache"
echo "fetch_errors.sh: OK"
