"""rpms_for_arch: the RPMs of rpm_package targets built for one architecture,
listed for a test."""

load("//rules:defs.bzl", "RpmInfo")
load("//rules/private:toolchain.bzl", "PLATFORMS")

_PLATFORMS = "//command_line_option:platforms"

def _to_arch_impl(_settings, attr):
    if attr.arch not in PLATFORMS:
        fail("rpms_for_arch: arch: %r is not one of %s" % (attr.arch, ", ".join(PLATFORMS)))
    return {_PLATFORMS: [str(PLATFORMS[attr.arch])]}

_to_arch = transition(
    implementation = _to_arch_impl,
    inputs = [],
    outputs = [_PLATFORMS],
)

def _rpms_for_arch_impl(ctx):
    # Targets built for several architectures have the same file paths:
    # link each under NAME/ so that a test's runfiles keep them apart.
    files, packages = [], {}
    for t in ctx.attr.packages:
        info = t[RpmInfo]
        entry = {"rpms": []}
        for f in [info.metadata, info.srpm] + info.rpms.to_list():
            out = ctx.actions.declare_file("%s/%s/%s" % (ctx.label.name, t.label.name, f.basename))
            ctx.actions.symlink(output = out, target_file = f)
            files.append(out)
            if f == info.metadata:
                entry["metadata"] = out.short_path
            elif f == info.srpm:
                entry["srpm"] = out.short_path
            else:
                entry["rpms"].append(out.short_path)
        packages[str(t.label)] = entry
    out = ctx.actions.declare_file(ctx.label.name + ".json")
    ctx.actions.write(out, json.encode_indent({"arch": ctx.attr.arch, "packages": packages}) + "\n")
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = files + [out]))]

rpms_for_arch = rule(
    implementation = _rpms_for_arch_impl,
    doc = """Builds `packages` for `arch` and writes NAME.json: `{"arch": ARCH,
"packages": {label: {"metadata": path, "srpm": path, "rpms": [path, ...]}}}`,
paths relative to the workspace's runfiles root; the files are in the
runfiles. (One target per architecture: a split transition would list a
noarch package, which builds in one configuration, under one key only.)""",
    attrs = {
        "arch": attr.string(
            doc = "The rpm architecture (a key of //rules/private:toolchain.bzl's PLATFORMS).",
            mandatory = True,
        ),
        "packages": attr.label_list(
            doc = "rpm_package targets.",
            providers = [RpmInfo],
            cfg = _to_arch,
        ),
    },
)
