package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/keel-build/keel/tools/spec/internal/macro"
	"github.com/keel-build/keel/tools/spec/internal/rpmdata"
)

// DistroDefines are the macros Azure Linux's toolkit defines on every spec
// query (rpm.DefaultDistroDefines): they make %{?dist} and %{azl} work.
var DistroDefines = []string{"dist .azl3", "azl 3"}

// Options configure an Evaluator.
type Options struct {
	// Arch is the target architecture (rpm --target), e.g. "x86_64".
	Arch string
	// MacroDir is a distro macro tree laid out as azl/{macros,rpmrc},
	// macros.d/macros.*, lua/ (the corpus's macros/ directory).
	MacroDir string
	// Defines are "NAME VALUE" definitions applied after the macro files,
	// in order, like rpm's -D (e.g. DistroDefines).
	Defines []string
	// Shell, if set, runs %(...) commands instead of bash (dir is the
	// empty directory to run in); tests use it to keep untrusted text from
	// running.
	Shell func(dir, cmd string) (string, error)

	// freshLua gives every evaluation a new Lua interpreter instead of a
	// reused one (tests compare the two).
	freshLua bool
}

// Evaluator evaluates spec files for one target. It reads the macro files
// once; Evaluate is safe for concurrent use.
type Evaluator struct {
	opts  Options
	rc    rpmrc
	files []macroFile // in load order

	base *macro.Engine // macro files and defines loaded; cloned per spec

	shells *shellCache // %(...) results: hostShells, or the Evaluator's own
}

type macroFile struct {
	name string
	data string
}

// shellCache remembers the result of each %(...) command.
type shellCache struct {
	mu sync.Mutex
	m  map[string]*shellResult
}

type shellResult struct {
	once sync.Once
	out  string
	err  error
}

// hostShells is the cache of the commands run in bash (Options.Shell nil):
// as their output depends only on the command text (see shell), it is
// shared by every Evaluator of the process, whatever its target or macro
// tree (both arches of a corpus run the same probes).
var hostShells = &shellCache{}

// forgetHostShells empties hostShells (for benchmarks that time a fresh
// process).
func forgetHostShells() {
	hostShells.mu.Lock()
	hostShells.m = nil
	hostShells.mu.Unlock()
}

// result returns the entry of cmd, adding an empty one.
func (c *shellCache) result(cmd string) *shellResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*shellResult{}
	}
	r, ok := c.m[cmd]
	if !ok {
		r = &shellResult{}
		c.m[cmd] = r
	}
	return r
}

// shell runs a %(...) command: bash with a fixed environment (see
// macro.DefaultShell) and the perl answers pinned, in a fresh empty
// directory, so that the answer depends only on the command text (paths
// next to the spec are reached through %{_sourcedir} or %{SOURCEn}, which
// are absolute). That makes the result cacheable: it is remembered per
// command (for the process, or for the Evaluator's lifetime with
// Options.Shell), as specs run the same probes over and over.
func (ev *Evaluator) shell(cmd string) (string, error) {
	r := ev.shells.result(cmd)
	r.once.Do(func() {
		dir, err := os.MkdirTemp("", "keel-spec-sh-")
		if err != nil {
			r.err = fmt.Errorf("creating a directory for %%(...): %w", err)
			return
		}
		defer os.RemoveAll(dir)
		if ev.opts.Shell != nil {
			r.out, r.err = ev.opts.Shell(dir, cmd)
			return
		}
		r.out, r.err = macro.DefaultShell(dir, macro.DefaultMaxOutput)(perlShim + cmd)
	})
	return r.out, r.err
}

// NewEvaluator loads rpm's data, the macro tree and the defines.
func NewEvaluator(opts Options) (*Evaluator, error) {
	if opts.Arch == "" {
		return nil, fmt.Errorf("no target arch given")
	}
	ev := &Evaluator{opts: opts, shells: hostShells}
	if opts.Shell != nil {
		ev.shells = &shellCache{}
	}
	emb := func(name string) (macroFile, error) {
		b, err := rpmdata.Read(name)
		if err != nil {
			return macroFile{}, fmt.Errorf("reading embedded rpm file %s: %w", name, err)
		}
		return macroFile{"/usr/lib/rpm/" + name, string(b)}, nil
	}
	disk := func(path string) (macroFile, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return macroFile{}, fmt.Errorf("reading macro file: %w", err)
		}
		return macroFile{path, string(b)}, nil
	}
	// The macro path of rpm built --with-vendor=azl (see the package doc).
	f, err := emb("macros")
	if err != nil {
		return nil, err
	}
	ev.files = append(ev.files, f)
	if opts.MacroDir != "" {
		if _, err := os.Stat(filepath.Join(opts.MacroDir, "azl", "macros")); err != nil {
			return nil, fmt.Errorf("checking macro dir %s: %w", opts.MacroDir, err)
		}
		matches, err := filepath.Glob(filepath.Join(opts.MacroDir, "macros.d", "macros.*"))
		if err != nil {
			return nil, fmt.Errorf("listing %s/macros.d: %w", opts.MacroDir, err)
		}
		sort.Strings(matches)
		for _, m := range matches {
			f, err := disk(m)
			if err != nil {
				return nil, err
			}
			ev.files = append(ev.files, f)
		}
	}
	if f, err := emb("platform/" + opts.Arch + "-linux/macros"); err == nil {
		ev.files = append(ev.files, f)
	} else {
		return nil, fmt.Errorf("unsupported target arch %q (no platform macros)", opts.Arch)
	}
	for _, a := range rpmdata.FileAttrs() {
		f, err := emb(a)
		if err != nil {
			return nil, err
		}
		ev.files = append(ev.files, f)
	}
	if opts.MacroDir != "" {
		f, err := disk(filepath.Join(opts.MacroDir, "azl", "macros"))
		if err != nil {
			return nil, err
		}
		ev.files = append(ev.files, f)
	}
	if f, err = emb("azl3-host.macros"); err != nil {
		return nil, err
	}
	ev.files = append(ev.files, f)

	// rpmrc: rpm's, then the vendor's (which includes rpm's again).
	rc, err := rpmdata.Read("rpmrc")
	if err != nil {
		return nil, fmt.Errorf("reading embedded rpmrc: %w", err)
	}
	include := func(p string) (string, error) {
		if p == "/usr/lib/rpm/rpmrc" {
			return string(rc), nil
		}
		b, err := os.ReadFile(p)
		return string(b), err
	}
	if err := ev.rc.read("/usr/lib/rpm/rpmrc", string(rc), include); err != nil {
		return nil, err
	}
	if opts.MacroDir != "" {
		p := filepath.Join(opts.MacroDir, "azl", "rpmrc")
		if b, err := os.ReadFile(p); err == nil {
			if err := ev.rc.read(p, string(b), include); err != nil {
				return nil, err
			}
		}
	}
	if ev.base, err = ev.newEngine(); err != nil {
		return nil, err
	}
	return ev, nil
}

// perlShim answers the `perl -V:...` probes specs make with Azure Linux
// 3.0's perl values (as the reference output pins them) and runs the real
// perl otherwise. Bash allows '/' in function names, which covers
// %{__perl} (/usr/bin/perl).
const perlShim = `__keel_perl() {
  case "$*" in
    -V:version) echo "version='5.38.2';"; return 0;;
    -V:installvendorarch) echo "installvendorarch='/usr/lib/perl5/vendor_perl';"; return 0;;
    -V:installvendorlib) echo "installvendorlib='/usr/share/perl5/vendor_perl';"; return 0;;
    -V:installarchlib) echo "installarchlib='/usr/lib/perl5';"; return 0;;
    -V:installprivlib) echo "installprivlib='/usr/share/perl5';"; return 0;;
    '-MConfig -e print $Config{version}') printf '5.38.2'; return 0;;
  esac
  command perl "$@"
}
perl() { __keel_perl "$@"; }
/usr/bin/perl() { __keel_perl "$@"; }
`

// newEngine loads the macro files, target variables and defines.
func (ev *Evaluator) newEngine() (*macro.Engine, error) {
	opts := macro.Options{}
	if ev.opts.MacroDir != "" {
		opts.LuaPath = []string{filepath.Join(ev.opts.MacroDir, "lua")}
	}
	opts.Shell = ev.shell
	opts.LuaTables = luaTables
	opts.FreshLua = ev.opts.freshLua
	e := macro.New(opts)
	target := ev.opts.Arch
	// rpmRebuildTargetVars runs before the macro files are read ...
	pushTarget := func() {
		e.Push("_target", "", target+"-linux", macro.LevelRPMRC)
		e.Push("_target_cpu", "", target, macro.LevelRPMRC)
		e.Push("_target_os", "", "linux", macro.LevelRPMRC)
	}
	pushTarget()
	for _, f := range ev.files {
		if err := e.LoadReader(f.name, strings.NewReader(f.data), macro.LevelMacroFiles); err != nil {
			return nil, err
		}
	}
	// ... and again after them, with the rpmrc optflags.
	for _, n := range []string{"_target", "_target_cpu", "_target_os"} {
		e.Pop(n)
	}
	pushTarget()
	if of, ok := ev.rc.optflags[target]; ok {
		e.Pop("optflags")
		e.Push("optflags", "", of, macro.LevelRPMRC)
	}
	for _, d := range ev.opts.Defines {
		if err := e.Define(d, macro.LevelCmdline); err != nil {
			return nil, fmt.Errorf("defining %q: %w", d, err)
		}
	}
	return e, nil
}

// Arch returns the target architecture.
func (ev *Evaluator) Arch() string { return ev.opts.Arch }

// hasCheckLine reports a line whose first non-blank text is "%check":
// the Azure Linux toolkit's test (?m)^\s*%check on the evaluated text.
// It looks for "%check" and then at what precedes it on its line, rather
// than at every line: the text is a whole spec, the word rare.
func hasCheckLine(text string) bool {
	for off := 0; ; {
		k := strings.Index(text[off:], "%check")
		if k < 0 {
			return false
		}
		k += off
		j := k
		for j > 0 && strings.IndexByte(checkBlanks, text[j-1]) >= 0 {
			j--
		}
		if j == 0 || text[j-1] == '\n' {
			return true
		}
		off = k + 1
	}
}

// checkBlanks are the blanks hasCheckLine skips at the start of a line.
const checkBlanks = " \t\r\f\v\x1c\x1d\x1e\x1f"

// Evaluate parses the spec file at path with %with_check set to withCheck
// (0 or 1) and %_sourcedir to the spec's directory.
func (ev *Evaluator) Evaluate(path string, withCheck int) (*Spec, error) {
	text, err := readSpec(path)
	if err != nil {
		return nil, err
	}
	return ev.evaluateText(path, text, withCheck)
}

// readSpec reads a spec file; EvaluateReport reads it once for its two
// evaluations.
func readSpec(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading spec: %w", err)
	}
	// Nothing writes data again: the string can share its bytes rather
	// than copy every spec.
	return unsafe.String(unsafe.SliceData(data), len(data)), nil
}

// EvaluateData is Evaluate for spec text already in memory; path names the
// spec in messages and sets %_sourcedir.
func (ev *Evaluator) EvaluateData(path string, data []byte, withCheck int) (*Spec, error) {
	return ev.evaluateText(path, string(data), withCheck)
}

func (ev *Evaluator) evaluateText(path, text string, withCheck int) (*Spec, error) {
	s, _, err := ev.evaluateWatched(path, text, withCheck, nil)
	return s, err
}

// scratch is memory evaluations may reuse: a batch worker keeps one for
// all its specs.
type scratch struct {
	parsed   []byte // for the parsed text
	noParsed bool   // leave Spec.Parsed empty: the caller does not use it
}

// evaluateWatched is evaluateText that also reports whether the
// evaluation looked at %with_check at all (see macro.Engine.Watch). If it
// did not, evaluating with any other %with_check gives the same Spec. sc
// may be nil.
func (ev *Evaluator) evaluateWatched(path, text string, withCheck int, sc *scratch) (s *Spec, usedWithCheck bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, false, fmt.Errorf("resolving %s: %w", path, err)
	}
	dir := filepath.Dir(abs)
	eng := ev.base.Clone()
	defer eng.Release()
	if err := eng.Define("_sourcedir "+dir, macro.LevelCmdline); err != nil {
		return nil, false, err
	}
	if err := eng.Define("with_check "+strconv.Itoa(withCheck), macro.LevelCmdline); err != nil {
		return nil, false, err
	}
	eng.Watch("with_check")
	s, err = ev.evaluate(eng, path, abs, text, sc)
	return s, eng.Watched(), err
}

func newParser(eng *macro.Engine, path, abs string, data string, recursing bool, buf []byte) *parser {
	p := &parser{reader: newReader(eng, abs, data, buf), eng: eng, path: path, spec: &Spec{Path: path}, recursing: recursing}
	p.reader.fileName = path
	p.luaInit()
	return p
}

func (ev *Evaluator) evaluate(eng *macro.Engine, path, abs string, data string, sc *scratch) (*Spec, error) {
	var buf []byte
	if sc != nil {
		buf = sc.parsed
	}
	p := newParser(eng, path, abs, data, false, buf)
	err := p.run()
	if _, ok := err.(restartError); ok {
		// BuildArch in the main package: rpm closes the spec and parses it
		// again once per compatible arch with %_target_cpu set to it,
		// keeping the macros the first pass defined; the first result wins.
		for len(p.files) > 0 {
			p.files = p.files[:len(p.files)-1]
			eng.Pop("__file_name")
		}
		var arch string
		for _, a := range p.baNames {
			if a == "noarch" || ev.rc.canBuild(ev.opts.Arch, a) {
				arch = a
				break
			}
		}
		if arch == "" {
			return nil, &Error{File: path, Msg: "no compatible architectures found for build"}
		}
		eng.Push("_target_cpu", "", arch, macro.LevelRPMRC)
		p = newParser(eng, path, abs, data, true, p.parsed)
		err = p.run()
	}
	if err != nil {
		if e, ok := err.(*Error); ok {
			if e.File == abs {
				e.File = path
			}
			return nil, e
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := p.spec
	// The check only reads the text: it may see the buffer itself.
	s.HasCheck = hasCheckLine(unsafe.String(unsafe.SliceData(p.parsed), len(p.parsed)))
	if sc == nil || !sc.noParsed {
		s.Parsed = string(p.parsed)
	}
	if sc != nil {
		sc.parsed = p.parsed[:0]
	}
	return s, nil
}
