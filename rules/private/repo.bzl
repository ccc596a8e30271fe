"""rpm_repo: an RPM repository (Packages/ + repodata/) over built RPMs."""

load(":providers.bzl", "RpmInfo")

def _rpm_repo_impl(ctx):
    rpms = depset(transitive = [
        p[RpmInfo].transitive_rpms if ctx.attr.transitive else p[RpmInfo].rpms
        for p in ctx.attr.packages
    ])
    out = ctx.actions.declare_directory(ctx.label.name)
    args = ctx.actions.args()
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--out", out.path)
    args.add("--compress", ctx.attr.compress)
    if ctx.attr.epoch >= 0:
        args.add("--epoch", str(ctx.attr.epoch))
    args.add_all(rpms)
    ctx.actions.run(
        executable = ctx.executable._keel,
        arguments = [ctx.actions.args().add("repo"), args],
        inputs = rpms,
        outputs = [out],
        mnemonic = "KeelRepo",
        progress_message = "Writing RPM repository %{label}",
    )
    return [DefaultInfo(files = depset([out]))]

rpm_repo = rule(
    implementation = _rpm_repo_impl,
    doc = """An RPM repository that dnf installs from: `Packages/` with the RPMs
and `repodata/` (repomd.xml, primary, filelists, other; sha256), as one
directory output named after the target.""",
    attrs = {
        "packages": attr.label_list(
            doc = "Targets providing RpmInfo (rpm_package targets): their RPMs go into the repository.",
            providers = [RpmInfo],
            mandatory = True,
        ),
        "transitive": attr.bool(
            doc = "Also include the RPMs the packages need at run time (RpmInfo.transitive_rpms).",
            default = True,
        ),
        "compress": attr.string(
            doc = "Metadata compression.",
            default = "gzip",
            values = ["gzip", "zstd"],
        ),
        "epoch": attr.int(
            doc = "Repository revision and metadata timestamps (Unix time); -1: the newest build time of the RPMs.",
            default = -1,
        ),
        "_keel": attr.label(
            doc = "The keel tool.",
            default = "//tools/cmd/keel",
            executable = True,
            cfg = "exec",
        ),
    },
)
