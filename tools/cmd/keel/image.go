package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/image/disk"
	"github.com/keel-build/keel/tools/image/iso"
	"github.com/keel-build/keel/tools/image/kernel"
	"github.com/keel-build/keel/tools/image/oci"
)

// runImage turns a rootfs tar into images:
//
//	keel image oci --layer ROOTFS.tar --arch amd64|arm64 [--entrypoint ARG]... [--cmd ARG]...
//	    [--env K=V]... [--workdir DIR] [--user U] [--label K=V]... [--created EPOCH]
//	    [--tag REPO:TAG] [--out-layout DIR] [--out-tarball FILE.tar]
//	keel image oci-index --image LAYOUT_DIR... [--tag NAME] --out-layout DIR
//	keel image iso (--kernel VMLINUZ | --kernel-from-rootfs GLOB)
//	    (--initrd FILE | --rootfs ROOTFS.tar) [--cmdline ...]
//	    [--arch A] [--volume-id ID] [--efi-loader F] [--no-bios]
//	    [--isolinux F] [--isohybrid-mbr F] [--ldlinux F] [--epoch N] --out FILE.iso
//	keel image disk --rootfs ROOTFS.tar (--kernel VMLINUZ | --kernel-from-rootfs GLOB)
//	    [--initrd FILE] [--cmdline ...]
//	    [--arch A] [--esp-size 64M] [--root-size 2G] [--efi-loader F] [--epoch N]
//	    [--out-raw F] [--out-vhd F] [--out-vhdx F] [--out-qcow2 F]
func runImage(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("missing sub-verb: oci, oci-index, iso or disk")
	}
	args0, rest := args[0], args[1:]
	rest, err := expandParamFiles(rest)
	if err != nil {
		return err
	}
	switch args0 {
	case "oci":
		return runImageOCI(rest, stdout, stderr)
	case "oci-index":
		return runImageOCIIndex(rest, stdout, stderr)
	case "iso":
		return runImageISO(rest, stdout, stderr)
	case "disk":
		return runImageDisk(rest, stdout, stderr)
	}
	return fmt.Errorf("unknown sub-verb %q: want oci, oci-index, iso or disk", args0)
}

// epochFlag reads a Unix time flag that defaults to $SOURCE_DATE_EPOCH, or 0.
func epochFlag(fs *flag.FlagSet, name string) func() (time.Time, error) {
	v := fs.String(name, "", "Unix time of every date in the output; default $SOURCE_DATE_EPOCH or 0")
	return func() (time.Time, error) {
		s := *v
		what := "--" + name
		if s == "" {
			s, what = os.Getenv("SOURCE_DATE_EPOCH"), "SOURCE_DATE_EPOCH"
		}
		if s == "" {
			return time.Unix(0, 0).UTC(), nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("parsing %s %q: want seconds since 1970", what, s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
}

// kernelFromRootfs resolves --kernel-from-rootfs: it extracts the kernel
// matching pattern from the rootfs tar into a temporary folder, and returns
// its path and the folder's cleanup.
func kernelFromRootfs(kernelPath *string, pattern, rootfs string) (func(), error) {
	none := func() {}
	if pattern == "" {
		return none, nil
	}
	if *kernelPath != "" {
		return none, fmt.Errorf("give either --kernel or --kernel-from-rootfs, not both")
	}
	if rootfs == "" {
		return none, fmt.Errorf("--kernel-from-rootfs needs --rootfs")
	}
	dir, err := os.MkdirTemp("", "keel-kernel-")
	if err != nil {
		return none, fmt.Errorf("creating kernel folder: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	*kernelPath = dir + "/vmlinuz"
	if _, err := kernel.Extract(rootfs, pattern, *kernelPath); err != nil {
		cleanup()
		return none, err
	}
	return cleanup, nil
}

func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

func runImageOCI(args []string, stdout, stderr io.Writer) error {
	var o oci.Options
	var entrypoint, cmd, env, labels listFlag
	fs := flag.NewFlagSet("image oci", flag.ContinueOnError)
	fs.SetOutput(stderr)
	layer := fs.String("layer", "", "uncompressed rootfs tar: the image's only layer")
	fs.StringVar(&o.Arch, "arch", "amd64", "architecture: amd64 or arm64")
	fs.Var(&entrypoint, "entrypoint", "entrypoint argument (repeatable, in order)")
	fs.Var(&cmd, "cmd", "cmd argument (repeatable, in order)")
	fs.Var(&env, "env", "environment KEY=VALUE (repeatable)")
	fs.StringVar(&o.WorkingDir, "workdir", "", "working directory")
	fs.StringVar(&o.User, "user", "", "user to run as")
	fs.Var(&labels, "label", "label KEY=VALUE (repeatable)")
	fs.IntVar(&o.Level, "level", oci.DefaultLevel, "gzip level of the layer, 1..9")
	fs.BoolVar(&o.Serial, "serial-gzip", false, "compress on one core with compress/gzip (different digest)")
	created := epochFlag(fs, "created")
	tag := fs.String("tag", "", "image name repo:tag (ref name in the layout; required with --out-tarball)")
	outLayout := fs.String("out-layout", "", "OCI layout folder to write")
	outTarball := fs.String("out-tarball", "", "docker-loadable tarball to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *outLayout == "" && *outTarball == "" {
		return fmt.Errorf("no output: give --out-layout and/or --out-tarball")
	}
	if *outTarball != "" && *tag == "" {
		return fmt.Errorf("--out-tarball needs --tag repo:tag")
	}
	var err error
	if o.Created, err = created(); err != nil {
		return err
	}
	o.Entrypoint, o.Cmd, o.Env = entrypoint, cmd, env
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return fmt.Errorf("label %q is not KEY=VALUE", l)
		}
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels[k] = v
	}
	img, err := oci.Build(*layer, o)
	if err != nil {
		return err
	}
	defer img.Close()
	if *outLayout != "" {
		if err := oci.WriteLayout(*outLayout, img, *tag); err != nil {
			return err
		}
	}
	if *outTarball != "" {
		if err := oci.WriteTarball(*outTarball, img, *tag); err != nil {
			return err
		}
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("computing manifest digest: %w", err)
	}
	fmt.Fprintf(stdout, "image %s\n", d)
	return nil
}

func runImageOCIIndex(args []string, stdout, stderr io.Writer) error {
	var images listFlag
	fs := flag.NewFlagSet("image oci-index", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&images, "image", "OCI layout folder holding one image (repeatable; platform from its config)")
	tag := fs.String("tag", "", "ref name of the index in the layout")
	out := fs.String("out-layout", "", "OCI layout folder to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("no output: give --out-layout")
	}
	idx, err := oci.Index(images)
	if err != nil {
		return err
	}
	if err := oci.WriteIndexLayout(*out, idx, *tag); err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return fmt.Errorf("computing index digest: %w", err)
	}
	fmt.Fprintf(stdout, "index %s\n", d)
	return nil
}

func runImageISO(args []string, stdout, stderr io.Writer) error {
	var o iso.Options
	fs := flag.NewFlagSet("image iso", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Kernel, "kernel", "", "kernel image with an EFI stub")
	kernelGlob := fs.String("kernel-from-rootfs", "", "take the kernel from the rootfs tar: the one file matching this pattern, e.g. 'boot/vmlinuz-*'")
	fs.StringVar(&o.Initrd, "initrd", "", "initramfs (or give --rootfs)")
	fs.StringVar(&o.Rootfs, "rootfs", "", "rootfs tar to boot as the initramfs")
	fs.StringVar(&o.Cmdline, "cmdline", "", "kernel command line")
	fs.StringVar(&o.Arch, "arch", "amd64", "architecture: amd64 or arm64 (UEFI only)")
	fs.StringVar(&o.VolumeID, "volume-id", "", "ISO volume label (default KEEL)")
	fs.StringVar(&o.EFILoader, "efi-loader", "", "systemd-boot EFI binary (default Debian's systemd-boot-efi path)")
	fs.BoolVar(&o.NoBIOS, "no-bios", false, "leave out isolinux BIOS boot")
	fs.StringVar(&o.Isolinux, "isolinux", "", "isolinux.bin (default Debian's isolinux path)")
	fs.StringVar(&o.Isohybrid, "isohybrid-mbr", "", "isohdpfx.bin, the hybrid MBR (default Debian's isolinux path)")
	fs.StringVar(&o.Ldlinux, "ldlinux", "", "ldlinux.c32 (default Debian's syslinux-common path)")
	epoch := epochFlag(fs, "epoch")
	out := fs.String("out", "", "ISO file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("no output: give --out")
	}
	var err error
	if o.Epoch, err = epoch(); err != nil {
		return err
	}
	cleanup, err := kernelFromRootfs(&o.Kernel, *kernelGlob, o.Rootfs)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := iso.Build(context.Background(), *out, o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}

func runImageDisk(args []string, stdout, stderr io.Writer) error {
	var o disk.Options
	var out disk.Outputs
	fs := flag.NewFlagSet("image disk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Rootfs, "rootfs", "", "rootfs tar: the ext4 root partition")
	fs.StringVar(&o.Kernel, "kernel", "", "kernel image with an EFI stub")
	kernelGlob := fs.String("kernel-from-rootfs", "", "take the kernel from the rootfs tar: the one file matching this pattern, e.g. 'boot/vmlinuz-*'")
	fs.StringVar(&o.Initrd, "initrd", "", "initramfs that mounts the root partition (none: the kernel mounts it)")
	fs.StringVar(&o.Cmdline, "cmdline", "", "kernel command line (root=PARTUUID=... is added unless present)")
	fs.StringVar(&o.Arch, "arch", "amd64", "architecture: amd64 or arm64")
	espSize := fs.String("esp-size", "0", "ESP size, e.g. 128M (0: fit the files, at least 64M)")
	rootSize := fs.String("root-size", "0", "root partition size, e.g. 2G (0: fit the rootfs)")
	fs.StringVar(&o.EFILoader, "efi-loader", "", "systemd-boot EFI binary (default Debian's systemd-boot-efi path)")
	epoch := epochFlag(fs, "epoch")
	fs.StringVar(&out.Raw, "out-raw", "", "raw disk image to write")
	fs.StringVar(&out.VHD, "out-vhd", "", "fixed VHD to write")
	fs.StringVar(&out.VHDX, "out-vhdx", "", "dynamic VHDX to write")
	fs.StringVar(&out.QCOW2, "out-qcow2", "", "qcow2 to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var err error
	if o.ESPSize, err = disk.ParseSize(*espSize); err != nil {
		return fmt.Errorf("--esp-size: %w", err)
	}
	if o.RootSize, err = disk.ParseSize(*rootSize); err != nil {
		return fmt.Errorf("--root-size: %w", err)
	}
	if o.Epoch, err = epoch(); err != nil {
		return err
	}
	cleanup, err := kernelFromRootfs(&o.Kernel, *kernelGlob, o.Rootfs)
	if err != nil {
		return err
	}
	defer cleanup()
	l, err := disk.Build(context.Background(), o, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "disk %d bytes: ESP %d bytes, root %d bytes (PARTUUID %s, ext4 UUID %s)\n",
		l.Size, l.ESPSize, l.RootSize, l.RootGUID, l.RootFSUUID)
	return nil
}
