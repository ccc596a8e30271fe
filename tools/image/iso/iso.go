// Package iso builds a bootable, reproducible ISO 9660 image from a kernel
// and an initramfs (given, or made from a rootfs tar).
//
// The image is a hybrid: it boots from an optical drive or a USB stick, under
// UEFI through an El Torito EFI image holding systemd-boot (see
// internal/efiboot) and, for amd64, under BIOS through isolinux. xorriso
// writes it with every date fixed to the epoch, which makes it bit-for-bit
// reproducible (grub-mkrescue, by contrast, is not).
package iso

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/image/initramfs"
	"github.com/keel-build/keel/tools/image/internal/atomicfile"
	"github.com/keel-build/keel/tools/image/internal/efiboot"
	"github.com/keel-build/keel/tools/image/internal/hostcmd"
)

// Debian's locations of the BIOS boot files.
const (
	DefaultIsolinux   = "/usr/lib/ISOLINUX/isolinux.bin"
	DefaultIsohybrid  = "/usr/lib/ISOLINUX/isohdpfx.bin"
	DefaultLdlinux    = "/usr/lib/syslinux/modules/bios/ldlinux.c32"
	defaultVolumeID   = "KEEL"
	maxVolumeIDLength = 32
)

// Options describe one ISO.
type Options struct {
	Kernel  string // kernel image with an EFI stub (bzImage)
	Initrd  string // initramfs; or set Rootfs
	Rootfs  string // rootfs tar, turned into the initramfs when Initrd is empty
	Cmdline string // kernel command line
	Arch    string // "amd64" (default) or "arm64"
	// VolumeID is the ISO volume label, at most 32 characters; default KEEL.
	VolumeID string
	Epoch    time.Time // SOURCE_DATE_EPOCH: every date in the image
	// EFILoader is systemd-boot's EFI binary for Arch; default Debian's
	// systemd-boot-efi path.
	EFILoader string
	// NoBIOS leaves out isolinux (always left out for arm64).
	NoBIOS bool
	// Isolinux, Isohybrid and Ldlinux are the BIOS boot files: isolinux.bin,
	// the hybrid MBR isohdpfx.bin and ldlinux.c32 of the same syslinux
	// build; default Debian's install paths.
	Isolinux, Isohybrid, Ldlinux string
}

// Build writes the ISO to out atomically.
func Build(ctx context.Context, out string, o Options) error {
	if err := o.check(); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "keel-iso-")
	if err != nil {
		return fmt.Errorf("creating work folder: %w", err)
	}
	defer os.RemoveAll(work)

	initrd := o.Initrd
	if initrd == "" {
		initrd = filepath.Join(work, "initrd.img")
		if err := initramfs.WriteFile(initrd, o.Rootfs, initramfs.Options{Epoch: o.Epoch}); err != nil {
			return fmt.Errorf("making initramfs from %s: %w", o.Rootfs, err)
		}
	}
	tree := filepath.Join(work, "tree")
	efiImg := filepath.Join(tree, "boot", "efiboot.img")
	if err := os.MkdirAll(filepath.Dir(efiImg), 0o755); err != nil {
		return fmt.Errorf("creating ISO tree: %w", err)
	}
	if err := efiboot.Build(ctx, efiImg, efiboot.Config{
		Loader: o.EFILoader, Arch: o.Arch, Kernel: o.Kernel, Initrd: initrd,
		Cmdline: o.Cmdline, Epoch: o.Epoch, Serial: uint32(o.Epoch.Unix()), Label: "KEEL-EFI",
	}); err != nil {
		return fmt.Errorf("making EFI boot image: %w", err)
	}

	bios := o.bios()
	if bios {
		for _, c := range [][2]string{
			{o.Kernel, "boot/vmlinuz"},
			{initrd, "boot/initrd.img"},
			{o.Isolinux, "isolinux/isolinux.bin"},
			{o.Ldlinux, "isolinux/ldlinux.c32"},
		} {
			if err := copyFile(c[0], filepath.Join(tree, c[1])); err != nil {
				return err
			}
		}
		cfg := fmt.Sprintf("default keel\nprompt 0\ntimeout 0\nlabel keel\n  kernel /boot/vmlinuz\n  append initrd=/boot/initrd.img %s\n", o.Cmdline)
		if err := os.WriteFile(filepath.Join(tree, "isolinux", "isolinux.cfg"), []byte(cfg), 0o644); err != nil {
			return fmt.Errorf("writing isolinux.cfg: %w", err)
		}
	}
	if err := stampTree(tree, o.Epoch); err != nil {
		return err
	}

	tmp, err := atomicfile.TempPath(out)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	args := []string{"-report_about", "SORRY", "-as", "mkisofs",
		"-o", tmp, "-V", o.volumeID(), "-iso-level", "3", "-r", "-J", "-joliet-long",
		"--modification-date=" + o.Epoch.UTC().Format("2006010215040500"),
	}
	if bios {
		args = append(args,
			"-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
			"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
			"-isohybrid-mbr", o.Isohybrid,
			"-eltorito-alt-boot", "-e", "boot/efiboot.img", "-no-emul-boot", "-isohybrid-gpt-basdat")
	} else {
		args = append(args, "-c", "boot/boot.cat", "-e", "boot/efiboot.img", "-no-emul-boot")
	}
	args = append(args, tree)
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "xorriso", Args: args, Epoch: o.Epoch}); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp, err)
	}
	return atomicfile.Rename(tmp, out)
}

func (o *Options) bios() bool { return !o.NoBIOS && (o.Arch == "" || o.Arch == "amd64") }

func (o *Options) volumeID() string {
	if o.VolumeID == "" {
		return defaultVolumeID
	}
	return o.VolumeID
}

// check fills defaults and validates every input up front, so that errors
// name the option at fault.
func (o *Options) check() error {
	if o.EFILoader == "" {
		o.EFILoader = efiboot.DefaultLoaderFor(o.Arch)
	}
	if o.Isolinux == "" {
		o.Isolinux = DefaultIsolinux
	}
	if o.Isohybrid == "" {
		o.Isohybrid = DefaultIsohybrid
	}
	if o.Ldlinux == "" {
		o.Ldlinux = DefaultLdlinux
	}
	if o.Epoch.IsZero() {
		return fmt.Errorf("no epoch given: set SOURCE_DATE_EPOCH")
	}
	if len(o.volumeID()) > maxVolumeIDLength {
		return fmt.Errorf("volume ID %q is longer than %d characters", o.VolumeID, maxVolumeIDLength)
	}
	if (o.Initrd == "") == (o.Rootfs == "") {
		return fmt.Errorf("give exactly one of initrd and rootfs")
	}
	if strings.ContainsAny(o.Cmdline, "\n\r") {
		return fmt.Errorf("kernel command line %q has a line break", o.Cmdline)
	}
	files := [][2]string{{"kernel", o.Kernel}, {"initrd", o.Initrd}, {"rootfs", o.Rootfs}, {"EFI loader", o.EFILoader}}
	if o.bios() {
		files = append(files, [][2]string{{"isolinux", o.Isolinux}, {"isohybrid MBR", o.Isohybrid}, {"ldlinux", o.Ldlinux}}...)
	}
	for _, f := range files {
		if f[1] == "" && (f[0] == "initrd" || f[0] == "rootfs") {
			continue
		}
		if f[1] == "" {
			return fmt.Errorf("no %s given", f[0])
		}
		fi, err := os.Stat(f[1])
		if err != nil {
			return fmt.Errorf("reading %s: %w", f[0], err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("reading %s %s: not a regular file", f[0], f[1])
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating folder for %s: %w", dst, err)
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening %s: %w", src, err)
	}
	defer in.Close()
	outF, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	if _, err := io.Copy(outF, in); err != nil {
		outF.Close()
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return outF.Close()
}

// stampTree gives every staged file and folder the epoch as its times and
// fixed permissions, since xorriso records them.
func stampTree(root string, epoch time.Time) error {
	return filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if fi.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("setting mode of %s: %w", p, err)
		}
		if err := os.Chtimes(p, epoch, epoch); err != nil {
			return fmt.Errorf("setting times of %s: %w", p, err)
		}
		return nil
	})
}
