package resolve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/resolve"
	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

func spec(nvr string, requires []string, provides []string, files ...string) rpmfiletest.Spec {
	f := strings.Split(nvr, "-")
	s := rpmfiletest.Spec{Name: strings.Join(f[:len(f)-2], "-"), Version: f[len(f)-2], Release: f[len(f)-1],
		Requires: requires, Provides: provides}
	for _, p := range files {
		s.Files = append(s.Files, rpmfiletest.File{Path: p, Body: p})
	}
	return s
}

// repo is a small distribution used by the table below.
var repo = []rpmfiletest.Spec{
	spec("bash-5.2-1", []string{"glibc >= 2.38", "/usr/bin/sh-helper"}, nil, "/usr/bin/bash"),
	spec("bash-5.1-1", []string{"glibc"}, nil, "/usr/bin/bash"),
	spec("glibc-2.38-1", []string{"rpmlib(CompressedFileNames) <= 3.0.4-1", "config(glibc) = 2.38-1"}, []string{"libc.so.6()(64bit)"}),
	spec("glibc-2.37-1", nil, nil),
	spec("helper-1-1", nil, nil, "/usr/bin/sh-helper"),
	spec("coreutils-9-1", []string{"(coreutils-common = 9-1 or coreutils-single)"}, nil),
	spec("coreutils-common-9-1", nil, nil),
	spec("coreutils-single-9-1", nil, nil),
	spec("docs-1-1", []string{"(man-db if bash)", "(info unless bash)"}, nil),
	spec("man-db-2-1", nil, nil),
	spec("info-7-1", nil, nil),
	spec("python3-3.12-1", nil, []string{"python(abi) = 3.12"}),
	spec("python3-3.11-1", nil, []string{"python(abi) = 3.11"}),
	spec("mod-1-1", []string{"(python(abi) >= 3.10 with python(abi) < 3.12)"}, nil),
	spec("alt-a-1-1", nil, []string{"mta"}),
	spec("alt-b-2-1", nil, []string{"mta"}),
	spec("mailer-1-1", []string{"mta"}, nil),
	spec("broken-1-1", []string{"libmissing.so.1", "glibc >= 3", "/no/such/file"}, nil),
	spec("also-broken-1-1", []string{"libmissing.so.1"}, nil),
	spec("old-1-1", []string{"glibc = 2.37-1", "bash >= 5.2"}, nil),
	spec("ifelse-1-1", []string{"(man-db if nosuch else info)"}, nil),
	spec("nested-1-1", []string{"((helper and man-db) or info)"}, nil),
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	rpms := rpmfiletest.WriteAll(t, dir, repo...)
	for _, c := range []struct {
		name      string
		requested []string
		want      string // sorted NEVRAs
		wantErr   []string
	}{
		{"highest version and file requirement", []string{"bash"},
			"bash-5.2-1.x86_64 glibc-2.38-1.x86_64 helper-1-1.x86_64", nil},
		{"versioned request", []string{"bash < 5.2"}, "bash-5.1-1.x86_64 glibc-2.38-1.x86_64", nil},
		{"or takes the first possible alternative", []string{"coreutils"},
			"coreutils-9-1.x86_64 coreutils-common-9-1.x86_64", nil},
		{"or satisfied by a requested package", []string{"coreutils", "coreutils-single"},
			"coreutils-9-1.x86_64 coreutils-single-9-1.x86_64", nil},
		{"if and unless without bash", []string{"docs"}, "docs-1-1.x86_64 info-7-1.x86_64", nil},
		{"if and unless with bash", []string{"docs", "bash"},
			"bash-5.2-1.x86_64 docs-1-1.x86_64 glibc-2.38-1.x86_64 helper-1-1.x86_64 man-db-2-1.x86_64", nil},
		{"with picks one package matching both", []string{"mod"}, "mod-1-1.x86_64 python3-3.11-1.x86_64", nil},
		{"alternatives: highest EVR", []string{"mailer"}, "alt-b-2-1.x86_64 mailer-1-1.x86_64", nil},
		{"alternatives: already installed wins", []string{"mailer", "alt-a"}, "alt-a-1-1.x86_64 mailer-1-1.x86_64", nil},
		{"if-else", []string{"ifelse"}, "ifelse-1-1.x86_64 info-7-1.x86_64", nil},
		{"nested", []string{"nested"}, "helper-1-1.x86_64 man-db-2-1.x86_64 nested-1-1.x86_64", nil},
		{"provide by soname", []string{"libc.so.6()(64bit)"}, "glibc-2.38-1.x86_64", nil},
		{"every unsatisfied requirement", []string{"broken", "also-broken", "nosuchpkg"}, "", []string{
			"nothing provides libmissing.so.1, needed by also-broken-1-1.x86_64, broken-1-1.x86_64",
			"nothing provides glibc >= 3, needed by broken-1-1.x86_64",
			"nothing provides /no/such/file, needed by broken-1-1.x86_64",
			"nothing provides nosuchpkg, needed by (requested)",
		}},
		{"one version per name", []string{"old"}, "", []string{
			"nothing provides glibc >= 2.38, needed by bash-5.2-1.x86_64"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := resolve.Files(context.Background(), rpms, c.requested)
			if c.wantErr != nil {
				var ue *resolve.UnsatisfiedError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want UnsatisfiedError", err)
				}
				for _, w := range c.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error\n%s\nlacks %q", err, w)
					}
				}
				if len(ue.Missing) != len(c.wantErr) {
					t.Errorf("%d unsatisfied, want %d:\n%s", len(ue.Missing), len(c.wantErr), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Packages {
				got = append(got, p.NEVRA())
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("got  %s\nwant %s", g, c.want)
			}
		})
	}
}

func TestMultilibPrefersPrimaryArch(t *testing.T) {
	lib32 := spec("libz-1-1", nil, nil)
	lib32.Arch = "i686"
	lib64 := spec("libz-1-1", nil, nil)
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), lib32, lib64, spec("app-1-1", []string{"libz"}, nil))
	res, err := resolve.Files(context.Background(), rpms, []string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.NEVRA())
	}
	if g, w := strings.Join(got, " "), "app-1-1.x86_64 libz-1-1.x86_64"; g != w {
		t.Errorf("got %s, want %s", g, w)
	}
}

func TestConflicts(t *testing.T) {
	a := spec("a-1-1", nil, nil)
	a.Conflicts = []string{"b < 2"}
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), a, spec("b-1-1", nil, nil))
	_, err := resolve.Files(context.Background(), rpms, []string{"a", "b"})
	if err == nil || !strings.Contains(err.Error(), "a-1-1.x86_64 conflicts with b-1-1.x86_64") {
		t.Fatalf("err = %v", err)
	}
}

func TestRichParseErrors(t *testing.T) {
	for _, dep := range []string{"(a or)", "(a xor b)", "(a or b and c)", "(a if b else c else d)", "(a >= )"} {
		rpms := rpmfiletest.WriteAll(t, t.TempDir(), spec("x-1-1", []string{dep}, nil))
		_, err := resolve.Files(context.Background(), rpms, []string{"x"})
		if err == nil || !strings.Contains(err.Error(), "unparsable") {
			t.Errorf("%s: err = %v", dep, err)
		}
	}
}

// TestLockReproducible: the lock does not depend on the order of the
// available RPMs or of the request, and names each file with its sha256.
func TestLockReproducible(t *testing.T) {
	dir := t.TempDir()
	rpms := rpmfiletest.WriteAll(t, dir, repo...)
	lock := func(rpms, req []string) []byte {
		res, err := resolve.Files(context.Background(), rpms, req)
		if err != nil {
			t.Fatal(err)
		}
		l, err := res.Lock()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := l.Write(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a := lock(rpms, []string{"bash", "mailer", "docs"})
	rev := make([]string, len(rpms))
	for i, p := range rpms {
		rev[len(rpms)-1-i] = p
	}
	b := lock(rev, []string{"docs", "mailer", "bash"})
	if !bytes.Equal(a, b) {
		t.Errorf("lock depends on input order:\n%s\n%s", a, b)
	}
	var l resolve.Lock
	if err := json.Unmarshal(a, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Packages) != 7 {
		t.Errorf("lock has %d packages: %s", len(l.Packages), a)
	}
	for _, p := range l.Packages {
		if len(p.SHA256) != 64 || filepath.Base(p.File) != p.File || !strings.HasSuffix(p.File, ".rpm") {
			t.Errorf("locked package %+v", p)
		}
	}
}
