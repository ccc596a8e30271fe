package spec

import "testing"

func FuzzTriv(f *testing.F) {
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = splitArgs(string(data)) })
}
