package macro

import (
	"strconv"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// luaProbe prints everything Lua code can reach, depth first from the
// globals, the running function's environment and the metatables of the
// built-in types: every table entry (keys sorted), metatable, function
// environment and Lua upvalue, with its type and value. A table, function,
// userdata or thread is named by the path it was first reached by, and
// later mentions give that name, so the dump shows how objects are shared
// (which library a function is, which table an environment is) without
// their addresses; require shows the registry's package.loaded. Two
// interpreters whose probes print the same are
// indistinguishable to Lua code but for the order of pairs over
// gopher-lua's library tables, which it fills from Go maps (random).
const luaProbe = `%{lua:
local names, lines = {}, {}
local getmt, getenv, getup, nxt, rawget_ = debug.getmetatable, debug.getfenv, debug.getupvalue, next, rawget
local sort, fmt, tostr, typ = table.sort, string.format, tostring, type
local function keystr(k)
  local t = typ(k)
  if t == "string" then return fmt("%q", k) end
  if t == "number" or t == "boolean" then return tostr(k) end
  return "<" .. t .. " " .. tostr(names[k]) .. ">"
end
local describe
local function visit(v, path)
  local mt = getmt(v)
  if mt ~= nil then lines[#lines+1] = path .. " metatable " .. describe(mt, path .. "<mt>") end
  local t = typ(v)
  if t == "table" then
    local ks, strs = {}, {}
    for k in nxt, v do ks[#ks+1] = k; strs[k] = keystr(k) end
    sort(ks, function(a, b) return strs[a] < strs[b] end)
    for _, k in ipairs(ks) do
      local p = path .. "[" .. strs[k] .. "]"
      lines[#lines+1] = p .. " = " .. describe(rawget_(v, k), p)
    end
  else
    local env = getenv(v)
    if env ~= nil then lines[#lines+1] = path .. " env " .. describe(env, path .. "<env>") end
    if t == "function" then
      local i = 1
      while true do
        local n, u = getup(v, i)
        if n == nil then break end
        lines[#lines+1] = path .. " upvalue " .. n .. " " .. describe(u, path .. "<up" .. i .. ">")
        i = i + 1
      end
    end
  end
end
describe = function(v, path)
  local t = typ(v)
  if t == "table" or t == "function" or t == "userdata" or t == "thread" then
    if names[v] then return t .. " " .. names[v] end
    names[v] = path
    visit(v, path)
    return t
  end
  if t == "string" then return "string " .. fmt("%q", v) end
  return t .. " " .. tostr(v)
end
describe(_G, "_G")
lines[#lines+1] = "environment " .. describe(getfenv(0), "<env>")
lines[#lines+1] = "running " .. describe(coroutine.running(), "<thread>")
local samples = {{"nil", nil}, {"boolean", true}, {"number", 0}, {"string", ""}, {"function", print}, {"channel", channel.make()}}
for _, s in ipairs(samples) do
  lines[#lines+1] = s[1] .. " metatable " .. describe(getmt(s[2]), "<" .. s[1] .. " mt>")
end
for _, n in ipairs({"_G", "package", "table", "io", "os", "string", "math", "debug", "channel", "coroutine", "extra"}) do
  local ok, v = pcall(require, n)
  lines[#lines+1] = "require " .. n .. " " .. tostr(ok) .. " " .. describe(v, "<require " .. n .. ">")
end
print(table.concat(lines, "\n"))
}`

// luaAbuses change what a chunk can change in an interpreter, each in its
// own way; the reset must undo all of them.
var luaAbuses = []string{
	`%{lua: x = 1; _G.y = {z = print}; sources[9] = "s"; _python_macro_cache = {}}`,
	`%{lua: string.upper = string.lower; string.extra = 1; getmetatable("").__index = {len = print}}`,
	`%{lua: table.insert = nil; table.x = rpm; rpm.expand = nil; macros.x = nil; posix.y = 1; math.pi = 3}`,
	`%{lua: debug.setmetatable(0, {__index = function() return 7 end}); debug.setmetatable(nil, {}); debug.setmetatable(print, {}); debug.setmetatable(true, {})}`,
	`%{lua: debug.setfenv(print, {}); debug.setfenv(pairs, {}); setfenv(0, {print = print})}`,
	`%{lua: package.loaded.string = nil; package.loaded.extra = {}; package.path = "/x/?.lua"; package.loaders[2] = print; package.preload.m = function() end}`,
	`%{lua: setmetatable(_G, {__index = function(_, k) return k end, __newindex = function() end}); q = 1}`,
	`%{lua: co = coroutine.create(function() coroutine.yield(1) end); coroutine.resume(co); debug.setfenv(coroutine.running(), {})}`,
	`%{lua: local f = function() return x end; debug.setupvalue(f, 1, 2); _G._G = nil; _G = nil}`,
	`%{lua: ch = channel.make(); os.getenv = nil; coroutine = nil; error("boom")}`,
	`%{lua: getmetatable(io.stdout).extra = 1; io.output(io.stderr); io.stdin = nil}`,
	`%{lua: opt = 1; arg = {}; sources = 3; patches[1] = "p"}`,
}

// newProbeEngine returns an engine set up as a spec's: its interpreters
// start with the spec tables, emptied and filled again.
func newProbeEngine() *Engine {
	e := New(Options{LuaTables: []string{"sources", "patches", "source_nums", "patch_nums"}})
	e.ResetLuaTables("sources", "patches", "source_nums", "patch_nums")
	e.AppendLuaTable("sources", "/src/a.tar.gz")
	e.AppendLuaTable("source_nums", 0)
	return e
}

// abusedState returns an interpreter that ran steps and was then
// released for reuse.
func abusedState(t *testing.T, steps ...string) *luaState {
	t.Helper()
	e := newProbeEngine()
	for _, s := range steps {
		e.Expand(s) // errors are part of the abuse
	}
	ls := e.releaseLua()
	if ls == nil {
		t.Fatalf("the interpreter was not released for reuse")
	}
	return ls
}

// TestLuaReuseLeaksNothing checks that a reset interpreter is, to Lua
// code, a new one: the probe prints the same on a new interpreter as on
// one reused after each abuse, after all of them, and after several
// rounds of reuse.
func TestLuaReuseLeaksNothing(t *testing.T) {
	probe := func(e *Engine) string {
		t.Helper()
		got, err := e.Expand(luaProbe)
		if err != nil {
			t.Fatalf("probe: %v", err)
		}
		if !strings.Contains(got, `["upper"] = function`) || !strings.Contains(got, `["tmpfile"] = function`) {
			t.Fatalf("probe printed too little:\n%s", got)
		}
		return got
	}
	want := probe(newProbeEngine())
	check := func(t *testing.T, ls *luaState) {
		e := newProbeEngine()
		e.useLua(ls)
		if got := probe(e); got != want {
			t.Errorf("the reused interpreter differs from a new one:\n%s", firstDiff(got, want))
		}
	}
	for _, a := range luaAbuses {
		t.Run(a, func(t *testing.T) { check(t, abusedState(t, a)) })
	}
	t.Run("all", func(t *testing.T) { check(t, abusedState(t, luaAbuses...)) })
	t.Run("rounds", func(t *testing.T) {
		ls := abusedState(t, luaAbuses...)
		for i := 0; i < 3; i++ {
			e := newProbeEngine()
			e.useLua(ls)
			for _, a := range luaAbuses {
				e.Expand(a)
			}
			if ls = e.releaseLua(); ls == nil {
				t.Fatal("not released")
			}
		}
		check(t, ls)
	})
}

// TestLuaReuseSequences runs TestLazyLuaLibs's sequences on a new
// interpreter and on a reused one: every output must be the same.
func TestLuaReuseSequences(t *testing.T) {
	for _, c := range lazyLuaCases(t) {
		t.Run(c.name, func(t *testing.T) {
			run := func(ls *luaState) []string {
				e := newProbeEngine()
				if ls != nil {
					e.useLua(ls)
				}
				var out []string
				for _, s := range c.steps {
					got, err := e.Expand(s)
					if err != nil {
						got += " error: " + err.Error()
					}
					out = append(out, got)
				}
				return out
			}
			fresh, reused := run(nil), run(abusedState(t, luaAbuses...))
			for i := range c.steps {
				if fresh[i] != reused[i] {
					t.Errorf("step %d differs:\nnew:\n%s\nreused:\n%s", i, fresh[i], reused[i])
				}
			}
		})
	}
}

// TestLuaReuseNotAfterTmpfile checks that an interpreter that made a
// temporary file (removed when the interpreter is closed) is not reused.
func TestLuaReuseNotAfterTmpfile(t *testing.T) {
	e := newProbeEngine()
	if _, err := e.Expand(`%{lua: local f = io.tmpfile(); f:write("x"); print(io.type(f))}`); err != nil {
		t.Fatal(err)
	}
	if ls := e.releaseLua(); ls != nil {
		t.Error("an interpreter that made a temporary file was released for reuse")
	}
	abusedState(t, `%{lua: print(io.type(io.stdout), io.tmpfile)}`)
}

// firstDiff shows the first differing line of two dumps.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got:  " + gl + "\n want: " + wl
		}
	}
	return ""
}

// TestLuaReuseTraces checks that a table that was changed and changed
// back is not taken for unchanged: a key set and removed, or an element
// appended and cleared, decide where later ones go. Each probe runs on a
// new interpreter, then on the same one reset after a chunk that left
// such a trace: the outputs must be the same.
func TestLuaReuseTraces(t *testing.T) {
	for _, c := range []struct{ trace, probe string }{
		{`%{lua: string.a_new = 1; string.a_new = nil}`,
			`%{lua: string.b_new = 1; string.a_new = 2; local ks = {}; for k in pairs(string) do ks[#ks+1] = k end; print(ks[#ks-1], ks[#ks])}`},
		// package.loaders is an array of 2: an element appended and
		// cleared leaves a third slot, which table.remove takes.
		{`%{lua: package.loaders[3] = print; package.loaders[3] = nil}`,
			`%{lua: print(table.remove(package.loaders) == package.loaders[2], #package.loaders)}`},
		{`%{lua: package.loaded.x = 1; package.loaded.x = nil}`,
			`%{lua: package.loaded.y = 1; package.loaded.x = 2; local ks = {}; for k in pairs(package.loaded) do ks[#ks+1] = k end; print(ks[#ks-1], ks[#ks])}`},
	} {
		e := newProbeEngine()
		want, err := e.Expand(c.probe)
		if err != nil {
			t.Fatalf("%s: %v", c.probe, err)
		}
		ls := e.releaseLua()
		e = newProbeEngine()
		e.useLua(ls)
		if _, err := e.Expand(c.trace); err != nil {
			t.Fatalf("%s: %v", c.trace, err)
		}
		e2 := newProbeEngine()
		e2.useLua(e.releaseLua())
		if got, err := e2.Expand(c.probe); err != nil || got != want {
			t.Errorf("after %s: got %q, %v; want %q", c.trace, got, err, want)
		}
	}
}

// TestLuaReuseKeepsUnchangedTables checks that the reset keeps the tables
// Lua left alone (so that reuse is cheap) and replaces changed ones.
func TestLuaReuseKeepsUnchangedTables(t *testing.T) {
	if !ltableShapeKnown {
		t.Skip("gopher-lua's LTable is not the one sameShape knows: every table is made anew")
	}
	e := newProbeEngine()
	if _, err := e.Expand(`%{lua: x = 1; string.extra = 2}`); err != nil {
		t.Fatal(err)
	}
	ls := e.lua
	str := ls.L.GetGlobal("string").(*lua.LTable)
	pkg := ls.L.GetGlobal("package").(*lua.LTable)
	glob := ls.L.G.Global
	e.releaseLua()
	if ls.L.G.Global == glob || ls.L.GetGlobal("string") == str {
		t.Error("changed tables were kept")
	}
	if ls.L.GetGlobal("package") != pkg {
		t.Error("the unchanged package table was made anew")
	}
}

// TestLuaReuseKeepsFilledLibs checks that libraries filled before a reset
// stay filled, and that their functions serve the engine now using the
// interpreter.
func TestLuaReuseKeepsFilledLibs(t *testing.T) {
	chunk := `%{lua: print(rpm.expand("%{who}"), macros.who, posix.getenv("WHO"), os.getenv("WHO"), table.concat({"a", "b"}))}`
	run := func(who string, ls *luaState) (string, *luaState) {
		t.Helper()
		e := New(Options{Env: map[string]string{"WHO": who}})
		e.Push("who", "", who, LevelGlobal)
		if ls != nil {
			e.useLua(ls)
		}
		got, err := e.Expand(chunk)
		if err != nil {
			t.Fatal(err)
		}
		return got, e.releaseLua()
	}
	got, ls := run("first", nil)
	if want := "first\tfirst\tfirst\tfirst\tab"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, lib := range []luaLib{libRPM, libMacros, libPosix, libTable} {
		if ls.opened&lib == 0 {
			t.Errorf("library %s not kept filled", libNames[libIndex(lib)])
		}
	}
	if ls.opened&libOS != 0 {
		t.Error("os, whose filling removes keys, was kept filled")
	}
	if got, _ = run("second", ls); got != "second\tsecond\tsecond\tsecond\tab" {
		t.Errorf("reused: got %q, want the second engine's values", got)
	}
}

func TestNoHoles(t *testing.T) {
	if !ltableShapeKnown {
		t.Skip("gopher-lua's LTable is not the one sameShape knows")
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	h := L.NewTable()
	h.RawSetString("a", lua.LTrue)
	a := L.NewTable()
	a.Append(lua.LTrue)
	a.Append(lua.LTrue)
	a.RawSetString("k", lua.LTrue)
	if !noHoles(h) || !noHoles(a) {
		t.Fatal("holes found in tables without")
	}
	h.RawSetString("b", lua.LTrue)
	h.RawSetString("b", lua.LNil)
	a.RawSetInt(3, lua.LTrue)
	a.RawSetInt(3, lua.LNil)
	if noHoles(h) {
		t.Error("a removed key not seen")
	}
	if noHoles(a) {
		t.Error("a removed element not seen")
	}
}
