package vhd

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGeometry checks the CHS algorithm against geometries worked out by
// hand from the VHD specification's appendix: small disks use 17 sectors per
// track, mid-size 31 or 63, big ones 255 with 16 heads, capped at 65535
// cylinders, and cylinders round down (qemu-img rounds them up instead).
func TestGeometry(t *testing.T) {
	for _, tc := range []struct {
		size       int64
		cyl        uint16
		heads, spt uint8
	}{
		{10 << 20, 301, 4, 17},
		{64 << 20, 963, 8, 17},
		{1 << 30, 2080, 16, 63},
		{40 << 30, 20560, 16, 255},
		{3 << 40, 65535, 16, 255},
	} {
		c, h, s := Geometry(tc.size)
		if c != tc.cyl || h != tc.heads || s != tc.spt {
			t.Errorf("Geometry(%d) = %d/%d/%d, want %d/%d/%d", tc.size, c, h, s, tc.cyl, tc.heads, tc.spt)
		}
		if got := int64(c) * int64(h) * int64(s) * 512; got > tc.size {
			t.Errorf("Geometry(%d) covers %d bytes, more than the disk", tc.size, got)
		}
	}
}

func TestFooterChecksum(t *testing.T) {
	f := Footer(64<<20, [16]byte{9, 8, 7}, time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC))
	stored := binary.BigEndian.Uint32(f[64:])
	binary.BigEndian.PutUint32(f[64:], 0)
	var sum uint32
	for _, b := range f {
		sum += uint32(b)
	}
	if stored != ^sum {
		t.Errorf("checksum %08x, want %08x", stored, ^sum)
	}
	if ts := binary.BigEndian.Uint32(f[24:]); ts != 753235200 {
		t.Errorf("timestamp %d, want 753235200 (2023-11-14 in seconds since 2000)", ts)
	}
}

// TestQemuReadsBack checks the image with qemu-img, an independent reader.
func TestQemuReadsBack(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not found (Debian package qemu-utils)")
	}
	dir := t.TempDir()
	raw := filepath.Join(dir, "disk.raw")
	data := bytes.Repeat([]byte("keel disk "), (3<<20)/10+1)[:3<<20]
	if err := os.WriteFile(raw, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "disk.vhd")
	epoch := time.Unix(1700000000, 0)
	if err := WriteFile(out, raw, [16]byte{1, 2, 3}, epoch); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("qemu-img", "info", "-f", "vpc", out).CombinedOutput()
	if err != nil || !strings.Contains(string(info), "(3145728 bytes)") {
		t.Fatalf("qemu-img info: %v\n%s", err, info)
	}
	back := filepath.Join(dir, "back.raw")
	if msg, err := exec.Command("qemu-img", "convert", "-f", "vpc", "-O", "raw", out, back).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v\n%s", err, msg)
	}
	if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
		t.Error("disk read back through qemu-img differs")
	}
	again := filepath.Join(dir, "again.vhd")
	if err := WriteFile(again, raw, [16]byte{1, 2, 3}, epoch); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("two VHDs of the same disk differ")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd.raw")
	os.WriteFile(odd, make([]byte, 1000), 0o644)
	for _, p := range []string{filepath.Join(dir, "missing.raw"), odd} {
		out := filepath.Join(dir, "out.vhd")
		if err := WriteFile(out, p, [16]byte{}, time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("%s: error %v, want one naming it", p, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output written despite the error", p)
		}
	}
}
