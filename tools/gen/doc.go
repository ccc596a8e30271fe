// Package gen turns a spec tree (ROOT/<dir>/<name>.spec, the Azure Linux
// SPECS/ layout) into Bazel BUILD files, the way gazelle does for Go: from
// syntax trees (buildtools' build package, formatted as buildifier
// formats), idempotently, keeping manual edits, and checkable in CI
// (`keel gen --check`).
//
// Run evaluates every spec for every target arch (with %with_check 0, in
// parallel, cached between runs by the contents of the spec's folder and
// of the macro tree), then writes, for each folder, one rpm_package target
// per spec (loaded from //rules:defs.bzl; see docs/gen.md for its
// attributes), the tree's sources.lock.json, and returns a Summary.
//
// # Resolving BuildRequires
//
// Each BuildRequires entry (each leaf of a rich dependency) is resolved
// per arch, in this order:
//
//  1. gen.overrides.json: a label, "toolchain" or "ignore", with a reason;
//  2. a package built by another spec of the tree, found through a provides
//     index of every built package: package names and Provides (versions
//     compared as rpm does), provides.learned.json (provides seen in built
//     RPMs), and the %files lists: paths, pkgconfig(x) from .pc files,
//     perl(A::B) from .pm files, cmake(x) from config files and sonames
//     (libfoo.so.1()(64bit)) from lib*.so.N files. Exact matches win over
//     listed directories and globs; among those weak matches, the package
//     whose name is most like the requirement wins, then the first label;
//  3. the toolchain (toolchain.provides: what the build root offers);
//  4. else it is unresolved: reported in the Summary and written in the
//     target's unresolved_requires, never dropped.
//
// # Cycles
//
// The strongly connected components of the BuildRequires graph (Tarjan)
// are reported with their edges, then broken so that the Bazel graph is
// acyclic:
//
//  1. an in-cycle edge whose requirements the toolchain also satisfies is
//     cut: the toolchain's copy is used (rule "toolchain");
//  2. then, an edge named by a bootstrap entry of gen.overrides.json is cut
//     (rule "bootstrap");
//  3. then, while a cycle remains, gen picks in each component the spec
//     that most other specs of the component depend on (ties: the first
//     label) and cuts every in-component edge into it; that spec needs a
//     bootstrap build (rule "bootstrap-needed").
//
// Every cut edge is in Summary.Cut and in the cut_deps attribute of the
// target whose dependency was cut.
package gen
