"""Macros of the demo."""

load(":rules.bzl", "gizmo", "helper_rule")

def _bundle_impl(ctx):
    pass

_bundle = rule(
    implementation = _bundle_impl,
    doc = "The rule behind the bundle macro.",
    attrs = {
        "gizmos": attr.label_list(doc = "The gizmos."),
        "compress": attr.bool(doc = "Compress the bundle.", default = True),
        "level": attr.int(default = 6),
    },
)

def bundle(name, gizmos, extra = None, *more, **kwargs):
    """Bundles gizmos.

    Outputs `NAME.bundle`.

    Args:
      name: the target name.
      gizmos: the gizmos to bundle; each
        one a gizmo target.
      *more: further gizmos.
      **kwargs: attributes of the rule.
      stale: a parameter that is gone.

    Returns:
      Nothing.
    """
    _bundle(name = name, gizmos = gizmos + list(more), **kwargs)
    if extra:
        native.filegroup(name = name + "_extra", srcs = [extra])

def wrapper(name, **kwargs):
    """Makes a gizmo with a default main part.

    Args:
      name: the target name.
      **kwargs: gizmo attributes.
    """
    gizmo(name = name, main = kwargs.pop("main", ":main.part"), **kwargs)

def undocumented(name, visibility = ["//visibility:public"]):
    native.alias(name = name, actual = ":x", visibility = visibility)

def helped(name, **kwargs):
    """A macro over a rule of another file.

    Args:
      name: the target name.
      **kwargs: helper_rule attributes.
    """
    helper_rule(name = name, **kwargs)
