package buildroot

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

type entry struct {
	name, link, body string
	typ              byte
	mode             int64
	mtime            int64
}

func makeTar(t testing.TB, entries []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Typeflag: e.typ, Name: e.name, Linkname: e.link, Mode: e.mode,
			ModTime: time.Unix(e.mtime, 0), Uname: "someone", Gname: "somegroup", Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return b.Bytes()
}

func TestNormalize(t *testing.T) {
	in := makeTar(t, []entry{
		{name: "./", typ: tar.TypeDir, mode: 0o755, mtime: 5},
		{name: "./dev/", typ: tar.TypeDir, mode: 0o755, mtime: 5},
		{name: "./dev/null", typ: tar.TypeChar, mode: 0o666, mtime: 5},
		{name: "./usr/bin/hello", typ: tar.TypeReg, mode: 0o755, mtime: 99999, body: "hi"},
		{name: "./usr/bin/hi", typ: tar.TypeLink, link: "./usr/bin/hello", mtime: 5},
		{name: "./var/log/dpkg.log", typ: tar.TypeReg, mode: 0o644, mtime: 5, body: "log"},
		{name: "./var/lib/apt/lists/x_Packages", typ: tar.TypeReg, mode: 0o644, mtime: 5, body: "p"},
		{name: "./var/lib/dpkg/status-old", typ: tar.TypeReg, mode: 0o644, mtime: 5, body: "s"},
		{name: "./var/lib/dpkg/status", typ: tar.TypeReg, mode: 0o644, mtime: 5, body: "s"},
		{name: "./var/log/", typ: tar.TypeDir, mode: 0o755, mtime: 5},
	})
	var out bytes.Buffer
	if err := Normalize(bytes.NewReader(in), &out, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h.Name)
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s keeps owner names %q/%q", h.Name, h.Uname, h.Gname)
		}
		if h.ModTime.Unix() > 1000 {
			t.Errorf("%s: mtime %d not clamped", h.Name, h.ModTime.Unix())
		}
		if h.Name == "usr/bin/hi" && h.Linkname != "usr/bin/hello" {
			t.Errorf("hard link target %q", h.Linkname)
		}
		if h.Name == "usr/bin/hello" && h.ModTime.Unix() != 1000 {
			t.Errorf("hello mtime %d, want clamped to 1000", h.ModTime.Unix())
		}
	}
	want := []string{"dev/", "usr/bin/hello", "usr/bin/hi", "var/lib/dpkg/status", "var/log/"}
	if !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
}

func TestUnpack(t *testing.T) {
	outside := t.TempDir()
	in := makeTar(t, []entry{
		{name: "ro/", typ: tar.TypeDir, mode: 0o555, mtime: 100},
		{name: "ro/file", typ: tar.TypeReg, mode: 0o4755, mtime: 200, body: "data"},
		{name: "ro/hard", typ: tar.TypeLink, link: "ro/file"},
		{name: "lib", typ: tar.TypeSymlink, link: "usr/lib", mtime: 300},
		{name: "usr/lib/x.so", typ: tar.TypeReg, mode: 0o644, mtime: 300, body: "so"},
		{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
	})
	dir := filepath.Join(t.TempDir(), "root")
	if err := UnpackTar(bytes.NewReader(in), dir); err != nil {
		t.Fatal(err)
	}
	defer RemoveAll(dir)
	st, err := os.Stat(filepath.Join(dir, "ro"))
	if err != nil || st.Mode().Perm() != 0o555 || st.ModTime().Unix() != 100 {
		t.Errorf("ro: %v %v", st, err)
	}
	st, err = os.Stat(filepath.Join(dir, "ro/file"))
	if err != nil || st.Mode()&(os.ModePerm|os.ModeSetuid) != 0o755|os.ModeSetuid || st.ModTime().Unix() != 200 {
		t.Errorf("ro/file: %v %v", st.Mode(), err)
	}
	a, _ := os.Stat(filepath.Join(dir, "ro/file"))
	b, _ := os.Stat(filepath.Join(dir, "ro/hard"))
	if !os.SameFile(a, b) {
		t.Error("ro/hard is not a hard link of ro/file")
	}
	if l, err := os.Readlink(filepath.Join(dir, "lib")); err != nil || l != "usr/lib" {
		t.Errorf("lib -> %q, %v", l, err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "dev/null")); !os.IsNotExist(err) {
		t.Errorf("device node unpacked: %v", err)
	}

	// An entry must not write through a link that leaves the root.
	evil := makeTar(t, []entry{
		{name: "out", typ: tar.TypeSymlink, link: outside},
		{name: "out/pwned", typ: tar.TypeReg, mode: 0o644, body: "x"},
	})
	if err := UnpackTar(bytes.NewReader(evil), t.TempDir()); err == nil {
		t.Error("unpacking through an escaping link succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "pwned")); !os.IsNotExist(err) {
		t.Errorf("file written outside the root: %v", err)
	}
	dotdot := makeTar(t, []entry{{name: "../x", typ: tar.TypeReg, mode: 0o644}})
	if err := UnpackTar(bytes.NewReader(dotdot), t.TempDir()); err == nil {
		t.Error("unpacking ../x succeeded")
	}
}

func TestHostMirror(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		suite string
		want  string
	}{
		{"deb822", map[string]string{"sources.list.d/debian.sources": "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://s.example/sec\nSuites: bookworm-security\n"},
			"bookworm", "http://m.example/debian"},
		{"deb822 second stanza", map[string]string{"sources.list.d/debian.sources": "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm\nComponents: main\n\nTypes: deb\nURIs: http://s.example/sec\nSuites: bookworm-security\nComponents: main\n"},
			"bookworm-security", "http://s.example/sec"},
		{"deb822 disabled and deb-src skipped", map[string]string{"sources.list.d/a.sources": "Types: deb\nEnabled: no\nURIs: http://off.example/\nSuites: sid\nComponents: main\n\nTypes: deb-src\nURIs: http://src.example/\nSuites: sid\nComponents: main\n\nTypes: deb deb-src\nURIs:\n http://on.example/\nSuites: sid\nComponents: main\n"},
			"sid", "http://on.example/"},
		{"one-line with options", map[string]string{"sources.list": "# comment\ndeb-src http://src.example/ bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n"},
			"bookworm", "http://one.example/debian"},
		{"disabled suffix ignored", map[string]string{"sources.list.d/x.list.disabled": "deb http://no.example/ bookworm main\n", "sources.list.d/y.list": "deb http://yes.example/ bookworm main\n"},
			"bookworm", "http://yes.example/"},
		{"missing", map[string]string{"sources.list": "deb http://x.example/ bullseye main\n"}, "bookworm", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range tt.files {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755)
				os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
			}
			got, err := HostMirror(dir, tt.suite)
			if tt.want == "" {
				if err == nil {
					t.Errorf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestReadPackageList(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("# toolchain\nrpm\n\ngcc  # compiler\nmake\n"), 0o644)
	got, err := ReadPackageList(good)
	if err != nil || !slices.Equal(got, []string{"rpm", "gcc", "make"}) {
		t.Errorf("got %q, %v", got, err)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("rpm\ngcc,make\n"), 0o644)
	if _, err := ReadPackageList(bad); err == nil || !bytes.Contains([]byte(err.Error()), []byte("bad.txt:2")) {
		t.Errorf("got %v, want an error at bad.txt:2", err)
	}
	// The shipped list must parse.
	if pkgs, err := ReadPackageList("debian-bookworm.txt"); err != nil || !slices.Contains(pkgs, "rpm") {
		t.Errorf("debian-bookworm.txt: %q, %v", pkgs, err)
	}
}

// TestMakeReproducible makes the same root twice in two clean places and
// compares the digests. It takes about a minute per root.
func TestMakeReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("long test: makes two Debian roots")
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("mmdebstrap not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for mmdebstrap's root mode")
	}
	if _, err := HostMirror("/etc/apt", "bookworm"); err != nil {
		t.Skipf("no bookworm mirror on this host: %v", err)
	}
	pkgs, err := ReadPackageList("debian-bookworm.txt")
	if err != nil {
		t.Fatal(err)
	}
	var sums []string
	for i := range 2 {
		out := filepath.Join(t.TempDir(), "root.tar.zst")
		var log bytes.Buffer
		sum, err := Make(context.Background(), Options{Suite: "bookworm", Packages: pkgs, SourceDateEpoch: DefaultSourceDateEpoch, Out: out, Log: &log})
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, log.String())
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: %s, %d bytes", i, sum, len(data))
		sums = append(sums, sum)
	}
	if sums[0] != sums[1] {
		t.Errorf("two runs differ: %s vs %s", sums[0], sums[1])
	}
}

// BenchmarkUnpack unpacks the root named by $KEEL_TEST_BUILDROOT.
func BenchmarkUnpack(b *testing.B) {
	src := os.Getenv("KEEL_TEST_BUILDROOT")
	if src == "" {
		b.Skip("set KEEL_TEST_BUILDROOT to a root tarball")
	}
	for i := 0; b.Loop(); i++ {
		dir := filepath.Join(b.TempDir(), "root")
		if err := Unpack(src, dir); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		RemoveAll(dir)
		b.StartTimer()
	}
}
