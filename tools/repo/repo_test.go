package repo_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/rpmpack"
	"github.com/keel-build/keel/tools/repo"
	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

var specs = []rpmfiletest.Spec{
	{Name: "hello", Version: "1.0", Release: "1", Requires: []string{"libgreet >= 2", "/usr/bin/greet-sh"},
		Files: []rpmfiletest.File{{Path: "/usr/bin/hello", Body: "#!/bin/sh\necho hello\n", Mode: 0o755},
			{Path: "/usr/share/doc/hello/README", Body: "hi", Flags: rpmpack.DocFile}},
		Post: "true"},
	{Name: "libgreet", Version: "2.1", Release: "3", Epoch: "1", Provides: []string{"libgreet.so.2()(64bit)"},
		Files: []rpmfiletest.File{{Path: "/usr/lib64/libgreet.so.2", Body: "ELF"},
			{Path: "/etc/greet.conf", Body: "x=1", Flags: rpmpack.ConfigFile},
			{Path: "/var/lib/greet", Dir: true}, {Path: "/var/lib/greet/state", Flags: rpmpack.GhostFile}}},
	{Name: "greet-sh", Version: "0.1", Release: "1", Arch: "noarch", Summary: "A <shell> & more",
		Files: []rpmfiletest.File{{Path: "/usr/bin/greet-sh", Body: "sh"}}},
}

func writeRepo(t *testing.T, rpms []string, opts ...repo.Option) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	if _, err := repo.Write(context.Background(), dir, rpms, opts...); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir, files
}

func TestReproducible(t *testing.T) {
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), specs...)
	for _, comp := range []string{"gzip", "zstd"} {
		_, a := writeRepo(t, rpms, repo.WithCompression(comp))
		_, b := writeRepo(t, []string{rpms[2], rpms[0], rpms[1]}, repo.WithCompression(comp))
		if len(a) != 3+3+1 {
			t.Errorf("%s: files %v", comp, keys(a))
		}
		for name, content := range a {
			if !bytes.Equal(content, b[name]) {
				t.Errorf("%s: %s differs between runs with different input order", comp, name)
			}
		}
	}
	_, c := writeRepo(t, rpms, repo.WithEpoch(1))
	_, d := writeRepo(t, rpms, repo.WithEpoch(2))
	if bytes.Equal(c["repodata/repomd.xml"], d["repodata/repomd.xml"]) {
		t.Error("the epoch does not reach repomd.xml")
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// Minimal views of the metadata, for structural comparison.
type primary struct {
	Packages []struct {
		Name    string `xml:"name"`
		Arch    string `xml:"arch"`
		Version struct {
			Epoch string `xml:"epoch,attr"`
			Ver   string `xml:"ver,attr"`
			Rel   string `xml:"rel,attr"`
		} `xml:"version"`
		Checksum string `xml:"checksum"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
		HeaderRange struct {
			Start string `xml:"start,attr"`
			End   string `xml:"end,attr"`
		} `xml:"format>header-range"`
		Provides []entry `xml:"format>provides>entry"`
		Requires []entry `xml:"format>requires>entry"`
		Files    []file  `xml:"format>file"`
	} `xml:"package"`
}

type entry struct {
	Name  string `xml:"name,attr"`
	Flags string `xml:"flags,attr"`
	Epoch string `xml:"epoch,attr"`
	Ver   string `xml:"ver,attr"`
	Rel   string `xml:"rel,attr"`
	Pre   string `xml:"pre,attr"`
}

type file struct {
	Type string `xml:"type,attr"`
	Path string `xml:",chardata"`
}

type filelists struct {
	Packages []struct {
		Pkgid string `xml:"pkgid,attr"`
		Name  string `xml:"name,attr"`
		Files []file `xml:"file"`
	} `xml:"package"`
}

type repomd struct {
	Data []struct {
		Type     string `xml:"type,attr"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
	} `xml:"data"`
}

func readMD(t *testing.T, dir, kind string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var md repomd
	if err := xml.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	for _, d := range md.Data {
		if d.Type != kind {
			continue
		}
		f, err := os.Open(filepath.Join(dir, d.Location.Href))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(z)
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("repomd.xml has no %s", kind)
}

func TestPrimary(t *testing.T) {
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), specs...)
	dir, _ := writeRepo(t, rpms)
	var p primary
	readMD(t, dir, "primary", &p)
	var names []string
	for _, pk := range p.Packages {
		names = append(names, pk.Name+"-"+pk.Version.Epoch+":"+pk.Version.Ver+"-"+pk.Version.Rel+"."+pk.Arch)
		if _, err := os.Stat(filepath.Join(dir, pk.Location.Href)); err != nil {
			t.Errorf("location %s: %v", pk.Location.Href, err)
		}
		if len(pk.Checksum) != 64 {
			t.Errorf("%s checksum %q", pk.Name, pk.Checksum)
		}
	}
	if g, w := strings.Join(names, " "), "greet-sh-0:0.1-1.noarch hello-0:1.0-1.x86_64 libgreet-1:2.1-3.x86_64"; g != w {
		t.Errorf("packages %s, want %s", g, w)
	}
	hello := p.Packages[1]
	if len(hello.Requires) != 2 || hello.Requires[0] != (entry{Name: "libgreet", Flags: "GE", Epoch: "0", Ver: "2"}) {
		t.Errorf("hello requires %+v", hello.Requires)
	}
	var files []string
	for _, f := range p.Packages[2].Files {
		files = append(files, f.Type+":"+f.Path)
	}
	if g, w := strings.Join(files, " "), ":/etc/greet.conf"; g != w {
		t.Errorf("libgreet primary files %q, want %q (only createrepo's primary paths)", g, w)
	}
	var fl filelists
	readMD(t, dir, "filelists", &fl)
	files = nil
	for _, f := range fl.Packages[2].Files {
		files = append(files, f.Type+":"+f.Path)
	}
	if g, w := strings.Join(files, " "), ":/etc/greet.conf :/usr/lib64/libgreet.so.2 dir:/var/lib/greet ghost:/var/lib/greet/state"; g != w {
		t.Errorf("libgreet filelists %q, want %q", g, w)
	}
}

// TestMatchesCreaterepo compares Keel's metadata with createrepo_c's on the
// same RPMs: packages, checksums, locations, header ranges, provides,
// requires and file lists must agree.
func TestMatchesCreaterepo(t *testing.T) {
	if _, err := exec.LookPath("createrepo_c"); err != nil {
		t.Skip("createrepo_c is not installed (apt-get install createrepo-c)")
	}
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), specs...)
	rpms = append(rpms, rpmfiletest.WriteHardlinks(t, t.TempDir()))
	keel, _ := writeRepo(t, rpms)
	ref := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ref, "Packages"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range rpms {
		b, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ref, "Packages", filepath.Base(r)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("createrepo_c", "--simple-md-filenames", "--general-compress-type=gz", ref).CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
	var a, b primary
	readMD(t, keel, "primary", &a)
	readMD(t, ref, "primary", &b)
	if len(a.Packages) != len(b.Packages) {
		t.Fatalf("%d packages, createrepo_c has %d", len(a.Packages), len(b.Packages))
	}
	byName := map[string]int{}
	for i, p := range b.Packages {
		byName[p.Name] = i
	}
	norm := func(es []entry) []entry {
		out := append([]entry(nil), es...)
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	for _, pa := range a.Packages {
		pb := b.Packages[byName[pa.Name]]
		if pa.Version != pb.Version || pa.Arch != pb.Arch || pa.Checksum != pb.Checksum ||
			pa.Location != pb.Location || pa.HeaderRange != pb.HeaderRange {
			t.Errorf("%s: keel %+v %s %s %+v\ncreaterepo_c %+v %s %s %+v", pa.Name, pa.Version, pa.Location.Href,
				pa.Checksum, pa.HeaderRange, pb.Version, pb.Location.Href, pb.Checksum, pb.HeaderRange)
		}
		for _, c := range []struct {
			what string
			x, y []entry
		}{{"provides", pa.Provides, pb.Provides}, {"requires", pa.Requires, pb.Requires}} {
			x, y := norm(c.x), norm(c.y)
			if len(x) != len(y) {
				t.Errorf("%s %s: keel %+v\ncreaterepo_c %+v", pa.Name, c.what, x, y)
				continue
			}
			for i := range x {
				if x[i] != y[i] {
					t.Errorf("%s %s: keel %+v, createrepo_c %+v", pa.Name, c.what, x[i], y[i])
				}
			}
		}
		if len(pa.Files) != len(pb.Files) {
			t.Errorf("%s primary files: keel %v, createrepo_c %v", pa.Name, pa.Files, pb.Files)
		}
	}
	var fa, fb filelists
	readMD(t, keel, "filelists", &fa)
	readMD(t, ref, "filelists", &fb)
	for i := range fa.Packages {
		x := fa.Packages[i]
		var y = fb.Packages[0]
		for _, q := range fb.Packages {
			if q.Pkgid == x.Pkgid {
				y = q
			}
		}
		sort.Slice(x.Files, func(i, j int) bool { return x.Files[i].Path < x.Files[j].Path })
		sort.Slice(y.Files, func(i, j int) bool { return y.Files[i].Path < y.Files[j].Path })
		if len(x.Files) != len(y.Files) {
			t.Errorf("%s filelists: keel %v, createrepo_c %v", x.Name, x.Files, y.Files)
			continue
		}
		for k := range x.Files {
			if x.Files[k] != y.Files[k] {
				t.Errorf("%s filelists: keel %v, createrepo_c %v", x.Name, x.Files[k], y.Files[k])
			}
		}
	}
}
