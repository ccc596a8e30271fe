package iso

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/image/internal/boottest"
	"github.com/keel-build/keel/tools/image/internal/efiboot"
	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

func needTools(t *testing.T, bios bool) {
	t.Helper()
	for _, tool := range []string{"xorriso", "mkfs.fat", "mcopy", "mmd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian packages xorriso, dosfstools, mtools)", tool)
		}
	}
	files := []string{efiboot.DefaultLoader}
	if bios {
		files = append(files, DefaultIsolinux, DefaultIsohybrid, DefaultLdlinux)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("%v (Debian packages systemd-boot-efi, isolinux, syslinux-common)", err)
		}
	}
}

// fakeKernel stands in for a kernel where the ISO is only built, not booted.
func fakeKernel(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(p, bytes.Repeat([]byte("kernel"), 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReproducible(t *testing.T) {
	needTools(t, true)
	kernel := fakeKernel(t)
	rootfs := imagetest.WriteTar(t, imagetest.SmallRootfs())
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			var sums [2][32]byte
			for i := range sums {
				out := filepath.Join(t.TempDir(), "keel.iso")
				start := time.Now()
				err := Build(context.Background(), out, Options{
					Kernel: kernel, Rootfs: rootfs, Cmdline: "console=ttyS0 quiet", Arch: arch, Epoch: imagetest.Epoch,
					EFILoader: efiboot.DefaultLoader, // content is not checked here
				})
				if err != nil {
					t.Fatal(err)
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				sums[i] = sha256.Sum256(data)
				t.Logf("build %d: %d bytes in %v, sha256 %x", i, len(data), time.Since(start).Round(time.Millisecond), sums[i][:8])
				if i == 0 {
					checkContents(t, out, arch == "amd64")
				}
				time.Sleep(1100 * time.Millisecond) // a wall-clock leak would show
			}
			if sums[0] != sums[1] {
				t.Fatal("two builds of the same inputs differ")
			}
		})
	}
}

// checkContents extracts the ISO with xorriso and the EFI image with mtools
// and checks the boot configuration both loaders read.
func checkContents(t *testing.T, isoPath string, bios bool) {
	t.Helper()
	dir := t.TempDir()
	args := []string{"-osirrox", "on", "-indev", isoPath, "-extract", "/", dir}
	if out, err := exec.Command("xorriso", args...).CombinedOutput(); err != nil {
		t.Fatalf("xorriso extract: %v\n%s", err, out)
	}
	entry, err := exec.Command("mtype", "-i", filepath.Join(dir, "boot/efiboot.img"), "::/loader/entries/keel.conf").Output()
	if err != nil {
		t.Fatalf("reading loader entry: %v", err)
	}
	if !strings.Contains(string(entry), "options console=ttyS0 quiet\n") || !strings.Contains(string(entry), "initrd "+efiboot.InitrdPath) {
		t.Errorf("loader entry lacks the command line or initrd:\n%s", entry)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "isolinux/isolinux.cfg"))
	switch {
	case bios && err != nil:
		t.Errorf("BIOS ISO without isolinux.cfg: %v", err)
	case bios && !strings.Contains(string(cfg), "initrd=/boot/initrd.img console=ttyS0 quiet"):
		t.Errorf("isolinux.cfg lacks the command line:\n%s", cfg)
	case !bios && err == nil:
		t.Errorf("UEFI-only ISO has isolinux.cfg")
	}
}

func TestBadInput(t *testing.T) {
	needTools(t, true)
	dir := t.TempDir()
	kernel := fakeKernel(t)
	rootfs := imagetest.WriteTar(t, imagetest.SmallRootfs())
	notTar := filepath.Join(dir, "layer.txt")
	os.WriteFile(notTar, bytes.Repeat([]byte("not a tar "), 200), 0o644)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"missing kernel", Options{Kernel: filepath.Join(dir, "vmlinuz-missing"), Rootfs: rootfs}, "vmlinuz-missing"},
		{"rootfs not a tar", Options{Kernel: kernel, Rootfs: notTar}, "layer.txt"},
		{"kernel is a folder", Options{Kernel: dir, Rootfs: rootfs}, "not a regular file"},
		{"initrd and rootfs", Options{Kernel: kernel, Rootfs: rootfs, Initrd: rootfs}, "exactly one"},
		{"long volume ID", Options{Kernel: kernel, Rootfs: rootfs, VolumeID: strings.Repeat("V", 33)}, "longer than 32"},
		{"bad arch", Options{Kernel: kernel, Rootfs: rootfs, Arch: "mips"}, `"mips"`},
		{"missing loader", Options{Kernel: kernel, Rootfs: rootfs, EFILoader: filepath.Join(dir, "sd-boot.efi")}, "sd-boot.efi"},
	} {
		tc.o.Epoch = imagetest.Epoch
		out := filepath.Join(dir, "out.iso")
		err := Build(context.Background(), out, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %s", tc.name, err, tc.want)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*out.iso*")); len(left) > 0 {
			t.Errorf("%s: output or temporary left: %v", tc.name, left)
		}
	}
}

// TestBoot boots the ISO with a busybox initramfs under OVMF (as a CD) and
// under SeaBIOS, and waits for the init's marker.
func TestBoot(t *testing.T) {
	needTools(t, true)
	kernel := boottest.Kernel(t)
	boottest.QEMU(t)
	out := filepath.Join(t.TempDir(), "boot.iso")
	start := time.Now()
	if err := Build(context.Background(), out, Options{
		Kernel: kernel, Rootfs: boottest.Rootfs(t, "", nil), Cmdline: boottest.Cmdline, Epoch: imagetest.Epoch,
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("ISO built in %v", time.Since(start).Round(time.Millisecond))
	t.Run("uefi", func(t *testing.T) {
		boottest.NeedOVMF(t)
		r := boottest.Boot(t, 120*time.Second, "-bios", boottest.OVMF, "-cdrom", out)
		boottest.Log(t, "ISO UEFI", out, r)
	})
	t.Run("bios", func(t *testing.T) {
		r := boottest.Boot(t, 120*time.Second, "-cdrom", out)
		boottest.Log(t, "ISO BIOS", out, r)
	})
}
