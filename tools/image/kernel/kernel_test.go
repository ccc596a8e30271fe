package kernel

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name     string
		entries  []imagetest.Entry
		pattern  string
		wantPath string // member found; "" when an error is expected
		wantErr  string
	}{
		{"one kernel", []imagetest.Entry{
			{Name: "boot/", Type: tar.TypeDir},
			{Name: "boot/config-6.1.176", Data: "config"},
			{Name: "boot/vmlinuz-6.1.176", Data: "MZ kernel 6.1.176"},
		}, DefaultPattern, "boot/vmlinuz-6.1.176", ""},
		{"leading ./ and /", []imagetest.Entry{
			{Name: "./boot/vmlinuz-6.1", Data: "MZ kernel 6.1"},
		}, "/boot/vmlinuz-*", "boot/vmlinuz-6.1", ""},
		{"none", []imagetest.Entry{
			{Name: "bin/sh", Data: "sh"},
		}, DefaultPattern, "", `no file matches "boot/vmlinuz-*"`},
		{"two", []imagetest.Entry{
			{Name: "boot/vmlinuz-6.1", Data: "a"},
			{Name: "boot/vmlinuz-6.6", Data: "b"},
		}, DefaultPattern, "", "matches 2 files (boot/vmlinuz-6.1, boot/vmlinuz-6.6)"},
		{"only a link", []imagetest.Entry{
			{Name: "boot/vmlinuz-6.1", Type: tar.TypeSymlink, Link: "elsewhere"},
		}, DefaultPattern, "", "only boot/vmlinuz-6.1"},
		{"bad pattern", []imagetest.Entry{
			{Name: "boot/vmlinuz-6.1", Data: "a"},
		}, "boot/[", "", "parsing kernel pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rootfs := imagetest.WriteTar(t, tc.entries)
			out := filepath.Join(t.TempDir(), "vmlinuz")
			got, err := Extract(rootfs, tc.pattern, out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("%s written despite the error", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.wantPath {
				t.Errorf("found %s, want %s", got, tc.wantPath)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var want string
			for _, e := range tc.entries {
				if strings.TrimPrefix(e.Name, "./") == tc.wantPath {
					want = e.Data
				}
			}
			if string(data) != want {
				t.Errorf("extracted %q, want %q", data, want)
			}
		})
	}
}

func TestExtractMissingRootfs(t *testing.T) {
	_, err := Extract(filepath.Join(t.TempDir(), "gone.tar"), DefaultPattern, filepath.Join(t.TempDir(), "k"))
	if err == nil || !strings.Contains(err.Error(), "gone.tar") {
		t.Fatalf("error %v, want one naming gone.tar", err)
	}
}
