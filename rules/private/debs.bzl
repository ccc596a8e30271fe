"""Debian binary packages pinned by sha256 in a lock file, each unpacked into
a repository of its own: the boot loaders the image rules put on images and
the firmware of the boot tests."""

def _seed_command(lock):
    return ("go run ./tools/cmd/keel sources seed " +
            "--repository-cache ${KEEL_CACHE:-/var/cache/keel}/repository-cache --from-debian " + lock)

def _deb_repository_impl(rctx):
    deb = "deb/" + rctx.attr.file
    result = rctx.download(url = rctx.attr.urls, output = deb, sha256 = rctx.attr.sha256, allow_fail = True)
    if not result.success:
        fail(("Debian package {file} (sha256 {sha256}) is not in Bazel's repository cache{urls}. " +
              "Seed the cache from the Debian archive apt uses with\n    {cmd}\n(see docs/images.md)").format(
            file = rctx.attr.file,
            sha256 = rctx.attr.sha256,
            urls = " and cannot be downloaded from " + ", ".join(rctx.attr.urls) if rctx.attr.urls else "",
            cmd = _seed_command(rctx.attr.lock),
        ))

    # A .deb is an ar archive of debian-binary, control.tar.* and data.tar.*;
    # the files are in the last.
    rctx.extract(deb, output = "deb")
    data = [f for f in rctx.path("deb").readdir() if f.basename.startswith("data.tar")]
    if len(data) != 1:
        fail("%s: want one data.tar member, found %s" % (rctx.attr.file, [f.basename for f in data]))
    rctx.extract(data[0], output = ".")
    rctx.delete("deb")
    rctx.file("BUILD.bazel", """\
# Files of {file} (sha256 {sha256}).
exports_files(
    glob(["usr/**"]),
    visibility = ["//visibility:public"],
)
""".format(file = rctx.attr.file, sha256 = rctx.attr.sha256))

_deb_repository = repository_rule(
    implementation = _deb_repository_impl,
    doc = "The files of one Debian binary package, checked against its sha256: `@NAME//:usr/lib/...`.",
    attrs = {
        "file": attr.string(mandatory = True),
        "lock": attr.string(),
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(),
    },
)

def _repo_name(package, file):
    """debian_PACKAGE, plus _ARCH for a package that is not "all"."""
    arch = file.removesuffix(".deb").split("_")[-1]
    name = "debian_" + package.replace("-", "_").replace(".", "_").replace("+", "_")
    if arch != "all":
        name += "_" + arch
    return name

def _debs_extension_impl(mctx):
    for mod in mctx.modules:
        for tag in mod.tags.lock:
            path = mctx.path(Label("@@//:MODULE.bazel")).dirname
            for part in tag.file.split("/"):
                path = path.get_child(part)
            lock = json.decode(mctx.read(path))
            for e in lock.get("sources", []):
                for key in ("package", "file", "sha256"):
                    if not e.get(key):
                        fail("%s: an entry lacks %r: %r" % (tag.file, key, e))
                if not e["file"].endswith(".deb") or len(e["file"].split("_")) != 3:
                    fail("%s: %s: want a Debian package file name, NAME_VERSION_ARCH.deb" % (tag.file, e["file"]))
                if len(e["sha256"]) != 64 or e["sha256"].strip("0123456789abcdef") != "":
                    fail("%s: %s: %r is not a sha256" % (tag.file, e["file"], e["sha256"]))
                _deb_repository(
                    name = _repo_name(e["package"], e["file"]),
                    file = e["file"],
                    lock = tag.file,
                    sha256 = e["sha256"],
                    urls = e.get("urls") or [],
                )

debs = module_extension(
    implementation = _debs_extension_impl,
    doc = """Reads a lock of Debian binary packages, in the format of the
sources lock (`{"sources": [{"package", "file", "sha256", "urls"}]}`, `file`
the pool's NAME_VERSION_ARCH.deb), and declares one repository per package:
`@debian_PACKAGE` (`-`, `.` and `+` become `_`), with `_ARCH` appended unless
the package is `all`. Its files are `@debian_PACKAGE//:usr/...`. Packages come
from Bazel's repository cache by sha256 (`keel sources seed --from-debian
LOCK` fills it), else from their `urls`.""",
    tag_classes = {
        "lock": tag_class(
            doc = "A lock file of Debian packages.",
            attrs = {"file": attr.string(mandatory = True, doc = "The lock file's path in the main repository, e.g. `tools/image/debs.lock.json`.")},
        ),
    },
)
