"""A module extension of the demo."""

def _toy_impl(mctx):
    for mod in mctx.modules:
        for box in mod.tags.box:
            _toy_repo(name = box.name)

_toy_repo = repository_rule(
    implementation = lambda rctx: rctx.file("BUILD.bazel", ""),
    attrs = {"name_": attr.string()},
)

toy = module_extension(
    implementation = _toy_impl,
    doc = "Makes toy repositories.",
    tag_classes = {
        "box": tag_class(
            doc = "One toy repository.",
            attrs = {
                "name": attr.string(doc = "Its name.", mandatory = True),
                "size": attr.int(default = 3),
            },
        ),
        "wrap": tag_class(attrs = {"paper": attr.string(doc = "The paper.", values = ["red", "blue"])}),
    },
)

bare = module_extension(implementation = _toy_impl)
