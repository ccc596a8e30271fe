package initramfs

import (
	"io"
	"os"
	"testing"

	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

// BenchmarkWrite converts a 64 MiB rootfs tar into a gzip newc archive.
func BenchmarkWrite(b *testing.B) {
	tarPath := imagetest.BenchRootfs(b, 64, 1<<20)
	fi, _ := os.Stat(tarPath)
	b.SetBytes(fi.Size())
	for b.Loop() {
		if err := Write(io.Discard, tarPath, Options{Epoch: imagetest.Epoch}); err != nil {
			b.Fatal(err)
		}
	}
}
