package initramfs

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

func build(t *testing.T, tarPath string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, tarPath, Options{Epoch: imagetest.Epoch}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type entry struct {
	hdr  cpio.Header
	data string
}

// read decodes the archive with an independent cpio reader.
func read(t *testing.T, archive []byte) map[string]entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	r := cpio.NewReader(zr)
	got := map[string]entry{}
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = entry{*h, string(data)}
	}
	return got
}

func TestWriteEntries(t *testing.T) {
	archive := build(t, imagetest.WriteTar(t, imagetest.SmallRootfs()))
	got := read(t, archive)

	for _, tc := range []struct {
		name     string
		mode     cpio.FileMode
		uid      int
		data     string
		linkname string
	}{
		{name: "etc", mode: cpio.TypeDir | 0o755},
		{name: "etc/shadow", mode: cpio.TypeReg | 0o600, data: "root:*:19000::::::\n"},
		{name: "usr/bin/hello", mode: cpio.TypeReg | 0o4755, data: "#!/bin/sh\necho hello\n"},
		{name: "usr/bin/hello2", mode: cpio.TypeReg | 0o4755},
		{name: "bin", mode: cpio.TypeSymlink | 0o777, linkname: "usr/bin"},
		{name: "home/user", mode: cpio.TypeDir | 0o700, uid: 1000},
		{name: "dev/console", mode: cpio.TypeChar | 0o600},
		{name: "dev/sda", mode: cpio.TypeBlock | 0o660},
		{name: "run", mode: cpio.TypeDir | 0o755},
		{name: "run/initctl", mode: cpio.TypeFifo | 0o600},
	} {
		e, ok := got[tc.name]
		if !ok {
			t.Errorf("%s: missing from archive", tc.name)
			continue
		}
		if e.hdr.Mode != tc.mode {
			t.Errorf("%s: mode %o, want %o", tc.name, e.hdr.Mode, tc.mode)
		}
		if e.hdr.Uid != tc.uid {
			t.Errorf("%s: uid %d, want %d", tc.name, e.hdr.Uid, tc.uid)
		}
		if tc.mode&cpio.TypeReg == cpio.TypeReg && e.data != tc.data {
			t.Errorf("%s: data %q, want %q", tc.name, e.data, tc.data)
		}
		if tc.linkname != "" && e.hdr.Linkname != tc.linkname {
			t.Errorf("%s: link %q, want %q", tc.name, e.hdr.Linkname, tc.linkname)
		}
		if mt := e.hdr.ModTime.Unix(); mt > imagetest.Epoch.Unix() {
			t.Errorf("%s: mtime %d after the epoch", tc.name, mt)
		}
	}
	a, b := got["usr/bin/hello"].hdr, got["usr/bin/hello2"].hdr
	if a.Inode != b.Inode || a.Links != 2 || b.Links != 2 {
		t.Errorf("hard link: inodes %d/%d links %d/%d, want one inode with 2 links", a.Inode, b.Inode, a.Links, b.Links)
	}
	inodes := map[int64]string{}
	for name, e := range got {
		if prev, dup := inodes[e.hdr.Inode]; dup && !strings.HasPrefix(name, "usr/bin/hello") {
			t.Errorf("%s and %s share inode %d", name, prev, e.hdr.Inode)
		}
		inodes[e.hdr.Inode] = name
	}
}

// TestDeviceNumbers reads rdev from the raw newc header: the cpio reader
// above does not expose it.
func TestDeviceNumbers(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(build(t, imagetest.WriteTar(t, imagetest.SmallRootfs()))))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"dev/console": "0000000500000001", "dev/sda": "0000000800000000"} {
		i := bytes.Index(raw, []byte(name+"\x00"))
		if i < 110 {
			t.Fatalf("%s not found", name)
		}
		hdr := raw[i-110 : i]
		if got := string(hdr[78:94]); got != want {
			t.Errorf("%s: rdevmajor/minor %s, want %s", name, got, want)
		}
	}
}

func TestReproducible(t *testing.T) {
	p := imagetest.WriteTar(t, imagetest.SmallRootfs())
	a, b := build(t, p), build(t, p)
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same tar differ")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notTar := filepath.Join(dir, "not.tar")
	if err := os.WriteFile(notTar, bytes.Repeat([]byte("x"), 1024), 0o644); err != nil {
		t.Fatal(err)
	}
	danglingLink := imagetest.WriteTar(t, []imagetest.Entry{{Name: "a", Type: '1', Link: "missing"}})
	for _, tc := range []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.tar"), "nope.tar"},
		{"not a tar", notTar, "not.tar"},
		{"dangling hard link", danglingLink, `"missing"`},
	} {
		out := filepath.Join(dir, "out.cpio.gz")
		err := WriteFile(out, tc.path, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.want)
		}
		if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
			t.Errorf("%s: output written despite the error", tc.name)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".out*")); len(left) > 0 {
			t.Errorf("%s: temporary files left: %v", tc.name, left)
		}
	}
}
