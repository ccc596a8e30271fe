"""Rules of the demo."""

load(":providers.bzl", "PartInfo")

_TOOLCHAIN = str(Label("//rules:demo_toolchain_type"))

GizmoInfo = provider(
    doc = "What a gizmo gives.",
    fields = {
        "out": "File: the gizmo.",
        "parts": "depset of File: its parts | pieces.",
    },
)

LegacyInfo, _new_legacy = provider(
    fields = ["a", "b"],
    init = lambda a, b: {"a": a, "b": b},
)

def _gizmo_impl(ctx):
    return [DefaultInfo(files = depset(ctx.files.srcs)), GizmoInfo(out = None, parts = depset())]

_SHARED = attr.label(
    doc = "The tool.",
    default = "//tools:tool",
    executable = True,
    cfg = "exec",
)

gizmo = rule(
    implementation = _gizmo_impl,
    doc = """Makes a gizmo from parts.

    A second paragraph, indented as in a function's doc string.""",
    attrs = {
        "srcs": attr.label_list(doc = "The parts.", allow_files = [".part"], providers = [[PartInfo], [GizmoInfo, DefaultInfo]]),
        "main": attr.label(doc = "The main part.", allow_single_file = True, mandatory = True, providers = [GizmoInfo]),
        "mode": attr.string(doc = "How to\nbuild it.", values = ["fast", "small"], default = "fast"),
        "count": attr.int(),
        "flags": attr.string_list_dict(doc = "Flags by arch."),
        "tool": _SHARED,
        "_hidden": _SHARED,
    },
    toolchains = [_TOOLCHAIN, config_common.toolchain_type("//rules:other_type", mandatory = False)],
    provides = [GizmoInfo],
)

runner_rule = rule(
    implementation = _gizmo_impl,
    doc = "Runs a gizmo.",
    executable = True,
    attrs = {"gizmo": attr.label(doc = "The gizmo.", providers = [GizmoInfo])},
)

helper_rule = rule(
    implementation = _gizmo_impl,
    doc = "Helps; not exported by defs.bzl.",
    attrs = {"level": attr.int(doc = "How much.", default = 1)},
)
