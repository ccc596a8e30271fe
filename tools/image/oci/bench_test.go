package oci

import (
	"os"
	"testing"

	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

// BenchmarkBuild compresses and assembles a 64 MiB layer with parallel
// (pgzip) and serial (compress/gzip) compression.
func BenchmarkBuild(b *testing.B) {
	layer := imagetest.BenchRootfs(b, 64, 1<<20)
	fi, _ := os.Stat(layer)
	for _, serial := range []bool{false, true} {
		name := "pgzip"
		if serial {
			name = "gzip"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				o := options("amd64")
				o.Serial = serial
				img, err := Build(layer, o)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := img.Digest(); err != nil {
					b.Fatal(err)
				}
				img.Close()
			}
		})
	}
}
