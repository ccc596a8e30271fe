package imagetest

import (
	"math/rand/v2"
	"testing"
)

// BenchRootfs writes a tar of n files of size bytes each, half random and
// half text-like (so gzip has real work of both kinds), for benchmarks.
func BenchRootfs(b testing.TB, n, size int) string {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	entries := []Entry{{Name: "usr/", Type: '5'}, {Name: "usr/lib/", Type: '5'}}
	words := []string{"keel ", "bazel ", "rpm ", "image ", "kernel ", "initramfs "}
	for i := range n {
		data := make([]byte, 0, size)
		for len(data) < size {
			if i%2 == 0 {
				data = append(data, byte(rng.Uint32()))
			} else {
				data = append(data, words[rng.IntN(len(words))]...)
			}
		}
		entries = append(entries, Entry{Name: "usr/lib/f" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)), Data: string(data[:size])})
	}
	return WriteTar(b, entries)
}
