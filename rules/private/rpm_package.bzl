"""rpm_package: one spec built by `keel rpmbuild` in one action."""

load(":providers.bzl", "RpmInfo")
load(":toolchain.bzl", "ARCHES", "TOOLCHAIN_TYPE", "capability_error", "define_error", "noarch_transition")

def _fail(ctx, attr, msg):
    fail("rpm_package %s: %s: %s" % (ctx.label, attr, msg))

def _split_rpm_name(ctx, file):
    """Splits NAME-VERSION-RELEASE.ARCH.rpm."""
    if not file.endswith(".rpm") or "/" in file:
        _fail(ctx, "rpms", "%r is not an RPM file name" % file)
    base = file[:-len(".rpm")]
    arch_at = base.rfind(".")
    if arch_at < 0:
        _fail(ctx, "rpms", "%r has no architecture" % file)
    arch = base[arch_at + 1:]
    if arch == "src":
        _fail(ctx, "rpms", "%r is a source RPM: list only binary RPMs" % file)
    nvr = base[:arch_at]
    parts = nvr.rsplit("-", 2)
    if len(parts) != 3 or not parts[0]:
        _fail(ctx, "rpms", "%r is not NAME-VERSION-RELEASE.ARCH.rpm" % file)
    return struct(name = parts[0], version = parts[1], release = parts[2], arch = arch)

def _rpm_package_impl(ctx):
    tc = ctx.toolchains[TOOLCHAIN_TYPE]
    for d in ctx.attr.defines:
        err = define_error(d)
        if err:
            _fail(ctx, "defines", err)

    # Every architecture's list is checked, not only the target's: a wrong
    # name fails on any platform.
    for arch, files in ctx.attr.rpms.items():
        if arch not in ARCHES:
            _fail(ctx, "rpms", "unknown architecture %r (known: %s)" % (arch, ", ".join(ARCHES)))
        seen, twice = {}, []
        for n in files:
            _split_rpm_name(ctx, n)
            if n in seen and n not in twice:
                twice.append(n)
            seen[n] = True
        if twice:
            _fail(ctx, "rpms", "%s lists %s twice" % (arch, ", ".join(twice)))
    names = ctx.attr.rpms.get(tc.arch, [])
    if not names:
        _fail(ctx, "rpms", "no RPMs for %s, the target architecture (rpms has %s)" % (
            tc.arch,
            ", ".join(sorted(ctx.attr.rpms.keys())) or "none",
        ))
    caps = {c.split(" ")[0]: True for c in tc.buildroot.capabilities}
    if caps:
        for req in ctx.attr.toolchain_requires:
            if req.split(" ")[0] not in caps:
                _fail(ctx, "toolchain_requires", "%r is not a capability of the toolchain's build root %s" % (req, tc.buildroot.sha256[:12]))
    if ctx.attr.unresolved_requires and not ctx.attr.allow_unresolved:
        _fail(ctx, "unresolved_requires", "nothing provides %s (fix the spec tree or gen.overrides.json, then run keel gen)" % (
            ", ".join(ctx.attr.unresolved_requires)
        ))

    epoch = str(ctx.attr.epoch) if ctx.attr.epoch >= 0 else ""
    rpms, packages = [], []
    for n in names:
        parsed = _split_rpm_name(ctx, n)
        f = ctx.actions.declare_file("%s.rpms/%s" % (ctx.label.name, n))
        rpms.append(f)
        packages.append(struct(
            name = parsed.name,
            epoch = epoch,
            version = parsed.version,
            release = parsed.release,
            arch = parsed.arch,
            file = f,
        ))
    srpm = ctx.actions.declare_file("%s.src.rpm" % ctx.label.name)
    metadata = ctx.actions.declare_file("%s.rpms.json" % ctx.label.name)
    lock = ctx.actions.declare_file("%s.lock.json" % ctx.label.name)
    log = ctx.actions.declare_file("%s.log" % ctx.label.name)

    dep_rpms = depset(transitive = [d[RpmInfo].transitive_rpms for d in ctx.attr.deps])
    srcs = ctx.files.srcs + ctx.files.remote_srcs

    # What the build root provides: the toolchain's capabilities, or, when it
    # lists none, the BuildRequires keel gen found it satisfies.
    capabilities = tc.buildroot.capabilities or ctx.attr.toolchain_requires
    if not tc.buildroot.capabilities:
        for c in capabilities:
            err = capability_error(c)
            if err:
                _fail(ctx, "toolchain_requires", err + " (the toolchain lists no capabilities, so these stand for them)")

    args = ctx.actions.args()
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--root", tc.buildroot.root)
    args.add("--spec", ctx.file.spec)
    args.add_all(srcs, before_each = "--source")
    if ctx.file.signatures:
        args.add("--signatures", ctx.file.signatures)
    args.add_all(dep_rpms, before_each = "--dep-rpm")
    args.add_all(capabilities, before_each = "--capability")
    args.add("--arch", tc.arch)
    if tc.rpm_target:
        args.add("--target", tc.rpm_target)
    args.add_all(tc.buildroot.defines, before_each = "--define")
    args.add_all(ctx.attr.defines, before_each = "--define")
    if ctx.attr.source_date_epoch >= 0:
        args.add("--source-date-epoch", str(ctx.attr.source_date_epoch))
    args.add("--out-dir", rpms[0].dirname)
    args.add_all(names, before_each = "--expect")
    args.add("--srpm", srpm)
    args.add("--metadata", metadata)
    args.add("--lock", lock)
    args.add("--log", log)

    ctx.actions.run(
        executable = tc.keel,
        arguments = ["rpmbuild", args],
        inputs = depset([ctx.file.spec, tc.buildroot.root] + srcs + ctx.files.signatures, transitive = [dep_rpms]),
        # The first output names the parameter file: keep it out of the
        # RPMs' folder, which keel rpmbuild fills.
        outputs = [metadata, srpm, lock, log] + rpms,
        mnemonic = "RpmBuild",
        progress_message = "Building RPMs of %{label}",
        # keel makes its own namespaces; Bazel's sandbox would only get in
        # the way (it reads nothing but its declared inputs). No
        # "no-remote-exec": Bazel 7 then skips the disk cache too.
        execution_requirements = {"no-sandbox": "1"},
    )
    own = depset(rpms)
    return [
        DefaultInfo(files = own),
        RpmInfo(
            rpms = own,
            srpm = srpm,
            packages = packages,
            metadata = metadata,
            transitive_rpms = depset(rpms, transitive = [dep_rpms]),
        ),
        OutputGroupInfo(
            log = depset([log]),
            srpm = depset([srpm]),
            metadata = depset([metadata]),
            lock = depset([lock]),
        ),
    ]

rpm_package_rule = rule(
    implementation = _rpm_package_impl,
    doc = """Builds one spec with `keel rpmbuild` (one `RpmBuild` action) in the
toolchain's build root. The build root gets exactly the closure of the
spec's BuildRequires (evaluated for the target architecture) over the RPMs
of `deps`, less what the toolchain's capabilities provide. Outputs: the
binary RPMs named in `rpms` for the target architecture (`NAME.rpms/FILE`),
the source RPM (`NAME.src.rpm`, output group `srpm`), `NAME.rpms.json`
(NEVRA, provides, requires and files of each RPM, read from the built
headers; output group `metadata`), `NAME.lock.json` (the BuildRequires and
the exact RPMs installed, with their sha256; output group `lock`) and the
build log (output group `log`).""",
    attrs = {
        "spec": attr.label(
            doc = "The spec file.",
            allow_single_file = [".spec"],
            mandatory = True,
        ),
        "epoch": attr.int(
            doc = "The spec's `Epoch:`; -1 when it has none.",
            default = -1,
        ),
        "version": attr.string(
            doc = "The spec's `Version:`.",
            mandatory = True,
        ),
        "release": attr.string(
            doc = "The spec's `Release:`, `%{?dist}` expanded.",
            mandatory = True,
        ),
        "srcs": attr.label_list(
            doc = "Local Source and Patch files, placed in `SOURCES/` by base name.",
            allow_files = True,
        ),
        "remote_srcs": attr.label_list(
            doc = "Remote Source and Patch files: `@keel_sources//PACKAGE:FILE`, fetched by sha256.",
            allow_files = True,
        ),
        "signatures": attr.label(
            doc = "The spec's `NAME.signatures.json` (`{\"Signatures\": {FILE: SHA256}}`): " +
                  "before building, `keel rpmbuild` checks each source it lists (a distribution's " +
                  "list the upstream archives; files kept beside the spec need no entry). The " +
                  "`rpm_package` macro passes the file next to the spec when there is one.",
            allow_single_file = [".json"],
        ),
        "rpms": attr.string_list_dict(
            doc = "Architecture → the binary RPM file names the build must produce on it " +
                  "(exactly these: any other set fails the build).",
            mandatory = True,
        ),
        "deps": attr.label_list(
            doc = "rpm_package targets whose RPMs (and their own deps' RPMs) the " +
                  "BuildRequires are resolved over; the closure is installed in the build " +
                  "root before the build. Only RPM files are inputs, so a dependency " +
                  "rebuilt to identical bytes rebuilds nothing here.",
            providers = [RpmInfo],
        ),
        "toolchain_requires": attr.string_list(
            doc = "BuildRequires the build root satisfies; checked against the toolchain's " +
                  "capabilities when it lists any, else taken as the build root's capabilities.",
        ),
        "unresolved_requires": attr.string_list(
            doc = "BuildRequires nothing satisfies: the target fails analysis unless " +
                  "`allow_unresolved` is set.",
        ),
        "allow_unresolved": attr.bool(
            doc = "Build even with `unresolved_requires` (the build then fails if rpm needs them).",
        ),
        "cut_deps": attr.string_list(
            doc = "Dependencies removed to break a cycle (labels, documentation only).",
        ),
        "defines": attr.string_list(
            doc = "`NAME VALUE` macro definitions for this build, after the toolchain's.",
        ),
        "source_date_epoch": attr.int(
            doc = "SOURCE_DATE_EPOCH; -1: rpm takes it from the spec's `%changelog`.",
            default = -1,
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
    # All-noarch specs build once, on one platform (see noarch_transition).
    cfg = noarch_transition,
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
    """Builds the RPMs of one spec: what `keel gen` writes for each spec.

    Args:
      name: the spec's file name without `.spec`.
      spec: the spec file.
      version: the spec's Version.
      release: the spec's Release, `%{?dist}` expanded.
      rpms: dict architecture → binary RPM file names built there.
      epoch: the spec's Epoch (int), or None.
      srcs: local Source and Patch files.
      remote_srcs: remote ones, `@keel_sources//PACKAGE:FILE`.
      arches: the architectures the spec builds on, when not all: others
        are incompatible target platforms.
      deps: rpm_package targets needed on every architecture.
      arch_deps: dict architecture → extra rpm_package targets needed there.
      toolchain_requires: BuildRequires the build root satisfies.
      unresolved_requires: BuildRequires nothing satisfies.
      cut_deps: dependencies removed to break a cycle.
      **kwargs: other rpm_package_rule attributes (`defines`,
        `source_date_epoch`, `allow_unresolved`, `signatures`: by default
        the spec's `NAME.signatures.json` when it exists) and common ones;
        `visibility` defaults to public, since packages are depended on
        from every folder of the tree and from images.
    """
    for a in (arches or []) + list(arch_deps.keys()):
        if a not in ARCHES:
            fail("rpm_package %s: %s: unknown architecture %r (known: %s)" % (
                name,
                "arches" if a in (arches or []) else "arch_deps",
                a,
                ", ".join(ARCHES),
            ))
    extra = []
    if arch_deps:
        extra = select(dict(
            [("@platforms//cpu:" + a, arch_deps.get(a, [])) for a in ARCHES] +
            [("//conditions:default", [])],
        ))
    kwargs.setdefault("visibility", ["//visibility:public"])
    if "signatures" not in kwargs and type(spec) == "string" and spec.endswith(".spec") and ":" not in spec:
        sigs = native.glob([spec[:-len(".spec")] + ".signatures.json"], allow_empty = True)
        if sigs:
            kwargs["signatures"] = sigs[0]
    compat = kwargs.pop("target_compatible_with", [])
    if arches != None:
        compat = compat + select(dict(
            [("@platforms//cpu:" + a, []) for a in arches] +
            [("//conditions:default", ["@platforms//:incompatible"])],
        ))
    rpm_package_rule(
        name = name,
        spec = spec,
        version = version,
        release = release,
        rpms = rpms,
        epoch = -1 if epoch == None else epoch,
        srcs = srcs,
        remote_srcs = remote_srcs,
        deps = deps + extra,
        toolchain_requires = toolchain_requires,
        unresolved_requires = unresolved_requires,
        cut_deps = cut_deps,
        target_compatible_with = compat,
        **kwargs
    )
