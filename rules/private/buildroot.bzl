"""The pinned build root: a repository per pin, taken by content hash from
Bazel's repository cache, and the module extension that declares them."""

load(":providers.bzl", "RpmBuildRootInfo")

def _rpm_buildroot_impl(ctx):
    return [
        DefaultInfo(files = depset([ctx.file.root])),
        RpmBuildRootInfo(
            root = ctx.file.root,
            sha256 = ctx.attr.sha256,
            capabilities = ctx.attr.capabilities,
            defines = [],
        ),
    ]

rpm_buildroot = rule(
    implementation = _rpm_buildroot_impl,
    doc = """A build root file pinned by its sha256. The repositories of the
`buildroot` module extension define one, named `buildroot`; an
`rpm_toolchain` adds the capabilities and defines.""",
    attrs = {
        "root": attr.label(
            doc = "The build root: a .tar.zst made by `keel buildroot make`.",
            allow_single_file = [".tar.zst"],
            mandatory = True,
        ),
        "sha256": attr.string(
            doc = "Its sha256, as pinned.",
            mandatory = True,
        ),
        "capabilities": attr.string_list(
            doc = "What it provides (package names and provides, as an RPM distribution spells them).",
        ),
    },
)

def _command(attr):
    return "\n".join([
        "    go run ./tools/cmd/keel buildroot make --suite {suite} \\".format(suite = attr.suite),
        "        --packages-file {list} --out /tmp/keel-buildroot/root.tar.zst".format(list = attr.packages_file),
        "    go run ./tools/cmd/keel sources seed \\",
        "        --repository-cache ${{KEEL_CACHE:-/var/cache/keel}}/repository-cache \\",
        "        --from-dir /tmp/keel-buildroot {sha256}".format(sha256 = attr.sha256),
    ])

def _buildroot_repository_impl(rctx):
    result = rctx.download(
        url = rctx.attr.urls,
        output = "root.tar.zst",
        sha256 = rctx.attr.sha256,
        allow_fail = True,
    )
    if not result.success:
        fail(("build root {name} (sha256 {sha256}) is not in Bazel's repository cache{urls}.\n" +
              "It is reproducible: make it and seed the cache (the same sha256 results) with\n{cmd}\n" +
              "(see docs/buildroot.md)").format(
            name = rctx.attr.pin,
            sha256 = rctx.attr.sha256,
            urls = " and cannot be downloaded from " + ", ".join(rctx.attr.urls) if rctx.attr.urls else "",
            cmd = _command(rctx.attr),
        ))
    capabilities = []
    if rctx.attr.capabilities_file:
        path = rctx.path(Label("@@//:MODULE.bazel")).dirname
        for part in rctx.attr.capabilities_file.split("/"):
            path = path.get_child(part)
        for line in rctx.read(path).splitlines():
            line = line.split("#")[0].strip()
            if line:
                capabilities.append(" ".join([w for w in line.replace("\t", " ").split(" ") if w]))
    rctx.file("BUILD.bazel", """\
load("{bzl}", "rpm_buildroot")

exports_files(["root.tar.zst"])

rpm_buildroot(
    name = "buildroot",
    root = "root.tar.zst",
    sha256 = "{sha256}",
    capabilities = {capabilities},
    visibility = ["//visibility:public"],
)
""".format(
        bzl = str(Label("//rules/private:buildroot.bzl")),
        sha256 = rctx.attr.sha256,
        capabilities = json.encode(capabilities),
    ))

_buildroot_repository = repository_rule(
    implementation = _buildroot_repository_impl,
    doc = "One pinned build root, as the file root.tar.zst and the target :buildroot.",
    attrs = {
        "capabilities_file": attr.string(),
        "packages_file": attr.string(),
        "pin": attr.string(),
        "sha256": attr.string(mandatory = True),
        "suite": attr.string(),
        "urls": attr.string_list(),
    },
)

_pin = tag_class(
    doc = "Pins a build root by content hash.",
    attrs = {
        "name": attr.string(
            doc = "The repository name; its build root is `@NAME//:buildroot`.",
            mandatory = True,
        ),
        "sha256": attr.string(
            doc = "The sha256 of the .tar.zst, as `keel buildroot make` prints it.",
            mandatory = True,
        ),
        "urls": attr.string_list(
            doc = "Where to download it when it is not in the repository cache (optional: " +
                  "without, only the cache is used).",
        ),
        "suite": attr.string(
            doc = "The Debian suite it is made from, for the command an error message shows.",
            default = "bookworm",
        ),
        "packages_file": attr.string(
            doc = "The package list it is made from, for the command an error message shows.",
            default = "tools/buildroot/debian-bookworm.txt",
        ),
        "capabilities_file": attr.string(
            doc = "A file of the main repository listing what the root provides, one provide " +
                  "a line, `#` comments (the spec tree's `toolchain.provides`, which keel gen " +
                  "reads too): the root's capabilities.",
        ),
    },
)

def _buildroot_extension_impl(mctx):
    for mod in mctx.modules:
        for pin in mod.tags.pin:
            sha = pin.sha256.lower()
            if len(sha) != 64 or sha.strip("0123456789abcdef") != "":
                fail("buildroot.pin(name = %r): sha256 %r is not a sha256" % (pin.name, pin.sha256))
            _buildroot_repository(
                name = pin.name,
                pin = pin.name,
                sha256 = sha,
                urls = pin.urls,
                suite = pin.suite,
                packages_file = pin.packages_file,
                capabilities_file = pin.capabilities_file,
            )

buildroot = module_extension(
    implementation = _buildroot_extension_impl,
    doc = """Declares pinned build roots: `buildroot.pin(name, sha256)` makes the
repository `@NAME` with the target `@NAME//:buildroot`. The file comes from
Bazel's repository cache by its sha256 (or from `urls`); when it is in
neither, the fetch fails with the command that makes it.""",
    tag_classes = {"pin": _pin},
)
