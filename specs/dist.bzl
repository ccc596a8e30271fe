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
]
