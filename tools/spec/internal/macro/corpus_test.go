package macro

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/internal/corpus"
	"github.com/keel-build/keel/tools/spec/internal/rpmdata"
)

type corpusCase struct {
	in   string
	out  string
	fail bool
}

// corpusMacroDir locates the Azure Linux macro set of the spec corpus.
func corpusMacroDir(t testing.TB) string {
	root, ok := corpus.Dir()
	if !ok {
		t.Skipf("spec corpus not found at %q (set %s to the folder holding azurelinux-3.0/)", root, corpus.EnvVar)
	}
	return filepath.Join(root, "macros")
}

// loadAZL builds the engine the reference outputs were made with: rpm's
// macros, the corpus macros.d, the x86_64 platform macros, azl/macros and
// the pinned host macros, then the rpmrc-derived and command-line macros.
func loadAZL(t testing.TB, warn func(string)) *Engine {
	dir := corpusMacroDir(t)
	e := New(Options{LuaPath: []string{filepath.Join(dir, "lua")}, Warn: warn})
	loadEmbedded := func(name string) {
		data, err := rpmdata.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.LoadReader(name, bytes.NewReader(data), LevelMacroFiles); err != nil {
			t.Fatal(err)
		}
	}
	loadEmbedded("macros")
	files, _ := filepath.Glob(filepath.Join(dir, "macros.d", "macros.*"))
	for _, f := range files {
		if err := e.LoadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	loadEmbedded("platform/x86_64-linux/macros")
	if err := e.LoadFile(filepath.Join(dir, "azl", "macros")); err != nil {
		t.Fatal(err)
	}
	loadEmbedded("azl3-host.macros")
	e.Push("_target", "", "x86_64-linux", LevelRPMRC)
	e.Push("_target_cpu", "", "x86_64", LevelRPMRC)
	e.Push("_target_os", "", "linux", LevelRPMRC)
	e.Push("optflags", "", "%{__global_compiler_flags} -m64 -mtune=generic -fasynchronous-unwind-tables -fstack-clash-protection -fcf-protection", LevelRPMRC)
	for _, d := range []string{"dist .azl3", "azl 3", "with_check 1"} {
		if err := e.Define(d, LevelCmdline); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func TestCorpusMacros(t *testing.T) {
	var warns []string
	base := loadAZL(t, func(s string) { warns = append(warns, s) })
	for _, w := range warns {
		if !strings.Contains(w, "macros.releaseversions") {
			t.Errorf("unexpected message loading macro files: %s", w)
		}
	}
	for _, c := range corpusCases {
		e := base.Clone()
		got, err := e.Expand(c.in)
		if c.fail {
			if err == nil {
				t.Errorf("Expand(%q) = %q, want an error", c.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("Expand(%q): %v", c.in, err)
			continue
		}
		if got != c.out {
			t.Errorf("Expand(%q)\n got %q\nwant %q", c.in, got, c.out)
		}
	}
}
