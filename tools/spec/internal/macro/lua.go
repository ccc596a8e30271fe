package macro

// Lua support: rpm 4.18 embeds Lua 5.3 and exposes rpm.*, posix.*, the
// macros table and, inside parametric macros, opt and arg (rpmio/rpmlua.c).
//
// The interpreter is github.com/yuin/gopher-lua (Lua 5.1 plus goto): it is
// pure Go, mature and fast to start, and the Lua found in rpm's and Azure
// Linux's macro files and specs only uses what 5.1 and 5.3 share (string
// library and patterns, tables, closures, goto, string.format). Shims add
// the 5.3 functions they call (table.unpack, math.tointeger, string.pack is
// not needed). Differences from 5.3 that remain: no integer subtype (a float
// with an integral value prints as "3", where 5.3 prints "3.0"), no // or
// bitwise operators, no utf8 library. Numeric for loops accept strings as
// in 5.3 (see coerceForLoops).

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// LuaTimeout bounds the run time of one Lua chunk.
const LuaTimeout = 10 * time.Second

type luaState struct {
	L *lua.LState
	// e is the engine using the state: the state's own Go functions
	// (print, the module searcher) reach it through here, so that a
	// pooled state serves one engine after another (see luapool.go).
	e      *Engine
	prints []*strings.Builder

	// opened lists the libraries filled so far, tables their tables
	// (by libIndex) and unpack the base library's unpack.
	opened luaLib
	tables [numLibs]*lua.LTable
	unpack lua.LValue

	// pristine is the state as newLuaState made it, which reset restores.
	pristine *luaSnapshot
	// tmpfiles is set once io.tmpfile made a file.
	tmpfiles bool
	// line is print's buffer.
	line []byte
}

// protoCache holds compiled chunks by (name, source): compiled prototypes
// are immutable and shared between states.
var protoCache sync.Map

type protoKey struct{ name, src string }

// compiled is a compiled chunk and the libraries it may reach.
type compiled struct {
	proto *lua.FunctionProto
	libs  luaLib
}

func compileLua(name, src string) (*compiled, error) {
	k := protoKey{name, src}
	if c, ok := protoCache.Load(k); ok {
		return c.(*compiled), nil
	}
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	coerceForLoops(chunk)
	p, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, err
	}
	// A main chunk is a vararg function, so gopher-lua (with Lua 5.1's
	// compatibility "arg") builds an arg table for every run, with a
	// 32-slot hash part for its "n", in a register that no name of the
	// chunk refers to (only nested vararg functions get a local arg;
	// the chunk's arg is the global one). Not building it changes
	// nothing the chunk can see and saves most of a small chunk's
	// allocations.
	p.IsVarArg &^= lua.VarArgNeedsArg
	c := &compiled{proto: p, libs: protoLibs(p)}
	protoCache.Store(k, c)
	return c, nil
}

// luaState returns e's Lua interpreter, taking one from the pool (or
// making one) when e first needs it.
func (e *Engine) luaState() *luaState {
	if e.lua == nil {
		e.useLua(e.getLuaState())
	}
	return e.lua
}

// useLua makes ls, new or reset, e's interpreter.
func (e *Engine) useLua(ls *luaState) {
	ls.e = e
	var paths []string
	for _, d := range e.opts.LuaPath {
		paths = append(paths, filepath.Join(d, "?.lua"))
	}
	pkg := ls.L.GetGlobal("package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(strings.Join(paths, ";")))
	e.lua = ls
}

// newLuaState makes an interpreter as rpm's rpmluaNew does, less the
// libraries that stay placeholders until a chunk needs them, with the
// global tables named (Options.LuaTables). It depends on no engine:
// useLua sets package.path, and the Go functions reach the engine through
// ls.e.
func newLuaState(tables []string) *luaState {
	// The data stack starts small and grows on demand (up to
	// RegistryMaxSize): gopher-lua's default start of 5120 slots (80 KB,
	// zeroed) was the largest single allocation of a spec evaluation, and
	// rpm's Lua snippets need a few dozen.
	L := lua.NewState(lua.Options{CallStackSize: 256, RegistrySize: 256, RegistryMaxSize: 1 << 20,
		MinimizeStackMemory: true, SkipOpenLibs: true})
	ls := &luaState{L: L}
	runtime.SetFinalizer(ls, func(ls *luaState) { ls.L.Close() })

	// The libraries in lua.OpenLibs's order; most are placeholders that
	// openLibs fills when a chunk first needs them (see lualibs.go).
	callOpen(L, lua.LoadLibName, lua.OpenPackage)
	callOpen(L, lua.BaseLibName, lua.OpenBase)
	ls.unpack = L.GetGlobal("unpack")
	ls.placeholder(libTable)
	ls.placeholder(libIO)
	ls.placeholder(libOS)
	callOpen(L, lua.StringLibName, lua.OpenString)
	ls.placeholder(libMath)
	ls.placeholder(libDebug)
	ls.placeholder(libChannel)
	ls.placeholder(libCoroutine)

	coerceNumbers(L, L.GetGlobal("string").(*lua.LTable), map[string][]int{
		"sub": {2, 3}, "rep": {2}, "byte": {2, 3}, "char": nil, "find": {3}, "match": {3}})

	pkg := L.GetGlobal("package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(""))
	pkg.RawSetString("cpath", lua.LString(""))
	// Replace the Lua file searcher by one that reuses compiled modules.
	if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
		loaders.RawSetInt(2, L.NewFunction(func(L *lua.LState) int { return ls.e.luaSearcher(L) }))
	}

	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		// The line is built in ls.line, taken out while in use (a
		// __tostring may print too) and kept for the next call.
		line := ls.line[:0]
		ls.line = nil
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				line = append(line, '\t')
			}
			line = append(line, luaToString(L, L.Get(i))...)
		}
		if len(ls.prints) > 0 {
			pb := ls.prints[len(ls.prints)-1]
			if max := ls.e.opts.MaxOutput; pb.Len()+len(line) > max {
				L.RaiseError("output exceeds %d bytes", max)
			}
			pb.Write(line)
		}
		if cap(line) <= maxFreeCap {
			ls.line = line
		}
		return 0
	}))
	ls.placeholder(libRPM)
	ls.placeholder(libPosix)
	ls.placeholder(libMacros)
	for _, name := range tables {
		L.SetGlobal(name, L.CreateTable(0, 0))
	}
	// The globals opt and arg come and go with each parametric macro
	// (runLua), and a table keeps the place of a key it no longer holds:
	// they get their places here, the same in every interpreter, new or
	// reused, whatever macros ran in it before.
	for _, name := range luaCallGlobals {
		L.SetGlobal(name, lua.LTrue)
	}
	for _, name := range luaCallGlobals {
		L.SetGlobal(name, lua.LNil)
	}
	ls.pristine = snapshotLua(ls)
	return ls
}

// luaCallGlobals are the globals runLua sets for a parametric macro.
var luaCallGlobals = []string{"opt", "arg"}

// fillLib fills the placeholder of one library: what lua.OpenLibs and
// Keel's changes to it would have put there.
func (e *Engine) fillLib(ls *luaState, lib luaLib) {
	L := ls.L
	t := ls.tables[libIndex(lib)]
	switch lib {
	case libTable:
		ls.reopen(lib, lua.OpenTable)
		// 5.3 name used by rpm's Lua.
		t.RawSetString("unpack", ls.unpack)
	case libIO:
		ls.reopen(lib, lua.OpenIo)
		// No writing to stdout, no processes.
		t.RawSetString("write", L.NewFunction(func(L *lua.LState) int { return 0 }))
		t.RawSetString("popen", lua.LNil)
		// Temporary files are removed when the interpreter is closed,
		// so one that made any is not reused (see Engine.Release).
		if tmpfile, ok := t.RawGetString("tmpfile").(*lua.LFunction); ok {
			t.RawSetString("tmpfile", L.NewFunction(func(L *lua.LState) int {
				ls.tmpfiles = true
				L.Push(tmpfile)
				L.Call(0, lua.MultRet)
				return L.GetTop()
			}))
		}
	case libOS:
		ls.reopen(lib, lua.OpenOs)
		// No process control.
		for _, n := range []string{"execute", "exit", "remove", "rename", "setlocale", "tmpname"} {
			t.RawSetString(n, lua.LNil)
		}
		t.RawSetString("getenv", L.NewFunction(func(L *lua.LState) int {
			v, ok := ls.e.opts.Env[L.CheckString(1)]
			if !ok {
				L.Push(lua.LNil)
			} else {
				L.Push(lua.LString(v))
			}
			return 1
		}))
	case libMath:
		ls.reopen(lib, lua.OpenMath)
		// 5.3 names used by rpm's Lua.
		t.RawSetString("tointeger", L.NewFunction(func(L *lua.LState) int {
			v := L.Get(1)
			if n, ok := v.(lua.LNumber); ok && float64(n) == float64(int64(n)) {
				L.Push(n)
			} else if s, ok := v.(lua.LString); ok {
				if n, ok := parseCLong(string(s)); ok {
					L.Push(lua.LNumber(n))
				} else {
					L.Push(lua.LNil)
				}
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}))
		coerceNumbers(L, t, map[string][]int{})
		t.RawSetString("maxinteger", lua.LNumber(1<<63-1))
		t.RawSetString("mininteger", lua.LNumber(-1<<63))
	case libDebug:
		ls.reopen(lib, lua.OpenDebug)
	case libChannel:
		ls.reopen(lib, lua.OpenChannel)
	case libCoroutine:
		ls.reopen(lib, lua.OpenCoroutine)
	case libRPM:
		ls.fillRPM(t)
	case libPosix:
		ls.fillPosix(t)
	case libMacros:
		ls.fillMacros(t)
	}
}

// coerceNumbers wraps library functions so that numeric strings are
// accepted where numbers are expected, as Lua 5.3's luaL_checkinteger does
// (gopher-lua does not coerce). positions lists the argument positions of
// each function (nil: all of them); an empty map wraps every function of t
// on all arguments.
func coerceNumbers(L *lua.LState, t *lua.LTable, positions map[string][]int) {
	wrap := func(name string, fn *lua.LFunction, pos []int) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			n := L.GetTop()
			conv := func(i int) {
				if s, ok := L.Get(i).(lua.LString); ok {
					if f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil {
						L.Replace(i, lua.LNumber(f))
					}
				}
			}
			if pos == nil {
				for i := 1; i <= n; i++ {
					conv(i)
				}
			} else {
				for _, i := range pos {
					if i <= n {
						conv(i)
					}
				}
			}
			args := make([]lua.LValue, n)
			for i := 1; i <= n; i++ {
				args[i-1] = L.Get(i)
			}
			L.SetTop(0)
			L.Push(fn)
			for _, a := range args {
				L.Push(a)
			}
			L.Call(n, lua.MultRet)
			return L.GetTop()
		}))
	}
	if len(positions) == 0 {
		t.ForEach(func(k, v lua.LValue) {
			if fn, ok := v.(*lua.LFunction); ok {
				wrap(k.String(), fn, nil)
			}
		})
		return
	}
	for name, pos := range positions {
		if fn, ok := t.RawGetString(name).(*lua.LFunction); ok {
			wrap(name, fn, pos)
		}
	}
}

// moduleCache holds module sources by path: the macro Lua modules do not
// change while a process runs.
var moduleCache sync.Map

// luaSearcher finds a module in Options.LuaPath like Lua's file searcher
// and returns its (cached) compiled chunk.
func (e *Engine) luaSearcher(L *lua.LState) int {
	name := L.CheckString(1)
	rel := strings.ReplaceAll(name, ".", string(filepath.Separator)) + ".lua"
	var tried []string
	for _, d := range e.opts.LuaPath {
		p := filepath.Join(d, rel)
		src, ok := moduleCache.Load(p)
		if !ok {
			data, err := os.ReadFile(p)
			if err != nil {
				tried = append(tried, "\n\tno file '"+p+"'")
				continue
			}
			src = string(data)
			moduleCache.Store(p, src)
		}
		c, err := compileLua(p, src.(string))
		if err != nil {
			L.RaiseError("error loading module '%s' from file '%s':\n\t%s", name, p, err.Error())
		}
		// require is only reachable once every library is open.
		L.Push(L.NewFunctionFromProto(c.proto))
		return 1
	}
	L.Push(lua.LString(strings.Join(tried, "")))
	return 1
}

func luaToString(L *lua.LState, v lua.LValue) string {
	tostring := L.GetGlobal("tostring")
	L.Push(tostring)
	L.Push(v)
	L.Call(1, 1)
	s := L.ToString(-1)
	L.Pop(1)
	return s
}

// luaExpand expands s from Lua, continuing the depth and level of the
// expansion that called Lua (rpmExpandMacros with mc->depth, mc->level).
func (e *Engine) luaExpand(L *lua.LState, s string) string {
	mb := e.newBuf()
	mb.expand(s)
	out, err := mb.finish()
	if err != nil {
		L.RaiseError("error expanding macro: %s", err.(*Error).Msg)
	}
	return out
}

// fillRPM fills the rpm table. Its functions use the engine of the
// moment (ls.e), as a pooled interpreter keeps them (see luapool.go).
func (ls *luaState) fillRPM(t *lua.LTable) {
	L := ls.L
	fn := func(name string, f func(e *Engine, L *lua.LState) int) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int { return f(ls.e, L) }))
	}
	fn("expand", func(e *Engine, L *lua.LState) int {
		L.Push(lua.LString(e.luaExpand(L, L.CheckString(1))))
		return 1
	})
	fn("define", func(e *Engine, L *lua.LState) int {
		mb := e.newBuf()
		mb.doDefine(L.CheckString(1), LevelGlobal, false, true)
		if _, err := mb.finish(); err != nil {
			L.RaiseError("error defining macro: %s", err.(*Error).Msg)
		}
		return 0
	})
	fn("undefine", func(e *Engine, L *lua.LState) int {
		e.Pop(L.CheckString(1))
		return 0
	})
	fn("isdefined", func(e *Engine, L *lua.LState) int {
		me := e.tab.lookup(L.CheckString(1))
		L.Push(lua.LBool(me != nil))
		L.Push(lua.LBool(me != nil && me.parametric))
		return 2
	})
	fn("vercmp", func(e *Engine, L *lua.LState) int {
		// rpm 4.18 compares full [E:]V[-R] strings (rpmverParse/rpmverCmp).
		a, ok := parseVersion(L.CheckString(1))
		if !ok {
			L.ArgError(1, "invalid version "+L.CheckString(1))
		}
		b, ok := parseVersion(L.CheckString(2))
		if !ok {
			L.ArgError(2, "invalid version "+L.CheckString(2))
		}
		L.Push(lua.LNumber(compareVersion(a, b)))
		return 1
	})
	fn("interactive", func(e *Engine, L *lua.LState) int { return 0 })
	fn("redirect2null", func(e *Engine, L *lua.LState) int { return 0 })
	fn("register", func(e *Engine, L *lua.LState) int { return 0 })
	fn("unregister", func(e *Engine, L *lua.LState) int { return 0 })
	fn("call", func(e *Engine, L *lua.LState) int { return 0 })
	fn("execute", func(e *Engine, L *lua.LState) int {
		L.RaiseError("rpm.execute is not supported")
		return 0
	})
	fn("load", func(e *Engine, L *lua.LState) int {
		p := L.CheckString(1)
		data, err := os.ReadFile(e.resolve(p))
		if err != nil {
			L.RaiseError("failed to load macro file %s", p)
		}
		e.loadMacros(p, string(data), LevelMacroFiles)
		L.Push(lua.LTrue)
		return 1
	})
	fn("open", func(e *Engine, L *lua.LState) int {
		e.openLibs(ls, libIO)
		open := L.GetField(L.GetGlobal("io"), "open")
		L.Push(open)
		L.Push(L.Get(1))
		L.Push(L.Get(2))
		L.Call(2, lua.MultRet)
		return L.GetTop() - 2
	})
	fn("b64encode", func(e *Engine, L *lua.LState) int {
		L.Push(lua.LString(base64.StdEncoding.EncodeToString([]byte(L.CheckString(1)))))
		return 1
	})
	fn("b64decode", func(e *Engine, L *lua.LState) int {
		b, err := base64.StdEncoding.DecodeString(L.CheckString(1))
		if err != nil {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(b))
		}
		return 1
	})
	fn("splitargs", func(e *Engine, L *lua.LState) int {
		r := L.NewTable()
		for _, a := range splitArgs(L.CheckString(1)) {
			r.Append(lua.LString(a))
		}
		L.Push(r)
		return 1
	})
	fn("unsplitargs", func(e *Engine, L *lua.LState) int {
		tb := L.CheckTable(1)
		var parts []string
		for i := 1; i <= tb.Len(); i++ {
			parts = append(parts, shellQuoteIfNeeded(lua.LVAsString(tb.RawGetInt(i))))
		}
		L.Push(lua.LString(strings.Join(parts, " ")))
		return 1
	})
	fn("ver", func(e *Engine, L *lua.LState) int {
		evr, ok := parseVersion(L.CheckString(1))
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		v := L.NewTable()
		v.RawSetString("e", lua.LString(evr.Epoch))
		v.RawSetString("v", lua.LString(evr.Version))
		v.RawSetString("r", lua.LString(evr.Release))
		v.RawSetString("evr", lua.LString(value{kind: kindVersion, v: evr}.String()))
		L.Push(v)
		return 1
	})
}

// splitArgs splits like popt's poptParseArgvString: blanks separate,
// quotes group, backslash escapes.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	have := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote = c
			have = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			have = true
		case isSpace(c):
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

func shellQuoteIfNeeded(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fillPosix fills the posix table (functions as fillRPM's).
func (ls *luaState) fillPosix(t *lua.LTable) {
	L := ls.L
	fn := func(name string, f func(e *Engine, L *lua.LState) int) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int { return f(ls.e, L) }))
	}
	fn("getenv", func(e *Engine, L *lua.LState) int {
		if v, ok := e.opts.Env[L.CheckString(1)]; ok {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	})
	fn("uname", func(e *Engine, L *lua.LState) int {
		// A fixed Linux x86_64 identity keeps expansion host-independent.
		f := L.OptString(1, "%s %n %r %v %m")
		r := strings.NewReplacer("%s", "Linux", "%n", "localhost", "%r", "6.6.0", "%v", "#1 SMP", "%m", "x86_64", "%%", "%")
		L.Push(lua.LString(r.Replace(f)))
		return 1
	})
	fn("getcwd", func(e *Engine, L *lua.LState) int {
		L.Push(lua.LString(e.opts.Dir))
		return 1
	})
	fn("access", func(e *Engine, L *lua.LState) int {
		_, err := os.Stat(e.resolve(L.CheckString(1)))
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		L.Push(lua.LNumber(0))
		return 1
	})
	fn("stat", func(e *Engine, L *lua.LState) int {
		st, err := os.Stat(e.resolve(L.CheckString(1)))
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		typ := "regular"
		switch {
		case st.IsDir():
			typ = "directory"
		case st.Mode()&os.ModeSymlink != 0:
			typ = "link"
		}
		r := L.NewTable()
		r.RawSetString("type", lua.LString(typ))
		r.RawSetString("size", lua.LNumber(st.Size()))
		r.RawSetString("mode", lua.LString(st.Mode().Perm().String()))
		if f := L.OptString(2, ""); f != "" {
			L.Push(r.RawGetString(f))
			return 1
		}
		L.Push(r)
		return 1
	})
	fn("dir", func(e *Engine, L *lua.LState) int {
		ents, err := os.ReadDir(e.resolve(L.OptString(1, ".")))
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		r := L.NewTable()
		r.Append(lua.LString("."))
		r.Append(lua.LString(".."))
		for _, d := range ents {
			r.Append(lua.LString(d.Name()))
		}
		L.Push(r)
		return 1
	})
	for _, n := range []string{"setenv", "putenv", "unsetenv"} {
		fn(n, func(e *Engine, L *lua.LState) int {
			L.Push(lua.LNumber(0))
			return 1
		})
	}
}

// fillMacros makes the macros table (functions as fillRPM's).
func (ls *luaState) fillMacros(t *lua.LTable) {
	L := ls.L
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		e := ls.e
		name := L.CheckString(2)
		me := e.tab.lookup(name)
		if me == nil {
			L.Push(lua.LNil)
			return 1
		}
		if me.parametric {
			L.Push(L.NewFunction(func(L *lua.LState) int { return e.luaMacroCall(L, name) }))
			return 1
		}
		L.Push(lua.LString(e.luaExpand(L, "%{"+name+"}")))
		return 1
	}))
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		e := ls.e
		name := L.CheckString(2)
		v := L.Get(3)
		if v == lua.LNil {
			e.Pop(name)
			return 0
		}
		e.push(&entry{name: name, body: luaToString(L, v), level: LevelGlobal})
		return 0
	}))
	L.SetMetatable(t, mt)
}

func (e *Engine) luaMacroCall(L *lua.LState, name string) int {
	if L.GetTop() > 1 {
		L.RaiseError("too many arguments")
	}
	switch a := L.Get(1).(type) {
	case lua.LString, lua.LNumber:
		L.Push(lua.LString(e.luaExpand(L, "%"+name+" "+lua.LVAsString(a))))
		return 1
	case *lua.LTable:
		var argv []string
		for i := 1; i <= a.Len(); i++ {
			argv = append(argv, lua.LVAsString(a.RawGetInt(i)))
		}
		me := e.tab.lookup(name)
		if me == nil {
			return 0
		}
		mb := e.newBuf()
		if mb.enter() {
			mb.doMacro(me, append([]string{me.name}, argv...), nil)
			mb.leave()
		}
		out, err := mb.finish()
		if err != nil {
			L.RaiseError("%s", err.(*Error).Msg)
		}
		L.Push(lua.LString(out))
		return 1
	}
	L.ArgError(1, "string or table expected")
	return 0
}

// runLua runs script as rpmluaRunScript: name names the chunk (the macro,
// or "<lua>"), and for a parametric macro opt and arg hold its options and
// arguments. It returns what the script printed.
func (mb *mbuf) runLua(script, name string, me *entry, args []string) (string, *Error) {
	e := mb.e
	chunk := "<lua>"
	if name != "" {
		chunk = name
	}
	ls := e.luaState()
	L := ls.L
	c, err := compileLua(chunk, script)
	if err != nil {
		return "", errorf("invalid syntax in lua script: %s", luaErrMsg(chunk, err))
	}
	e.openLibs(ls, c.libs)
	if err := e.applyLuaOps(L); err != nil {
		return "", err
	}
	ls.prints = append(ls.prints, &strings.Builder{})
	defer func() { ls.prints = ls.prints[:len(ls.prints)-1] }()

	var restore func()
	if me != nil && me.parametric {
		// Sized tables: L.NewTable preallocates 32 array and 32 hash
		// slots (and the first string key of a table without a hash
		// part makes one of 32), which made these two tables a large
		// part of the cost of a call (rpm's %autopatch,
		// %_python_memoize, ...).
		type optVal struct {
			c   byte
			arg string
		}
		var opts []optVal
		var rest []string
		if args != nil {
			rest, _ = getopt(args[1:], me.opts, func(c byte, arg string, hasArg bool) {
				opts = append(opts, optVal{c, arg})
			})
		}
		optT := L.CreateTable(0, len(opts))
		for _, o := range opts {
			optT.RawSetString(string(o.c), lua.LString(o.arg))
		}
		argT := L.CreateTable(len(rest), 0)
		for _, a := range rest {
			argT.Append(lua.LString(a))
		}
		oldOpt, oldArg := L.GetGlobal("opt"), L.GetGlobal("arg")
		L.SetGlobal("opt", optT)
		L.SetGlobal("arg", argT)
		restore = func() { L.SetGlobal("opt", oldOpt); L.SetGlobal("arg", oldArg) }
	}
	if restore != nil {
		defer restore()
	}

	top := L.Context() == nil
	if top {
		ctx, cancel := context.WithTimeout(context.Background(), LuaTimeout)
		L.SetContext(ctx)
		defer func() { cancel(); L.RemoveContext() }()
	}
	L.Push(L.NewFunctionFromProto(c.proto))
	if err := L.PCall(0, 0, nil); err != nil {
		L.SetTop(0)
		return "", errorf("lua script failed: %s", luaErrMsg(chunk, err))
	}
	return ls.prints[len(ls.prints)-1].String(), nil
}

// luaOp is a queued change to a global table: a reset to a new empty
// table (value nil) or an append of value.
type luaOp struct {
	name  string
	value lua.LValue
}

// applyLuaOps makes the queued changes to the Lua globals, through the
// same global accesses as the Lua code `name = {}` and
// `table.insert(name, value)` would make.
func (e *Engine) applyLuaOps(L *lua.LState) *Error {
	if len(e.luaOps) == 0 {
		return nil
	}
	ops := e.luaOps
	e.luaOps = nil
	apply := L.NewFunction(func(L *lua.LState) int {
		for _, op := range ops {
			if op.value == nil {
				L.SetGlobal(op.name, L.CreateTable(0, 0))
				continue
			}
			t, ok := L.GetGlobal(op.name).(*lua.LTable)
			if !ok {
				L.RaiseError("global %s is not a table", op.name)
			}
			t.Append(op.value)
		}
		return 0
	})
	if err := L.CallByParam(lua.P{Fn: apply, Protect: true}); err != nil {
		return errorf("lua script failed: %s", luaErrMsg("<lua>", err))
	}
	return nil
}

// luaErrMsg renders a gopher-lua error like Lua's own messages
// ([string "name"]:line: message), without the Go stack trace.
func luaErrMsg(chunk string, err error) string {
	msg := err.Error()
	if ae, ok := err.(*lua.ApiError); ok {
		msg = ae.Object.String()
	}
	if k := strings.Index(msg, "\nstack traceback:"); k >= 0 {
		msg = msg[:k]
	}
	msg = strings.Replace(msg, chunk+":", `[string "`+chunk+`"]:`, 1)
	return msg
}

func doLua(mb *mbuf, me *entry, argv []string, parsed *int) {
	e := mb.e
	name := ""
	var cme *entry
	var cargs []string
	if mb.me != nil {
		cme, name, cargs = mb.me, mb.me.name, mb.args
	}
	odepth, olevel := e.depth, e.level
	e.depth, e.level = mb.depth, mb.level
	out, err := mb.runLua(argv[1], name, cme, cargs)
	e.depth, e.level = odepth, olevel
	if err != nil {
		mb.failErr(err)
		return
	}
	mb.appendStr(out)
}

// luaCallFunction calls the global Lua function name (dotted names allowed)
// for an expression's lua:name(...) call and returns its result as a
// string.
func (mb *mbuf) luaCallFunction(name string, args []any) (string, *Error) {
	e := mb.e
	ls := e.luaState()
	L := ls.L
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == ':' })
	if len(parts) > 0 {
		e.openLibs(ls, libGlobals[parts[0]])
	}
	if err := e.applyLuaOps(L); err != nil {
		return "", err
	}
	var f lua.LValue = L.G.Global
	for _, part := range parts {
		tb, ok := f.(*lua.LTable)
		if !ok {
			f = lua.LNil
			break
		}
		f = tb.RawGetString(part)
	}
	if f.Type() != lua.LTFunction {
		return "", errorf("lua function %s not found", name)
	}
	var largs []lua.LValue
	for _, a := range args {
		switch v := a.(type) {
		case int:
			largs = append(largs, lua.LNumber(v))
		case string:
			largs = append(largs, lua.LString(v))
		}
	}
	if err := L.CallByParam(lua.P{Fn: f, NRet: 1, Protect: true}, largs...); err != nil {
		return "", errorf("lua script failed: %s", luaErrMsg(name, err))
	}
	r := L.Get(-1)
	L.Pop(1)
	if r == lua.LNil {
		return "", nil
	}
	return luaToString(L, r), nil
}
