package spec

import (
	"bytes"
	"encoding/json"
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
// with_check 0 (its BuildRequires are "buildrequires_nocheck"). Numbers
// are int64; MarshalJSON(Report(...)) is RenderReport(...).
func Report(s, nocheck *Spec, arch string) map[string]any {
	doc, err := decodeJSON(RenderReport(s, nocheck, arch))
	if err != nil {
		panic(fmt.Sprintf("spec: decoding a rendered report: %v", err)) // RenderReport writes valid JSON
	}
	return doc
}

// RenderReport writes the report document of Report, as MarshalJSON
// would render it. It writes the keys in their sorted order itself rather
// than building the document first: as maps of interfaces, sorted when
// written, it made about a sixth of a batch's allocations.
func RenderReport(s, nocheck *Spec, arch string) []byte {
	return appendReport(make([]byte, 0, 4096), s, nocheck, arch)
}

// appendReport appends RenderReport's document to b.
func appendReport(b []byte, s, nocheck *Spec, arch string) []byte {
	w := jsonWriter{b: b}
	deps := func(key string, set DepSet, flags bool) {
		w.key(key)
		w.open('[')
		for _, d := range set {
			w.elem()
			if flags {
				w.open('{')
				w.key("dep")
				w.str(d.String())
				w.key("flags")
				w.str(d.Flags.DepType())
				w.close('}')
			} else {
				w.str(d.String())
			}
		}
		w.close(']')
	}
	strs := func(key string, l []string) {
		w.key(key)
		w.open('[')
		for _, v := range l {
			w.elem()
			w.str(v)
		}
		w.close(']')
	}
	nums := func(key string, l []uint32) {
		w.key(key)
		w.open('[')
		for _, v := range l {
			w.elem()
			w.int(int64(v))
		}
		w.close(']')
	}
	epoch := func(e *uint32) {
		w.key("epoch")
		if e == nil {
			w.null()
		} else {
			w.int(int64(*e))
		}
	}
	opt := func(key, v string, ok bool) {
		w.key(key)
		if ok {
			w.str(v)
		} else {
			w.null()
		}
	}
	srcs := func(key string, l []Source) {
		w.key(key)
		w.open('[')
		for _, v := range l {
			w.elem()
			w.open('{')
			w.key("num")
			w.int(int64(v.Num))
			w.key("tag")
			w.str(v.Tag)
			w.key("value")
			w.str(v.Value)
			w.close('}')
		}
		w.close(']')
	}
	// The keys of each object in sorted order.
	w.open('{')
	w.key("arch")
	w.str(arch)
	strs("buildarchs", s.BuildArchs)
	deps("buildconflicts", s.BuildConflicts, false)
	deps("buildrequires", s.BuildRequires, true)
	var brnc DepSet
	if nocheck != nil {
		brnc = nocheck.BuildRequires
	}
	deps("buildrequires_nocheck", brnc, false)
	epoch(s.Epoch)
	strs("excludearch", s.ExcludeArch)
	strs("excludeos", s.ExcludeOS)
	strs("exclusivearch", s.ExclusiveArch)
	strs("exclusiveos", s.ExclusiveOS)
	w.key("has_check_section")
	w.boolean(s.HasCheck)
	opt("license", s.License, s.License != "")
	w.key("name")
	w.str(s.Name)
	nums("nopatch", s.NoPatch)
	nums("nosource", s.NoSource)
	w.key("ok")
	w.boolean(true)
	w.key("packages")
	w.open('[')
	for _, p := range s.Packages {
		w.elem()
		w.open('{')
		w.key("arch")
		w.str(p.Arch)
		w.key("built")
		w.boolean(p.Built)
		deps("conflicts", p.Conflicts, false)
		deps("enhances", p.Enhances, false)
		epoch(p.Epoch)
		opt("license", p.License, p.License != "")
		w.key("name")
		w.str(p.Name)
		deps("obsoletes", p.Obsoletes, false)
		deps("provides", p.Provides, false)
		deps("recommends", p.Recommends, false)
		w.key("release")
		w.str(p.Release)
		deps("requires", p.Requires, true)
		deps("suggests", p.Suggests, false)
		opt("summary", p.Summary, p.Summary != "")
		deps("supplements", p.Supplements, false)
		w.key("version")
		w.str(p.Version)
		w.close('}')
	}
	w.close(']')
	srcs("patches", s.Patches)
	w.key("release")
	w.str(s.Release)
	srcs("sources", s.Sources)
	w.key("spec")
	w.str(filepath.Base(s.Path))
	opt("summary", s.Summary, s.Summary != "")
	opt("url", s.URL, s.HasURL)
	w.key("version")
	w.str(s.Version)
	w.close('}')
	return append(w.b, '\n')
}

// decodeJSON reads a document as Report returns it: numbers as int64.
func decodeJSON(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return intNumbers(doc).(map[string]any), nil
}

// intNumbers turns the json.Numbers in v into int64 (the reports hold no
// other numbers).
func intNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return n
	case []any:
		for i := range x {
			x[i] = intNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = intNumbers(x[k])
		}
	}
	return v
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
	var w jsonWriter
	w.value(v)
	return append(w.b, '\n')
}

// jsonWriter writes JSON in Python's json.dump(indent=1) layout: each
// element of a non-empty array or object on its own line, indented one
// space per level, "," after all but the last, ": " after keys; [] and {}
// when empty.
type jsonWriter struct {
	b     []byte
	empty []bool // per open container: nothing written in it yet
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.empty = append(w.empty, true)
}

func (w *jsonWriter) close(c byte) {
	n := len(w.empty) - 1
	if !w.empty[n] {
		w.newline(n)
	}
	w.empty = w.empty[:n]
	w.b = append(w.b, c)
}

// elem starts an element of the innermost container.
func (w *jsonWriter) elem() {
	n := len(w.empty) - 1
	if !w.empty[n] {
		w.b = append(w.b, ',')
	}
	w.empty[n] = false
	w.newline(n + 1)
}

// key starts the member k of the innermost object.
func (w *jsonWriter) key(k string) {
	w.elem()
	w.str(k)
	w.b = append(w.b, ':', ' ')
}

func (w *jsonWriter) newline(indent int) {
	w.b = append(w.b, '\n')
	for i := 0; i < indent; i++ {
		w.b = append(w.b, ' ')
	}
}

func (w *jsonWriter) null()        { w.b = append(w.b, "null"...) }
func (w *jsonWriter) int(n int64)  { w.b = strconv.AppendInt(w.b, n, 10) }
func (w *jsonWriter) str(s string) { w.b = appendJSONString(w.b, s) }
func (w *jsonWriter) boolean(v bool) {
	if v {
		w.b = append(w.b, "true"...)
	} else {
		w.b = append(w.b, "false"...)
	}
}

// value writes a document of nil, bool, int64, int, string, []any and
// map[string]any (keys sorted).
func (w *jsonWriter) value(v any) {
	switch x := v.(type) {
	case nil:
		w.null()
	case bool:
		w.boolean(x)
	case int64:
		w.int(x)
	case int:
		w.int(int64(x))
	case string:
		w.str(x)
	case []any:
		w.open('[')
		for _, e := range x {
			w.elem()
			w.value(e)
		}
		w.close(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.open('{')
		for _, k := range keys {
			w.key(k)
			w.value(x[k])
		}
		w.close('}')
	default:
		panic(fmt.Sprintf("MarshalJSON: unsupported type %T", v))
	}
}

// appendJSONString appends s as a JSON string, escaped as Python's
// json.dump(ensure_ascii=False) does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if c < 0x20 {
				b = fmt.Appendf(b, `\u%04x`, c)
			} else if c < 0x80 {
				b = append(b, c)
			} else {
				r, n := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && n == 1 {
					// Python reads invalid bytes as lone surrogates
					// (surrogateescape) and writes them as such.
					b = fmt.Appendf(b, `\udc%02x`, c)
				} else {
					b = append(b, s[i:i+n]...)
				}
				i += n
				continue
			}
		}
		i++
	}
	return append(b, '"')
}

// BatchOptions configure ParseFiles.
type BatchOptions struct {
	Options          // target, macro tree, defines
	WithCheck int    // %with_check for the main evaluation (0 or 1)
	OutDir    string // where <spec basename>.json files go
	Jobs      int    // parallel evaluations (0: GOMAXPROCS)
}

// EvaluateReport evaluates one spec with with_check as given and with
// with_check 0, and returns its report document (Report).
func (ev *Evaluator) EvaluateReport(path string, withCheck int) (map[string]any, error) {
	s, nc, err := ev.evaluatePair(path, withCheck, false, &scratch{noParsed: true})
	if err != nil {
		return nil, err
	}
	return Report(s, nc, ev.Arch()), nil
}

// evaluatePair evaluates a spec with with_check as given and with
// with_check 0, reading it once. The second evaluation is skipped when
// the first never looked at %with_check (most specs do not mention it):
// differing from the first only in that macro, it would have made
// exactly the same Spec. always makes it anyway (for the test that shows
// the shortcut changes nothing). sc may be nil.
func (ev *Evaluator) evaluatePair(path string, withCheck int, always bool, sc *scratch) (s, nocheck *Spec, err error) {
	text, err := readSpec(path)
	if err != nil {
		return nil, nil, err
	}
	s, used, err := ev.evaluateWatched(path, text, withCheck, sc)
	if err != nil {
		return nil, nil, err
	}
	nocheck = s
	if withCheck != 0 && (used || always) {
		if nocheck, _, err = ev.evaluateWatched(path, text, 0, sc); err != nil {
			return nil, nil, err
		}
	}
	return s, nocheck, nil
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

// renderAll evaluates specs[i] (as EvaluateReport) and renders its report
// document (an error document for a spec that fails) on jobs goroutines
// (0: GOMAXPROCS), handing each to emit, which may run concurrently for
// different specs and must not keep doc (its memory is reused). It
// returns the error of each spec, from evaluation or from emit.
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
			var buf []byte
			sc := &scratch{noParsed: true}
			for i := range next {
				path := specs[i]
				var doc []byte
				if s, nc, err := ev.evaluatePair(path, withCheck, false, sc); err != nil {
					errs[i] = err
					doc = MarshalJSON(ErrorReport(path, ev.Arch(), err))
				} else {
					doc = appendReport(buf[:0], s, nc, ev.Arch())
					buf = doc
				}
				if werr := emit(i, doc); werr != nil && errs[i] == nil {
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
