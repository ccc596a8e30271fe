package gen

import (
	"path/filepath"
	"testing"

	"github.com/keel-build/keel/tools/internal/srctree"
)

// TestSpecsAreFresh is CI's `keel gen --check specs`: the BUILD files and
// sources lock of Keel's own distro must be what the generator writes.
// Refresh them with `go run ./tools/cmd/keel gen specs`.
func TestSpecsAreFresh(t *testing.T) {
	root, err := srctree.Root()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(Options{
		Root:  filepath.Join(root, "specs"),
		Check: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Summary.Errors); n > 0 {
		t.Errorf("%d specs failed to evaluate: %v", n, res.Summary.Errors)
	}
	if len(res.Changed) > 0 {
		t.Errorf("stale generated files under specs/ (run `go run ./tools/cmd/keel gen specs`): %v\n%s", res.Changed, res.Diff)
	}
}
