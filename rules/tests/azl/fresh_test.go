package azl

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/keel-build/keel/tools/gen"
)

var update = flag.Bool("update", false, "rewrite SPECS/ in the source tree from keel gen's output (under `tools/bazel run`)")

// buildFile is the name of the checked-in BUILD file of each spec folder
// (corpus.bzl's _BUILD_FILE): Bazel must not take SPECS/<dir> for a package
// of the main repository, whose spec files are not there.
const buildFile = "BUILD.corpus.bazel"

// TestGeneratedFilesAreFresh runs keel gen over the spec tree of
// @azl_corpus (the corpus folders and Keel's toolchain.provides) with the
// checked-in BUILD files in place, and fails if it would change anything.
// Refresh them with
//
//	tools/bazel run //rules/tests/azl:fresh_test -- -update
func TestGeneratedFilesAreFresh(t *testing.T) {
	tree := runfiles(t, "KEEL_AZL_TREE")
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "REPO.bazel"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(ws, "SPECS")
	for _, p := range tree {
		rel := specsRel(p)
		if rel == "" {
			t.Fatalf("%s: not in a SPECS/ folder", p)
		}
		copyFile(t, p, filepath.Join(root, rel))
	}
	// The checked-in files, under the names gen reads and writes.
	overlay := "SPECS"
	err := filepath.WalkDir(overlay, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(overlay, p)
		if d.Name() == buildFile {
			rel = filepath.Join(filepath.Dir(rel), "BUILD.bazel")
		}
		copyFile(t, p, filepath.Join(root, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	res, err := gen.Run(gen.Options{Root: root, Defines: distDefines(t), Check: !*update})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Summary.Errors {
		t.Errorf("%s: %s", e.Spec, e.Error)
	}
	if n := len(res.Summary.Packages); n == 0 {
		t.Fatal("keel gen found no spec in the tree")
	}
	if *update {
		writeBack(t, root, res.Changed)
		return
	}
	if len(res.Changed) > 0 {
		t.Errorf("stale files under rules/tests/azl/SPECS (BUILD.bazel is %s there): %v\n"+
			"refresh them with: tools/bazel run //rules/tests/azl:fresh_test -- -update\n%s",
			buildFile, res.Changed, res.Diff)
	}
}

// writeBack copies the files gen changed (relative to root) into the
// source tree's SPECS/, found through the runfile link of its lock file,
// and removes the ones gen removed.
func writeBack(t *testing.T, root string, changed []string) {
	lock, err := filepath.EvalSymlinks(filepath.Join("SPECS", gen.LockFile))
	if err != nil {
		t.Fatalf("finding SPECS/ in the source tree: %v", err)
	}
	dst := filepath.Dir(lock)
	for _, rel := range changed {
		out := filepath.Join(dst, rel)
		if filepath.Base(rel) == "BUILD.bazel" {
			out = filepath.Join(filepath.Dir(out), buildFile)
		}
		if _, err := os.Stat(filepath.Join(root, rel)); errors.Is(err, fs.ErrNotExist) {
			if err := os.Remove(out); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Dir(out)) // the folder, once empty
			t.Logf("removed %s", out)
			continue
		}
		copyFile(t, filepath.Join(root, rel), out)
		t.Logf("wrote %s", out)
	}
}

// copyFile copies src to dst (making dst's folder), through a temporary
// file that is renamed into place.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}
