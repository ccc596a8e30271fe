"""host_file: a copy of one file of the build machine, found by a pattern."""

def _host_file_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.run_shell(
        command = """set -eu
pattern=$1 out=$2
set -- $pattern
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "host_file: want exactly one file matching $pattern, found: $*" >&2
  exit 1
fi
cp "$1" "$out"
""",
        arguments = [ctx.attr.pattern, out.path],
        outputs = [out],
        mnemonic = "KeelHostFile",
        progress_message = "Copying %s from the build machine" % ctx.attr.pattern,
        # Not hermetic on purpose: never cache the copy remotely.
        execution_requirements = {"no-remote": "1"},
    )
    return [DefaultInfo(files = depset([out]))]

host_file = rule(
    implementation = _host_file_impl,
    doc = """A file of the build machine (e.g. /boot/vmlinuz-*), copied into the
build. Not tracked by Bazel: a change of the host file is not seen until the
target is rebuilt (bazel clean). For tests only.""",
    attrs = {
        "pattern": attr.string(doc = "Shell pattern matching exactly one absolute path.", mandatory = True),
    },
)
