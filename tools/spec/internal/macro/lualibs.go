package macro

import lua "github.com/yuin/gopher-lua"

// Lazy libraries. Opening every standard library and rpm's API tables for
// each spec's interpreter was the largest cost of running Lua (about a
// thousand allocations), and the Lua that specs run (%autopatch, the
// Python macros) needs two or three of them. So a new state opens only the
// package, base and string libraries (strings have methods through their
// metatable whatever a chunk names) and installs an empty placeholder
// table for each other library, in lua.OpenLibs's order, so that the
// globals and package.loaded get their keys in the same order as with
// every library open. A placeholder is filled, in place,
// before the first chunk that names the library runs: Lua 5.1 reaches a
// global only by its name (a string constant of the chunk or of a function
// inside it) or through the few functions listed in libGlobals as reaching
// all of them (_G, getfenv, load, require, package, debug, ...), which
// fill every library. Go code that reads a library (rpm.open uses io)
// fills it first. So no Lua code can see an unfilled placeholder, and a
// filled library is the same table, with the same contents, as an eagerly
// opened one; the tests in lualibs_test.go compare the two.

type luaLib uint16

const (
	libTable luaLib = 1 << iota
	libIO
	libOS
	libMath
	libDebug
	libChannel
	libCoroutine
	libRPM
	libPosix
	libMacros
	numLibs = iota
	libAll  = 1<<numLibs - 1
)

// libNames are the global names of the lazy libraries, by libIndex (the
// order in which openLibs fills them).
var libNames = [numLibs]string{"table", "io", "os", "math", "debug", "channel", "coroutine", "rpm", "posix", "macros"}

// libOpeners are gopher-lua's opening functions (nil: filled by Keel).
var libOpeners = [numLibs]lua.LGFunction{lua.OpenTable, lua.OpenIo, lua.OpenOs, lua.OpenMath, lua.OpenDebug, lua.OpenChannel, lua.OpenCoroutine}

// libGlobals maps a global name to the libraries a chunk naming it may
// reach.
var libGlobals = func() map[string]luaLib {
	m := map[string]luaLib{}
	for i, n := range libNames {
		m[n] = 1 << i
	}
	// Names that reach every global (the globals table, function
	// environments, package.loaded) or run code compiled at run time.
	for _, n := range []string{"_G", "getfenv", "setfenv", "load", "loadstring", "loadfile", "dofile",
		"require", "module", "package", "debug"} {
		m[n] = libAll
	}
	return m
}()

func libIndex(lib luaLib) int {
	for i := 0; i < numLibs; i++ {
		if lib == 1<<i {
			return i
		}
	}
	panic("macro: not a single library")
}

// protoLibs returns the libraries a compiled chunk may reach: those whose
// names are string constants of the chunk or of a function inside it.
func protoLibs(p *lua.FunctionProto) luaLib {
	var libs luaLib
	for _, c := range p.Constants {
		if s, ok := c.(lua.LString); ok {
			libs |= libGlobals[string(s)]
		}
	}
	for _, f := range p.FunctionPrototypes {
		libs |= protoLibs(f)
	}
	return libs
}

// callOpen opens a gopher-lua library as lua.OpenLibs does.
func callOpen(L *lua.LState, name string, open lua.LGFunction) {
	L.Push(L.NewFunction(open))
	L.Push(lua.LString(name))
	L.Call(1, 0)
}

// placeholder installs the empty table of lib where opening it would put
// its table: the global and package.loaded.
func (ls *luaState) placeholder(lib luaLib) {
	L := ls.L
	i := libIndex(lib)
	t := L.CreateTable(0, 0)
	ls.tables[i] = t
	L.G.Global.RawSetString(libNames[i], t)
	if libOpeners[i] != nil {
		loaded := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
		loaded.RawSetString(libNames[i], t)
	}
}

// reopen fills the placeholder of lib with gopher-lua's opening function:
// with package.loaded's entry cleared, RegisterModule finds the global
// placeholder and fills it; re-setting the entry keeps its key's place.
func (ls *luaState) reopen(lib luaLib, open lua.LGFunction) {
	L := ls.L
	i := libIndex(lib)
	loaded := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
	loaded.RawSetString(libNames[i], lua.LNil)
	callOpen(L, libNames[i], open)
}

// openLibs fills the placeholders of libs not filled yet, in order.
func (e *Engine) openLibs(ls *luaState, libs luaLib) {
	libs &^= ls.opened
	for i := 0; i < numLibs && libs != 0; i++ {
		lib := luaLib(1 << i)
		if libs&lib != 0 {
			ls.opened |= lib
			libs &^= lib
			e.fillLib(ls, lib)
			if lib&keepFilled != 0 && ls.pristine != nil {
				ls.pristine.extend(lib)
			}
		}
	}
}
