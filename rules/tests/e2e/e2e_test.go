// Package e2e checks what rpm_package built through Bazel: the RPMs named
// as declared, their headers as the metadata output describes them and as
// the spec engine predicts them, and a build dependency installed in the
// build root of the package that needs it.
package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/rpmbuild"
	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/spec"
)

// built returns the runfiles of the environment variable name (a list of
// root paths, set by the go_test's env).
func built(t *testing.T, name string) []string {
	t.Helper()
	list, dir := os.Getenv(name), os.Getenv("TEST_SRCDIR")
	if list == "" || dir == "" {
		t.Skip("runs under Bazel only: tools/bazel test //rules/tests/e2e:e2e_test")
	}
	var out []string
	for _, p := range strings.Fields(list) {
		out = append(out, filepath.Join(dir, os.Getenv("TEST_WORKSPACE"), p))
	}
	return out
}

func readMetadata(t *testing.T, path string) rpmbuild.Metadata {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m rpmbuild.Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func depStrings(ds []rpmfile.Dep) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

func TestBuiltRPMs(t *testing.T) {
	rpms := built(t, "KEEL_E2E_RPMS")
	metas := built(t, "KEEL_E2E_METADATA")
	var names []string
	described := map[string]rpmbuild.MetadataPackage{}
	for _, m := range metas {
		for _, p := range readMetadata(t, m).Packages {
			described[p.File] = p
		}
	}
	ev, err := spec.NewEvaluator(spec.Options{Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	predicted := map[string]*spec.Package{}
	for _, f := range []string{"greet.spec", "usegreet.spec"} {
		s, err := ev.Evaluate(f, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range s.Packages {
			predicted[p.Name] = p
		}
	}
	for _, path := range rpms {
		names = append(names, filepath.Base(path))
		h, err := rpmfile.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := described[filepath.Base(path)]
		if !ok {
			t.Errorf("%s: not in the metadata output", path)
			continue
		}
		if m.Name != h.Name || m.Version != h.Version || m.Release != h.Release || m.Arch != h.Arch || m.Epoch != h.Epoch {
			t.Errorf("%s: metadata NEVRA %+v, header %s", path, m, h.NEVRA())
		}
		if got := depStrings(h.Provides); !slices.Equal(got, m.Provides) {
			t.Errorf("%s: provides %q, metadata %q", path, got, m.Provides)
		}
		if got := depStrings(h.Requires); !slices.Equal(got, m.Requires) {
			t.Errorf("%s: requires %q, metadata %q", path, got, m.Requires)
		}
		p := predicted[h.Name]
		if p == nil {
			t.Errorf("%s: the spec engine predicts no package %s", path, h.Name)
			continue
		}
		var want []string
		for _, d := range p.Provides {
			want = append(want, d.String())
		}
		slices.Sort(want)
		if got := slices.Sorted(slices.Values(m.Provides)); !slices.Equal(got, want) {
			t.Errorf("%s: provides %q, the spec engine predicts %q", h.Name, got, want)
		}
		// Automatic requires (sonames, rpmlib) come from the build; the
		// spec's own must all be there.
		for _, d := range p.Requires {
			if !slices.Contains(m.Requires, d.String()) {
				t.Errorf("%s: requires %q, lacking %q that the spec engine predicts", h.Name, m.Requires, d.String())
			}
		}
	}
	want := []string{"greet-1.0-1.x86_64.rpm", "greet-data-1.0-1.noarch.rpm", "usegreet-1.0-1.noarch.rpm"}
	if slices.Sort(names); !slices.Equal(names, want) {
		t.Errorf("built %q, want %q", names, want)
	}
}

// TestExactBuildRequires reads the locks: usegreet's build had greet's two
// RPMs to choose from and installed only greet-data, the one its
// BuildRequires names, exactly as built.
func TestExactBuildRequires(t *testing.T) {
	sums := map[string]string{} // file → sha256
	for _, p := range built(t, "KEEL_E2E_RPMS") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		sums[filepath.Base(p)] = hex.EncodeToString(s[:])
	}
	locks := map[string]rpmbuild.BuildLock{}
	for _, p := range built(t, "KEEL_E2E_LOCKS") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var l rpmbuild.BuildLock
		if err := json.Unmarshal(data, &l); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		locks[l.Spec] = l
	}
	if l := locks["greet.spec"]; len(l.Packages) != 0 || l.Arch != "x86_64" {
		t.Errorf("greet installed %+v, want nothing", l)
	}
	l := locks["usegreet.spec"]
	if !slices.Equal(l.BuildRequires, []string{"greet-data"}) || len(l.Packages) != 1 {
		t.Fatalf("usegreet's lock: %+v, want greet-data alone", l)
	}
	if p := l.Packages[0]; p.File != "greet-data-1.0-1.noarch.rpm" || p.SHA256 != sums[p.File] {
		t.Errorf("usegreet installed %+v, want greet-data-1.0-1.noarch.rpm with sha256 %s", p, sums[p.File])
	}
}

// TestDependencyInstalled reads the file that usegreet's %build copied
// from greet-data, which only its build root had.
func TestDependencyInstalled(t *testing.T) {
	var use string
	for _, p := range built(t, "KEEL_E2E_RPMS") {
		if strings.HasPrefix(filepath.Base(p), "usegreet-") {
			use = p
		}
	}
	h, err := rpmfile.Open(use)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := h.OpenPayload()
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	for {
		e, err := pl.Next()
		if err == io.EOF {
			t.Fatal("usegreet has no greeting")
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(e.Name, "/usegreet/greeting") {
			continue
		}
		data, err := io.ReadAll(pl)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != "hello from keel\n" {
			t.Errorf("greeting %q", data)
		}
		return
	}
}
