package gen

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/spec"
)

var update = flag.Bool("update", false, "rewrite the after/ trees of testdata/<case>/ from the generator's output")

// In testdata, BUILD files are named goldenBuild so that Bazel does not
// take the test trees for packages of the repository.
const goldenBuild = "BUILD.golden"

// summaryFile is the golden summary of a case, next to its after/ tree.
const summaryFile = "summary.json"

// TestGolden runs gen on each testdata/<case>/before tree and compares the
// tree it leaves (BUILD files, lock file) and its summary with
// testdata/<case>/after. It then checks that a second run changes nothing
// and that --check agrees.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/before")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, before := range cases {
		dir := filepath.Dir(before)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ws := t.TempDir()
			if err := os.WriteFile(filepath.Join(ws, "MODULE.bazel"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(ws, "specs")
			copyTree(t, before, root, goldenBuild, buildFileName)
			o := Options{Root: root, DistDefaults: spec.DistroDefines}

			res, err := Run(o)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			sum, err := json.MarshalIndent(res.Summary, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			sum = append(sum, '\n')

			after := filepath.Join(dir, "after")
			if *update {
				if err := os.RemoveAll(after); err != nil {
					t.Fatal(err)
				}
				copyTree(t, root, after, buildFileName, goldenBuild)
				if err := os.WriteFile(filepath.Join(dir, summaryFile), sum, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readTree(t, after, goldenBuild, buildFileName)
			got := readTree(t, root, "", "")
			for name, w := range want {
				if g, ok := got[name]; !ok {
					t.Errorf("%s: missing, want:\n%s", name, w)
				} else if g != w {
					t.Errorf("%s: got\n%s\nwant\n%s", name, g, w)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("%s: unexpected file:\n%s", name, got[name])
				}
			}
			wantSum, err := os.ReadFile(filepath.Join(dir, summaryFile))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sum, wantSum) {
				t.Errorf("summary: got\n%s\nwant\n%s", sum, wantSum)
			}

			// Idempotent: nothing to write, nothing stale, no file touched.
			mtimes := modTimes(t, root)
			o.Check = true
			res2, err := Run(o)
			if err != nil {
				t.Fatal(err)
			}
			if len(res2.Changed) > 0 || len(res2.Diff) > 0 {
				t.Errorf("--check after a run: stale %v\n%s", res2.Changed, res2.Diff)
			}
			o.Check = false
			res3, err := Run(o)
			if err != nil {
				t.Fatal(err)
			}
			if len(res3.Changed) > 0 {
				t.Errorf("second run changed %v", res3.Changed)
			}
			for p, m := range modTimes(t, root) {
				if mtimes[p] != m {
					t.Errorf("second run touched %s", p)
				}
			}
		})
	}
}

// copyTree copies src to dst, renaming files called from to to.
func copyTree(t *testing.T, src, dst, from, to string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if d.Name() == from {
			out = filepath.Join(filepath.Dir(out), to)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readTree reads every file under dir, keyed by slash path, renaming
// files called from to to.
func readTree(t *testing.T, dir, from, to string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if from != "" && d.Name() == from {
			rel = strings.TrimSuffix(rel, from) + to
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func modTimes(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.ModTime().UnixNano()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
