package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestExpandParamFiles(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "params")
	os.WriteFile(pf, []byte("--define\nname value with spaces\n--source\na b.c\n"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	tests := []struct {
		in, want []string
	}{
		{[]string{"--spec", "x.spec"}, []string{"--spec", "x.spec"}},
		{[]string{"@" + pf, "--log", "l"}, []string{"--define", "name value with spaces", "--source", "a b.c", "--log", "l"}},
		{[]string{"@" + empty, "@"}, []string{"@"}},
	}
	for _, tt := range tests {
		got, err := expandParamFiles(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := expandParamFiles([]string{"@" + filepath.Join(dir, "missing")}); err == nil {
		t.Error("missing parameter file: no error")
	}
}
