// Command keel is the one helper binary of Keel: every action the Bazel rules
// run, and every command a distro engineer types, is a verb of it.
//
//	keel VERB [FLAGS] [ARGS]
//
// Each verb lives in its own file of this package and only parses flags; the
// work is done by the package of its pipeline stage under tools/.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// version is stamped by the build (x_defs) and defaults to "dev".
var version = "dev"

// A verb is one action of keel. run receives the arguments after the verb.
type verb struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// verbs lists every action. It is filled in init because help refers to it.
var verbs map[string]verb

func init() {
	verbs = map[string]verb{
		"version":       {"print the keel version", runVersion},
		"help":          {"list the verbs", runHelp},
		"gen":           {"generate the BUILD files of a spec tree", runGen},
		"docs":          {"generate docs/rules.md from the rules' doc strings", runDocs},
		"image":         {"make OCI images, an ISO or disk images from a rootfs tar", runImage},
		"rpmbuild":      {"build one package from its spec in a sandbox", runRpmbuild},
		"buildroot":     {"make or unpack the pinned build root", runBuildroot},
		"repo":          {"write RPM repository metadata (repodata) over RPMs", runRepo},
		"rootfs":        {"resolve an install set and assemble a root file system tar", runRootfs},
		"spec":          {"evaluate spec files as rpm does (spec parse)", runSpec},
		"sources":       {"seed Bazel's repository cache with source files by sha256", runSources},
		sandboxInitVerb: {"(internal) init process of a build sandbox", runSandboxInit},
	}
}

func main() {
	// Under `bazel run` (e.g. //:gen), paths are the user's: relative to the
	// workspace, not to the runfiles tree Bazel starts the binary in.
	if dir := os.Getenv("BUILD_WORKSPACE_DIRECTORY"); dir != "" {
		if err := os.Chdir(dir); err != nil {
			fmt.Fprintf(os.Stderr, "keel: %v\n", err)
			os.Exit(2)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		runHelp(nil, stderr, stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	v, ok := verbs[name]
	if !ok {
		fmt.Fprintf(stderr, "keel: unknown verb %q (see 'keel help')\n", name)
		return 2
	}
	if err := v.run(rest, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "keel %s: %v\n", name, err)
		return 1
	}
	return 0
}

func runVersion(_ []string, stdout, _ io.Writer) error {
	_, err := fmt.Fprintf(stdout, "keel %s\n", version)
	return err
}

func runHelp(_ []string, stdout, _ io.Writer) error {
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(stdout, "usage: keel VERB [FLAGS] [ARGS]\n\nverbs:")
	for _, n := range names {
		fmt.Fprintf(stdout, "  %-10s %s\n", n, verbs[n].summary)
	}
	return nil
}
