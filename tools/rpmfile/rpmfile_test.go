package rpmfile_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/rpmpack"
	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

var sample = rpmfiletest.Spec{
	Name: "sample", Version: "1.0", Release: "1", Epoch: "2",
	Requires: []string{"libc >= 2.38", "/bin/sh", "(python3 or perl)"},
	Provides: []string{"sample-tool = 1.0"},
	Files: []rpmfiletest.File{
		{Path: "/etc/sample.conf", Body: "key=1\n", Flags: rpmpack.ConfigFile},
		{Path: "/usr/bin/ping2", Body: "ELF", Mode: 0o755, Caps: "cap_net_raw=ep"},
		{Path: "/usr/share/doc/sample", Dir: true},
		{Path: "/usr/share/doc/sample/README", Body: "read me", Flags: rpmpack.DocFile},
		{Path: "/usr/bin/sample", Link: "ping2"},
		{Path: "/var/log/sample.log", Flags: rpmpack.GhostFile, Owner: "daemon", Group: "adm"},
	},
	Pre:       "echo pre",
	Posttrans: "echo posttrans",
}

func TestOpenHeader(t *testing.T) {
	for _, comp := range []string{"gzip", "zstd", "xz"} {
		t.Run(comp, func(t *testing.T) {
			s := sample
			s.Compressor = comp
			path := rpmfiletest.Write(t, t.TempDir(), s)
			p, err := rpmfile.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.NEVRA(), "sample-2:1.0-1.x86_64"; got != want {
				t.Errorf("NEVRA = %q, want %q", got, want)
			}
			if p.PayloadCompressor != comp {
				t.Errorf("compressor = %q", p.PayloadCompressor)
			}
			var reqs []string
			for _, r := range p.Requires {
				reqs = append(reqs, r.String())
			}
			if got, want := strings.Join(reqs, ", "), "libc >= 2.38, /bin/sh, (python3 or perl)"; got != want {
				t.Errorf("requires = %q, want %q", got, want)
			}
			prov := map[string]bool{}
			for _, d := range p.Provides {
				prov[d.String()] = true
			}
			for _, want := range []string{"sample-tool = 1.0", "sample = 2:1.0-1"} {
				if !prov[want] {
					t.Errorf("provides %v lacks %q", prov, want)
				}
			}
			byPath := map[string]rpmfile.File{}
			for _, f := range p.Files {
				byPath[f.Path] = f
			}
			if f := byPath["/etc/sample.conf"]; !f.IsConfig() || !f.IsRegular() || f.Mode&0o777 != 0o644 || f.Size != 6 {
				t.Errorf("config file = %+v", f)
			}
			if f := byPath["/usr/bin/ping2"]; f.Caps != "cap_net_raw=ep" || f.Mode&0o777 != 0o755 {
				t.Errorf("caps file = %+v", f)
			}
			if f := byPath["/usr/bin/sample"]; !f.IsSymlink() || f.LinkTo != "ping2" {
				t.Errorf("symlink = %+v", f)
			}
			if f := byPath["/var/log/sample.log"]; !f.IsGhost() || f.Owner != "daemon" || f.Group != "adm" {
				t.Errorf("ghost = %+v", f)
			}
			if f := byPath["/usr/share/doc/sample"]; !f.IsDir() {
				t.Errorf("dir = %+v", f)
			}
			if f := byPath["/usr/share/doc/sample/README"]; !f.IsDoc() {
				t.Errorf("doc = %+v", f)
			}
			var kinds []string
			for _, s := range p.Scriptlets {
				kinds = append(kinds, s.Kind+":"+s.Body)
			}
			if got, want := strings.Join(kinds, ","), "pre:echo pre,posttrans:echo posttrans"; got != want {
				t.Errorf("scriptlets = %q, want %q", got, want)
			}
			if p.HeaderStart <= 96 || p.HeaderEnd <= p.HeaderStart || p.PayloadOffset != p.HeaderEnd || p.FileSize <= p.HeaderEnd {
				t.Errorf("offsets: header %d-%d payload %d size %d", p.HeaderStart, p.HeaderEnd, p.PayloadOffset, p.FileSize)
			}
		})
	}
}

func TestPayload(t *testing.T) {
	path := rpmfiletest.Write(t, t.TempDir(), sample)
	p, err := rpmfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := p.OpenPayload()
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	got := map[string]string{}
	for {
		e, err := pl.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(pl)
		if err != nil {
			t.Fatal(err)
		}
		if p.Files[e.Index].Path != e.Name {
			t.Errorf("entry %s maps to file %s", e.Name, p.Files[e.Index].Path)
		}
		got[e.Name] = string(b)
	}
	want := map[string]string{
		"/etc/sample.conf": "key=1\n", "/usr/bin/ping2": "ELF", "/usr/share/doc/sample": "",
		"/usr/share/doc/sample/README": "read me", "/usr/bin/sample": "",
	}
	if len(got) != len(want) {
		t.Errorf("payload members %v, want %v (the ghost must be absent)", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("member %s = %q, %v; want %q", k, g, ok, v)
		}
	}
}

// TestPayloadDigestMismatch corrupts the header's digest of a file and
// expects reading its content to fail.
func TestPayloadDigestMismatch(t *testing.T) {
	b, err := sample.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p, err := rpmfile.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Files {
		if p.Files[i].Path == "/usr/bin/ping2" {
			p.Files[i].Digest = strings.Repeat("0", 64)
		}
	}
	pl, err := p.NewPayload(bytes.NewReader(b[p.PayloadOffset:]))
	if err != nil {
		t.Fatal(err)
	}
	var readErr error
	for readErr == nil {
		var e *rpmfile.Entry
		e, readErr = pl.Next()
		if readErr == nil {
			_, readErr = io.ReadAll(pl)
			_ = e
		}
	}
	if readErr == io.EOF || !strings.Contains(readErr.Error(), "/usr/bin/ping2") {
		t.Fatalf("got %v, want a digest error naming /usr/bin/ping2", readErr)
	}
}

func TestReadErrors(t *testing.T) {
	good, err := sample.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	trunc := good[:200]
	badCount := append([]byte(nil), good...)
	// The first index entry of the signature header starts at 96+16; make
	// its count huge.
	copy(badCount[96+16+12:], []byte{0x7f, 0xff, 0xff, 0xff})
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "reading lead"},
		{"not rpm", bytes.Repeat([]byte("x"), 200), "not an RPM"},
		{"truncated", trunc, "header"},
		{"huge count", badCount, "outside"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := rpmfile.Read(bytes.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	_, err = rpmfile.Open(filepath.Join(t.TempDir(), "missing.rpm"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
}

// TestRpmbuildHardlinks reads the rpmbuild-made fixture: hard link set with
// data on one member only, a capability, and a ghost that is not in the
// payload.
func TestRpmbuildHardlinks(t *testing.T) {
	p, err := rpmfile.Open(rpmfiletest.WriteHardlinks(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if p.NEVRA() != "hardlinks-1.0-1.noarch" || p.PayloadCompressor != "zstd" {
		t.Fatalf("NEVRA %s, compressor %s", p.NEVRA(), p.PayloadCompressor)
	}
	inodes := map[string]uint32{}
	for _, f := range p.Files {
		inodes[f.Path] = f.Inode
		if f.Path == "/usr/bin/hl-ping" && f.Caps != "cap_net_raw=ep" {
			t.Errorf("caps of hl-ping = %q", f.Caps)
		}
	}
	if inodes["/usr/bin/hl-a"] != inodes["/usr/bin/hl-b"] || inodes["/usr/bin/hl-a"] != inodes["/usr/bin/hl-c"] ||
		inodes["/usr/bin/hl-a"] == inodes["/usr/bin/hl-ping"] {
		t.Errorf("inodes %v do not form one hard link set", inodes)
	}
	pl, err := p.OpenPayload()
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	sizes := map[string]int64{}
	for {
		e, err := pl.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, pl)
		if err != nil {
			t.Fatal(err)
		}
		sizes[e.Name] = n
	}
	if _, ok := sizes["/var/lib/hl/state"]; ok {
		t.Error("ghost file is in the payload")
	}
	var withData int
	for _, n := range []string{"/usr/bin/hl-a", "/usr/bin/hl-b", "/usr/bin/hl-c"} {
		if _, ok := sizes[n]; !ok {
			t.Errorf("%s missing from the payload", n)
		}
		if sizes[n] == 6 {
			withData++
		}
	}
	if withData != 1 {
		t.Errorf("hard link set members with data: %d, want 1 (sizes %v)", withData, sizes)
	}
}

// FuzzReadRPM feeds arbitrary bytes to the header and payload readers: they
// must return errors, never panic or allocate without bound.
func FuzzReadRPM(f *testing.F) {
	for _, comp := range []string{"gzip", "zstd"} {
		s := sample
		s.Compressor = comp
		b, err := s.Bytes()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(rpmfiletest.HardlinksBytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := rpmfile.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		pl, err := p.NewPayload(bytes.NewReader(b[p.PayloadOffset:]))
		if err != nil {
			return
		}
		defer pl.Close()
		// Bound the work: a tiny compressed payload can claim gigabytes.
		budget := int64(8 << 20)
		for i := 0; i < 10000 && budget > 0; i++ {
			if _, err := pl.Next(); err != nil {
				return
			}
			n, err := io.Copy(io.Discard, io.LimitReader(pl, budget))
			budget -= n
			if err != nil {
				return
			}
		}
	})
}
