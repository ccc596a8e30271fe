package macro

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// Reusing Lua interpreters. Making one (the package, base and string
// libraries, the placeholders) was the largest single cost of evaluating
// a spec that runs Lua, which two thirds of them do (%autosetup's
// %autopatch). rpm starts each process with a new interpreter, so each
// spec must see a new one: an engine done with its interpreter
// (Engine.Release) resets it to the state newLuaState left it in and puts
// it in a pool, from which the next engine with the same LuaTables takes
// it.
//
// The reset is complete by construction. Lua code reaches nothing but
// values, and the only mutable values are tables, functions (their
// environment and upvalues), userdata, threads and channels, and the
// metatables of the built-in types. newLuaState records in a luaSnapshot
// every table and function reachable from the interpreter's roots (the
// globals, the registry, the built-in types' metatables); it refuses the
// kinds of value it could not restore (userdata, threads, channels, tables
// as keys), so a new interpreter has none of them. The reset gives each
// recorded table its recorded entries (in their order, so pairs goes the
// same way) and metatable, in the table in its place if that one provably
// still has the recorded layout (see sameShape), else in a new one; it
// puts the recorded environment and upvalues back into each recorded
// function, and makes the tables the roots. Whatever the previous
// engine's Lua made or changed is then unreachable, except through the
// recorded tables and functions, whose every mutable part was just
// restored. Libraries filled since are recorded filled (see extend). The
// Go side (the placeholders, the print buffers) is reset with it. Files
// stay outside: those io.open opened are closed when collected, as with a
// new interpreter, but an interpreter whose io.tmpfile made a file
// (removed when it is closed) is not reused. The tests in luapool_test.go
// check all this against new interpreters.

var (
	luaPools           sync.Map // strings.Join(Options.LuaTables, "\x00") -> *sync.Pool of reset *luaState
	luaMade, luaReused atomic.Int64
)

// luaPoolFor returns the pool of interpreters for engines with opts.
func luaPoolFor(opts *Options) *sync.Pool {
	key := strings.Join(opts.LuaTables, "\x00")
	if p, ok := luaPools.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := luaPools.LoadOrStore(key, &sync.Pool{})
	return p.(*sync.Pool)
}

// LuaStats returns how many Lua interpreters engines have made and how
// many times they reused a released one, since the process started.
func LuaStats() (made, reused int64) { return luaMade.Load(), luaReused.Load() }

// getLuaState returns a pooled interpreter, or a new one.
func (e *Engine) getLuaState() *luaState {
	if !e.opts.FreshLua {
		if ls, ok := e.luaPool.Get().(*luaState); ok {
			luaReused.Add(1)
			return ls
		}
	}
	luaMade.Add(1)
	return newLuaState(e.opts.LuaTables)
}

// Release ends e's use of its Lua interpreter: it is reset and reused by
// another engine. Call it when done with e; Lua run through e afterwards
// starts in another interpreter.
func (e *Engine) Release() {
	if ls := e.releaseLua(); ls != nil {
		e.luaPool.Put(ls)
	}
}

// releaseLua detaches e's interpreter and returns it reset, or nil if
// there is none or it cannot be reused.
func (e *Engine) releaseLua() *luaState {
	ls := e.lua
	if ls == nil {
		return nil
	}
	e.lua = nil
	if ls.tmpfiles || len(ls.prints) != 0 {
		return nil
	}
	ls.reset()
	return ls
}

// reset restores the interpreter to its pristine snapshot.
func (ls *luaState) reset() {
	ls.L.SetTop(0)
	ls.pristine.restore(ls.L)
	ls.e = nil
	ls.opened = ls.pristine.filled
	for i, t := range ls.pristine.libs {
		ls.tables[i] = ls.pristine.cur[t]
	}
}

// builtinTypes returns a value of each type whose metatable is one per
// interpreter (gopher-lua's builtinMts): all but tables and userdata.
func builtinTypes(L *lua.LState) []lua.LValue {
	return []lua.LValue{lua.LNil, lua.LFalse, lua.LNumber(0), lua.LString(""), &lua.LFunction{}, L, lua.LChannel(nil)}
}

// luaSnapshot records the tables and functions reachable from an
// interpreter's roots. Tables are numbered in the order found; a value
// referring to table i is recorded as tableRef(i).
type luaSnapshot struct {
	tables   []tableSnap
	funcs    []funcSnap
	global   int
	registry int
	types    []lua.LValue // builtinTypes
	mts      []lua.LValue // the metatable of each
	libs     [numLibs]int // the table of each library (luaState.tables)

	// cur holds the table now in the place of each recorded one, kept
	// says which of them the reset keeps (see sameShape).
	cur  []*lua.LTable
	kept []bool

	// filled lists the libraries recorded filled (see extend).
	filled luaLib

	// While recording: the tables and functions found.
	index    map[*lua.LTable]int
	seenFunc map[*lua.LFunction]bool
}

type tableRef int

// String and Type make tableRef an lua.LValue, so that recorded entries
// keep table references in place; it never reaches Lua.
func (r tableRef) String() string       { return fmt.Sprintf("table #%d", int(r)) }
func (r tableRef) Type() lua.LValueType { return lua.LTTable }

type tableSnap struct {
	keys, values []lua.LValue
	meta         lua.LValue
	// narr of the keys are 1, 2, ... narr: the array part.
	narr int
	// holes are keys the table keeps the place of without a value, after
	// the others (the globals' luaCallGlobals).
	holes []lua.LValue
}

type funcSnap struct {
	fn       *lua.LFunction
	env      lua.LValue // tableRef, or nil
	upvalues []lua.LValue
}

// snapshotLua records ls's reachable tables and functions. It panics on a
// value it could not restore: newLuaState makes none.
func snapshotLua(ls *luaState) *luaSnapshot {
	L := ls.L
	s := &luaSnapshot{index: map[*lua.LTable]int{}, seenFunc: map[*lua.LFunction]bool{}}
	s.global = int(s.table(L.G.Global))
	s.registry = int(s.table(L.G.Registry))
	s.types = builtinTypes(L)
	for _, v := range s.types {
		s.mts = append(s.mts, s.value(L.GetMetatable(v)))
	}
	for i, t := range ls.tables {
		j, ok := s.index[t]
		if !ok {
			panic("macro: Lua snapshot: library table not reachable")
		}
		s.libs[i] = j
	}
	for _, name := range luaCallGlobals {
		s.tables[s.global].holes = append(s.tables[s.global].holes, lua.LString(name))
	}
	// No other key was removed: a new table with the recorded entries
	// and holes is the recorded one.
	for i := range s.tables {
		if ltableShapeKnown && !s.sameShape(i) {
			panic("macro: Lua snapshot: a table keeps the place of a removed key")
		}
	}
	s.index, s.seenFunc = nil, nil
	return s
}

// keepFilled are the libraries whose filling changes nothing but their
// own table (io and channel also set metatables elsewhere) and removes no
// key from it (os does): once filled, they are recorded so (extend), and
// a reset keeps them filled.
const keepFilled = libTable | libMath | libDebug | libCoroutine | libRPM | libPosix | libMacros

// extend records the table of lib, just filled, with its contents: the
// reset restores it filled and counts lib as opened. An interpreter reset
// so is one in which a chunk has already needed lib: that a library is
// filled, or when, is nothing Lua code can tell (see lualibs.go). A table
// whose filling removed keys is not recorded: a copy would not keep their
// places.
func (s *luaSnapshot) extend(lib luaLib) {
	i := s.libs[libIndex(lib)]
	if !ltableShapeKnown || !noHoles(s.cur[i]) {
		return
	}
	s.index = make(map[*lua.LTable]int, len(s.cur))
	for i, t := range s.cur {
		s.index[t] = i
	}
	s.seenFunc = make(map[*lua.LFunction]bool, len(s.funcs))
	for _, f := range s.funcs {
		s.seenFunc[f.fn] = true
	}
	s.tables[i] = s.record(s.cur[i])
	s.filled |= lib
	s.index, s.seenFunc = nil, nil
}

// value records v (and what it reaches) and returns what to record in
// its place.
func (s *luaSnapshot) value(v lua.LValue) lua.LValue {
	switch x := v.(type) {
	case *lua.LNilType, lua.LBool, lua.LNumber, lua.LString:
		return v
	case *lua.LTable:
		return s.table(x)
	case *lua.LFunction:
		if !s.seenFunc[x] {
			s.seenFunc[x] = true
			i := len(s.funcs)
			s.funcs = append(s.funcs, funcSnap{fn: x})
			var env lua.LValue
			if x.Env != nil {
				env = s.table(x.Env)
			}
			var ups []lua.LValue
			for _, uv := range x.Upvalues {
				if !uv.IsClosed() {
					panic("macro: Lua snapshot: open upvalue")
				}
				ups = append(ups, s.value(uv.Value()))
			}
			s.funcs[i].env, s.funcs[i].upvalues = env, ups
		}
		return v
	}
	panic(fmt.Sprintf("macro: Lua snapshot: cannot restore a %s", v.Type()))
}

func (s *luaSnapshot) table(t *lua.LTable) tableRef {
	if i, ok := s.index[t]; ok {
		return tableRef(i)
	}
	i := len(s.tables)
	s.index[t] = i
	s.tables = append(s.tables, tableSnap{})
	s.cur = append(s.cur, t)
	s.kept = append(s.kept, false)
	s.tables[i] = s.record(t)
	return tableRef(i)
}

// record returns the entries and metatable of t.
func (s *luaSnapshot) record(t *lua.LTable) tableSnap {
	var ts tableSnap
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if _, ok := k.(*lua.LTable); ok {
			panic("macro: Lua snapshot: a table as a key")
		}
		ts.keys = append(ts.keys, s.value(k))
		ts.values = append(ts.values, s.value(v))
	}
	for ts.narr < len(ts.keys) && ts.keys[ts.narr] == lua.LNumber(ts.narr+1) {
		ts.narr++
	}
	ts.meta = s.value(t.Metatable)
	return ts
}

// restore puts the recorded tables in place, reusing the ones whose
// layout still is the recorded one, and restores the recorded functions
// and L's roots.
func (s *luaSnapshot) restore(L *lua.LState) {
	for i := range s.tables {
		s.kept[i] = ltableShapeKnown && s.sameShape(i)
	}
	for i, ts := range s.tables {
		if !s.kept[i] {
			s.cur[i] = L.CreateTable(ts.narr, len(ts.keys)-ts.narr)
		}
	}
	val := func(v lua.LValue) lua.LValue {
		if r, ok := v.(tableRef); ok {
			return s.cur[r]
		}
		return v
	}
	for i, ts := range s.tables {
		t := s.cur[i]
		if s.kept[i] {
			// The table has the recorded keys, in their places: setting
			// the recorded values (nil for holes) makes it the recorded
			// table.
			for j, k := range ts.keys {
				if v := val(ts.values[j]); t.RawGet(k) != v {
					t.RawSet(k, v)
				}
			}
			for _, k := range ts.holes {
				if t.RawGet(k) != lua.LNil {
					t.RawSet(k, lua.LNil)
				}
			}
		} else {
			for j, k := range ts.keys {
				t.RawSet(k, val(ts.values[j]))
			}
			for _, k := range ts.holes {
				t.RawSet(k, lua.LTrue)
				t.RawSet(k, lua.LNil)
			}
		}
		t.Metatable = val(ts.meta)
	}
	for _, f := range s.funcs {
		f.fn.Env = nil
		if f.env != nil {
			f.fn.Env = s.cur[f.env.(tableRef)]
		}
		for i, v := range f.upvalues {
			f.fn.Upvalues[i].SetValue(val(v))
		}
	}
	for i, v := range s.types {
		L.SetMetatable(v, val(s.mts[i]))
	}
	L.G.Global = s.cur[s.global]
	L.G.Registry = s.cur[s.registry]
	L.G.MainThread, L.G.CurrentThread = L, L
	L.Env = L.G.Global
}

// sameShape reports whether the table in the place of recorded table i
// still has the recorded layout: then its keys are the recorded ones and
// holes, in their places, and setting the recorded values makes it the
// recorded table to everything Lua or gopher-lua can tell.
//
// An LTable keeps an array part and, for its other keys, a list of every
// key ever set (in order: pairs follows it), which only grows: a key
// removed keeps its place (a hole), and takes it again if set again. The
// table was the recorded one when recorded (or when the last reset put
// it there): its list then was the recorded keys and holes, so if its
// length is the same, the list is. The array part may grow and shrink;
// its length says where a new element goes (and what # is), so it must
// be the recorded one too.
func (s *luaSnapshot) sameShape(i int) bool {
	ts := &s.tables[i]
	arr, keys := ltableShape(s.cur[i])
	return arr == ts.narr && keys == len(ts.keys)-ts.narr+len(ts.holes)
}

// noHoles reports whether t keeps no place of a removed key or element.
func noHoles(t *lua.LTable) bool {
	narr, nkeys := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		if n, ok := k.(lua.LNumber); ok && int(n) == narr+1 && nkeys == 0 {
			narr++
		} else {
			nkeys++
		}
	}
	arr, keys := ltableShape(t)
	return arr == narr && keys == nkeys
}

// ltableFields are the fields of gopher-lua's LTable (v1.1.2), which
// sameShape relies on: the array part, the two hash maps, and the list of
// hash keys with its index. ltableShape reads the lengths of the array
// part and the key list, which gopher-lua does not export. If the fields
// differ (another gopher-lua), ltableShapeKnown is false and every reset
// makes all tables anew, which needs no knowledge of LTable.
var (
	ltableFields            = []string{"Metatable", "array", "dict", "strdict", "keys", "k2i"}
	ltableArray, ltableKeys int
	ltableShapeKnown        = func() bool {
		t := reflect.TypeOf(lua.LTable{})
		if t.NumField() != len(ltableFields) {
			return false
		}
		for i, name := range ltableFields {
			if t.Field(i).Name != name {
				return false
			}
		}
		ltableArray, ltableKeys = 1, 4
		return t.Field(ltableArray).Type.Kind() == reflect.Slice && t.Field(ltableKeys).Type.Kind() == reflect.Slice
	}()
)

func ltableShape(t *lua.LTable) (arr, keys int) {
	v := reflect.ValueOf(t).Elem()
	return v.Field(ltableArray).Len(), v.Field(ltableKeys).Len()
}
