"""The RPM build toolchain: a pinned build root, what it provides, the
macros every build gets, and the keel tool that runs the builds."""

load(":providers.bzl", "RpmBuildRootInfo")

TOOLCHAIN_TYPE = str(Label("//rules:rpm_toolchain_type"))

# The rpm architectures Keel builds for, by @platforms//cpu constraint.
ARCHES = ["x86_64", "aarch64"]

# The target platform of each architecture.
PLATFORMS = {arch: Label("//platforms:" + arch) for arch in ARCHES}

# noarch RPMs are built once, by this architecture's toolchain: rpm writes
# the build's target into a noarch RPM's header (its platform), so a noarch
# package built for each target would be a different file per target.
NOARCH_BUILD_ARCH = "x86_64"

_PLATFORMS = "//command_line_option:platforms"

# The comparisons of a versioned capability, as rpm reads them in a spec.
_OPERATORS = ["<", "<=", "=<", "=", "==", ">=", "=>", ">"]

def define_error(d):
    """Why d is not a macro definition for `rpmbuild --define`, or None.

    Args:
      d: "NAME VALUE" on one line: the action's parameter file holds one
        argument a line.

    Returns:
      None, or the error message.
    """
    if " " not in d or d.startswith(" ") or "\n" in d:
        return "%r is not 'NAME VALUE' on one line" % d
    return None

def capability_error(s):
    """Why s is not a capability of a build root, or None.

    Args:
      s: "NAME" or "NAME OP VERSION", as `keel rpmbuild --capability` takes
        it; a rich dependency ("(a or b)") is not one.

    Returns:
      None, or the error message.
    """
    f = s.split(" ")
    if f[0] and not f[0].startswith("(") and (len(f) == 1 or (len(f) == 3 and f[1] in _OPERATORS and f[2])):
        return None
    return "%r is not NAME or NAME OP VERSION" % s

def _noarch_transition_impl(settings, attr):
    arches = sorted(attr.rpms.keys())
    files = [f for a in arches for f in attr.rpms[a]]
    if not files or [f for f in files if not f.endswith(".noarch.rpm")]:
        return {_PLATFORMS: settings[_PLATFORMS]}
    arch = NOARCH_BUILD_ARCH if NOARCH_BUILD_ARCH in arches else arches[0]
    if arch not in PLATFORMS:
        # rpm_package's analysis names the unknown architecture.
        return {_PLATFORMS: settings[_PLATFORMS]}
    return {_PLATFORMS: [str(PLATFORMS[arch])]}

# rpm_package's incoming transition: a spec whose RPMs are all noarch
# builds on NOARCH_BUILD_ARCH's platform (or its first architecture, when it
# does not build there), whatever the target platform; other specs build
# for the target platform. A spec with arch and noarch packages builds per
# architecture: rpm makes all of a spec's packages in one run.
noarch_transition = transition(
    implementation = _noarch_transition_impl,
    inputs = [_PLATFORMS],
    outputs = [_PLATFORMS],
)

def _rpm_toolchain_impl(ctx):
    if ctx.attr.arch not in ARCHES:
        fail("rpm_toolchain %s: arch: %r is not one of %s" % (ctx.label, ctx.attr.arch, ", ".join(ARCHES)))
    for d in ctx.attr.defines:
        err = define_error(d)
        if err:
            fail("rpm_toolchain %s: defines: %s" % (ctx.label, err))
    for c in ctx.attr.capabilities:
        err = capability_error(c)
        if err:
            fail("rpm_toolchain %s: capabilities: %s" % (ctx.label, err))
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
            doc = "The keel tool that runs `keel rpmbuild`. It is an input of every " +
                  "`RpmBuild` action, so any change to it reruns every package build; a " +
                  "distribution whose package cache should outlive changes to Keel points " +
                  "this at a released keel binary pinned by sha256 (e.g. an `http_file`).",
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

def _to_platform_impl(_settings, attr):
    return {_PLATFORMS: [str(attr.platform)]}

_to_platform = transition(
    implementation = _to_platform_impl,
    inputs = [],
    outputs = [_PLATFORMS],
)

def _platform_filegroup_impl(ctx):
    return [DefaultInfo(
        files = depset(transitive = [s[DefaultInfo].files for s in ctx.attr.srcs]),
        runfiles = ctx.runfiles().merge_all([s[DefaultInfo].default_runfiles for s in ctx.attr.srcs]),
    )]

platform_filegroup = rule(
    implementation = _platform_filegroup_impl,
    doc = """The files of `srcs` built for `platform`, whatever the build's target
platform: e.g. the aarch64 root file system as a test's data in an x86_64
build.""",
    attrs = {
        "srcs": attr.label_list(
            doc = "Targets whose default outputs (and runfiles) to build for `platform`.",
            allow_files = True,
            cfg = _to_platform,
        ),
        "platform": attr.label(
            doc = "The target platform, e.g. `//platforms:aarch64`.",
            mandatory = True,
        ),
    },
)
