"""Stand-in for buildozer's module extension, used by `bazel mod tidy`.

Instead of downloading a prebuilt buildozer, it builds one from its Go module
with the Go tool on PATH (through the Go module proxy).
"""

_BUILDTOOLS = "github.com/bazelbuild/buildtools/buildozer@v0.0.0-20260904073137-eaa4d125b423"

def _buildozer_repo_impl(rctx):
    go = rctx.which("go")
    if not go:
        fail("buildozer: the go command is not on PATH")
    result = rctx.execute(
        [go, "install", _BUILDTOOLS],
        environment = {"GOBIN": str(rctx.path("bin")), "GOFLAGS": ""},
        timeout = 600,
    )
    if result.return_code != 0:
        fail("buildozer: go install %s failed:\n%s" % (_BUILDTOOLS, result.stderr))
    rctx.symlink("bin/buildozer", "buildozer.exe")
    rctx.file("BUILD.bazel", 'exports_files(["buildozer.exe"])\n')

_buildozer_repo = repository_rule(
    implementation = _buildozer_repo_impl,
    environ = ["PATH"],
)

def _buildozer_binary_impl(_mctx):
    _buildozer_repo(name = "buildozer_binary")

buildozer_binary = module_extension(
    implementation = _buildozer_binary_impl,
    tag_classes = {"buildozer": tag_class(attrs = {
        "sha256": attr.string_dict(),
        "version": attr.string(),
    })},
)
