#!/usr/bin/env bash
# loadtest.sh SPECS WORKDIR: copies the spec tree SPECS into a new Bazel
# workspace WORKDIR (which must be below the checkout's parent directory when
# tools/bazel runs Bazel in its offline environment), generates its BUILD
# files with `keel gen`, adds the stand-in rpm_package macro and sources hub
# of tools/gen/testdata/rules, and times `bazel query 'deps(//...)'` and an
# analysis-only build of every package target for each arch.
#   KEEL=path/to/keel MACRO_DIR=DIR tools/gen/loadtest.sh ../shared/corpus/azurelinux-3.0/SPECS ../gen-loadtest
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bazel=$here/../bazel
specs=$1
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
rm -rf "$work/SPECS" "$work/rules"
cp -r "$specs" "$work/SPECS"
chmod -R u+w "$work/SPECS"
mkdir -p "$work/rules"
cp "$here/testdata/rules/defs.bzl" "$here/testdata/rules/sources.bzl" "$work/rules/"
cp "$here/testdata/rules/BUILD.golden" "$work/rules/BUILD.bazel"
cat >"$work/MODULE.bazel" <<'MOD'
module(name = "gen_loadtest")

# Only because tools/bazel's offline environment overrides these modules:
# Bazel refuses overrides of modules the root module does not know.
bazel_dep(name = "rules_shell", version = "0.4.0")
bazel_dep(name = "rules_go", version = "0.60.0")
bazel_dep(name = "gazelle", version = "0.50.0")
bazel_dep(name = "package_metadata", version = "0.0.5")

keel_sources = use_extension("//rules:sources.bzl", "keel_sources")
keel_sources.lock(file = "//SPECS:sources.lock.json")
use_repo(keel_sources, "keel_sources")
MOD
echo 'exports_files(["sources.lock.json"])' >"$work/SPECS/BUILD.bazel"
${KEEL:-keel} gen ${MACRO_DIR:+--macro-dir "$MACRO_DIR"} --summary "$work/summary.json" "$work/SPECS" || true
cd "$work"
time "$bazel" query 'deps(//...)' --output=label >"$work/deps.txt"
wc -l <"$work/deps.txt"
for arch in x86_64 aarch64; do
  time "$bazel" build --nobuild --keep_going --platforms=//rules:linux_$arch //SPECS/...
done
