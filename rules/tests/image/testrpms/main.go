// Command testrpms writes the RPMs of a tiny bootable system, so that the
// image rules are tested end to end before the distribution's own packages
// build: a file system skeleton, a static busybox (copied from the build
// machine), and an init that prints a marker on the console and powers off.
//
//	testrpms --busybox /usr/bin/busybox --arch x86_64 --out DIR
//
// The RPMs are made with rpmpack (via rpmfiletest): the same inputs give the
// same bytes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

// Marker is the line the init prints once the system is up.
const Marker = "KEEL-BOOT-OK"

// initScript mounts what a shell needs, takes the console (an initramfs has
// no /dev/console before devtmpfs is mounted), prints the marker with the
// host name and the guest uptime, and powers off.
const initScript = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox mount -t sysfs sysfs /sys
read up idle </proc/uptime
echo "` + Marker + ` host=$(/bin/busybox cat /etc/hostname) uptime=$up"
/bin/busybox poweroff -f
`

// mtime is the modification time of every packaged file.
const mtime = 1700000000

func specs(busybox []byte, arch string) []rpmfiletest.Spec {
	dir := func(p string) rpmfiletest.File { return rpmfiletest.File{Path: p, Dir: true, MTime: mtime} }
	return []rpmfiletest.Spec{
		{
			Name: "keeltest-filesystem", Version: "1.0", Release: "1", Arch: "noarch",
			Summary: "Test file system skeleton",
			Files: []rpmfiletest.File{
				dir("/bin"), dir("/dev"), dir("/etc"), dir("/proc"), dir("/root"), dir("/sbin"),
				dir("/sys"), dir("/tmp"), dir("/usr"), dir("/usr/bin"),
				{Path: "/etc/passwd", Body: "root:x:0:0:root:/root:/bin/sh\n", MTime: mtime},
				{Path: "/etc/group", Body: "root:x:0:\n", MTime: mtime},
				{Path: "/etc/os-release", Body: "NAME=\"Keel test\"\nID=keeltest\n", MTime: mtime},
			},
		},
		{
			Name: "keeltest-busybox", Version: "1.0", Release: "1", Arch: arch,
			Summary:  "Static busybox of the build machine",
			Requires: []string{"keeltest-filesystem"},
			Provides: []string{"/bin/sh"},
			Files: []rpmfiletest.File{
				{Path: "/bin/busybox", Body: string(busybox), Mode: 0o755, MTime: mtime},
				{Path: "/bin/sh", Link: "busybox", MTime: mtime},
				{Path: "/bin/cat", Link: "busybox", MTime: mtime},
				{Path: "/bin/echo", Link: "busybox", MTime: mtime},
			},
		},
		{
			Name: "keeltest-init", Version: "1.0", Release: "1", Arch: "noarch",
			Summary:  "Init that prints " + Marker + " and powers off",
			Requires: []string{"keeltest-busybox"},
			Files: []rpmfiletest.File{
				{Path: "/init", Body: initScript, Mode: 0o755, MTime: mtime},
				{Path: "/sbin/init", Body: initScript, Mode: 0o755, MTime: mtime},
			},
		},
	}
}

func main() {
	busybox := flag.String("busybox", "/usr/bin/busybox", "static busybox binary to package")
	arch := flag.String("arch", "x86_64", "rpm architecture of the busybox package")
	out := flag.String("out", "", "folder to write the RPMs to")
	flag.Parse()
	if err := run(*busybox, *arch, *out); err != nil {
		fmt.Fprintln(os.Stderr, "testrpms:", err)
		os.Exit(1)
	}
}

func run(busybox, arch, out string) error {
	if out == "" {
		return fmt.Errorf("--out is required")
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("reading busybox (Debian package busybox-static): %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", out, err)
	}
	for _, s := range specs(bb, arch) {
		b, err := s.Bytes()
		if err != nil {
			return fmt.Errorf("building %s: %w", s.FileName(), err)
		}
		if err := os.WriteFile(filepath.Join(out, s.FileName()), b, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", s.FileName(), err)
		}
	}
	return nil
}
