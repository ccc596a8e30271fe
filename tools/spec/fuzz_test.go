package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse evaluates arbitrary spec text: it must return a result or an
// error, never panic or hang. %(...) does not run (the shell is replaced).
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzzseeds/*.spec")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(header + "%if 1\n%else\n%endif\n%description\nd\n"))
	ev, err := NewEvaluator(Options{Arch: "x86_64", Defines: DistroDefines,
		Shell: func(dir, cmd string) (string, error) { return "", nil }})
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ev.EvaluateData(filepath.Join(dir, "fuzz.spec"), data, 1)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.spec") {
				t.Errorf("error does not name the spec: %v", err)
			}
			return
		}
		MarshalJSON(Report(s, s, "x86_64"))
	})
}
