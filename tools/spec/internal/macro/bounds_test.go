package macro

import (
	"strings"
	"testing"
	"time"
)

// Runaway expansion must end with an error, never a hang or an OOM.
func TestBounds(t *testing.T) {
	cases := []struct {
		name string
		defs []string
		in   string
		want string // substring of the error
	}{
		{"recursion", []string{"r %r"}, "%r", "Too many levels of recursion"},
		{"parametric recursion", []string{"p() %p %1"}, "%p x", "Too many levels of recursion"},
		{"output", []string{"a %b%b%b%b%b%b%b%b", "b %c%c%c%c%c%c%c%c", "c %d%d%d%d%d%d%d%d", "d %e%e%e%e%e%e%e%e",
			"e %f%f%f%f%f%f%f%f", "f %g%g%g%g%g%g%g%g", "g %h%h%h%h%h%h%h%h", "h %i%i%i%i%i%i%i%i", "i 0123456789abcdef"}, "%a", "exceeds"},
		{"steps", []string{"z0 %{?nil}", "z1 %z0%z0%z0%z0", "z2 %z1%z1%z1%z1", "z3 %z2%z2%z2%z2", "z4 %z3%z3%z3%z3",
			"z5 %z4%z4%z4%z4", "z6 %z5%z5%z5%z5", "z7 %z6%z6%z6%z6", "z8 %z7%z7%z7%z7", "z9 %z8%z8%z8%z8",
			"z10 %z9%z9%z9%z9", "z11 %z10%z10%z10%z10", "z12 %z11%z11%z11%z11"}, "%z12", "steps"},
		{"lua recursion", []string{"l %{lua:print(rpm.expand('%l'))}"}, "%l", "recursion"},
		{"lua output", nil, "%{lua:for i = 1, 1e9 do print('xxxxxxxxxxxxxxxx') end}", "exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(Options{MaxOutput: 1 << 20})
			for _, d := range c.defs {
				if err := e.Define(d, LevelSpec); err != nil {
					t.Fatal(err)
				}
			}
			out, err := e.Expand(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Expand(%q) = %d bytes, %v; want error containing %q", c.in, len(out), err, c.want)
			}
		})
	}
}

func TestLuaTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes LuaTimeout")
	}
	start := time.Now()
	_, err := New(Options{}).Expand("%{lua:while true do end}")
	if err == nil {
		t.Fatal("endless Lua loop did not fail")
	}
	if d := time.Since(start); d > LuaTimeout+5*time.Second {
		t.Fatalf("endless Lua loop stopped after %v", d)
	}
}

func TestShell(t *testing.T) {
	var got []string
	e := New(Options{Shell: func(cmd string) (string, error) {
		got = append(got, cmd)
		return "out\n\n", nil
	}})
	if err := e.Define("cmd echo", LevelSpec); err != nil {
		t.Fatal(err)
	}
	out, err := e.Expand("[%(%cmd x)]")
	if err != nil || out != "[out]" {
		t.Fatalf("Expand = %q, %v; want [out]", out, err)
	}
	if len(got) != 1 || got[0] != "echo x" {
		t.Fatalf("shell got %q, want [echo x]", got)
	}
}

func TestDefaultShellEnv(t *testing.T) {
	dir := t.TempDir()
	out, err := New(Options{Dir: dir}).Expand("%(pwd; echo $LC_ALL $TZ $PATH; test -d \"$HOME\" && echo home)")
	if err != nil {
		t.Fatal(err)
	}
	want := dir + "\nC UTC /usr/sbin:/usr/bin:/sbin:/bin\nhome"
	if out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}
