package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTmpOne(t *testing.T) {
	dir := corpusDir(t)
	ev, _ := NewEvaluator(Options{Arch: "x86_64", MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines})
	for _, name := range strings.Fields(os.Getenv("TMP_SPECS")) {
		p := filepath.Join(dir, "SPECS", name, name+".spec")
		ev.EvaluateReport(p, 1)
		t0 := time.Now()
		for i := 0; i < 20; i++ {
			ev.EvaluateReport(p, 1)
		}
		t.Logf("%s %v", name, time.Since(t0)/20)
	}
}
