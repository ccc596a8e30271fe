package efiboot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

func TestFitSize(t *testing.T) {
	for _, sizes := range [][]int64{{0}, {1}, {8 << 20, 30 << 20, 123456}} {
		got := FitSize(sizes...)
		var sum int64
		for _, s := range sizes {
			sum += s
		}
		if got%(1<<20) != 0 || got < sum+2<<20 {
			t.Errorf("FitSize(%v) = %d: not a MiB multiple above the data plus 2 MiB", sizes, got)
		}
	}
}

func TestBuild(t *testing.T) {
	for _, tool := range []string{"mkfs.fat", "mmd", "mcopy", "mdir"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian packages dosfstools, mtools)", tool)
		}
	}
	dir := t.TempDir()
	file := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o644)
		return p
	}
	cfg := Config{
		Loader: file("loader.efi", "MZ loader"), Kernel: file("vmlinuz", "MZ kernel"), Initrd: file("initrd", "cpio"),
		Cmdline: "console=ttyS0 quiet", Epoch: imagetest.Epoch, Serial: 0x1234abcd, Label: "ESP",
	}
	out := filepath.Join(dir, "esp.img")
	if err := Build(context.Background(), out, cfg); err != nil {
		t.Fatal(err)
	}
	listing, err := exec.Command("mdir", "-/", "-b", "-i", out, "::/").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"::/EFI/BOOT/BOOTX64.EFI", "::/loader/loader.conf", "::/loader/entries/keel.conf", "::" + KernelPath, "::" + InitrdPath} {
		if !strings.Contains(string(listing), want) {
			t.Errorf("%s missing from the FAT image:\n%s", want, listing)
		}
	}
	conf, _ := exec.Command("mtype", "-i", out, "::/loader/loader.conf").Output()
	if !strings.Contains(string(conf), "timeout 0\n") || !strings.Contains(string(conf), "default keel.conf\n") {
		t.Errorf("loader.conf:\n%s", conf)
	}

	cfg.Arch = "ppc64le"
	if err := Build(context.Background(), filepath.Join(dir, "bad.img"), cfg); err == nil || !strings.Contains(err.Error(), `"ppc64le"`) {
		t.Errorf("bad arch: error %v", err)
	}
	cfg.Arch, cfg.Kernel = "", filepath.Join(dir, "no-kernel")
	if err := Build(context.Background(), filepath.Join(dir, "bad.img"), cfg); err == nil || !strings.Contains(err.Error(), "no-kernel") {
		t.Errorf("missing kernel: error %v", err)
	}
}

// TestNoInitrd checks that a kernel without an initrd gets a loader entry
// without an initrd line, and no initrd file on the filesystem.
func TestNoInitrd(t *testing.T) {
	for _, tool := range []string{"mkfs.fat", "mcopy", "mtype"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian packages dosfstools, mtools)", tool)
		}
	}
	dir := t.TempDir()
	file := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := filepath.Join(dir, "esp.img")
	if err := Build(context.Background(), out, Config{
		Loader: file("loader.efi", "MZ loader"), Kernel: file("vmlinuz", "MZ kernel"),
		Cmdline: "console=ttyS0 root=/dev/vda2", Epoch: imagetest.Epoch, Serial: 1,
	}); err != nil {
		t.Fatal(err)
	}
	entry, err := exec.Command("mtype", "-i", out, "::/loader/entries/keel.conf").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "title Keel\nlinux " + KernelPath + "\noptions console=ttyS0 root=/dev/vda2\n"
	if string(entry) != want {
		t.Errorf("loader entry:\n%s\nwant:\n%s", entry, want)
	}
	if err := exec.Command("mtype", "-i", out, "::"+InitrdPath).Run(); err == nil {
		t.Errorf("%s is on the filesystem without an initrd", InitrdPath)
	}
}
