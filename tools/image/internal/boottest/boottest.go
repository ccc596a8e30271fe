// Package boottest boots images in QEMU (TCG) for tests and waits for a
// marker line on the serial console. Boots are bounded by a deadline, never
// reboot, and the QEMU process is always killed before returning.
//
// Tests need a kernel: KEEL_TEST_KERNEL names a bzImage (for example
// Debian's vmlinuz-6.1.0-*-amd64, extracted once into a cache folder); the
// busybox binary comes from KEEL_TEST_BUSYBOX or /bin/busybox
// (busybox-static). Tests skip when any of these or QEMU/OVMF are missing.
package boottest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

// Marker is the line the test init prints when it has started.
const Marker = "KEEL-BOOT-OK"

// OVMF is Debian's combined OVMF firmware image.
const OVMF = "/usr/share/ovmf/OVMF.fd"

// Cmdline is the kernel command line of boot tests. no_timer_check stops
// a loaded TCG host from failing the kernel's IO-APIC timer check.
const Cmdline = "console=ttyS0 quiet panic=-1 no_timer_check"

// Kernel returns the test kernel or skips the test.
func Kernel(t testing.TB) string {
	t.Helper()
	k := os.Getenv("KEEL_TEST_KERNEL")
	if k == "" {
		t.Skip("KEEL_TEST_KERNEL not set: boot tests need a bzImage (e.g. Debian's linux-image-6.1 vmlinuz)")
	}
	if _, err := os.Stat(k); err != nil {
		t.Skipf("KEEL_TEST_KERNEL: %v", err)
	}
	return k
}

// Busybox returns a static busybox binary or skips the test.
func Busybox(t testing.TB) string {
	t.Helper()
	b := os.Getenv("KEEL_TEST_BUSYBOX")
	if b == "" {
		b = "/bin/busybox"
	}
	f, err := elf.Open(b)
	if err != nil {
		t.Skipf("no busybox (install busybox-static or set KEEL_TEST_BUSYBOX): %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Skipf("%s is dynamically linked: install busybox-static", b)
		}
	}
	return b
}

// QEMU returns the path of qemu-system-x86_64 or skips the test.
func QEMU(t testing.TB) string {
	t.Helper()
	q, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not found (Debian package qemu-system-x86)")
	}
	return q
}

// NeedOVMF skips the test when OVMF is not installed.
func NeedOVMF(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(OVMF); err != nil {
		t.Skipf("OVMF not found (Debian package ovmf): %v", err)
	}
}

// InitScript is an init that reports the guest uptime with the marker
// and powers the machine off. extra runs before the marker.
func InitScript(extra string) string {
	return "#!/bin/busybox sh\n" +
		"/bin/busybox mount -t proc proc /proc\n" +
		extra +
		"read up idle < /proc/uptime\n" +
		"echo \"" + Marker + " uptime=$up\"\n" +
		"/bin/busybox poweroff -f\n"
}

// Rootfs writes a busybox rootfs tar whose /init is InitScript(extra) and
// returns its path. files maps extra paths in the rootfs to host files.
func Rootfs(t testing.TB, extra string, files map[string]string) string {
	t.Helper()
	return BusyboxTar(t, map[string]string{"init": InitScript(extra)}, files)
}

// BusyboxTar writes a tar with busybox, the folders an init needs, the
// given scripts (path → text, mode 0755) and host files (path → host path).
func BusyboxTar(t testing.TB, scripts, files map[string]string) string {
	t.Helper()
	bb, err := os.ReadFile(Busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	entries := []imagetest.Entry{
		{Name: "bin/", Type: tar.TypeDir},
		{Name: "bin/busybox", Mode: 0o755, Data: string(bb)},
		{Name: "dev/", Type: tar.TypeDir},
		{Name: "dev/console", Type: tar.TypeChar, Mode: 0o600, Major: 5, Minor: 1},
		{Name: "proc/", Type: tar.TypeDir},
		{Name: "sys/", Type: tar.TypeDir},
		{Name: "mnt/", Type: tar.TypeDir},
	}
	for _, name := range sortedKeys(scripts) {
		entries = append(entries, imagetest.Entry{Name: name, Mode: 0o755, Data: scripts[name]})
	}
	for _, name := range sortedKeys(files) {
		data, err := os.ReadFile(files[name])
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, imagetest.Entry{Name: name, Mode: 0o644, Data: string(data)})
	}
	return imagetest.WriteTar(t, entries)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rootModules are the modules, in load order, that Debian's kernel needs
// to mount an ext4 root on a virtio disk.
var rootModules = []string{
	"kernel/lib/crc16.ko", "kernel/fs/mbcache.ko", "kernel/fs/jbd2/jbd2.ko",
	"kernel/crypto/crc32c_generic.ko", "kernel/fs/ext4/ext4.ko",
	"kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko",
	"kernel/drivers/virtio/virtio_pci_legacy_dev.ko", "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
	"kernel/drivers/virtio/virtio_pci.ko", "kernel/drivers/block/virtio_blk.ko",
}

// RootMarker is printed by the init of the disk's root filesystem.
const RootMarker = "KEEL-ROOT-OK"

// SwitchRootInitrd returns an initramfs tar whose /init loads the modules
// for an ext4 root on virtio from KEEL_TEST_MODULES (a lib/modules/VERSION
// folder of the test kernel), mounts /dev/vda2 and switches to it. Without
// KEEL_TEST_MODULES it returns "" and the caller boots to the initramfs only.
func SwitchRootInitrd(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KEEL_TEST_MODULES")
	if dir == "" {
		return ""
	}
	files := map[string]string{}
	script := "#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\n/bin/busybox mount -t devtmpfs dev /dev\n"
	for _, m := range rootModules {
		files["lib/"+filepath.Base(m)] = filepath.Join(dir, m)
		script += "/bin/busybox insmod /lib/" + filepath.Base(m) + "\n"
	}
	script += "i=0\nwhile [ ! -b /dev/vda2 ] && [ $i -lt 200 ]; do /bin/busybox sleep 0.05; i=$((i+1)); done\n" +
		"/bin/busybox mount -t ext4 -o ro /dev/vda2 /mnt || echo KEEL-ROOT-MOUNT-FAILED\n" +
		"exec /bin/busybox switch_root /mnt /sbin/init\n"
	return BusyboxTar(t, map[string]string{"init": script}, files)
}

// DiskRootfs is the root filesystem of disk boot tests: its /sbin/init
// prints RootMarker, then the marker.
func DiskRootfs(t testing.TB) string {
	t.Helper()
	return BusyboxTar(t, map[string]string{"sbin/init": InitScript("echo " + RootMarker + "\n")}, nil)
}

// Result is what a boot produced.
type Result struct {
	Wall   time.Duration // from QEMU start to the marker line
	Uptime string        // guest uptime printed with the marker
	Lines  []string      // serial console output up to the marker
}

// Boot runs qemu-system-x86_64 with args (firmware, drives) plus fixed
// headless options, and returns once Marker appears on the serial console.
// It fails the test if the marker does not appear within limit.
func Boot(t testing.TB, limit time.Duration, args ...string) Result {
	t.Helper()
	q := QEMU(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	full := append([]string{"-m", "512", "-smp", "1", "-display", "none", "-monitor", "none",
		"-serial", "stdio", "-no-reboot", "-nodefaults"}, args...)
	cmd := exec.CommandContext(ctx, q, full...)
	cmd.Stdin = nil
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var res Result
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		res.Lines = append(res.Lines, line)
		if i := strings.Index(line, Marker); i >= 0 {
			res.Wall = time.Since(start)
			res.Uptime = strings.TrimPrefix(strings.TrimSpace(line[i+len(Marker):]), "uptime=")
			return res
		}
	}
	tail := res.Lines
	if len(tail) > 30 {
		tail = tail[len(tail)-30:]
	}
	t.Fatalf("no %s within %v (ctx: %v)\nqemu %s\nstderr: %s\nserial tail:\n%s",
		Marker, limit, ctx.Err(), strings.Join(full, " "), stderr.String(), strings.Join(tail, "\n"))
	return res
}

// Log reports a boot's timing in the test log in one greppable line.
func Log(t testing.TB, what, image string, r Result) {
	t.Helper()
	size := "?"
	if fi, err := os.Stat(image); err == nil {
		size = fmt.Sprintf("%.1f MiB", float64(fi.Size())/(1<<20))
	}
	t.Logf("boot %s: marker after %.1f s wall, guest uptime %s s, image %s (%s)",
		what, r.Wall.Seconds(), r.Uptime, filepath.Base(image), size)
}
