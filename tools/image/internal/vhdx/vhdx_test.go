package vhdx

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rawDisk writes a disk of size bytes with data in a few scattered places
// (so some blocks are absent in the VHDX) and returns its path.
func rawDisk(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.raw")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, off := range []int64{0, 5 << 20, 9<<20 + 512, size - 4096} {
		data := make([]byte, 4096)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

var ids = IDs{FileWrite: [16]byte{1}, DataWrite: [16]byte{2}, VirtualDisk: [16]byte{3}}

// TestQemuReadsBack converts the VHDX back to raw with qemu-img, an
// independent reader, and compares the bytes.
func TestQemuReadsBack(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not found (Debian package qemu-utils)")
	}
	sizes := []int64{20 << 20}
	if !testing.Short() {
		// Past 4 GiB the BAT interleaves a sector-bitmap entry.
		sizes = append(sizes, 4<<30+3<<20)
	}
	for _, size := range sizes {
		raw := rawDisk(t, size)
		out := filepath.Join(t.TempDir(), "disk.vhdx")
		if err := WriteFile(out, raw, ids); err != nil {
			t.Fatal(err)
		}
		if msg, err := exec.Command("qemu-img", "check", "-f", "vhdx", out).CombinedOutput(); err != nil {
			t.Fatalf("size %d: qemu-img check: %v\n%s", size, err, msg)
		}
		info, err := exec.Command("qemu-img", "info", "-f", "vhdx", out).CombinedOutput()
		if err != nil || !strings.Contains(string(info), "virtual size:") || !strings.Contains(string(info), "(") {
			t.Fatalf("qemu-img info: %v\n%s", err, info)
		}
		back := filepath.Join(t.TempDir(), "back.raw")
		if msg, err := exec.Command("qemu-img", "convert", "-f", "vhdx", "-O", "raw", out, back).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img convert: %v\n%s", err, msg)
		}
		if !sameFiles(t, raw, back) {
			t.Errorf("size %d: disk read back through qemu-img differs", size)
		}
		fi, _ := os.Stat(out)
		t.Logf("size %d: VHDX file %d bytes", size, fi.Size())
		if fi.Size() > 3<<20+1<<20+3*int64(BlockSize(size)) {
			t.Errorf("size %d: VHDX holds %d bytes: zero blocks were stored", size, fi.Size())
		}
	}
}

func TestReproducible(t *testing.T) {
	raw := rawDisk(t, 20<<20)
	var files [2][]byte
	for i := range files {
		out := filepath.Join(t.TempDir(), "disk.vhdx")
		if err := WriteFile(out, raw, ids); err != nil {
			t.Fatal(err)
		}
		files[i], _ = os.ReadFile(out)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two VHDX files of the same disk differ")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd.raw")
	os.WriteFile(odd, make([]byte, 1000), 0o644)
	for _, p := range []string{filepath.Join(dir, "missing.raw"), odd} {
		out := filepath.Join(dir, "out.vhdx")
		if err := WriteFile(out, p, ids); err == nil || !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("%s: error %v, want one naming it", p, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output written despite the error", p)
		}
	}
}

func sameFiles(t *testing.T, a, b string) bool {
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, _ := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil {
			return true
		}
	}
}
