package sources

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkReadSources parses a Sources.xz of 30,000 stanzas, about the
// size of Debian bookworm main's, looking for a handful of hashes.
func BenchmarkReadSources(b *testing.B) {
	var idx strings.Builder
	for i := 0; i < 30000; i++ {
		fmt.Fprintf(&idx, "Package: p%d\nVersion: 1.0-1\nChecksums-Sha256:\n %064x 1000 p%d_1.0-1.dsc\n %064x 200000 p%d_1.0.orig.tar.xz\nDirectory: pool/main/p/p%d\nDescription: a package\n with a long description\n\n",
			i, 2*i, i, 2*i+1, i, i)
	}
	data := xzBytes(b, idx.String())
	b.SetBytes(int64(idx.Len()))
	b.ResetTimer()
	for b.Loop() {
		d := &debian{pool: map[string]string{}}
		if err := d.readSources(bytes.NewReader(data), "http://mirror.invalid/debian"); err != nil {
			b.Fatal(err)
		}
		if len(d.pool) != 60000 {
			b.Fatalf("indexed %d files, want 60000", len(d.pool))
		}
	}
}
