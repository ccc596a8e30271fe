package rpmfile

import "testing"

// Cases from rpm's tests/rpmvercmp.at.
func TestVercmp(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0", "1.0", 1},
		{"2.0.1", "2.0.1", 0}, {"2.0", "2.0.1", -1}, {"2.0.1a", "2.0.1", 1},
		{"5.5p1", "5.5p2", -1}, {"5.5p10", "5.5p1", 1}, {"10xyz", "10.1xyz", -1},
		{"xyz10", "xyz10.1", -1}, {"xyz.4", "8", -1}, {"8", "xyz.4", 1},
		{"1b.fc17", "1.fc17", -1}, {"1g.fc17", "1.fc17", 1}, {"1.0a", "1.0", 1},
		{"1.0~rc1", "1.0", -1}, {"1.0~rc1", "1.0~rc2", -1}, {"1.0~rc1~git123", "1.0~rc1", -1},
		{"1.0^", "1.0", 1}, {"1.0^git1", "1.0^git2", -1}, {"1.0^git1", "1.01", -1},
		{"1.0^git1~pre", "1.0^git1", -1}, {"1.0~rc1^git1", "1.0~rc1", 1},
		{"001", "1", 0}, {"1.002", "1.2", 0}, {"a+", "a_", 0}, {"+a", "_a", 0},
	} {
		if got := Vercmp(c.a, c.b); got != c.want {
			t.Errorf("Vercmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestParseEVR(t *testing.T) {
	for _, c := range []struct {
		in   string
		want EVR
	}{
		{"1.0", EVR{Version: "1.0"}},
		{"1.0-1", EVR{Version: "1.0", Release: "1"}},
		{"2:1.0-1.fc40", EVR{"2", "1.0", "1.fc40"}},
		{"1.0-rc-1", EVR{Version: "1.0-rc", Release: "1"}},
		{"x:1", EVR{Version: "x:1"}},
	} {
		if got := ParseEVR(c.in); got != c.want {
			t.Errorf("ParseEVR(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if got := ParseEVR(c.in).String(); got != c.in {
			t.Errorf("ParseEVR(%q).String() = %q", c.in, got)
		}
	}
}

func TestCompareEVR(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0-1", "1.0-2", -1}, {"1:1.0-1", "2.0-1", 1}, {"0:1.0-1", "1.0-1", 0},
		{"1.0-10", "1.0-9", 1},
	} {
		if got := CompareEVR(ParseEVR(c.a), ParseEVR(c.b)); got != c.want {
			t.Errorf("CompareEVR(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestMatches(t *testing.T) {
	dep := func(name, op, evr string) Dep {
		var f DepFlags
		for _, c := range op {
			switch c {
			case '<':
				f |= SenseLess
			case '>':
				f |= SenseGreater
			case '=':
				f |= SenseEqual
			}
		}
		return Dep{Name: name, Flags: f, EVR: ParseEVR(evr)}
	}
	for _, c := range []struct {
		provide, require Dep
		want             bool
	}{
		{dep("a", "=", "1.0-1"), dep("a", "", ""), true},
		{dep("a", "", ""), dep("a", ">=", "2.0"), true}, // unversioned provide matches all
		{dep("a", "=", "1.0-1"), dep("b", "", ""), false},
		{dep("a", "=", "1.0-1"), dep("a", ">=", "1.0"), true},
		{dep("a", "=", "1.0-1"), dep("a", ">", "1.0"), false}, // missing release is ignored
		{dep("a", "=", "1.0-1"), dep("a", "=", "1.0"), true},
		{dep("a", "=", "1.0-1"), dep("a", "<", "1.0-2"), true},
		{dep("a", "=", "1.0-3"), dep("a", "<", "1.0-2"), false},
		{dep("a", "=", "1:1.0-1"), dep("a", ">=", "2.0"), true}, // epoch wins
		{dep("a", "=", "1.0-1"), dep("a", ">=", "1:0.1"), false},
		{dep("a", "=", "0:1.0-1"), dep("a", "=", "1.0-1"), true},
		{dep("a", ">=", "2.0"), dep("a", "<", "3.0"), true}, // two ranges overlap
		{dep("a", ">=", "3.0"), dep("a", "<", "3.0"), false},
	} {
		if got := Matches(c.provide, c.require); got != c.want {
			t.Errorf("Matches(%v, %v) = %v, want %v", c.provide, c.require, got, c.want)
		}
	}
}
