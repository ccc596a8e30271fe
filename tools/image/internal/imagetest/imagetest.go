// Package imagetest holds helpers shared by the image packages' tests:
// small root-filesystem tars and the busybox boot fixture.
package imagetest

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Epoch is the SOURCE_DATE_EPOCH the tests build with.
var Epoch = time.Unix(1700000000, 0).UTC()

// Entry is one tar entry; Type defaults to a regular file.
type Entry struct {
	Name         string
	Type         byte
	Mode         int64
	UID, GID     int
	Data         string
	Link         string
	Major, Minor int64
	Xattrs       map[string]string // extended attributes, as PAX SCHILY.xattr records
}

// WriteTar writes entries as a PAX tar in the test's temp folder and returns
// its path.
func WriteTar(t testing.TB, entries []Entry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rootfs.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, e := range entries {
		h := &tar.Header{
			Name: e.Name, Typeflag: e.Type, Mode: e.Mode, Uid: e.UID, Gid: e.GID,
			Linkname: e.Link, Devmajor: e.Major, Devminor: e.Minor,
			ModTime: Epoch.Add(-time.Hour), Format: tar.FormatPAX,
		}
		for k, v := range e.Xattrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords["SCHILY.xattr."+k] = v
		}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Data))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// SmallRootfs is a rootfs with every entry type the builders handle.
func SmallRootfs() []Entry {
	return []Entry{
		{Name: "./", Type: tar.TypeDir},
		{Name: "./etc/", Type: tar.TypeDir},
		{Name: "./etc/os-release", Data: "NAME=Keel\nID=keel\n"},
		{Name: "./etc/shadow", Mode: 0o600, Data: "root:*:19000::::::\n"},
		{Name: "./usr/", Type: tar.TypeDir},
		{Name: "./usr/bin/", Type: tar.TypeDir},
		{Name: "./usr/bin/hello", Mode: 0o4755, Data: "#!/bin/sh\necho hello\n"},
		{Name: "./usr/bin/ping", Mode: 0o755, Data: "ping\n", Xattrs: map[string]string{"security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}},
		{Name: "./usr/bin/hello2", Type: tar.TypeLink, Link: "./usr/bin/hello"},
		{Name: "./bin", Type: tar.TypeSymlink, Link: "usr/bin"},
		{Name: "./home/", Type: tar.TypeDir},
		{Name: "./home/user/", Type: tar.TypeDir, Mode: 0o700, UID: 1000, GID: 1000},
		{Name: "./home/user/notes.txt", UID: 1000, GID: 1000, Data: "owned by 1000\n"},
		{Name: "./dev/", Type: tar.TypeDir},
		{Name: "./dev/console", Type: tar.TypeChar, Mode: 0o600, Major: 5, Minor: 1},
		{Name: "./dev/sda", Type: tar.TypeBlock, Mode: 0o660, GID: 6, Major: 8, Minor: 0},
		{Name: "./run/initctl", Type: tar.TypeFifo, Mode: 0o600},
	}
}
