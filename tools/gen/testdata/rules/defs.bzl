"""Stand-in for Keel's public rpm_package macro, used only to load and analyse
BUILD files written by `keel gen` (tools/gen/loadtest.sh).

It takes exactly the attributes `keel gen` writes (docs/gen.md) and builds
nothing: each target writes a text file listing the RPMs it would make, so
that `bazel query` and an analysis-only build see the real graph.
"""

# The arches gen knows, as constraint values of the test workspace's own
# //rules:arch setting (so that the test needs no external module).
ARCH_CONSTRAINTS = {
    "aarch64": "//rules:aarch64",
    "x86_64": "//rules:x86_64",
}

RpmPackageInfo = provider(
    doc = "The RPMs a package target makes.",
    fields = {"rpms": "list of RPM file names for the target arch"},
)

def _impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".rpms.txt")
    ctx.actions.write(out, "\n".join(ctx.attr.rpm_files) + "\n")
    return [DefaultInfo(files = depset([out])), RpmPackageInfo(rpms = ctx.attr.rpm_files)]

_rpm_package = rule(
    implementation = _impl,
    attrs = {
        "deps": attr.label_list(providers = [RpmPackageInfo]),
        "epoch": attr.int(default = -1),
        "release": attr.string(mandatory = True),
        "remote_srcs": attr.label_list(allow_files = True),
        "rpm_files": attr.string_list(),
        "spec": attr.label(allow_single_file = [".spec"], mandatory = True),
        "srcs": attr.label_list(allow_files = True),
        "toolchain_requires": attr.string_list(),
        "version": attr.string(mandatory = True),
    },
)

def rpm_package(
        name,
        spec,
        version,
        release,
        rpms,
        epoch = None,
        srcs = [],
        remote_srcs = [],
        arches = None,
        deps = [],
        arch_deps = {},
        toolchain_requires = [],
        unresolved_requires = [],
        cut_deps = [],
        **kwargs):
    """One spec's package target, as `keel gen` writes it.

    Args:
      name: the spec file name without .spec.
      spec: the spec file.
      version: Version of the source package.
      release: Release, with %{?dist} expanded.
      rpms: dict arch -> RPM file names built on that arch.
      epoch: Epoch, when the spec sets one.
      srcs: Source/Patch files of the spec's folder.
      remote_srcs: signed remote sources, labels in @keel_sources.
      arches: the arches the spec builds on, when not all.
      deps: package targets every building arch needs.
      arch_deps: dict arch -> package targets only that arch needs.
      toolchain_requires: BuildRequires the build root satisfies.
      unresolved_requires: BuildRequires nothing satisfies (informational).
      cut_deps: dependencies removed to break cycles (informational).
      **kwargs: common attributes (visibility, tags, ...).
    """
    _ = (unresolved_requires, cut_deps)  # recorded for people, not for Bazel

    # Any package may build-depend on any other.
    kwargs.setdefault("visibility", ["//visibility:public"])
    compat = {}
    if arches != None:
        compat = {ARCH_CONSTRAINTS[a]: [] for a in arches}
        compat["//conditions:default"] = ["//rules:never"]
    _rpm_package(
        name = name,
        spec = spec,
        version = version,
        release = release,
        epoch = epoch if epoch != None else -1,
        srcs = srcs,
        remote_srcs = remote_srcs,
        deps = deps + select(
            {ARCH_CONSTRAINTS[a]: d for a, d in arch_deps.items()} |
            {"//conditions:default": []},
        ),
        rpm_files = select(
            {ARCH_CONSTRAINTS[a]: r for a, r in rpms.items()} |
            {"//conditions:default": []},
        ),
        toolchain_requires = toolchain_requires,
        target_compatible_with = select(compat) if compat else [],
        **kwargs
    )
