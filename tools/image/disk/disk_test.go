package disk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/image/initramfs"
	"github.com/keel-build/keel/tools/image/internal/boottest"
	"github.com/keel-build/keel/tools/image/internal/efiboot"
	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

func needTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"mkfs.fat", "mcopy", "mmd", "mkfs.ext4", "debugfs", "e2fsck", "sfdisk", "qemu-img"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian packages dosfstools, mtools, e2fsprogs, fdisk, qemu-utils)", tool)
		}
	}
	if _, err := os.Stat(efiboot.DefaultLoader); err != nil {
		t.Skipf("%v (Debian package systemd-boot-efi)", err)
	}
}

func fakeFile(t testing.TB, name, content string, n int) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, bytes.Repeat([]byte(content), n), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func outputs(dir string) Outputs {
	return Outputs{
		Raw: filepath.Join(dir, "disk.raw"), VHD: filepath.Join(dir, "disk.vhd"),
		VHDX: filepath.Join(dir, "disk.vhdx"), QCOW2: filepath.Join(dir, "disk.qcow2"),
	}
}

func sha(t *testing.T, p string) [32]byte {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

func TestReproducible(t *testing.T) {
	needTools(t)
	o := Options{
		Rootfs:  imagetest.WriteTar(t, imagetest.SmallRootfs()),
		Kernel:  fakeFile(t, "vmlinuz", "kernel", 100000),
		Initrd:  fakeFile(t, "initrd.img", "initrd", 50000),
		Cmdline: "console=ttyS0",
		Epoch:   imagetest.Epoch,
	}
	var sums [2]map[string][32]byte
	var layouts [2]*Layout
	for i := range sums {
		dir := t.TempDir()
		out := outputs(dir)
		start := time.Now()
		l, err := Build(context.Background(), o, out)
		if err != nil {
			t.Fatal(err)
		}
		layouts[i] = l
		sums[i] = map[string][32]byte{}
		for _, p := range []string{out.Raw, out.VHD, out.VHDX, out.QCOW2} {
			s := sha(t, p)
			sums[i][filepath.Ext(p)] = s
			fi, _ := os.Stat(p)
			t.Logf("build %d: %s %d bytes, sha256 %x", i, filepath.Base(p), fi.Size(), s[:8])
		}
		t.Logf("build %d took %v", i, time.Since(start).Round(time.Millisecond))
		if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
			t.Errorf("temporaries left: %v", left)
		}
		if i == 0 {
			checkRaw(t, out.Raw, l)
			checkConversions(t, out)
		}
		time.Sleep(1100 * time.Millisecond)
	}
	for ext, s := range sums[0] {
		if sums[1][ext] != s {
			t.Errorf("%s: two builds differ", ext)
		}
	}
	if *layouts[0] != *layouts[1] {
		t.Errorf("layouts differ: %+v %+v", layouts[0], layouts[1])
	}
}

// checkRaw reads the partition table with sfdisk, the ESP with mtools and
// the root filesystem with debugfs.
func checkRaw(t *testing.T, raw string, l *Layout) {
	t.Helper()
	js, err := exec.Command("sfdisk", "--json", raw).Output()
	if err != nil {
		t.Fatalf("sfdisk --json: %v", err)
	}
	var pt struct {
		PartitionTable struct {
			Label, ID  string
			Partitions []struct {
				Start, Size int64
				Type, UUID  string
			}
		}
	}
	if err := json.Unmarshal(js, &pt); err != nil {
		t.Fatal(err)
	}
	p := pt.PartitionTable
	if p.Label != "gpt" || !strings.EqualFold(p.ID, l.DiskGUID) || len(p.Partitions) != 2 {
		t.Fatalf("partition table %s", js)
	}
	esp, root := p.Partitions[0], p.Partitions[1]
	if !strings.EqualFold(esp.Type, typeESP) || !strings.EqualFold(root.Type, typeRootAMD64) ||
		!strings.EqualFold(root.UUID, l.RootGUID) || esp.Start != 2048 || root.Start*512 != 1<<20+l.ESPSize {
		t.Errorf("partitions %+v", p.Partitions)
	}
	entry, err := exec.Command("mtype", "-i", raw+"@@1M", "::/loader/entries/keel.conf").Output()
	if err != nil {
		t.Fatalf("mtype loader entry: %v", err)
	}
	if want := "options root=PARTUUID=" + l.RootGUID + " console=ttyS0\n"; !strings.Contains(string(entry), want) {
		t.Errorf("loader entry lacks %q:\n%s", want, entry)
	}
	rootDev := raw + "?offset=" + strconv.FormatInt(root.Start*512, 10)
	got, err := exec.Command("debugfs", "-R", "cat /etc/os-release", rootDev).Output()
	if err != nil || string(got) != "NAME=Keel\nID=keel\n" {
		t.Errorf("root /etc/os-release: %q, %v", got, err)
	}
}

// checkConversions reads every format back with qemu-img and compares it
// with the raw disk.
func checkConversions(t *testing.T, out Outputs) {
	t.Helper()
	want := sha(t, out.Raw)
	for _, c := range []struct{ path, format string }{{out.VHD, "vpc"}, {out.VHDX, "vhdx"}, {out.QCOW2, "qcow2"}} {
		if c.format != "vpc" {
			if msg, err := exec.Command("qemu-img", "check", "-f", c.format, c.path).CombinedOutput(); err != nil {
				t.Errorf("qemu-img check %s: %v\n%s", c.path, err, msg)
			}
		}
		back := filepath.Join(t.TempDir(), "back.raw")
		if msg, err := exec.Command("qemu-img", "convert", "-f", c.format, "-O", "raw", c.path, back).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img convert %s: %v\n%s", c.path, err, msg)
		}
		if sha(t, back) != want {
			t.Errorf("%s read back through qemu-img differs from the raw disk", c.format)
		}
	}
}

func TestBadInput(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	rootfs := imagetest.WriteTar(t, imagetest.SmallRootfs())
	kernel := fakeFile(t, "vmlinuz", "k", 10)
	initrd := fakeFile(t, "initrd.img", "i", 10)
	notTar := fakeFile(t, "notes.txt", "not a tar ", 200)
	big := imagetest.WriteTar(t, []imagetest.Entry{{Name: "big", Data: strings.Repeat("x", 3<<20)}})
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"missing kernel", Options{Rootfs: rootfs, Kernel: filepath.Join(dir, "vmlinuz-gone"), Initrd: initrd}, "vmlinuz-gone"},
		{"missing initrd", Options{Rootfs: rootfs, Kernel: kernel, Initrd: filepath.Join(dir, "initrd-gone")}, "initrd-gone"},
		{"rootfs not a tar", Options{Rootfs: notTar, Kernel: kernel, Initrd: initrd}, "notes.txt"},
		{"odd root size", Options{Rootfs: rootfs, Kernel: kernel, Initrd: initrd, RootSize: 1000}, "root size 1000"},
		{"root too small", Options{Rootfs: big, Kernel: kernel, Initrd: initrd, RootSize: 2 << 20}, "mkfs.ext4"},
		{"bad arch", Options{Rootfs: rootfs, Kernel: kernel, Initrd: initrd, Arch: "riscv64"}, `"riscv64"`},
	} {
		tc.o.Epoch = imagetest.Epoch
		out := outputs(dir)
		_, err := Build(context.Background(), tc.o, out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %s", tc.name, err, tc.want)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*disk*")); len(left) > 0 {
			t.Errorf("%s: outputs or temporaries left: %v", tc.name, left)
		}
	}
}

// TestBoot boots the raw disk and the VHD under OVMF: firmware → systemd-boot
// → kernel → initramfs, which (with KEEL_TEST_MODULES) mounts the ext4 root
// partition and switches to it, whose init prints the markers.
func TestBoot(t *testing.T) {
	needTools(t)
	kernel := boottest.Kernel(t)
	boottest.QEMU(t)
	boottest.NeedOVMF(t)
	initrdTar, switchRoot := boottest.SwitchRootInitrd(t), true
	if initrdTar == "" {
		t.Log("KEEL_TEST_MODULES not set: booting to the initramfs only, the ext4 root is not mounted")
		initrdTar, switchRoot = boottest.Rootfs(t, "", nil), false
	}
	initrd := filepath.Join(t.TempDir(), "initrd.img")
	if err := initramfs.WriteFile(initrd, initrdTar, initramfs.Options{Epoch: imagetest.Epoch}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := Outputs{Raw: filepath.Join(dir, "boot.raw"), VHD: filepath.Join(dir, "boot.vhd")}
	start := time.Now()
	if _, err := Build(context.Background(), Options{
		Rootfs: boottest.DiskRootfs(t), Kernel: kernel, Initrd: initrd,
		Cmdline: boottest.Cmdline, Epoch: imagetest.Epoch,
	}, out); err != nil {
		t.Fatal(err)
	}
	t.Logf("disk built in %v", time.Since(start).Round(time.Millisecond))
	for _, c := range []struct{ name, path, format string }{{"raw", out.Raw, "raw"}, {"vhd", out.VHD, "vpc"}} {
		t.Run(c.name, func(t *testing.T) {
			r := boottest.Boot(t, 120*time.Second, "-bios", boottest.OVMF,
				"-drive", "file="+c.path+",format="+c.format+",if=virtio,snapshot=on")
			boottest.Log(t, "disk "+c.name+" UEFI", c.path, r)
			if switchRoot && !slices.Contains(r.Lines, boottest.RootMarker) {
				t.Errorf("no %s: the ext4 root was not reached; serial:\n%s", boottest.RootMarker, strings.Join(r.Lines, "\n"))
			}
		})
	}
}
