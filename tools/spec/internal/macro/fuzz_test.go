package macro

import (
	"strings"
	"testing"
)

func fuzzEngine() *Engine {
	e := New(Options{
		MaxOutput: 1 << 16,
		Shell:     func(cmd string) (string, error) { return strings.ToUpper(cmd), nil },
	})
	for _, d := range []string{
		"foo bar", "p(ab:) [%1|%*|%{-a}|%{-b*}]", "rec %rec", "nil %{!?nil}",
		"with() %{expand:%%{?with_%{1}:1}%%{!?with_%{1}:0}}",
		"l() %{lua:print(#arg, opt.a)}",
	} {
		if err := e.Define(d, LevelMacroFiles); err != nil {
			panic(err)
		}
	}
	return e
}

// FuzzExpand checks that expansion never panics, hangs or runs away.
func FuzzExpand(f *testing.F) {
	for _, c := range rpmCases {
		f.Add(c.in)
	}
	for _, s := range []string{
		"%{?foo:%{p -a x y}}", "%define x(a:) %{-a*}\n%x -a 1", "%[1 + %{foo}]", "%{lua:print(rpm.expand('%foo'))}",
		"%{expand:%%{foo}}", "%global g %{quote:a b}\n%g", "%(echo %foo)", "%{with x}", "%{l -a 1 2}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "%{lua") || strings.Contains(s, "%lua") {
			// Lua chunks may loop until LuaTimeout: valid, but too slow to fuzz.
			return
		}
		e := fuzzEngine()
		out, _ := e.Expand(s)
		if len(out) > 1<<16 {
			t.Fatalf("output of %d bytes exceeds the bound", len(out))
		}
	})
}

// FuzzExpr checks that the expression evaluator never panics.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		"1 + 2 * 3", `v"1.2" < v"1.10"`, `"a" + "b"`, "1 ? 2 : 3", "0 && 1/0", "(1", "%{foo} == 1",
		`%{?with_x} || "%{foo}" == "bar"`, "!0", "-2147483648 / -1", "99999999999", `lua:string.upper("a")`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "lua") {
			return
		}
		e := fuzzEngine()
		v, err := e.EvalExpr(s)
		b, berr := e.EvalBool(s)
		if (err == nil) != (berr == nil) {
			t.Fatalf("EvalExpr(%q) = %q, %v but EvalBool = %v, %v", s, v, err, b, berr)
		}
	})
}
