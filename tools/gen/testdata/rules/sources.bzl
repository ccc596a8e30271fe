"""Stand-in hub of remote sources: the `keel_sources` module extension reads
the spec tree's sources.lock.json and declares the hub repository
@keel_sources, in which //<package>:<file> is that source.

The real extension declares one http_file repository per lock entry (by
sha256, with the entry's urls) and makes the hub's targets aliases of them.
This stand-in, for the offline load test, writes an empty placeholder per
entry instead of downloading it.
"""

def _hub_impl(rctx):
    lock = json.decode(rctx.read(rctx.attr.lock))
    by_pkg = {}
    for e in lock["sources"]:
        by_pkg.setdefault(e["package"], []).append(e)
    for pkg, entries in by_pkg.items():
        names = []
        for e in entries:
            rctx.file(pkg + "/" + e["file"], "placeholder for sha256 %s\n" % e["sha256"])
            names.append(e["file"])
        rctx.file(pkg + "/BUILD.bazel", "exports_files(%s)\n" % json.encode(sorted(names)))
    rctx.file("BUILD.bazel", "")

_hub = repository_rule(
    implementation = _hub_impl,
    attrs = {"lock": attr.label(mandatory = True)},
)

_lock = tag_class(attrs = {"file": attr.label(mandatory = True)})

def _ext_impl(mctx):
    for mod in mctx.modules:
        for tag in mod.tags.lock:
            _hub(name = "keel_sources", lock = tag.file)

keel_sources = module_extension(
    implementation = _ext_impl,
    tag_classes = {"lock": _lock},
)
