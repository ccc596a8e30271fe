"""test_rpms: the RPMs of a tiny bootable system, made in the build.

They stand in for the distribution's packages in the image rules' tests.
"""

load("//rules:defs.bzl", "RpmInfo")

_RPMS = [
    "keeltest-filesystem-1.0-1.noarch.rpm",
    "keeltest-busybox-1.0-1.x86_64.rpm",
    "keeltest-init-1.0-1.noarch.rpm",
]

def _test_rpms_impl(ctx):
    outs = [ctx.actions.declare_file("%s/%s" % (ctx.label.name, f)) for f in _RPMS]
    ctx.actions.run(
        executable = ctx.executable._testrpms,
        arguments = ["--busybox", ctx.attr.busybox, "--out", outs[0].dirname],
        outputs = outs,
        mnemonic = "KeelTestRpms",
        progress_message = "Writing test RPMs %{label}",
    )
    rpms = depset(outs)
    return [
        DefaultInfo(files = rpms),
        RpmInfo(rpms = rpms, transitive_rpms = rpms, srpm = None, packages = []),
    ]

test_rpms = rule(
    implementation = _test_rpms_impl,
    doc = "keeltest-filesystem, keeltest-busybox (the build machine's static busybox) and keeltest-init.",
    attrs = {
        "busybox": attr.string(
            doc = "Absolute path of a static busybox on the build machine (Debian package busybox-static).",
            default = "/usr/bin/busybox",
        ),
        "_testrpms": attr.label(
            doc = "The RPM writer.",
            default = "//rules/tests/image/testrpms",
            executable = True,
            cfg = "exec",
        ),
    },
)
