// Package buildroottest gives tests a real build root, made once per
// package list with mmdebstrap and cached between test runs.
package buildroottest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/keel-build/keel/tools/buildroot"
)

var mu sync.Mutex

// Root returns the path of a build root tarball with the default package
// list. It uses $KEEL_TEST_BUILDROOT if set, else a cache file under
// ${XDG_CACHE_HOME:-~/.cache}/keel-test keyed by the package list, making it
// with mmdebstrap on first use. It skips the test when that is impossible.
func Root(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("KEEL_TEST_BUILDROOT"); p != "" {
		// Under Bazel it is a runfiles path (rlocationpath).
		if dir := os.Getenv("TEST_SRCDIR"); dir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("KEEL_TEST_BUILDROOT: %v", err)
		}
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	list := filepath.Join(filepath.Dir(file), "..", "debian-bookworm.txt")
	pkgs, err := buildroot.ReadPackageList(list)
	if err != nil {
		t.Fatal(err)
	}
	key := sha256.Sum256([]byte(fmt.Sprintf("bookworm minbase %d %s", buildroot.DefaultSourceDateEpoch, strings.Join(pkgs, ","))))
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Skipf("no cache directory for the test build root: %v", err)
		}
		cache = filepath.Join(home, ".cache")
	}
	out := filepath.Join(cache, "keel-test", fmt.Sprintf("buildroot-%x.tar.zst", key[:8]))
	mu.Lock()
	defer mu.Unlock()
	if _, err := os.Stat(out); err == nil {
		return out
	}
	if testing.Short() {
		t.Skip("no cached test build root and -short: not making one")
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("no test build root: set KEEL_TEST_BUILDROOT or install mmdebstrap")
	}
	if os.Geteuid() != 0 {
		t.Skip("no test build root: set KEEL_TEST_BUILDROOT or run once as root to make it with mmdebstrap")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("making test build root %s with mmdebstrap (once)", out)
	var log strings.Builder
	if _, err := buildroot.Make(context.Background(), buildroot.Options{
		Suite: "bookworm", Packages: pkgs, SourceDateEpoch: buildroot.DefaultSourceDateEpoch, Out: out, Log: &log,
	}); err != nil {
		t.Skipf("cannot make a test build root: %v\n%s", err, log.String())
	}
	return out
}
