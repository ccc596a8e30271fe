// Package azl builds real Azure Linux 3.0 specs, unmodified, from the
// corpus beside the checkout with the same rules and toolchain as Keel's
// own tree, and checks what comes out against the spec engine.
//
// The specs are the repository @azl_corpus (//rules/private:corpus.bzl,
// listed in MODULE.bazel); their BUILD files are what `keel gen` writes for
// them, checked in as SPECS/<dir>/BUILD.corpus.bazel with the sources lock
// SPECS/sources.lock.json. Without the corpus both tests pass with a SKIP
// message naming where the corpus was looked for.
package azl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/gen"
)

// distDefines are the distribution's macros of specs/dist.bzl (a data
// dependency), which keel gen evaluates Keel's specs with and the
// toolchains give every build: the corpus specs are generated and built
// with them too.
func distDefines(t *testing.T) []string {
	t.Helper()
	defines, found, err := gen.DistDefines(filepath.Join("..", "..", "..", "specs"))
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatal("specs/dist.bzl not found: it is a data dependency of the test")
	}
	return defines
}

// runfiles returns the files of the environment variable name, a list of
// runfile paths (rlocationpaths) that the go_test's env sets. It skips
// the test outside Bazel, and without the corpus.
func runfiles(t *testing.T, name string) []string {
	t.Helper()
	dir := os.Getenv("TEST_SRCDIR")
	if dir == "" {
		t.Skip("runs under Bazel only: tools/bazel test //rules/tests/azl/...")
	}
	if msg := os.Getenv("KEEL_AZL_SKIP"); msg != "" {
		// Printed as well, so that the test log says it without -test.v.
		fmt.Println("SKIP: " + msg)
		t.Skip(msg)
	}
	var out []string
	for _, p := range strings.Fields(os.Getenv(name)) {
		out = append(out, filepath.Join(dir, p))
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no files, but the corpus was found", name)
	}
	return out
}

// specsRel returns the path of p below its SPECS/ folder ("sed/sed.spec"),
// or "" if p is not in one.
func specsRel(p string) string {
	p = filepath.ToSlash(p)
	i := strings.LastIndex(p, "/SPECS/")
	if i < 0 {
		return ""
	}
	return p[i+len("/SPECS/"):]
}
