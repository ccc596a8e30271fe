package spec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Report builds the JSON document describing one spec for one arch, in the
// format of the reference rpmspec output (spec corpus expected/<arch>/*.json)
// without its provenance ("oracle") and "warnings" keys. s is the
// evaluation with the requested %with_check, nocheck the one with
// with_check 0 (its BuildRequires are "buildrequires_nocheck").
func Report(s, nocheck *Spec, arch string) map[string]any {
	deps := func(set DepSet, flags bool) []any {
		out := make([]any, 0, len(set))
		for _, d := range set {
			if flags {
				out = append(out, map[string]any{"dep": d.String(), "flags": d.Flags.DepType()})
			} else {
				out = append(out, d.String())
			}
		}
		return out
	}
	strs := func(l []string) []any {
		out := make([]any, 0, len(l))
		for _, v := range l {
			out = append(out, v)
		}
		return out
	}
	nums := func(l []uint32) []any {
		out := make([]any, 0, len(l))
		for _, v := range l {
			out = append(out, int64(v))
		}
		return out
	}
	epoch := func(e *uint32) any {
		if e == nil {
			return nil
		}
		return int64(*e)
	}
	opt := func(v string, ok bool) any {
		if !ok {
			return nil
		}
		return v
	}
	srcs := func(l []Source) []any {
		out := make([]any, 0, len(l))
		for _, v := range l {
			out = append(out, map[string]any{"num": int64(v.Num), "tag": v.Tag, "value": v.Value})
		}
		return out
	}
	var pkgs []any
	for _, p := range s.Packages {
		pkgs = append(pkgs, map[string]any{
			"name": p.Name, "epoch": epoch(p.Epoch), "version": p.Version, "release": p.Release,
			"arch": p.Arch, "built": p.Built, "summary": opt(p.Summary, p.Summary != ""),
			"license":  opt(p.License, p.License != ""),
			"requires": deps(p.Requires, true), "provides": deps(p.Provides, false),
			"conflicts": deps(p.Conflicts, false), "obsoletes": deps(p.Obsoletes, false),
			"recommends": deps(p.Recommends, false), "suggests": deps(p.Suggests, false),
			"supplements": deps(p.Supplements, false), "enhances": deps(p.Enhances, false),
		})
	}
	if pkgs == nil {
		pkgs = []any{}
	}
	var brnc []any = []any{}
	if nocheck != nil {
		brnc = deps(nocheck.BuildRequires, false)
	}
	return map[string]any{
		"spec": filepath.Base(s.Path), "arch": arch, "ok": true,
		"name": s.Name, "epoch": epoch(s.Epoch), "version": s.Version, "release": s.Release,
		"summary": opt(s.Summary, s.Summary != ""), "license": opt(s.License, s.License != ""),
		"url":        opt(s.URL, s.HasURL),
		"buildarchs": strs(s.BuildArchs), "exclusivearch": strs(s.ExclusiveArch), "excludearch": strs(s.ExcludeArch),
		"exclusiveos": strs(s.ExclusiveOS), "excludeos": strs(s.ExcludeOS),
		"buildrequires": deps(s.BuildRequires, true), "buildrequires_nocheck": brnc,
		"buildconflicts": deps(s.BuildConflicts, false),
		"nosource":       nums(s.NoSource), "nopatch": nums(s.NoPatch),
		"sources": srcs(s.Sources), "patches": srcs(s.Patches),
		"has_check_section": s.HasCheck,
		"packages":          pkgs,
	}
}

// ReportName is the file name of a spec's report: its base name with
// ".spec" replaced by ".json".
func ReportName(specPath string) string {
	return strings.TrimSuffix(filepath.Base(specPath), ".spec") + ".json"
}

// ErrorReport is the document written for a spec that failed to evaluate.
func ErrorReport(specPath, arch string, err error) map[string]any {
	return map[string]any{"spec": filepath.Base(specPath), "arch": arch, "ok": false, "error": err.Error()}
}

// MarshalJSON renders v as Python's json.dump(v, indent=1, sort_keys=True,
// ensure_ascii=False) does, plus a trailing newline. It is hand-written
// because encoding/json cannot indent by one space per level while keeping
// Python's separators and escaping (it escapes U+2028, <, > and &).
func MarshalJSON(v any) []byte {
	var b bytes.Buffer
	writeJSON(&b, v, 0)
	b.WriteByte('\n')
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any, depth int) {
	nl := func(d int) {
		b.WriteByte('\n')
		for i := 0; i < d; i++ {
			b.WriteByte(' ')
		}
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case string:
		writeJSONString(b, x)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			writeJSON(b, e, depth+1)
		}
		nl(depth)
		b.WriteByte(']')
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			writeJSONString(b, k)
			b.WriteString(": ")
			writeJSON(b, x[k], depth+1)
		}
		nl(depth)
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("writeJSON: unsupported type %T", v))
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else if c < 0x80 {
				b.WriteByte(c)
			} else {
				r, n := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && n == 1 {
					// Python reads invalid bytes as lone surrogates
					// (surrogateescape) and writes them as such.
					fmt.Fprintf(b, `\udc%02x`, c)
				} else {
					b.WriteString(s[i : i+n])
				}
				i += n
				continue
			}
		}
		i++
	}
	b.WriteByte('"')
}

// BatchOptions configure ParseFiles.
type BatchOptions struct {
	Options          // target, macro tree, defines
	WithCheck int    // %with_check for the main evaluation (0 or 1)
	OutDir    string // where <spec basename>.json files go
	Jobs      int    // parallel evaluations (0: GOMAXPROCS)
}

// EvaluateReport evaluates one spec twice (with_check as given, and 0) and
// returns its report document.
func (ev *Evaluator) EvaluateReport(path string, withCheck int) (map[string]any, error) {
	text, err := readSpec(path)
	if err != nil {
		return nil, err
	}
	s, err := ev.evaluateText(path, text, withCheck)
	if err != nil {
		return nil, err
	}
	nc := s
	if withCheck != 0 {
		if nc, err = ev.evaluateText(path, text, 0); err != nil {
			return nil, err
		}
	}
	return Report(s, nc, ev.Arch()), nil
}

// ParseFiles evaluates every spec and writes OUT/<basename>.json for each
// (an error document for a spec that fails). A failing spec does not stop
// the others; the returned error lists every failure.
func ParseFiles(opts BatchOptions, specs []string) error {
	ev, err := NewEvaluator(opts.Options)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return fmt.Errorf("creating output dir: %w", err)
	}
	errs := ev.renderAll(specs, opts.WithCheck, opts.Jobs, func(i int, doc []byte) error {
		return writeFileAtomic(filepath.Join(opts.OutDir, ReportName(specs[i])), doc)
	})
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%d of %d specs failed:\n%s", len(msgs), len(specs), strings.Join(msgs, "\n"))
	}
	return nil
}

// renderAll evaluates specs[i] (with EvaluateReport) and renders its report
// document (an error document for a spec that fails) on jobs goroutines
// (0: GOMAXPROCS), handing each to emit, which may run concurrently for
// different specs. It returns the error of each spec, from evaluation or
// from emit.
func (ev *Evaluator) renderAll(specs []string, withCheck, jobs int, emit func(i int, doc []byte) error) []error {
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	next := make(chan int)
	for j := 0; j < jobs; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				path := specs[i]
				doc, err := ev.EvaluateReport(path, withCheck)
				if err != nil {
					errs[i] = err
					doc = ErrorReport(path, ev.Arch(), err)
				}
				if werr := emit(i, MarshalJSON(doc)); werr != nil && errs[i] == nil {
					errs[i] = werr
				}
			}
		}()
	}
	for i := range specs {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it into place, so a reader never sees a half-written file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
