package rpmbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

// candidates writes the synthetic RPMs and opens them.
func candidates(t testing.TB, specs ...rpmfiletest.Spec) []*rpmfile.Package {
	t.Helper()
	var out []*rpmfile.Package
	for _, p := range rpmfiletest.WriteAll(t, t.TempDir(), specs...) {
		pkg, err := rpmfile.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pkg)
	}
	return out
}

func TestResolveBuildDeps(t *testing.T) {
	cands := candidates(t,
		rpmfiletest.Spec{Name: "gcc", Version: "14.1", Release: "1"},
		rpmfiletest.Spec{Name: "liba", Version: "1.0", Release: "1",
			Requires: []string{"libc.so.6()(64bit)", "/bin/sh"},
			Provides: []string{"liba.so.1()(64bit)"}},
		rpmfiletest.Spec{Name: "liba-devel", Version: "1.0", Release: "1",
			Requires: []string{"liba = 1.0-1", "pkgconfig"}},
		rpmfiletest.Spec{Name: "glibc-devel", Version: "2.41", Release: "1"},
		rpmfiletest.Spec{Name: "tool", Version: "2", Release: "1", Arch: "noarch",
			Files: []rpmfiletest.File{{Path: "/usr/bin/tool", Body: "#!/bin/sh\n", Mode: 0o755}}},
		rpmfiletest.Spec{Name: "bar", Version: "1", Release: "1", Requires: []string{"(libx or liby)"}},
		rpmfiletest.Spec{Name: "red", Version: "1", Release: "1", Conflicts: []string{"blue"}},
		rpmfiletest.Spec{Name: "blue", Version: "1", Release: "1"},
		rpmfiletest.Spec{Name: "unrelated", Version: "1", Release: "1"},
	)
	caps := []string{"gcc", "make", "glibc-devel = 2.36", "/bin/sh", "pkgconfig"}
	tests := []struct {
		name     string
		breqs    []string
		fromRoot []string
		install  []string // NEVRAs
		assumed  []string
		missing  []string // an UnsatisfiedError naming these
		errText  string   // another error containing this
	}{
		{name: "nothing", breqs: nil},
		{name: "the build root wins over a candidate of the same name",
			breqs: []string{"gcc", "make"}, fromRoot: []string{"gcc", "make"}},
		{name: "closure, with the build root's share and the rest assumed",
			breqs:   []string{"liba-devel"},
			install: []string{"liba-1.0-1.x86_64", "liba-devel-1.0-1.x86_64"},
			assumed: []string{"libc.so.6()(64bit)"}},
		{name: "a versioned capability too old: the candidate is installed",
			breqs: []string{"glibc-devel >= 2.40"}, install: []string{"glibc-devel-2.41-1.x86_64"}},
		{name: "a versioned capability that satisfies",
			breqs: []string{"glibc-devel >= 2.30"}, fromRoot: []string{"glibc-devel >= 2.30"}},
		{name: "a file requirement from a candidate's file list",
			breqs: []string{"/usr/bin/tool"}, install: []string{"tool-2-1.noarch"}},
		{name: "a rich BuildRequires",
			breqs: []string{"(nonesuch or liba.so.1()(64bit))"}, install: []string{"liba-1.0-1.x86_64"},
			assumed: []string{"libc.so.6()(64bit)"}},
		{name: "a rich BuildRequires the build root satisfies",
			breqs: []string{"(make and gcc)"}, fromRoot: []string{"(make and gcc)"}},
		{name: "a rich requirement nothing provides is assumed",
			breqs: []string{"bar"}, install: []string{"bar-1-1.x86_64"}, assumed: []string{"(libx or liby)"}},
		{name: "unsatisfied BuildRequires are named",
			breqs: []string{"gcc", "nope", "nada >= 2"}, missing: []string{"nada >= 2", "nope"}},
		{name: "conflicting packages",
			breqs: []string{"red", "blue"}, errText: "red-1-1.x86_64 conflicts with blue-1-1.x86_64"},
		{name: "a malformed BuildRequires",
			breqs: []string{"foo >="}, errText: "t.spec: BuildRequires"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ResolveBuildDeps(context.Background(), "t.spec", tt.breqs, cands, caps)
			if tt.missing != nil || tt.errText != "" {
				var unsat *UnsatisfiedError
				if tt.missing != nil && (!errors.As(err, &unsat) || !slices.Equal(unsat.Missing, tt.missing)) {
					t.Fatalf("got %v, want an UnsatisfiedError for %q", err, tt.missing)
				}
				if err == nil || !strings.Contains(err.Error(), tt.errText) || !strings.Contains(err.Error(), "t.spec") {
					t.Fatalf("got %v, want an error naming t.spec and containing %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range d.Packages {
				got = append(got, p.NEVRA())
			}
			if !slices.Equal(got, tt.install) {
				t.Errorf("installs %q, want %q", got, tt.install)
			}
			if !slices.Equal(d.FromBuildRoot, tt.fromRoot) {
				t.Errorf("from the build root %q, want %q", d.FromBuildRoot, tt.fromRoot)
			}
			if !slices.Equal(d.Assumed, tt.assumed) {
				t.Errorf("assumed %q, want %q", d.Assumed, tt.assumed)
			}
		})
	}
}

func TestResolveBuildDepsLock(t *testing.T) {
	cands := candidates(t,
		rpmfiletest.Spec{Name: "liba", Version: "1.0", Release: "1", Post: "/sbin/ldconfig"},
		rpmfiletest.Spec{Name: "liba-devel", Version: "1.0", Release: "1", Requires: []string{"liba"}},
	)
	d, err := ResolveBuildDeps(context.Background(), "dir/t.spec", []string{"liba-devel", "gcc"}, cands, []string{"gcc"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := d.lock("dir/t.spec", "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec != "t.spec" || l.Arch != "x86_64" || !slices.Equal(l.BuildRequires, []string{"gcc", "liba-devel"}) ||
		!slices.Equal(l.FromBuildRoot, []string{"gcc"}) || l.Assumed == nil || len(l.Packages) != 2 {
		t.Fatalf("lock %+v", l)
	}
	for i, p := range l.Packages {
		data, err := os.ReadFile(cands[i].Path)
		if err != nil {
			t.Fatal(err)
		}
		if p.File != filepath.Base(cands[i].Path) || p.SHA256 != sha256hex(data) {
			t.Errorf("package %d: %+v, want %s", i, p, filepath.Base(cands[i].Path))
		}
	}
	if !slices.Equal(l.Packages[0].Scriptlets, []string{"post"}) {
		t.Errorf("liba's skipped scriptlets: %q", l.Packages[0].Scriptlets)
	}
	text := d.describe()
	for _, want := range []string{"BuildRequires: gcc, liba-devel", "from the build root: gcc", "installing 2 RPM(s)", "liba-1.0-1.x86_64 (liba-1.0-1.x86_64.rpm)"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lines lack %q:\n%s", want, text)
		}
	}
}

func TestParseCapability(t *testing.T) {
	tests := []struct {
		in   string
		want string // rendered; "" for an error
	}{
		{"gcc", "gcc"},
		{"perl(File::Find)", "perl(File::Find)"},
		{"glibc-devel  =  2.36-1", "glibc-devel = 2.36-1"},
		{"bash >= 1:5.2", "bash >= 1:5.2"},
		{"a < 2", "a < 2"},
		{"a > 2", "a > 2"},
		{"a <= 2", "a <= 2"},
		{"a ~ 2", ""},
		{"a >=", ""},
		{"", ""},
	}
	for _, tt := range tests {
		d, err := ParseCapability(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: no error", tt.in)
		case tt.want != "" && (err != nil || d.String() != tt.want):
			t.Errorf("%q: got %q, %v; want %q", tt.in, d.String(), err, tt.want)
		}
	}
}

func TestDepNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"libc.so.6()(64bit)", []string{"libc.so.6()(64bit)"}},
		{"foo >= 1.2-3", []string{"foo"}},
		{"(a or (b >= 2 if perl(C::D)))", []string{"a", "b"}},
		{"(perl(C::D) or (b >= 2 unless c))", []string{"perl(C::D)", "b"}},
		{"(x with y) ", []string{"x", "y"}},
		{"(x without y)", []string{"x"}},
		{"(x if (c or d) else z)", []string{"x", "z"}},
		{"(x =< 2 and (y => 1 without libz.so.1()(64bit)))", []string{"x", "y"}},
	}
	for _, tt := range tests {
		if got := depNames(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSpecBuildRequires evaluates the BuildRequires as the build will: for
// the target architecture, with the defines and %with_check of the build.
func TestSpecBuildRequires(t *testing.T) {
	tests := []struct {
		arch      string
		defines   []string
		withCheck bool
		want      []string
	}{
		{"x86_64", nil, false, []string{"always >= 1.0"}},
		{"aarch64", nil, false, []string{"always >= 1.0", "only-aarch64"}},
		{"x86_64", nil, true, []string{"always >= 1.0", "check-only"}},
		{"x86_64", []string{"keel_extra 1"}, false, []string{"always >= 1.0", "extra"}},
	}
	for _, tt := range tests {
		got, _, err := evaluateSpec("testdata/breqs.spec", tt.arch, tt.defines, tt.withCheck)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %q check=%v: got %q, want %q", tt.arch, tt.defines, tt.withCheck, got, tt.want)
		}
	}
	if _, _, err := evaluateSpec("testdata/none.spec", "x86_64", nil, false); err == nil || !strings.Contains(err.Error(), "none.spec") {
		t.Errorf("missing spec: %v", err)
	}
}

func sha256hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// BenchmarkBuildDeps measures what a build spends before its sandbox starts
// on finding its dependencies: evaluating the spec, then resolving its
// BuildRequires over 200 candidate RPMs, half of them needed.
func BenchmarkBuildDeps(b *testing.B) {
	var specs []rpmfiletest.Spec
	for i := range 100 {
		n := fmt.Sprintf("lib%03d", i)
		specs = append(specs,
			rpmfiletest.Spec{Name: n, Version: "1", Release: "1", Requires: []string{"libc.so.6()(64bit)"}},
			rpmfiletest.Spec{Name: n + "-devel", Version: "1", Release: "1", Requires: []string{n + " = 1-1", "/bin/sh"}})
	}
	cands := candidates(b, specs...)
	var breqs []string
	for i := range 50 {
		breqs = append(breqs, fmt.Sprintf("lib%03d-devel", i*2))
	}
	breqs = append(breqs, "gcc", "make")
	caps := []string{"gcc", "make", "/bin/sh"}
	b.Run("evaluate", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := evaluateSpec("testdata/breqs.spec", "x86_64", nil, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resolve", func(b *testing.B) {
		for b.Loop() {
			d, err := ResolveBuildDeps(context.Background(), "t.spec", breqs, cands, caps)
			if err != nil || len(d.Packages) != 100 {
				b.Fatalf("%v, %d packages", err, len(d.Packages))
			}
		}
	})
}
