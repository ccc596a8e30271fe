"""The RPM build toolchain: a pinned build root, what it provides, the
macros every build gets, and the keel tool that runs the builds."""

load(":providers.bzl", "RpmBuildRootInfo")

TOOLCHAIN_TYPE = str(Label("//rules:rpm_toolchain_type"))

# The rpm architectures Keel builds for, by @platforms//cpu constraint.
ARCHES = ["x86_64", "aarch64"]

def _rpm_toolchain_impl(ctx):
    if ctx.attr.arch not in ARCHES:
        fail("rpm_toolchain %s: arch: %r is not one of %s" % (ctx.label, ctx.attr.arch, ", ".join(ARCHES)))
    for d in ctx.attr.defines:
        if " " not in d or d.startswith(" "):
            fail("rpm_toolchain %s: defines: %r is not 'NAME VALUE'" % (ctx.label, d))
    root = ctx.attr.buildroot[RpmBuildRootInfo]
    return [platform_common.ToolchainInfo(
        arch = ctx.attr.arch,
        rpm_target = ctx.attr.rpm_target,
        buildroot = RpmBuildRootInfo(
            root = root.root,
            sha256 = root.sha256,
            capabilities = root.capabilities + ctx.attr.capabilities,
            defines = ctx.attr.defines,
        ),
        keel = ctx.attr.keel[DefaultInfo].files_to_run,
    )]

rpm_toolchain = rule(
    implementation = _rpm_toolchain_impl,
    doc = """The toolchain of `rpm_package` for one target architecture. Register it
with `toolchain(toolchain_type = "//rules:rpm_toolchain_type", ...)` and
`target_compatible_with` the platform's `@platforms//cpu` constraint.""",
    attrs = {
        "arch": attr.string(
            doc = "The rpm architecture it builds for (`x86_64`, `aarch64`): picks the " +
                  "entry of `rpm_package.rpms`.",
            mandatory = True,
        ),
        "buildroot": attr.label(
            doc = "The pinned build root, e.g. `@debian_bookworm//:buildroot` from the " +
                  "`buildroot` module extension.",
            providers = [RpmBuildRootInfo],
            mandatory = True,
        ),
        "capabilities": attr.string_list(
            doc = "What the build root provides besides the capabilities of `buildroot` " +
                  "(package names and provides): a `toolchain_requires` entry of an " +
                  "`rpm_package` must name one of them. None at all: not checked.",
        ),
        "defines": attr.string_list(
            doc = "`NAME VALUE` macro definitions every build gets (`rpmbuild --define`), " +
                  "e.g. `dist .keel1`.",
        ),
        "keel": attr.label(
            doc = "The keel tool that runs `keel rpmbuild`.",
            default = "//tools/cmd/keel",
            executable = True,
            cfg = "exec",
        ),
        "rpm_target": attr.string(
            doc = "`rpmbuild --target` for a cross build (e.g. `aarch64`); empty: the build " +
                  "root's own architecture.",
        ),
    },
)
