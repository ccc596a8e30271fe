// Package srctree finds Keel's source tree from a test, under `go test` and
// under `bazel test` alike, for the checks that read the whole repository
// (the buildifier check, the freshness of generated BUILD files).
package srctree

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Root returns the repository root: under `bazel test` through the runfile
// link of //:MODULE.bazel (which the test must list in its data), under
// `go test` as the directory holding go.mod above the working directory.
func Root() (string, error) {
	if srcdir := os.Getenv("TEST_SRCDIR"); srcdir != "" {
		module, err := filepath.EvalSymlinks(filepath.Join(srcdir, os.Getenv("TEST_WORKSPACE"), "MODULE.bazel"))
		if err != nil {
			return "", fmt.Errorf("finding the source tree from the runfiles: %w", err)
		}
		return filepath.Dir(module), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
