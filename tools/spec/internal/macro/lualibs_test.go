package macro

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// eagerState builds an interpreter the way Keel did before the libraries
// were opened lazily: lua.NewState opening every library, then Keel's
// changes in their original order. It is the reference of TestLazyLuaLibs.
func eagerState(e *Engine) *luaState {
	L := lua.NewState(lua.Options{CallStackSize: 256, RegistrySize: 256, RegistryMaxSize: 1 << 20, MinimizeStackMemory: true})
	ls := &luaState{L: L, e: e, opened: libAll}
	osT := L.GetGlobal("os").(*lua.LTable)
	for _, n := range []string{"execute", "exit", "remove", "rename", "setlocale", "tmpname"} {
		osT.RawSetString(n, lua.LNil)
	}
	osT.RawSetString("getenv", L.NewFunction(func(L *lua.LState) int {
		v, ok := e.opts.Env[L.CheckString(1)]
		if !ok {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(v))
		}
		return 1
	}))
	ioT := L.GetGlobal("io").(*lua.LTable)
	ioT.RawSetString("write", L.NewFunction(func(L *lua.LState) int { return 0 }))
	ioT.RawSetString("popen", lua.LNil)
	tableT := L.GetGlobal("table").(*lua.LTable)
	tableT.RawSetString("unpack", L.GetGlobal("unpack"))
	mathT := L.GetGlobal("math").(*lua.LTable)
	mathT.RawSetString("tointeger", L.NewFunction(func(L *lua.LState) int {
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
	coerceNumbers(L, L.GetGlobal("string").(*lua.LTable), map[string][]int{
		"sub": {2, 3}, "rep": {2}, "byte": {2, 3}, "char": nil, "find": {3}, "match": {3}})
	coerceNumbers(L, mathT, map[string][]int{})
	mathT.RawSetString("maxinteger", lua.LNumber(1<<63-1))
	mathT.RawSetString("mininteger", lua.LNumber(-1<<63))
	pkg := L.GetGlobal("package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(""))
	pkg.RawSetString("cpath", lua.LString(""))
	if loaders, ok := pkg.RawGetString("loaders").(*lua.LTable); ok {
		loaders.RawSetInt(2, L.NewFunction(e.luaSearcher))
	}
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		var b strings.Builder
		for i := 1; i <= L.GetTop(); i++ {
			if i > 1 {
				b.WriteByte('\t')
			}
			b.WriteString(luaToString(L, L.Get(i)))
		}
		if len(ls.prints) > 0 {
			ls.prints[len(ls.prints)-1].WriteString(b.String())
		}
		return 0
	}))
	for _, lib := range []luaLib{libRPM, libPosix, libMacros} {
		t := L.NewTable()
		switch lib {
		case libRPM:
			ls.fillRPM(t)
		case libPosix:
			ls.fillPosix(t)
		case libMacros:
			ls.fillMacros(t)
		}
		L.SetGlobal(libNames[libIndex(lib)], t)
	}
	return ls
}

// luaDump prints what Lua code can observe of the libraries: every global,
// library table, package.loaded entry, registry key and metatable, with
// the type of each value, and the results of Keel's changes to the
// libraries. Keys are sorted where gopher-lua's own order is random (it
// fills library tables from Go maps), and listed in pairs order where it
// is not (the library names among the globals, package.loaded; gopher-lua
// has no debug.getregistry). It names _G, so it runs with every library filled.
const luaDump = `%{lua:
local function keys(t)
  local r = {}
  for k, v in pairs(t) do r[#r+1] = tostring(k) .. ":" .. type(v) end
  table.sort(r)
  return table.concat(r, " ")
end
local libs = {}
for _, n in ipairs({"package", "table", "io", "os", "string", "math", "debug", "channel", "coroutine",
    "rpm", "posix", "macros", "sources", "patches", "source_nums", "patch_nums", "x", "f"}) do
  libs[n] = true
end
local order = {}
for k, v in pairs(_G) do
  if libs[k] then order[#order+1] = k end
end
print("globals order: " .. table.concat(order, " ") .. "\n")
print("globals: " .. keys(_G) .. "\n")
for _, n in ipairs(order) do
  if type(_G[n]) == "table" then print(n .. ": " .. keys(_G[n]) .. "\n") end
end
local loaded = {}
for k, v in pairs(package.loaded) do loaded[#loaded+1] = k .. "=" .. tostring(v == _G[k] or v == _G) end
print("loaded: " .. table.concat(loaded, " ") .. "\n")
print("debug: " .. tostring(debug.getregistry) .. "\n")
print("file mt: " .. keys(getmetatable(io.stdout)) .. "\n")
print("string mt: " .. keys(getmetatable("")) .. "\n")
print("macros mt: " .. keys(getmetatable(macros)) .. "\n")
print(math.tointeger("7"), math.floor("2.5"), string.sub("abcd", "2", "3"), table.unpack({1, 2}))
print(os.getenv("LC_ALL"), io.write("x"), io.popen, os.exit, math.maxinteger == 2^63 - 1, "\n")
for i, s in ipairs(sources) do print(i, s, source_nums[i], "\n") end
for i, s in ipairs(patches) do print(i, s, patch_nums[i], "\n") end
}`

// luaCase is a sequence of expansions.
type luaCase struct {
	name  string
	steps []string
}

// lazyLuaCases are sequences of expansions that fill the libraries in
// various orders, then look at all of them.
func lazyLuaCases(t *testing.T) []luaCase {
	dir := t.TempDir()
	file := filepath.Join(dir, "data.txt")
	if err := os.WriteFile(file, []byte("file contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []luaCase{
		{"dump only", []string{luaDump}},
		{"rpm first", []string{`%{lua: print(rpm.expand("%{?nothing}x"))}`, luaDump}},
		{"math and table first", []string{`%{lua: x = math.tointeger("7"); print(x)}`, `%{lua: print(table.unpack({1, 2}))}`, luaDump}},
		{"channel before io", []string{`%{lua: print(type(channel.make))}`, `%{lua: print(io.type(io.stdout))}`, luaDump}},
		{"string methods without naming string", []string{`%{lua: print(("abc"):upper(), ("x"):rep("3"))}`, luaDump}},
		{"rpm.open without naming io", []string{`%{lua: f = rpm.open("` + file + `"); print(f:read("*a"), tostring(f):sub(1, 4))}`, luaDump}},
		{"removed functions", []string{`%{lua: os.exit(1)}`, `%{lua: io.popen("ls")}`, `%{lua: os.execute("ls")}`}},
		{"expression call", []string{`%[lua:math.floor(2.5)]`, `%[lua:string.len("abc")]`, `%[lua:posix.getcwd()]`, luaDump}},
		{"code compiled at run time", []string{`%{lua: print(loadstring("return io ~= nil and os ~= nil")())}`, luaDump}},
		{"globals table", []string{`%{lua: print(type(_G.io), type(getfenv(1).coroutine), type(package.loaded.debug))}`}},
		{"nested chunks", []string{`%{lua: print(rpm.expand("%{lua: print(posix.getcwd() ~= nil)}"), macros.nothing)}`, luaDump}},
		{"library replaced", []string{`%{lua: channel = nil; print(channel)}`, `%{lua: coroutine = {x = 1}}`, luaDump}},
		{"syntax error", []string{`%{lua: print(io.x}`, luaDump}},
		{"runtime error", []string{`%{lua: coroutine.nothing()}`, luaDump}},
	}
}

// TestLazyLuaLibs runs sequences of expansions with the libraries opened
// lazily and eagerly: every output and error must be the same. Each
// sequence starts a fresh engine; the earlier steps fill some libraries,
// the last ones look at all of them.
func TestLazyLuaLibs(t *testing.T) {
	cases := lazyLuaCases(t)
	run := func(eager bool, steps []string) []string {
		e := New(Options{})
		if eager {
			e.lua = eagerState(e)
		}
		e.ResetLuaTables("sources", "patches", "source_nums", "patch_nums")
		e.AppendLuaTable("sources", "/src/a.tar.gz")
		e.AppendLuaTable("source_nums", 0)
		e.AppendLuaTable("patches", "/src/b.patch")
		e.AppendLuaTable("patch_nums", uint32(3))
		var out []string
		for _, s := range steps {
			got, err := e.Expand(s)
			if err != nil {
				got += " error: " + err.Error()
			}
			out = append(out, got)
		}
		return out
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lazy, eager := run(false, c.steps), run(true, c.steps)
			for i := range c.steps {
				if lazy[i] != eager[i] {
					t.Errorf("step %d differs:\nlazy:\n%s\neager:\n%s", i, lazy[i], eager[i])
				}
			}
			for i, s := range c.steps {
				if s == luaDump && !strings.Contains(lazy[i], "macros mt: ") {
					t.Errorf("step %d: dump printed nothing: %q", i, lazy[i])
				}
			}
		})
	}
}

// TestLazyLuaLibsOpenOnlyWhatIsNamed checks that the libraries a chunk
// does not name stay unopened, and that no interpreter starts for a spec's
// source tables alone.
func TestLazyLuaLibsOpenOnlyWhatIsNamed(t *testing.T) {
	e := New(Options{FreshLua: true}) // a reused one may have more filled
	e.ResetLuaTables("sources", "source_nums")
	e.AppendLuaTable("sources", "a")
	if e.lua != nil {
		t.Fatal("the source tables started an interpreter")
	}
	got, err := e.Expand(`%{lua: print(rpm.expand("%{?x}y"), #sources, ("z"):upper())}`)
	if err != nil || got != "y\t1\tZ" {
		t.Fatalf("got %q, %v", got, err)
	}
	if e.lua.opened != libRPM {
		t.Errorf("opened libraries %b, want only rpm (%b)", e.lua.opened, libRPM)
	}
	if _, err := e.Expand(`%{lua: print(_G)}`); err != nil {
		t.Fatal(err)
	}
	if e.lua.opened != libAll {
		t.Errorf("after naming _G: opened libraries %b, want all (%b)", e.lua.opened, libAll)
	}
}

// TestLuaTables checks the queued changes to the spec tables: appends in
// order, and a reset (a BuildArch re-parse) drops what came before.
func TestLuaTables(t *testing.T) {
	e := New(Options{})
	e.ResetLuaTables("sources", "source_nums")
	e.AppendLuaTable("sources", "a")
	e.AppendLuaTable("source_nums", 1)
	show := `%{lua: print(table.concat(sources, ","), table.concat(source_nums, ","))}`
	if got, err := e.Expand(show); err != nil || got != "a\t1" {
		t.Fatalf("got %q, %v; want \"a\\t1\"", got, err)
	}
	e.AppendLuaTable("sources", "b")
	e.AppendLuaTable("source_nums", 2)
	if got, err := e.Expand(show); err != nil || got != "a,b\t1,2" {
		t.Fatalf("got %q, %v; want \"a,b\\t1,2\"", got, err)
	}
	e.ResetLuaTables("sources", "source_nums")
	e.AppendLuaTable("sources", "c")
	e.AppendLuaTable("source_nums", 3)
	if got, err := e.Expand(show); err != nil || got != "c\t3" {
		t.Fatalf("after reset: got %q, %v; want \"c\\t3\"", got, err)
	}
	if _, err := e.Expand(`%{lua: sources = 5}`); err != nil {
		t.Fatal(err)
	}
	e.AppendLuaTable("sources", "d")
	if _, err := e.Expand(`%{lua: }`); err == nil || !strings.Contains(err.Error(), "sources is not a table") {
		t.Errorf("appending to a non-table: got %v, want an error", err)
	}
}

// TestLuaChunkArg checks what the compiled chunk's vararg flags affect:
// the global arg in a chunk, a nested vararg function's local arg, the
// chunk's own ... (no arguments) and an uninitialized first local.
func TestLuaChunkArg(t *testing.T) {
	e := New(Options{})
	e.PushParametric("m", "", `%{lua: local first; print(first, #arg, arg[2], select("#", ...), (function(...) return arg.n, arg[1] end)("x", "y"))}`, LevelGlobal)
	got, err := e.Expand("%m a b")
	if want := "nil\t2\tb\t0\t2\tx"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}
