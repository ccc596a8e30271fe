package sparse

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCopyAt(t *testing.T) {
	data := make([]byte, 4<<20)
	copy(data[100:], "head")
	copy(data[3<<20+7:], "tail")
	f, err := os.Create(filepath.Join(t.TempDir(), "disk"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const off = 1 << 20
	if err := f.Truncate(off + int64(len(data)) + 3); err != nil {
		t.Fatal(err)
	}
	n, err := CopyAt(f, off, bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("CopyAt = %d, %v", n, err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[off:off+len(data)], data) || !IsZero(got[:off]) || !IsZero(got[off+len(data):]) {
		t.Error("file content differs from the data copied at the offset")
	}
	var st syscall.Stat_t
	if err := syscall.Stat(f.Name(), &st); err != nil {
		t.Fatal(err)
	}
	if used := st.Blocks * 512; used > 1<<20 {
		t.Errorf("%d bytes allocated for 8 bytes of data: zero chunks were written", used)
	}
}

func TestIsZero(t *testing.T) {
	b := make([]byte, 200000)
	if !IsZero(b) {
		t.Error("zero buffer reported non-zero")
	}
	b[199999] = 1
	if IsZero(b) {
		t.Error("non-zero last byte missed")
	}
}
