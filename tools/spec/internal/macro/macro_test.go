package macro

import (
	"strings"
	"testing"
)

type rpmCase struct {
	defs []string
	in   string
	out  string
	fail bool
	warn string
}

// TestRPMCases checks expansions against values produced by rpm 4.18
// itself (see testdata/gencases.py).
func TestRPMCases(t *testing.T) {
	for _, c := range rpmCases {
		var warns []string
		e := New(Options{Warn: func(s string) {
			if strings.HasPrefix(s, "warning:") {
				warns = append(warns, s)
			}
		}})
		var derr error
		for _, d := range c.defs {
			if err := e.Define(d, LevelCmdline); err != nil {
				derr = err
			}
		}
		got, err := e.Expand(c.in)
		if err == nil {
			err = derr
		}
		if c.fail {
			if err == nil {
				t.Errorf("Expand(%q) with %q = %q, want an error", c.in, c.defs, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("Expand(%q) with %q: unexpected error %v", c.in, c.defs, err)
			continue
		}
		if got != c.out {
			t.Errorf("Expand(%q) with %q\n got %q\nwant %q", c.in, c.defs, got, c.out)
		}
		if w := strings.Join(warns, "\n"); w != c.warn {
			t.Errorf("Expand(%q) with %q: warnings\n got %q\nwant %q", c.in, c.defs, w, c.warn)
		}
	}
}

func TestCloneIsIndependent(t *testing.T) {
	base := New(Options{})
	for i := 0; i < 100; i++ { // enough to make Clone freeze the table
		base.Push("m"+strings.Repeat("x", i), "", "v", LevelMacroFiles)
	}
	base.Push("shared", "", "base", LevelMacroFiles)
	a, b := base.Clone(), base.Clone()
	if err := a.Define("shared a", LevelSpec); err != nil {
		t.Fatal(err)
	}
	b.Pop("shared")
	for _, c := range []struct {
		e    *Engine
		want string
	}{{base, "base"}, {a, "a"}, {b, "%shared"}} {
		if got, err := c.e.Expand("%shared"); err != nil || got != c.want {
			t.Errorf("Expand(%%shared) = %q, %v; want %q", got, err, c.want)
		}
	}
	a.Pop("shared")
	if got, _ := a.Expand("%shared"); got != "base" {
		t.Errorf("after Pop in clone: %q, want base", got)
	}
}

func TestExpandArgsAndEval(t *testing.T) {
	e := New(Options{})
	if err := e.Define("f(a) [%{-a}|%*]", LevelSpec); err != nil {
		t.Fatal(err)
	}
	if got, err := e.ExpandArgs("f", []string{"-a", "%x", "y"}); err != nil || got != "[-a|%x y]" {
		t.Errorf("ExpandArgs = %q, %v", got, err)
	}
	if _, err := e.ExpandArgs("nosuch", nil); err == nil {
		t.Error("ExpandArgs of an undefined macro did not fail")
	}
	for _, c := range []struct {
		expr string
		want bool
		fail bool
	}{
		{"1", true, false}, {"0", false, false}, {`"%{?nosuch}" == ""`, true, false},
		{"%{?nosuch}0", false, false}, {`v"1.2" >= v"1.10"`, false, false}, {"a", false, true},
		{`1 == "1"`, false, true},
	} {
		got, err := e.EvalBool(c.expr)
		if (err != nil) != c.fail || got != c.want {
			t.Errorf("EvalBool(%q) = %v, %v; want %v (fail %v)", c.expr, got, err, c.want, c.fail)
		}
	}
	if got, err := e.EvalExpr(`v"2:1.0-3"`); err != nil || got != "2:1.0-3" {
		t.Errorf("EvalExpr = %q, %v", got, err)
	}
}

func TestLuaForLoopCoercesStrings(t *testing.T) {
	// Lua 5.3 (rpm's) converts a string start/limit/step of a numeric for
	// loop to a number; rpm's %_font_pkg and %writevars rely on it.
	e := New(Options{})
	for _, c := range []struct{ in, want string }{
		{`%{lua: local n = 0; for i = 1, "3" do n = n + i end; print(n)}`, "6"},
		{`%{lua: local s = ""; for i = "2", 6, "2" do s = s .. i end; print(s)}`, "246"},
		{`%{lua: local f = function() local c = 0; for i = 1, "2" do c = c + 1 end; return c end; print(f())}`, "2"},
	} {
		got, err := e.Expand(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := e.Expand(`%{lua: for i = 1, "x" do end}`); err == nil {
		t.Error("a non-numeric limit must fail")
	}
}

func TestEvalConditionDoesNotExpand(t *testing.T) {
	// A spec %if line is expanded before rpmExprBoolFlags(s, 0) sees it; a
	// '%' still in the text (from %%) is not expanded again.
	e := New(Options{})
	if err := e.Define("one 1", LevelGlobal); err != nil {
		t.Fatal(err)
	}
	if v, err := e.EvalBool("%{one} == 1"); err != nil || !v {
		t.Errorf("EvalBool expands: got %v, %v", v, err)
	}
	if v, err := e.EvalCondition(`"%{one}" == "%{one}"`); err != nil || !v {
		t.Errorf("EvalCondition compares the text: got %v, %v", v, err)
	}
	if _, err := e.EvalCondition("%{one} == 1"); err == nil {
		t.Error("EvalCondition expanded %{one}")
	}
}

// TestWatch checks that every way of using a macro counts as a look-up
// of it, and that other expansions do not.
func TestWatch(t *testing.T) {
	cases := []struct {
		in   string
		seen bool
	}{
		{"%{w}", true},
		{"%w", true},
		{"%{?w}", true},
		{"%{!?w:x}", true},
		{"%{?w:x}", true},
		{"%[%{w} + 1]", true},
		{"%{expand:%%{w}}", true},
		{"%{macrobody:w}", true},
		{"%define w 2", true},
		{"%global w 2", true},
		{"%undefine w", true},
		{"%{lua: print(rpm.expand('%{w}'))}", true},
		{"%{lua: print(macros.w)}", true},
		{"%{lua: print(rpm.isdefined('w'))}", true},
		{"%{lua: macros.w = 3}", true},
		{"%{lua: rpm.define('w 3')}", true},
		{"%{lua: rpm.undefine('w')}", true},
		{"%{lua: print(macros['w'])}", true},
		{"%{dump}", true},
		{"%{other} %{?ww} %{?w_} %{lua: print(rpm.expand('%{other}'))} %%w", false},
		{"%{lua: x = 'w'}", false},
	}
	for _, c := range cases {
		e := New(Options{})
		e.Push("w", "", "1", LevelCmdline)
		e.Push("other", "", "o", LevelCmdline)
		e.Watch("w")
		e.Expand(c.in) // errors are beside the point
		if got := e.Watched(); got != c.seen {
			t.Errorf("%q: Watched() = %v, want %v", c.in, got, c.seen)
		}
	}
}

// TestLiteralReuse checks that reusing the entry of a popped literal
// (as %__file_lineno is pushed and popped for each spec line) changes no
// clone and no definition below it.
func TestLiteralReuse(t *testing.T) {
	e := New(Options{})
	e.PushLiteral("n", "below", LevelSpec)
	for i := 0; i < 3; i++ {
		e.PushLiteral("n", "line", LevelSpec)
		e.Pop("n")
	}
	if got, _ := e.Expand("%n"); got != "below" {
		t.Errorf("after push/pop: %%n = %q, want below", got)
	}
	e.PushLiteral("n", "shared", LevelSpec)
	c := e.Clone()
	e.Pop("n")
	e.PushLiteral("n", "changed", LevelSpec)
	if got, _ := c.Expand("%n"); got != "shared" {
		t.Errorf("the clone sees %q, want shared", got)
	}
	c.PushLiteral("m", "1", LevelSpec)
	c.Pop("m")
	c.PushLiteral("n", "in clone", LevelSpec)
	c.Pop("n")
	if got, _ := c.Expand("%n"); got != "shared" {
		t.Errorf("after push/pop in the clone: %q, want shared", got)
	}
}
