// Package disk builds a bootable GPT disk image from a rootfs tar, a kernel
// and an initrd, and writes it as raw, fixed VHD, dynamic VHDX and qcow2.
//
// The disk has two partitions: an EFI system partition (FAT32, systemd-boot
// with one loader entry, the kernel and the initrd; see internal/efiboot)
// and an ext4 root filesystem made from the tar (see internal/ext4). Every
// identifier on the disk (GPT disk and partition GUIDs, filesystem UUID and
// serial, VHD/VHDX identifiers) is derived from a hash of the inputs, so a
// rebuild of the same inputs gives the same bytes in every format. The
// partition table is written by sfdisk; VHD and VHDX are written in Go;
// qcow2 by qemu-img, whose qcow2 output is reproducible.
package disk

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/image/internal/atomicfile"
	"github.com/keel-build/keel/tools/image/internal/detuuid"
	"github.com/keel-build/keel/tools/image/internal/efiboot"
	"github.com/keel-build/keel/tools/image/internal/ext4"
	"github.com/keel-build/keel/tools/image/internal/hostcmd"
	"github.com/keel-build/keel/tools/image/internal/sparse"
	"github.com/keel-build/keel/tools/image/internal/vhd"
	"github.com/keel-build/keel/tools/image/internal/vhdx"
)

const mib = 1 << 20

// GPT partition type GUIDs (UEFI spec; Discoverable Partitions Specification).
const (
	typeESP        = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	typeRootAMD64  = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
	typeRootARM64  = "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"
	firstPartition = 1 * mib
)

// Options describe one disk.
type Options struct {
	Rootfs string // rootfs tar: the ext4 root partition
	Kernel string // kernel with an EFI stub
	// Initrd is an initramfs that mounts the root partition; empty for a
	// kernel with the disk and ext4 drivers built in.
	Initrd  string
	Cmdline string // kernel command line; root=PARTUUID=... is added unless it has root=
	Arch    string // amd64 (default) or arm64
	// ESPSize and RootSize are partition sizes in bytes (multiples of
	// 1 MiB); zero sizes them to fit their contents.
	ESPSize, RootSize int64
	Epoch             time.Time // SOURCE_DATE_EPOCH
	// EFILoader is systemd-boot's EFI binary; default Debian's path.
	EFILoader string
}

// Outputs name the files to write; empty names are skipped, at least one
// must be set.
type Outputs struct {
	Raw, VHD, VHDX, QCOW2 string
}

// Layout reports what Build wrote.
type Layout struct {
	Size              int64  // disk size in bytes
	DiskGUID          string // GPT label id
	ESPGUID           string // ESP partition GUID
	RootGUID          string // root partition GUID (root=PARTUUID=)
	RootFSUUID        string // ext4 filesystem UUID
	ESPSize, RootSize int64
	Cmdline           string // the command line in the loader entry
}

// Build writes the requested formats of the disk.
func Build(ctx context.Context, o Options, out Outputs) (*Layout, error) {
	if err := o.check(out); err != nil {
		return nil, err
	}
	seed, err := o.seed()
	if err != nil {
		return nil, err
	}
	l := &Layout{
		DiskGUID:   detuuid.New(seed, "gpt-disk").String(),
		ESPGUID:    detuuid.New(seed, "gpt-esp").String(),
		RootGUID:   detuuid.New(seed, "gpt-root").String(),
		RootFSUUID: detuuid.New(seed, "ext4").String(),
		Cmdline:    o.Cmdline,
	}
	if !hasRoot(o.Cmdline) {
		l.Cmdline = strings.TrimSpace("root=PARTUUID=" + l.RootGUID + " " + o.Cmdline)
	}

	work, err := os.MkdirTemp(workParent(out), ".keel-disk-")
	if err != nil {
		return nil, fmt.Errorf("creating work folder: %w", err)
	}
	defer os.RemoveAll(work)

	rootImg := filepath.Join(work, "root.ext4")
	if l.RootSize, err = ext4.Build(ctx, rootImg, o.Rootfs, ext4.Config{
		UUID: l.RootFSUUID, Label: "root", Epoch: o.Epoch, Size: o.RootSize,
	}); err != nil {
		return nil, fmt.Errorf("making root filesystem from %s: %w", o.Rootfs, err)
	}
	espImg := filepath.Join(work, "esp.fat")
	serial := detuuid.New(seed, "fat-serial")
	if err := efiboot.Build(ctx, espImg, efiboot.Config{
		Loader: o.EFILoader, Arch: o.Arch, Kernel: o.Kernel, Initrd: o.Initrd, Cmdline: l.Cmdline,
		Epoch: o.Epoch, Serial: uint32(serial[0])<<24 | uint32(serial[1])<<16 | uint32(serial[2])<<8 | uint32(serial[3]),
		Label: "ESP", Size: o.ESPSize, FAT32: true,
	}); err != nil {
		return nil, fmt.Errorf("making EFI system partition: %w", err)
	}
	fi, err := os.Stat(espImg)
	if err != nil {
		return nil, fmt.Errorf("reading ESP size: %w", err)
	}
	l.ESPSize = fi.Size()
	// One spare MiB at the end holds the backup GPT.
	l.Size = firstPartition + l.ESPSize + l.RootSize + mib

	raw := filepath.Join(work, "disk.raw")
	if err := o.writeRaw(ctx, raw, espImg, rootImg, l); err != nil {
		return nil, err
	}
	os.Remove(espImg)
	os.Remove(rootImg)

	if out.VHD != "" {
		if err := vhd.WriteFile(out.VHD, raw, detuuid.New(seed, "vhd"), o.Epoch); err != nil {
			return nil, fmt.Errorf("writing VHD: %w", err)
		}
	}
	if out.VHDX != "" {
		ids := vhdx.IDs{
			FileWrite:   detuuid.New(seed, "vhdx-file-write").MixedEndian(),
			DataWrite:   detuuid.New(seed, "vhdx-data-write").MixedEndian(),
			VirtualDisk: detuuid.New(seed, "vhdx-disk").MixedEndian(),
		}
		if err := vhdx.WriteFile(out.VHDX, raw, ids); err != nil {
			return nil, fmt.Errorf("writing VHDX: %w", err)
		}
	}
	if out.QCOW2 != "" {
		if err := writeQCOW2(ctx, out.QCOW2, raw); err != nil {
			return nil, err
		}
	}
	if out.Raw != "" {
		if err := os.Chmod(raw, 0o644); err != nil {
			return nil, fmt.Errorf("setting mode of %s: %w", raw, err)
		}
		if err := atomicfile.Rename(raw, out.Raw); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func hasRoot(cmdline string) bool {
	for _, f := range strings.Fields(cmdline) {
		if strings.HasPrefix(f, "root=") {
			return true
		}
	}
	return false
}

// workParent puts the work folder next to an output, so that the raw disk
// is renamed into place rather than copied, and large temporaries do not
// land on a small /tmp.
func workParent(out Outputs) string {
	for _, p := range []string{out.Raw, out.VHD, out.VHDX, out.QCOW2} {
		if p != "" {
			return filepath.Dir(p)
		}
	}
	return ""
}

func (o *Options) check(out Outputs) error {
	if out == (Outputs{}) {
		return fmt.Errorf("no output given (raw, vhd, vhdx or qcow2)")
	}
	if o.Arch == "" {
		o.Arch = "amd64"
	}
	if o.Arch != "amd64" && o.Arch != "arm64" {
		return fmt.Errorf("unsupported architecture %q (want amd64 or arm64)", o.Arch)
	}
	if o.EFILoader == "" {
		o.EFILoader = efiboot.DefaultLoaderFor(o.Arch)
	}
	if o.Epoch.IsZero() {
		return fmt.Errorf("no epoch given: set SOURCE_DATE_EPOCH")
	}
	for _, s := range []struct {
		what string
		n    int64
	}{{"ESP size", o.ESPSize}, {"root size", o.RootSize}} {
		if s.n < 0 || s.n%mib != 0 {
			return fmt.Errorf("%s %d is not a multiple of 1 MiB", s.what, s.n)
		}
	}
	if strings.ContainsAny(o.Cmdline, "\n\r") {
		return fmt.Errorf("kernel command line %q has a line break", o.Cmdline)
	}
	for _, f := range [][2]string{{"rootfs", o.Rootfs}, {"kernel", o.Kernel}, {"initrd", o.Initrd}, {"EFI loader", o.EFILoader}} {
		if f[1] == "" && f[0] == "initrd" {
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

// seed hashes every input that shapes the disk.
func (o *Options) seed() ([]byte, error) {
	h := sha256.New()
	for _, p := range []string{o.Rootfs, o.Kernel, o.Initrd, o.EFILoader} {
		if p == "" { // no initrd
			h.Write([]byte{1})
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", p, err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", p, err)
		}
		h.Write([]byte{0})
	}
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%d", o.Cmdline, o.Arch, o.ESPSize, o.RootSize, o.Epoch.Unix())
	return h.Sum(nil), nil
}

// writeRaw writes the partition table with sfdisk, then the two
// filesystems at their offsets.
func (o *Options) writeRaw(ctx context.Context, raw, espImg, rootImg string, l *Layout) error {
	f, err := os.OpenFile(raw, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating raw disk: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(l.Size); err != nil {
		return fmt.Errorf("sizing raw disk: %w", err)
	}
	rootType := typeRootAMD64
	if o.Arch == "arm64" {
		rootType = typeRootARM64
	}
	espStart := int64(firstPartition)
	rootStart := espStart + l.ESPSize
	script := fmt.Sprintf("label: gpt\nlabel-id: %s\nunit: sectors\nfirst-lba: 34\n"+
		"start=%d, size=%d, type=%s, uuid=%s, name=\"ESP\"\n"+
		"start=%d, size=%d, type=%s, uuid=%s, name=\"root\"\n",
		strings.ToUpper(l.DiskGUID),
		espStart/512, l.ESPSize/512, typeESP, strings.ToUpper(l.ESPGUID),
		rootStart/512, l.RootSize/512, rootType, strings.ToUpper(l.RootGUID))
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "sfdisk",
		Args:  []string{"--quiet", "--no-reread", "--no-tell-kernel", "--wipe", "never", "--wipe-partitions", "never", raw},
		Stdin: strings.NewReader(script)}); err != nil {
		return err
	}
	for _, p := range []struct {
		path string
		off  int64
	}{{espImg, espStart}, {rootImg, rootStart}} {
		in, err := os.Open(p.path)
		if err != nil {
			return fmt.Errorf("opening %s: %w", p.path, err)
		}
		_, err = sparse.CopyAt(f, p.off, in)
		in.Close()
		if err != nil {
			return fmt.Errorf("copying %s into the disk: %w", filepath.Base(p.path), err)
		}
	}
	return f.Close()
}

func writeQCOW2(ctx context.Context, out, raw string) error {
	tmp, err := atomicfile.TempPath(out)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "qemu-img", Args: []string{
		"convert", "-q", "-f", "raw", "-O", "qcow2", "-o", "compat=1.1,cluster_size=65536", raw, tmp,
	}}); err != nil {
		return fmt.Errorf("writing qcow2: %w", err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp, err)
	}
	return atomicfile.Rename(tmp, out)
}

// ParseSize reads a size like 512M, 2G or 1048576 (bytes).
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("parsing size %q: want a number of bytes with an optional K, M or G suffix", s)
	}
	return n * mult, nil
}
