// Package docgen writes docs/rules.md, the reference of Keel's Starlark
// API, from the doc strings of the API itself: the rules, macros and
// providers that rules/defs.bzl exports (declared in the rules/private
// files it loads) and the module extensions of this repository that
// MODULE.bazel uses, with their attributes, parameters, fields and tag
// classes. Hand-written prose (an introduction, examples) comes from a
// template, docs/rules.md.tmpl, whose marker line the reference replaces.
//
// Order: rules and macros, providers and module extensions each sorted by
// name; attributes, parameters, fields and tag classes in the order they
// are declared (a rule's "name" first). The same inputs give the same
// bytes. TestRulesDocIsFresh fails while docs/rules.md is stale; refresh
// it with `go run ./tools/cmd/keel docs` (or `tools/bazel run //:docs`).
//
// The .bzl files are evaluated with go.starlark.net and stand-ins for
// Bazel's built-ins (see internal/bzl). Bazel's own tools were the other
// candidates, and each needs more than Keel's build has:
//   - starlark_doc_extract (built into Bazel 7) writes a ModuleInfo binary
//     proto (stardoc_output.proto; its text form only on request, and the
//     format is declared unstable): rendering it needs that proto compiled
//     for a renderer, and it only runs inside a Bazel build, so the
//     freshness check could not run under plain `go test`.
//   - Stardoc renders that proto, but its renderer is a Java program built
//     from source with Maven dependencies (rules_jvm_external), which needs
//     a Java toolchain and network access that Keel's offline builds do not
//     have.
//
// Stand-ins are the approach Stardoc once used and left because they must
// follow Bazel's API; here they cover only what Keel's own .bzl files call
// while loading, and a missing one is an error that names it.
package docgen
