"""rootfs: an image's root file system, as a deterministic tar, from RPMs."""

load(":providers.bzl", "RootfsInfo", "RpmInfo")

# Unix time of every date in image outputs unless a target sets its own
# (SOURCE_DATE_EPOCH): 2023-11-14.
DEFAULT_EPOCH = 1700000000

_ARCHES = ["x86_64", "aarch64"]

def _rootfs_impl(ctx):
    rpms = depset(transitive = [p[RpmInfo].transitive_rpms for p in ctx.attr.packages])
    tar = ctx.actions.declare_file(ctx.label.name + ".tar")
    lock = ctx.actions.declare_file(ctx.label.name + ".lock.json")
    report = ctx.actions.declare_file(ctx.label.name + ".report.json")
    args = ctx.actions.args()
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--out", tar)
    args.add("--lock", lock)
    args.add("--report", report)
    args.add("--epoch", str(ctx.attr.epoch))
    args.add_all(ctx.attr.install, before_each = "--install")
    args.add_all(ctx.attr.users, before_each = "--user")
    args.add_all(ctx.attr.groups, before_each = "--group")
    if ctx.attr.hostname:
        args.add("--hostname", ctx.attr.hostname)
    extra = []
    for target, dest in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("rootfs %s: files: %s gives %d files; give a label of exactly one file" % (ctx.label, target.label, len(files)))
        if not dest.startswith("/"):
            fail("rootfs %s: files: the path %r of %s is not absolute; write it as /%s" % (ctx.label, dest, target.label, dest))
        extra.append(files[0])
        args.add("--file", "%s=%s" % (dest, files[0].path))
    args.add_all(rpms)
    ctx.actions.run(
        executable = ctx.executable._keel,
        arguments = [ctx.actions.args().add("rootfs"), args],
        inputs = depset(extra, transitive = [rpms]),
        outputs = [tar, lock, report],
        mnemonic = "KeelRootfs",
        progress_message = "Assembling root file system %{label}",
    )
    return [
        DefaultInfo(files = depset([tar, lock])),
        OutputGroupInfo(report = depset([report]), tar = depset([tar])),
        RootfsInfo(tar = tar, lock = lock, arch = ctx.attr.arch),
    ]

_rootfs = rule(
    implementation = _rootfs_impl,
    doc = "Assembles the root file system tar (PAX, sorted, dates clamped) and its lock from the RPMs of `packages`.",
    attrs = {
        "packages": attr.label_list(
            doc = "Targets providing RpmInfo; their RPMs and run-time dependencies (transitive_rpms) are available to install.",
            providers = [RpmInfo],
        ),
        "install": attr.string_list(
            doc = "Package names (or 'name >= version') to install with the closure of their Requires; empty: every available RPM.",
        ),
        "users": attr.string_list(doc = "Declared accounts, name:uid:gid[:home[:shell]]."),
        "groups": attr.string_list(doc = "Declared groups, name:gid."),
        "files": attr.label_keyed_string_dict(
            doc = "Extra files: label of one file → absolute path in the tree (mode 0755 if the file is executable, else 0644).",
            allow_files = True,
        ),
        "hostname": attr.string(doc = "Written to /etc/hostname when set."),
        "arch": attr.string(doc = "The rpm architecture of the tree.", values = _ARCHES, default = "x86_64"),
        "epoch": attr.int(doc = "Modification times are clamped to this Unix time.", default = DEFAULT_EPOCH),
        "_keel": attr.label(
            doc = "The keel tool.",
            default = "//tools/cmd/keel",
            executable = True,
            cfg = "exec",
        ),
    },
)

def rootfs(
        name,
        packages,
        install = [],
        users = {},
        groups = {},
        files = {},
        hostname = "",
        arch = "x86_64",
        **kwargs):
    """A root file system tar straight from RPM payloads (no scriptlets run).

    Outputs `NAME.tar` (PAX, sorted, dates clamped to the epoch), `NAME.lock.json`
    (the exact RPMs installed) and, in output group `report`,
    `NAME.report.json` (skipped scriptlets, ghost files). See docs/rootfs.md.

    Args:
      name: target name.
      packages: targets providing RpmInfo (rpm_package targets).
      install: package names to install with their Requires closure; empty
        installs every RPM of `packages` and their run-time dependencies.
      users: declared accounts, name → "uid:gid[:home[:shell]]".
      groups: declared groups, name → gid (int).
      files: extra files, absolute path in the tree → label of one file.
      hostname: written to /etc/hostname when set.
      arch: rpm architecture of the tree, x86_64 or aarch64.
      **kwargs: common attributes (visibility, tags, epoch, ...).
    """
    for user, spec in users.items():
        if type(spec) != "string" or spec.count(":") < 1:
            fail("rootfs %s: users: %r = %r: give \"uid:gid[:home[:shell]]\"" % (name, user, spec))
    seen = {}
    for path, label in files.items():
        if not path.startswith("/"):
            fail("rootfs %s: files: %r is not an absolute path; write /%s" % (name, path, path))
        if label in seen:
            fail("rootfs %s: files: %s is given for both %s and %s; give each path its own file target" % (name, label, seen[label], path))
        seen[label] = path
    _rootfs(
        name = name,
        packages = packages,
        install = install,
        users = ["%s:%s" % (u, users[u]) for u in sorted(users)],
        groups = ["%s:%d" % (g, groups[g]) for g in sorted(groups)],
        files = {label: path for path, label in files.items()},
        hostname = hostname,
        arch = arch,
        **kwargs
    )
