// Package efiboot builds the FAT filesystem image a UEFI machine boots from:
// systemd-boot as the removable-media loader (EFI/BOOT/BOOTX64.EFI), a
// loader entry holding the kernel command line, and the kernel and initrd.
//
// systemd-boot is used because a kernel started directly by the firmware as
// BOOTX64.EFI receives no command line and no initrd, while systemd-boot is a
// single prebuilt file (Debian package systemd-boot-efi) that needs no
// configuration step and so adds nothing non-reproducible. The filesystem is
// made with mkfs.fat --invariant and filled with mtools under
// SOURCE_DATE_EPOCH, which gives the same bytes on every run.
package efiboot

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/image/internal/hostcmd"
)

// DefaultLoader is where Debian's systemd-boot-efi installs the x86-64 loader.
const DefaultLoader = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

// DefaultLoaderFor returns Debian's systemd-boot path for arch.
func DefaultLoaderFor(arch string) string {
	if arch == "arm64" {
		return "/usr/lib/systemd/boot/efi/systemd-bootaa64.efi"
	}
	return DefaultLoader
}

// Paths of the kernel and initrd inside the FAT image, as the loader entry
// names them.
const (
	KernelPath = "/keel/vmlinuz"
	InitrdPath = "/keel/initrd.img"
)

// Config describes one boot filesystem.
type Config struct {
	Loader  string    // systemd-boot EFI binary
	Arch    string    // "amd64" or "arm64": picks the removable-media file name
	Kernel  string    // kernel image (bzImage/Image with an EFI stub)
	Initrd  string    // initramfs; empty for a kernel that mounts its root itself
	Cmdline string    // kernel command line
	Title   string    // menu title of the entry
	Epoch   time.Time // timestamps of every file and folder
	Serial  uint32    // FAT volume serial number
	Label   string    // FAT volume label
	// Size is the filesystem size in bytes, a multiple of 1 MiB; zero sizes
	// it to fit the files. FAT32 forces FAT32, otherwise mkfs.fat picks.
	Size  int64
	FAT32 bool
}

// removableName is the file the firmware runs from removable media.
func removableName(arch string) (string, error) {
	switch arch {
	case "", "amd64":
		return "BOOTX64.EFI", nil
	case "arm64":
		return "BOOTAA64.EFI", nil
	}
	return "", fmt.Errorf("unsupported architecture %q (want amd64 or arm64)", arch)
}

// FitSize returns the smallest multiple of 1 MiB that holds files of the
// given sizes with room for FAT tables and folders.
func FitSize(sizes ...int64) int64 {
	var n int64
	for _, s := range sizes {
		n += (s + 4095) &^ 4095
	}
	n += n/32 + 2<<20
	return (n + 1<<20 - 1) &^ (1<<20 - 1)
}

// Build writes the FAT image to out (which must not exist; callers rename it
// into place).
func Build(ctx context.Context, out string, cfg Config) error {
	boot, err := removableName(cfg.Arch)
	if err != nil {
		return err
	}
	var sizes []int64
	for _, in := range []struct{ what, path string }{{"EFI loader", cfg.Loader}, {"kernel", cfg.Kernel}, {"initrd", cfg.Initrd}} {
		if in.path == "" && in.what == "initrd" {
			continue
		}
		fi, err := os.Stat(in.path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", in.what, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("reading %s %s: not a regular file", in.what, in.path)
		}
		sizes = append(sizes, fi.Size())
	}
	if strings.ContainsAny(cfg.Cmdline, "\n\r") {
		return fmt.Errorf("kernel command line %q has a line break", cfg.Cmdline)
	}
	size := cfg.Size
	if size == 0 {
		size = FitSize(sizes...)
		if cfg.FAT32 && size < 64<<20 {
			size = 64 << 20 // FAT32 needs 65525 clusters
		}
	}
	if size%(1<<20) != 0 {
		return fmt.Errorf("EFI filesystem size %d is not a multiple of 1 MiB", size)
	}

	mkfs := []string{"-C", "--invariant", "-i", fmt.Sprintf("%08X", cfg.Serial)}
	if cfg.Label != "" {
		mkfs = append(mkfs, "-n", cfg.Label)
	}
	if cfg.FAT32 {
		mkfs = append(mkfs, "-F", "32")
	}
	mkfs = append(mkfs, out, strconv.FormatInt(size/1024, 10))
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "mkfs.fat", Args: mkfs, Epoch: cfg.Epoch}); err != nil {
		return err
	}

	conf, err := os.MkdirTemp("", "keel-efiboot-")
	if err != nil {
		return fmt.Errorf("creating staging folder: %w", err)
	}
	defer os.RemoveAll(conf)
	title := cfg.Title
	if title == "" {
		title = "Keel"
	}
	loaderConf := "timeout 0\ndefault keel.conf\neditor no\n"
	entry := fmt.Sprintf("title %s\nlinux %s\n", title, KernelPath)
	if cfg.Initrd != "" {
		entry += "initrd " + InitrdPath + "\n"
	}
	entry += "options " + cfg.Cmdline + "\n"
	for name, text := range map[string]string{"loader.conf": loaderConf, "keel.conf": entry} {
		if err := os.WriteFile(conf+"/"+name, []byte(text), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}

	img := []string{"-i", out}
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "mmd", Epoch: cfg.Epoch,
		Args: append(img, "::/EFI", "::/EFI/BOOT", "::/loader", "::/loader/entries", "::/keel")}); err != nil {
		return err
	}
	copies := [][2]string{
		{cfg.Loader, "::/EFI/BOOT/" + boot},
		{conf + "/loader.conf", "::/loader/loader.conf"},
		{conf + "/keel.conf", "::/loader/entries/keel.conf"},
		{cfg.Kernel, "::" + KernelPath},
	}
	if cfg.Initrd != "" {
		copies = append(copies, [2]string{cfg.Initrd, "::" + InitrdPath})
	}
	for _, c := range copies {
		// mcopy without -m stamps files with SOURCE_DATE_EPOCH.
		if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "mcopy", Epoch: cfg.Epoch, Args: append(img, c[0], c[1])}); err != nil {
			return err
		}
	}
	return nil
}
