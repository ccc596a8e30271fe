"""Remote sources: one repository per file of the sources lock, fetched by
sha256 (Bazel's repository cache first), behind the hub repository whose
labels the generated BUILD files use."""

_SEED = "keel sources seed --repository-cache ${KEEL_CACHE:-/var/cache/keel}/repository-cache --from-debian specs/"

def _source_file_impl(rctx):
    name, sha256, urls = rctx.attr.file, rctx.attr.sha256, rctx.attr.urls
    what = "{file} of {pkg} (sha256 {sha256})".format(file = name, pkg = rctx.attr.package, sha256 = sha256)
    result = rctx.download(url = urls, output = name, sha256 = sha256, allow_fail = True)
    if not result.success:
        if not urls:
            fail("%s is not in Bazel's repository cache and has no URL: seed the cache, e.g.\n    %s" % (what, _SEED))

        # Tell a wrong hash from a failed download: fetch without the hash.
        probe = rctx.download(url = urls, output = "unchecked", allow_fail = True)
        if not probe.success:
            fail("%s is not in Bazel's repository cache and downloading it from %s failed; seed the cache, e.g.\n    %s" % (what, ", ".join(urls), _SEED))
        actual = rctx.execute(["sha256sum", "unchecked"]).stdout.split(" ")[0]
        rctx.delete("unchecked")
        fail("{file} of {pkg}: wrong sha256: expected {want}, got {got} from {urls}".format(
            file = name,
            pkg = rctx.attr.package,
            want = sha256,
            got = actual or "(cannot hash it)",
            urls = ", ".join(urls),
        ))
    rctx.file("BUILD.bazel", 'exports_files([%r], visibility = ["//visibility:public"])\n' % name)

_source_file = repository_rule(
    implementation = _source_file_impl,
    doc = "One remote source file, checked against its sha256.",
    attrs = {
        "file": attr.string(mandatory = True),
        "package": attr.string(),
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(),
    },
)

def _hub_impl(rctx):
    by_pkg = {}
    for i, pkg in enumerate(rctx.attr.packages):
        by_pkg.setdefault(pkg, []).append((rctx.attr.files[i], rctx.attr.repos[i]))
    for pkg, entries in by_pkg.items():
        lines = []
        for file, repo in entries:
            lines.append('alias(name = %r, actual = "@%s//:%s", visibility = ["//visibility:public"])' % (file, repo, file))
        rctx.file(pkg + "/BUILD.bazel", "\n".join(lines) + "\n")
    rctx.file("BUILD.bazel", "")

_hub = repository_rule(
    implementation = _hub_impl,
    doc = "The hub: //PACKAGE:FILE is an alias of the file's own repository.",
    attrs = {
        "files": attr.string_list(),
        "packages": attr.string_list(),
        "repos": attr.string_list(),
    },
)

def _repo_name(sha256, file):
    safe = "".join([c if c.isalnum() or c in "-._" else "_" for c in file.elems()])
    return "keel_src_%s_%s" % (sha256[:16], safe)

def _sources_extension_impl(mctx):
    packages, files, repos = [], [], []
    declared = {}
    for mod in mctx.modules:
        for tag in mod.tags.lock:
            path = mctx.path(Label("@@//:MODULE.bazel")).dirname
            for part in tag.file.split("/"):
                path = path.get_child(part)
            if not path.exists:
                # keel gen writes it; without it there is no remote source.
                continue
            lock = json.decode(mctx.read(path))
            for e in lock.get("sources", []):
                for key in ("package", "file", "sha256"):
                    if not e.get(key):
                        fail("%s: an entry lacks %r: %r" % (tag.file, key, e))
                if len(e["sha256"]) != 64 or e["sha256"].strip("0123456789abcdef") != "":
                    fail("%s: %s of %s: %r is not a sha256" % (tag.file, e["file"], e["package"], e["sha256"]))
                repo = _repo_name(e["sha256"], e["file"])
                if repo not in declared:
                    declared[repo] = True
                    _source_file(
                        name = repo,
                        file = e["file"],
                        package = e["package"],
                        sha256 = e["sha256"],
                        urls = e.get("urls") or [],
                    )
                packages.append(e["package"])
                files.append(e["file"])
                repos.append(repo)
    _hub(name = "keel_sources", packages = packages, files = files, repos = repos)

sources = module_extension(
    implementation = _sources_extension_impl,
    doc = """Reads the sources lock that `keel gen` writes
(`{"sources": [{"package", "file", "sha256", "urls"}]}`) and declares one
repository per remote file plus the hub `@keel_sources`, in which
`//PACKAGE:FILE` is that file. Files come from Bazel's repository cache by
sha256 first (`keel sources seed` fills it), then from their URLs.""",
    tag_classes = {
        "lock": tag_class(
            doc = "A sources lock file; absent files are skipped.",
            attrs = {"file": attr.string(mandatory = True, doc = "The lock file's path in the main repository, e.g. `specs/sources.lock.json` (a path, so the folder needs no BUILD file).")},
        ),
    },
)
