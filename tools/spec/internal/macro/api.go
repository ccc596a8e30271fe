package macro

import (
	"fmt"
	"io"
	"os"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Levels as in rpm (RMIL_*): used to scope definitions.
const (
	LevelBuiltin    = -20
	LevelDefault    = -15
	LevelMacroFiles = -13
	LevelRPMRC      = -11
	LevelCmdline    = -7
	LevelTarball    = -5
	LevelSpec       = -3
	LevelOldSpec    = -1
	LevelGlobal     = 0
)

// Defaults for the bounds of Options.
const (
	DefaultMaxDepth  = 64       // rpm's _MAX_MACRO_DEPTH
	DefaultMaxOutput = 64 << 20 // bytes of one expansion
	// MaxSteps bounds the number of macro expansions done by one call of
	// the API, so that exponential but output-free recursion (which rpm
	// would run forever) ends with an error.
	MaxSteps = 10_000_000
)

// Options configure an Engine.
type Options struct {
	// Shell runs the body of %(...) and returns its stdout (trailing newlines
	// are stripped by the engine, as rpm does). nil means DefaultShell
	// (/bin/bash -c with a controlled environment, in Dir, 30 s timeout).
	Shell func(cmd string) (string, error)
	// Dir is the working directory of %(...) and of relative paths in
	// %{exists:} and Lua io.
	Dir string
	// LuaPath lists directories searched by Lua's require (<dir>/?.lua),
	// like rpm's <configdir>/lua.
	LuaPath []string
	// MaxDepth bounds the macro recursion (0: DefaultMaxDepth).
	MaxDepth int
	// MaxOutput bounds the size of one expansion in bytes (0: DefaultMaxOutput).
	MaxOutput int
	// Warn receives rpm-style "warning: ..." lines and %{echo:} output
	// (may be nil).
	Warn func(msg string)
	// Env is what %{getenv:}, os.getenv and posix.getenv see (nil: PATH,
	// LC_ALL=C and TZ=UTC only), so that expansion does not depend on the
	// caller's environment.
	Env map[string]string
	// NCPUs is what %{getncpus} returns (0: 4, the value the reference
	// outputs pin for %_smp_build_ncpus).
	NCPUs int
	// ConfDir is what %{getconfdir} returns ("" : /usr/lib/rpm).
	ConfDir string
	// LuaTables names global tables every Lua interpreter of the engine
	// starts with, empty, in this order (rpm's spec tables: sources,
	// patches, ...; ResetLuaTables empties them again).
	LuaTables []string
	// FreshLua makes the engine start a new Lua interpreter rather than
	// reuse a released one (see Engine.Release), for tests that compare
	// the two.
	FreshLua bool
}

// Error is a macro expansion error. Msg is rpm's error text (without the
// "error: " prefix).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) *Error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Engine is a macro context: a set of macro definitions plus the state of
// the Lua interpreter. An Engine is not safe for concurrent use; Clone it
// for each goroutine.
type Engine struct {
	opts Options
	tab  table

	// depth and level of an expansion in progress, used when Lua calls
	// back into the engine (rpm's mc->depth and mc->level).
	depth, level int
	// scoped lists names defined at a level > 0 (inside a parametric macro
	// call), so that leaving a call does not scan the whole table.
	scoped []string

	lua     *luaState
	luaPool *sync.Pool // of interpreters for engines with these options
	// luaOps are changes to Lua globals not yet made (see AppendLuaTable).
	luaOps []luaOp

	// fileCtx prefixes messages while a macro file is loaded
	// ("<file>: line N: ", rpm's %{__file_name} and %{__file_lineno}).
	fileCtx string

	// steps counts expansions since the outermost API call began.
	steps int

	free []*mbuf // expansion buffers for reuse (see getBuf)

	// lastLiteral is the entry of the last PushLiteral, spare one to
	// reuse (see Pop); cloned is set once e has been cloned.
	lastLiteral, spare *entry
	cloned             bool

	mu sync.Mutex // guards freezing tab in Clone
}

// New returns an Engine holding only rpm's built-in macros.
func New(opts Options) *Engine {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = DefaultMaxOutput
	}
	if opts.NCPUs <= 0 {
		opts.NCPUs = 4
	}
	if opts.ConfDir == "" {
		opts.ConfDir = "/usr/lib/rpm"
	}
	if opts.Env == nil {
		opts.Env = map[string]string{"PATH": defaultPath, "LC_ALL": "C", "TZ": "UTC"}
	}
	e := &Engine{opts: opts, luaPool: luaPoolFor(&opts)}
	e.tab.base = builtinTable
	return e
}

// Clone returns an independent copy of e: definitions made in one are not
// seen by the other. Cloning is cheap: the definitions are shared
// copy-on-write. The Lua state is not copied (the clone starts a fresh one
// when it first needs it), as each rpm process starts with a fresh one.
func (e *Engine) Clone() *Engine {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tab.freeze()
	e.cloned, e.lastLiteral = true, nil
	c := &Engine{opts: e.opts, luaPool: e.luaPool, tab: table{base: e.tab.base}}
	// Room for what a spec defines, so that the map rarely grows.
	c.tab.over = make(map[string]*entry, len(e.tab.over)+64)
	for k, v := range e.tab.over {
		c.tab.over[k] = v
	}
	return c
}

// Watch makes e note, from now on, every look-up of name: any use of the
// macro (expanding it in any form, testing it with %{?name}, defining or
// undefining it, %{macrobody:name}, Lua's macros.name or
// rpm.isdefined(name)) and any listing of every macro (%dump). Watched
// reports whether one happened. If none did, the run so far did not
// depend on name's definition: the same run with any other definition of
// name would have done exactly the same.
func (e *Engine) Watch(name string) {
	e.tab.watch, e.tab.watching, e.tab.seen = name, true, false
}

// Watched reports whether the name given to Watch was looked up since.
func (e *Engine) Watched() bool { return e.tab.seen }

// LoadFile loads an rpm macro file at LevelMacroFiles, as rpm's
// loadMacroFile does. Definitions that fail are reported through
// Options.Warn as rpm reports them ("error: <file>: line N: ...") and
// skipped, as rpm skips them; only an unreadable file is an error.
func (e *Engine) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("loading macro file %s: %w", path, err)
	}
	defer f.Close()
	return e.LoadReader(path, f, LevelMacroFiles)
}

// LoadReader loads macro definitions in rpm macro-file syntax from r; name
// is used in messages.
func (e *Engine) LoadReader(name string, r io.Reader, level int) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading macro file %s: %w", name, err)
	}
	e.loadMacros(name, string(data), level)
	return nil
}

// Define defines a macro like rpmDefineMacro: "name(opts) body" or
// "name body"; the body is stored unexpanded (%define semantics).
func (e *Engine) Define(def string, level int) error {
	mb := e.newBuf()
	mb.doDefine(def, level, false, true)
	_, err := mb.finish()
	return err
}

// Global defines a macro with %global semantics: the body is expanded
// first.
func (e *Engine) Global(def string, level int) error {
	mb := e.newBuf()
	mb.doDefine(def, level, true, true)
	_, err := mb.finish()
	return err
}

// Push defines name with body, as rpmPushMacro: opts "" means a plain
// (non-parametric) macro, anything else a parametric one with those getopt
// options (use PushParametric for a parametric macro without options).
func (e *Engine) Push(name, opts, body string, level int) {
	e.push(&entry{name: name, opts: opts, parametric: opts != "", body: body, level: level})
}

// PushParametric defines a parametric macro; opts may be empty.
func (e *Engine) PushParametric(name, opts, body string, level int) {
	e.push(&entry{name: name, opts: opts, parametric: true, body: body, level: level})
}

// PushLiteral defines a macro whose body is never expanded (RPMMACRO_LITERAL).
func (e *Engine) PushLiteral(name, body string, level int) {
	me := e.spare
	if me == nil {
		me = new(entry)
	}
	*me = entry{name: name, body: body, level: level, flags: meLiteral}
	e.spare, e.lastLiteral = nil, me
	e.push(me)
}

// Pop removes the most recent definition of name (%undefine).
//
// Reading a spec pushes and pops %__file_lineno around each line. The
// entry of the last PushLiteral, popped while on top, is referenced by
// nothing any more (entries are shared only with clones, and an engine
// that was cloned keeps none), so the next PushLiteral reuses it.
func (e *Engine) Pop(name string) {
	if top := e.tab.lookup(name); top != nil && top == e.lastLiteral && !e.cloned {
		e.spare, e.lastLiteral = top, nil
	}
	e.tab.pop(name)
}

// IsDefined reports whether name has a definition.
func (e *Engine) IsDefined(name string) bool { return e.tab.lookup(name) != nil }

// IsParametric reports whether name is a parametric macro.
func (e *Engine) IsParametric(name string) bool {
	me := e.tab.lookup(name)
	return me != nil && me.parametric
}

// Body returns the unexpanded body of name (%{macrobody:name}).
func (e *Engine) Body(name string) (string, bool) {
	me := e.tab.lookup(name)
	if me == nil {
		return "", false
	}
	return me.body, true
}

// ResetLuaTables sets each of names to a new empty global Lua table, in
// that order, as rpm's specLuaInit does for the spec tables (sources,
// patches, ...). Like AppendLuaTable it does not start the Lua
// interpreter: the change is made before the next Lua chunk runs, so a
// spec that runs no Lua never pays for an interpreter.
func (e *Engine) ResetLuaTables(names ...string) {
	for _, n := range names {
		e.luaOps = append(e.luaOps, luaOp{name: n})
	}
}

// AppendLuaTable appends v (a string or an integer) to the global Lua
// table name, as table.insert(name, v) does (rpm's addLuaSource), before
// the next Lua chunk runs.
func (e *Engine) AppendLuaTable(name string, v any) {
	var lv lua.LValue
	switch x := v.(type) {
	case string:
		lv = lua.LString(x)
	case int:
		lv = lua.LNumber(x)
	case uint32:
		lv = lua.LNumber(x)
	default:
		panic(fmt.Sprintf("macro: AppendLuaTable: unsupported value type %T", v))
	}
	e.luaOps = append(e.luaOps, luaOp{name: name, value: lv})
}

// Expand expands all macros in s, as rpmExpandMacros.
func (e *Engine) Expand(s string) (string, error) {
	mb := e.newBuf()
	mb.expand(s)
	return mb.finish()
}

// ExpandArgs calls macro name with args, as rpmExpandThisMacro (the
// arguments are not expanded). Calling an undefined macro is an error.
func (e *Engine) ExpandArgs(name string, args []string) (string, error) {
	me := e.tab.lookup(name)
	if me == nil {
		return "", errorf("macro %%%s not found", name)
	}
	mb := e.newBuf()
	if mb.enter() {
		var argv []string
		if me.parametric {
			argv = append([]string{me.name}, args...)
		}
		mb.doMacro(me, argv, nil)
		mb.leave()
	}
	return mb.finish()
}

// EvalBool evaluates an rpm %if expression (rpmExprBoolFlags with
// RPMEXPR_EXPAND: macros inside are expanded while parsing).
func (e *Engine) EvalBool(expr string) (bool, error) {
	mb := e.newBuf()
	v, err := mb.evalExpr(expr, exprExpand)
	mb.finish()
	if err != nil {
		return false, err
	}
	return v.bool(), nil
}

// EvalCondition evaluates a spec %if/%elif condition: rpm's readLine
// expands the line first and then calls rpmExprBoolFlags(s, 0), so macros
// are not expanded a second time here (a '%' left in the text is a syntax
// error, as in rpm).
func (e *Engine) EvalCondition(expr string) (bool, error) {
	mb := e.newBuf()
	v, err := mb.evalExpr(expr, 0)
	mb.finish()
	if err != nil {
		return false, err
	}
	return v.bool(), nil
}

// EvalExpr evaluates an expression like %[...] and renders its value as
// rpm does.
func (e *Engine) EvalExpr(expr string) (string, error) {
	mb := e.newBuf()
	v, err := mb.evalExpr(expr, exprExpand)
	mb.finish()
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// ExpandNumeric expands s and converts it like rpmExpandNumeric: "Y"/"y"
// is 1, "N"/"n" 0, otherwise the C-style integer value or 0.
func (e *Engine) ExpandNumeric(s string) int {
	v, err := e.Expand(s)
	if err != nil || v == "" || v[0] == '%' {
		return 0
	}
	switch v[0] {
	case 'Y', 'y':
		return 1
	case 'N', 'n':
		return 0
	}
	n, ok := parseCLong(v)
	if !ok {
		return 0
	}
	return int(int32(n))
}

func (e *Engine) warn(msg string) {
	if e.opts.Warn != nil {
		e.opts.Warn(msg)
	}
}
