package main

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImageVerbs runs each image sub-verb with relative paths, as Bazel
// actions do, and checks the outputs exist.
func TestImageVerbs(t *testing.T) {
	for _, tool := range []string{"xorriso", "mkfs.fat", "mcopy", "mkfs.ext4", "debugfs", "sfdisk", "qemu-img"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/systemd/boot/efi/systemd-bootx64.efi"); err != nil {
		t.Skip("systemd-boot-efi not installed")
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "boot/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "boot/vmlinuz-1.0", Typeflag: tar.TypeReg, Mode: 0o644, Size: 10},
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/os-release", Typeflag: tar.TypeReg, Mode: 0o644, Size: 10},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("NAME=Keel\n"))
		}
	}
	tw.Close()
	if err := os.WriteFile(rootfs, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if err := os.WriteFile("vmlinuz", bytes.Repeat([]byte("k"), 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		files []string
	}{
		{[]string{"oci", "--layer", rootfs, "--arch", "amd64", "--entrypoint", "/bin/sh", "--label", "a=b",
			"--tag", "keel/test:1", "--out-layout", "amd64", "--out-tarball", "test.tar"}, []string{"amd64/index.json", "test.tar"}},
		{[]string{"oci", "--layer", rootfs, "--arch", "arm64", "--out-layout", "arm64"}, []string{"arm64/oci-layout"}},
		{[]string{"oci-index", "--image", "amd64", "--image", "arm64", "--out-layout", "index"}, []string{"index/index.json"}},
		{[]string{"iso", "--kernel", "vmlinuz", "--rootfs", rootfs, "--cmdline", "console=ttyS0", "--out", "test.iso"}, []string{"test.iso"}},
		{[]string{"disk", "--rootfs", rootfs, "--kernel", "vmlinuz", "--initrd", "vmlinuz", "--out-raw", "d.raw", "--out-vhdx", "d.vhdx"},
			[]string{"d.raw", "d.vhdx"}},
		{[]string{"iso", "--kernel-from-rootfs", "boot/vmlinuz-*", "--rootfs", rootfs, "--out", "k.iso"}, []string{"k.iso"}},
		{[]string{"disk", "--rootfs", rootfs, "--kernel-from-rootfs", "boot/vmlinuz-*", "--out-qcow2", "k.qcow2"}, []string{"k.qcow2"}},
	} {
		var stdout, stderr bytes.Buffer
		if err := runImage(tc.args, &stdout, &stderr); err != nil {
			t.Fatalf("keel image %s: %v\n%s", strings.Join(tc.args, " "), err, stderr.String())
		}
		for _, f := range tc.files {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("keel image %s: %v", tc.args[0], err)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"paint"}, `"paint"`},
		{[]string{"oci", "--layer", rootfs}, "--out-layout"},
		{[]string{"oci", "--layer", rootfs, "--out-tarball", "x.tar"}, "--tag"},
		{[]string{"oci", "--layer", rootfs, "--out-layout", "x", "--label", "novalue"}, `"novalue"`},
		{[]string{"disk", "--rootfs", rootfs, "--kernel", "vmlinuz", "--initrd", "vmlinuz", "--root-size", "lots", "--out-raw", "x.raw"}, "--root-size"},
		{[]string{"iso", "--kernel", "vmlinuz", "--rootfs", rootfs, "--epoch", "yesterday", "--out", "x.iso"}, "--epoch"},
		{[]string{"iso", "--kernel", "vmlinuz", "--kernel-from-rootfs", "boot/*", "--rootfs", rootfs, "--out", "x.iso"}, "not both"},
		{[]string{"iso", "--kernel-from-rootfs", "boot/*", "--initrd", "vmlinuz", "--out", "x.iso"}, "needs --rootfs"},
		{[]string{"iso", "--kernel", "vmlinuz", "--rootfs", rootfs, "--isolinux", "gone.bin", "--out", "x.iso"}, "reading isolinux: stat gone.bin"},
		{[]string{"iso", "--kernel", "vmlinuz", "--rootfs", rootfs, "--isohybrid-mbr", "gone.bin", "--out", "x.iso"}, "reading isohybrid MBR: stat gone.bin"},
		{[]string{"iso", "--kernel", "vmlinuz", "--rootfs", rootfs, "--ldlinux", "gone.c32", "--out", "x.iso"}, "reading ldlinux: stat gone.c32"},
		{[]string{"iso", "--kernel", "vmlinuz", "--rootfs", rootfs, "--efi-loader", "gone.efi", "--out", "x.iso"}, "reading EFI loader: stat gone.efi"},
		{[]string{"disk", "--rootfs", rootfs, "--kernel-from-rootfs", "boot/bzImage", "--out-raw", "x.raw"}, `no file matches "boot/bzImage"`},
	} {
		var stdout, stderr bytes.Buffer
		err := runImage(tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("keel image %s: error %v, want one containing %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
