package spec

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/internal/corpus"
	"github.com/keel-build/keel/tools/spec/internal/macro"
)

// The corpus test evaluates every spec of the Azure Linux 3.0 corpus for
// x86_64 and aarch64 and compares the report with the reference rpmspec
// output. Specs known to differ are listed, with a reason, in
// testdata/corpus_known_diffs.txt ("arch spec  reason"). Set
// KEEL_CORPUS_DETAIL=1 (or run with -v) for per-field mismatch counts and
// the first differences.

var corpusArches = []string{"x86_64", "aarch64"}

const knownDiffsFile = "testdata/corpus_known_diffs.txt"

func corpusDir(tb testing.TB) string {
	dir, ok := corpus.Dir()
	if !ok {
		tb.Skipf("spec corpus not found (set %s to the folder holding azurelinux-3.0/); skipping", corpus.EnvVar)
	}
	return dir
}

func readKnownDiffs(t *testing.T) map[string]string {
	f, err := os.Open(knownDiffsFile)
	if err != nil {
		t.Fatalf("reading known diffs: %v", err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Fatalf("%s:%d: want \"arch spec  reason\", got %q", knownDiffsFile, n, line)
		}
		known[f[0]+" "+f[1]] = strings.Join(f[2:], " ")
	}
	return known
}

// expectedDoc reads a reference document, substitutes the corpus location
// and drops the keys Keel does not produce.
func expectedDoc(path, corpusDir string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := decodeJSON(bytes.ReplaceAll(data, []byte("@CORPUS@"), []byte(corpusDir)))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	delete(doc, "oracle")
	delete(doc, "warnings")
	return doc, nil
}

type corpusResult struct {
	arch, spec string
	err        error
	diffFields []string // "field" or "packages.field"
	diff       string
}

// compareDocs lists the differing fields of two report documents.
func compareDocs(got, want map[string]any) []string {
	var fields []string
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for k := range keys {
		g, w := got[k], want[k]
		if bytes.Equal(MarshalJSON(g), MarshalJSON(w)) {
			continue
		}
		gp, ok1 := g.([]any)
		wp, ok2 := w.([]any)
		if k == "packages" && ok1 && ok2 && len(gp) == len(wp) {
			sub := map[string]bool{}
			for i := range gp {
				gm, _ := gp[i].(map[string]any)
				wm, _ := wp[i].(map[string]any)
				for f := range wm {
					if !bytes.Equal(MarshalJSON(gm[f]), MarshalJSON(wm[f])) {
						sub[f] = true
					}
				}
			}
			for f := range sub {
				fields = append(fields, "packages."+f)
			}
			continue
		}
		if k == "packages" {
			fields = append(fields, "packages.count")
			continue
		}
		fields = append(fields, k)
	}
	sort.Strings(fields)
	return fields
}

// lineDiff shows the first differing lines of two renderings.
func lineDiff(got, want []byte) string {
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "    line %d:\n      got:  %s\n      want: %s\n", i+1, gl, wl)
			if shown++; shown >= 4 {
				break
			}
		}
	}
	return b.String()
}

func runCorpus(t *testing.T, dir, arch string, specs []string) []corpusResult {
	ev, err := NewEvaluator(Options{Arch: arch, MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines})
	if err != nil {
		t.Fatal(err)
	}
	results := make([]corpusResult, len(specs))
	var wg sync.WaitGroup
	next := make(chan int)
	for j := 0; j < runtime.GOMAXPROCS(0); j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				path := specs[i]
				r := corpusResult{arch: arch, spec: filepath.Base(path)}
				want, err := expectedDoc(filepath.Join(dir, "expected", arch, strings.TrimSuffix(r.spec, ".spec")+".json"), dir)
				if err != nil {
					r.err = err
					results[i] = r
					continue
				}
				s, nc, err := ev.evaluatePair(path, 1, false, nil)
				if err != nil {
					r.err = err
					r.diffFields = []string{"error"}
					results[i] = r
					continue
				}
				// RenderReport writes the document itself: it must be in
				// MarshalJSON's canonical form.
				rendered := RenderReport(s, nc, arch)
				got, err := decodeJSON(rendered)
				if err != nil {
					r.err = fmt.Errorf("decoding the report: %w", err)
				} else if canon := MarshalJSON(got); !bytes.Equal(canon, rendered) {
					r.err = fmt.Errorf("the report is not in canonical form:\n%s", lineDiff(rendered, canon))
				} else if fields := compareDocs(got, want); len(fields) > 0 {
					r.diffFields = fields
					r.diff = lineDiff(MarshalJSON(got), MarshalJSON(want))
				}
				results[i] = r
			}
		}()
	}
	for i := range specs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	specs, err := corpus.Specs(dir)
	if err != nil || len(specs) == 0 {
		t.Fatalf("listing corpus specs: %v (%d found)", err, len(specs))
	}
	known := readKnownDiffs(t)
	// Some specs run host tools in %(...); the reference output was made on
	// a host that has them.
	for _, tool := range []string{"perl", "rev", "rpm", "python3"} {
		found := false
		for _, d := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
			if _, err := os.Stat(filepath.Join(d, tool)); err == nil {
				found = true
			}
		}
		if !found {
			t.Logf("warning: %s is not installed: specs that run it in %%(...) will differ", tool)
		}
	}
	detail := testing.Verbose() || os.Getenv("KEEL_CORPUS_DETAIL") != ""
	for _, arch := range corpusArches {
		start := time.Now()
		results := runCorpus(t, dir, arch, specs)
		agree := 0
		fieldCount := map[string]int{}
		var shown int
		for _, r := range results {
			key := arch + " " + r.spec
			if r.err == nil && len(r.diffFields) == 0 {
				agree++
				if reason, ok := known[key]; ok {
					t.Errorf("%s now agrees with rpmspec: remove it from %s (was: %s)", key, knownDiffsFile, reason)
				}
				continue
			}
			for _, f := range r.diffFields {
				fieldCount[f]++
			}
			if _, ok := known[key]; !ok {
				t.Errorf("%s differs from rpmspec (fields %v) and is not in %s", key, r.diffFields, knownDiffsFile)
			}
			if detail && shown < 40 {
				shown++
				if r.err != nil {
					t.Logf("%s: error: %v", key, r.err)
				} else {
					t.Logf("%s: fields %v\n%s", key, r.diffFields, r.diff)
				}
			}
		}
		t.Logf("%s: %d/%d specs agree with rpmspec (%.2f%%) in %v", arch, agree, len(results),
			100*float64(agree)/float64(len(results)), time.Since(start).Round(time.Millisecond))
		if detail {
			var fs []string
			for f := range fieldCount {
				fs = append(fs, f)
			}
			sort.Slice(fs, func(i, j int) bool { return fieldCount[fs[i]] > fieldCount[fs[j]] })
			for _, f := range fs {
				t.Logf("%s: %5d specs differ in %s", arch, fieldCount[f], f)
			}
		}
	}
}

// BenchmarkCorpus times what `keel spec parse` does for the whole corpus,
// once per target arch, per iteration, as one process doing both arches
// (`keel gen` does) would: the %(...) cache starts empty (it is shared by
// the process's Evaluators), then for each arch a new Evaluator (the macro
// files are loaded) and ParseFiles's loop on GOMAXPROCS workers: every
// spec evaluated with with_check 1 for the report, and again with
// with_check 0 for buildrequires_nocheck when the first evaluation looked
// at %with_check, and its report rendered to JSON. Writing the files is
// left out (it measures the file system, not Keel). Lua interpreters
// released by the previous iteration may be reused, as they are from one
// spec to the next. Metrics: ns/op is the wall time of both arches;
// cpu-s/op the process CPU time (user+system), steadier than wall time on
// a busy machine; child-cpu-s/op that of the %(...) commands; ms/spec the
// wall time per spec and arch; lua-new/op the Lua interpreters made (the
// others were reused).
//
// If rpmspec and the corpus's reference script are installed, the same run
// then times the reference script (which runs rpmspec five times per spec,
// with_check 1 and 0, as the reference outputs were made) on a sample of
// specs for x86_64, sequentially, and reports ms/spec-rpmspec and the ratio
// x-faster = rpmspec's time per spec / Keel's wall time per spec and arch.
func BenchmarkCorpus(b *testing.B) {
	dir := corpusDir(b)
	specs, err := corpus.Specs(dir)
	if err != nil {
		b.Fatal(err)
	}
	var rendered atomic.Int64
	cpu0, child0 := cpuTime(), childCPUTime()
	made0, _ := macro.LuaStats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		forgetHostShells()
		for _, arch := range corpusArches {
			ev, err := NewEvaluator(Options{Arch: arch, MacroDir: filepath.Join(dir, "macros"), Defines: DistroDefines})
			if err != nil {
				b.Fatal(err)
			}
			errs := ev.renderAll(specs, 1, 0, func(_ int, doc []byte) error {
				rendered.Add(int64(len(doc)))
				return nil
			})
			for j, err := range errs {
				if err != nil {
					b.Fatalf("%s: %v", specs[j], err)
				}
			}
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric((childCPUTime()-child0).Seconds()/float64(b.N), "child-cpu-s/op")
	made, _ := macro.LuaStats()
	b.ReportMetric(float64(made-made0)/float64(b.N), "lua-new/op")
	perSpec := b.Elapsed() / time.Duration(b.N*len(specs)*len(corpusArches))
	b.ReportMetric(float64(perSpec)/1e6, "ms/spec")
	if rendered.Load() == 0 {
		b.Fatal("no report rendered")
	}

	oracle := filepath.Join(filepath.Dir(dir), "oracle.sh")
	if _, err := exec.LookPath("rpmspec"); err != nil {
		b.Logf("rpmspec not installed: skipping the rpmspec comparison")
		return
	}
	if _, err := os.Stat(oracle); err != nil {
		b.Logf("%s not found: skipping the rpmspec comparison", oracle)
		return
	}
	const sampleSize = 5
	var sample []string
	for i := 0; i < len(specs) && len(sample) < sampleSize; i += len(specs) / sampleSize {
		sample = append(sample, specs[i])
	}
	start := time.Now()
	for _, s := range sample {
		cmd := exec.Command(oracle, "--arch", "x86_64", "--with-check", "1", "--macro-dir", filepath.Join(dir, "macros"), s)
		if err := cmd.Run(); err != nil {
			b.Fatalf("running %s on %s: %v", oracle, s, err)
		}
	}
	rpmPer := time.Since(start) / time.Duration(len(sample))
	b.ReportMetric(float64(rpmPer)/1e6, "ms/spec-rpmspec")
	b.ReportMetric(float64(rpmPer)/float64(perSpec), "x-faster")
	b.Logf("keel %v per spec and arch (%d specs x %d arches, %d workers); rpmspec %v per spec (%d sample specs, sequential): %.0fx",
		perSpec, len(specs), len(corpusArches), runtime.GOMAXPROCS(0), rpmPer, len(sample), float64(rpmPer)/float64(perSpec))
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// childCPUTime returns the CPU time (user and system) of the finished
// child processes (the %(...) commands).
func childCPUTime() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
