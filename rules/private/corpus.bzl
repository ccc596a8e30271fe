"""azl_corpus: spec folders of the Azure Linux 3.0 corpus beside the checkout,
unmodified, as a spec tree that rpm_package builds.

The corpus is test data that lives outside the repository
(`../shared/corpus/azurelinux-3.0`, or `$KEEL_CORPUS/azurelinux-3.0`). The
repository this rule makes is the spec tree `SPECS/` that `keel gen` would
see there, with the BUILD files it wrote checked in to the main repository:

    SPECS/toolchain.provides      the main repository's (the same build root)
    SPECS/<dir>/<file>            every file of the corpus folder (symlinks)
    SPECS/<dir>/BUILD.bazel       <build_files>/<dir>/BUILD.corpus.bazel, plus
                                  exports_files() of the folder's files
    rules/defs.bzl                re-exports Keel's rules, for the BUILD files'
                                  load("//rules:defs.bzl", ...)
    BUILD.bazel                   :tree, every file of SPECS/ (the gen input)
    corpus.bzl                    CORPUS = struct(found, dir, specs)

Without the corpus it holds only an empty `:tree` and `corpus.bzl` with
`found = False`, so that tests can say why they skip.
"""

_CORPUS = "azurelinux-3.0"

# The checked-in BUILD file of each folder: what keel gen writes as
# BUILD.bazel, renamed so that Bazel does not take the folder for a package
# of the main repository.
_BUILD_FILE = "BUILD.corpus.bazel"

def _workspace_path(rctx, rel):
    path = rctx.path(Label("@@//:MODULE.bazel")).dirname
    for part in rel.split("/"):
        path = path.get_child(part)
    return path

def _corpus_dir(rctx):
    env = rctx.getenv("KEEL_CORPUS")
    if env:
        return rctx.path(env).get_child(_CORPUS)
    return rctx.path(Label("@@//:MODULE.bazel")).dirname.dirname.get_child("shared", "corpus", _CORPUS)

def _is_corpus(rctx, d):
    for sub in ("SPECS", "macros", "expected"):
        p = d.get_child(sub)
        rctx.watch(p)
        if not p.exists or not p.is_dir:
            return False
    return True

def _azl_corpus_impl(rctx):
    corpus = _corpus_dir(rctx)
    found = _is_corpus(rctx, corpus)
    files = []
    if found:
        overlay = _workspace_path(rctx, rctx.attr.build_files)
        toolchain = _workspace_path(rctx, rctx.attr.toolchain_file)
        rctx.file("SPECS/toolchain.provides", rctx.read(toolchain))
        files.append("SPECS/toolchain.provides")
        for d in rctx.attr.specs:
            src = corpus.get_child("SPECS", d)
            if not src.is_dir:
                fail("azl_corpus: the corpus %s has no folder SPECS/%s" % (corpus, d))
            rctx.watch_tree(src)
            names = sorted([e.basename for e in src.readdir()])
            for f in names:
                if f in ("BUILD", "BUILD.bazel"):
                    fail("azl_corpus: %s has a BUILD file of its own" % src.get_child(f))
                rctx.symlink(src.get_child(f), "SPECS/%s/%s" % (d, f))
                files.append("SPECS/%s/%s" % (d, f))

            # A folder without a checked-in BUILD file yet (a spec just
            # added to the list) is still a package: the freshness test
            # then fails and names the command that writes it.
            build = overlay.get_child(d, _BUILD_FILE)
            rctx.watch(build)
            rctx.file("SPECS/%s/BUILD.bazel" % d, "{generated}\n# Added by azl_corpus: every file of the folder, for //:tree.\nexports_files({names})\n".format(
                generated = rctx.read(build) if build.exists else "",
                names = json.encode(names),
            ))
        rctx.file("rules/BUILD.bazel", "")
        rctx.file("rules/defs.bzl", '''\
"""Keel's rules, for the generated BUILD files' load("//rules:defs.bzl", ...)."""

load("{defs}", _rpm_package = "rpm_package")

rpm_package = _rpm_package
'''.format(defs = str(Label("//rules:defs.bzl"))))
    else:
        # buildifier: disable=print
        print("azl_corpus: no corpus at %s (set KEEL_CORPUS to the folder holding %s/): its specs are left out, and the tests that build them skip" % (corpus, _CORPUS))

    # Files in the folders' packages are addressed through them.
    labels = []
    for f in files:
        pkg, _, name = f.rpartition("/")
        labels.append("//%s:%s" % (pkg, name) if pkg != "SPECS" else ":" + f)
    rctx.file("BUILD.bazel", """\
# Written by the azl_corpus repository rule (//rules/private:corpus.bzl).
exports_files(["corpus.bzl"])

filegroup(
    name = "tree",
    srcs = {labels},
    visibility = ["//visibility:public"],
)
""".format(labels = json.encode_indent(labels, prefix = "    ", indent = "    ")))
    rctx.file("corpus.bzl", '''\
"""Whether the corpus was found, where, and its spec folders in this repository."""

CORPUS = struct(
    found = {found},
    dir = {dir},
    specs = {specs},
)
'''.format(
        found = found,
        dir = json.encode(str(corpus)),
        specs = json.encode(rctx.attr.specs if found else []),
    ))

azl_corpus = repository_rule(
    implementation = _azl_corpus_impl,
    doc = """Spec folders of the Azure Linux 3.0 corpus as the spec tree `SPECS/`:
`@NAME//SPECS/<dir>:<spec>` is the rpm_package of the corpus spec, as built by
the BUILD file `keel gen` wrote for it (checked in under `build_files`).
The corpus is `$KEEL_CORPUS/azurelinux-3.0`, else
`../shared/corpus/azurelinux-3.0` beside the main repository; when it is
absent, `@NAME//:corpus.bzl`'s `CORPUS.found` is False.""",
    attrs = {
        "specs": attr.string_list(
            doc = "The corpus folders (SPECS/<dir>) to take.",
            mandatory = True,
        ),
        "build_files": attr.string(
            doc = "The main repository's folder holding `<dir>/" + _BUILD_FILE + "` for each of `specs`.",
            mandatory = True,
        ),
        "toolchain_file": attr.string(
            doc = "The main repository's toolchain.provides, placed at the tree's root for keel gen.",
            default = "specs/toolchain.provides",
        ),
    },
)
