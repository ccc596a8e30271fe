"""Analysis tests of rpm_package: its action, and its failures naming the
attribute at fault."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "RpmInfo", "rpm_package", "rpm_toolchain")

def _action_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "RpmBuild"]
    asserts.equals(env, 1, len(actions), "RpmBuild actions")
    action = actions[0]
    outs = sorted([f.basename for f in action.outputs.to_list()])
    asserts.equals(env, sorted([
        "b-1.0-1.noarch.rpm",
        "b.lock.json",
        "b.log",
        "b.rpms.json",
        "b.src.rpm",
    ]), outs, "outputs")

    # Of the dependency, only its RPMs are inputs: a rebuild of it to the
    # same bytes must not rerun this action.
    dep_inputs = [f.basename for f in action.inputs.to_list() if f.short_path.startswith("rules/tests/analysis/a.")]
    asserts.equals(env, ["a-1.0-1.noarch.rpm", "a-data-1.0-1.noarch.rpm"], sorted(dep_inputs), "inputs from deps")

    argv = action.argv
    asserts.equals(env, "rpmbuild", argv[1])
    flags = {}
    for i in range(2, len(argv) - 1):
        if argv[i].startswith("--"):
            flags.setdefault(argv[i], []).append(argv[i + 1])
    asserts.equals(env, ["a-1.0-1.noarch.rpm", "a-data-1.0-1.noarch.rpm"], sorted([p.split("/")[-1] for p in flags["--dep-rpm"]]), "--dep-rpm")
    asserts.equals(env, ["b-1.0-1.noarch.rpm"], flags["--expect"], "--expect")
    asserts.equals(env, "t.spec", flags["--spec"][0].split("/")[-1], "--spec")
    asserts.equals(env, ["x86_64"], flags["--arch"], "--arch")

    # The toolchain's capabilities reach keel, which installs nothing for
    # the BuildRequires they satisfy.
    asserts.true(env, "gcc" in flags.get("--capability", []), "--capability lacks gcc: %s" % flags.get("--capability"))

    info = target[RpmInfo]
    asserts.equals(env, ["b"], [p.name for p in info.packages])
    asserts.equals(env, "2", info.packages[0].epoch)
    asserts.equals(env, 3, len(info.transitive_rpms.to_list()), "transitive_rpms")
    asserts.equals(env, "b.log", [f.basename for f in target[OutputGroupInfo].log.to_list()][0])
    return analysistest.end(env)

_action_test = analysistest.make(_action_test_impl)

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.message)
    return analysistest.end(env)

_failure_test = analysistest.make(
    _failure_test_impl,
    expect_failure = True,
    attrs = {"message": attr.string()},
)

def _pkg(name, rpms, **kwargs):
    rpm_package(
        name = name,
        spec = "t.spec",
        version = "1.0",
        release = "1",
        rpms = rpms,
        tags = ["manual"],
        **kwargs
    )

def rpm_package_test_suite(name):
    """Declares the targets under test and the tests.

    Args:
      name: the test_suite's name.
    """
    _pkg("a", {a: ["a-1.0-1.noarch.rpm", "a-data-1.0-1.noarch.rpm"] for a in ["x86_64", "aarch64"]})
    _pkg("b", {a: ["b-1.0-1.noarch.rpm"] for a in ["x86_64", "aarch64"]}, deps = [":a"], epoch = 2)
    _action_test(name = "action_test", target_under_test = ":b")

    failures = {
        "bad_arch": (
            {"ppc64le": ["x-1.0-1.ppc64le.rpm"], "x86_64": ["x-1.0-1.x86_64.rpm"]},
            {},
            "rpms: unknown architecture \"ppc64le\"",
        ),
        "no_outputs": (
            {"aarch64": ["x-1.0-1.aarch64.rpm"]},
            {},
            "rpms: no RPMs for x86_64",
        ),
        "source_rpm": (
            {"x86_64": ["x-1.0-1.src.rpm"]},
            {},
            "rpms: \"x-1.0-1.src.rpm\" is a source RPM",
        ),
        "bad_name": (
            {"x86_64": ["x.x86_64.rpm"]},
            {},
            "rpms: \"x.x86_64.rpm\" is not NAME-VERSION-RELEASE.ARCH.rpm",
        ),
        "twice": (
            {"x86_64": ["x-1.0-1.x86_64.rpm", "x-1.0-1.x86_64.rpm"]},
            {},
            "rpms: x86_64 lists x-1.0-1.x86_64.rpm twice",
        ),
        "bad_name_other_arch": (
            {"x86_64": ["x-1.0-1.x86_64.rpm"], "aarch64": ["x-1.0.aarch64.rpm"]},
            {},
            "rpms: \"x-1.0.aarch64.rpm\" is not NAME-VERSION-RELEASE.ARCH.rpm",
        ),
        "not_in_toolchain": (
            {"x86_64": ["x-1.0-1.x86_64.rpm"]},
            {"toolchain_requires": ["gcc", "ocaml"]},
            "toolchain_requires: \"ocaml\" is not a capability of the toolchain's build root",
        ),
        "bad_define": (
            {"x86_64": ["x-1.0-1.x86_64.rpm"]},
            {"defines": ["novalue"]},
            "defines: \"novalue\" is not 'NAME VALUE' on one line",
        ),
        "multiline_define": (
            {"x86_64": ["x-1.0-1.x86_64.rpm"]},
            {"defines": ["a b\nc"]},
            "is not 'NAME VALUE' on one line",
        ),
        "unresolved": (
            {"x86_64": ["x-1.0-1.x86_64.rpm"]},
            {"unresolved_requires": ["libfoo-devel"]},
            "unresolved_requires: nothing provides libfoo-devel",
        ),
    }
    tests = [":action_test"]

    # rpm_toolchain's capabilities are what `keel rpmbuild --capability`
    # takes: a rich dependency or an unknown comparison fails analysis.
    for test, cap in [("rich_capability", "(a or b)"), ("bad_operator", "gcc >> 1")]:
        rpm_toolchain(
            name = test,
            arch = "x86_64",
            buildroot = "@debian_bookworm//:buildroot",
            capabilities = ["make", cap],
            tags = ["manual"],
        )
        _failure_test(
            name = test + "_test",
            target_under_test = ":" + test,
            message = "capabilities: %r is not NAME or NAME OP VERSION" % cap,
        )
        tests.append(":" + test + "_test")
    for test, (rpms, extra, message) in failures.items():
        _pkg(test, rpms, **extra)
        _failure_test(
            name = test + "_test",
            target_under_test = ":" + test,
            message = message,
        )
        tests.append(":" + test + "_test")
    native.test_suite(name = name, tests = tests)
