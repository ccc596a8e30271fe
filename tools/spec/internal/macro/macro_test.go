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
