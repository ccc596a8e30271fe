// Package spec evaluates RPM spec files the way rpm 4.18's rpmspec does,
// in pure Go: no rpm, no cgo.
//
// An Evaluator is set up once per target architecture with a distro macro
// tree (Options); it loads, in rpm's order, rpm's own macros, the tree's
// macros.d/macros.*, the platform macros of the target, rpm's fileattrs,
// the vendor macros (azl/macros), and the pinned Azure Linux host macros
// (internal/rpmdata), then the target variables and rpmrc optflags, then
// the defines. Evaluate then reads one spec: lines are joined and
// macro-expanded as rpm's build/parseSpec.c does, conditionals and
// %include are applied, and the sections are parsed into a Spec: the
// source package header, numbered sources and patches, build
// dependencies, and every declared package with its dependencies
// (rpm-sorted, with qualifiers) and automatic provides.
//
// RenderReport (or Report and MarshalJSON) renders a Spec in the format of
// the reference rpmspec output of the spec corpus; ParseFiles does that
// for a batch (the `keel spec parse` verb).
//
// %(...) commands run in bash in an empty scratch directory with a fixed
// environment, so their output depends only on the command (which is why
// it is cached for the process); `perl -V:...` probes get Azure Linux
// 3.0's answers. Files next to the spec are reached through %{_sourcedir}.
//
// Each evaluation starts as rpm starts on a spec: from the Evaluator's
// macros, with a Lua interpreter in the state of a new one (interpreters
// are reset and reused, see internal/macro). A spec that never looks at
// %with_check is evaluated once for both values (EvaluateReport). No
// evaluation depends on the ones before it.
package spec
