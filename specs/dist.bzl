"""The distribution's macros: every spec of this tree is built with them.

One list for both readers: `keel gen` reads it (with a strict parser: a list
of string literals) to evaluate the specs and predict the RPM file names,
and //toolchains loads it into every rpm_toolchain's `defines`, which
rpmbuild gets as `--define`. `%{?dist}` in a Release comes from here.
"""

# "NAME VALUE" macro definitions, as `rpmbuild --define` takes them.
DIST_DEFINES = [
    "dist .azl3",
    "azl 3",
    # Debug information goes into NAME-debuginfo packages, as in Azure
    # Linux: %install starts with %debug_package (a spec opts out with
    # `%global debug_package %{nil}`). The macro's body begins and ends with
    # a newline, so the section line `%install` follows on a line of its own.
    "_enable_debug_packages 1",
    "install %{?_enable_debug_packages:%{?buildsubdir:%{debug_package}}}%%install",
]
