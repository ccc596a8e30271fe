package rpmver

import "testing"

// Expected values are rpm 4.18's rpm.vercmp() results (the cases with an
// empty side follow rpmvercmp.c, as rpm.vercmp rejects empty versions).
func TestVercmp(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "2.0", -1},
		{"2.0", "1.0", 1},
		{"2.0.1", "2.0.1", 0},
		{"2.0", "2.0.1", -1},
		{"2.0.1a", "2.0.1a", 0},
		{"2.0.1a", "2.0.1", 1},
		{"5.5p1", "5.5p1", 0},
		{"5.5p1", "5.5p2", -1},
		{"5.5p10", "5.5p1", 1},
		{"10xyz", "10.1xyz", -1},
		{"xyz10", "xyz10", 0},
		{"xyz10", "xyz10.1", -1},
		{"xyz.4", "xyz.4", 0},
		{"xyz.4", "8", -1},
		{"8", "xyz.4", 1},
		{"xyz.4", "2", -1},
		{"1b.fc17", "1b.fc17", 0},
		{"1b.fc17", "1.fc17", -1},
		{"1.0~rc1", "1.0~rc1", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0~rc1~git123", "1.0~rc1", -1},
		{"1.0^", "1.0^", 0},
		{"1.0^", "1.0", 1},
		{"1.0^git1", "1.0", 1},
		{"1.0^git1", "1.0^git2", -1},
		{"1.0^git1", "1.01", -1},
		{"1.0^20160101", "1.0.1", -1},
		{"1.0~rc1^git1", "1.0~rc1", 1},
		{"1.0^git1~pre", "1.0^git1", -1},
		{"001", "1", 0},
		{"a+b", "a_b", 0},
		{"1.a", "1.1", -1},
		{".1", "1", 0},
		{"1", ":1", 0},
		{"~", "^", -1},
		{"", "", 0},
		{"", "a", -1},
		{"a", "", 1},
		{"1.0", "1.0.", 0},
	}
	for _, c := range cases {
		if got := Vercmp(c.a, c.b); got != c.want {
			t.Errorf("Vercmp(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestCompareEVR(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0-1", "1.0-2", -1},
		{"1:1.0", "2.0", 1},
		{"0:1.0", "1.0", 0},
		{"1.0", "1.0-5", 0}, // no release on one side: not compared
		{"2:1-1", "2:1-1", 0},
		{":1.0", "0:1.0", 0},
	}
	for _, c := range cases {
		if got := CompareEVR(ParseEVR(c.a), ParseEVR(c.b)); got != c.want {
			t.Errorf("CompareEVR(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestParseEVR(t *testing.T) {
	cases := []struct {
		in   string
		want EVR
	}{
		{"1.0", EVR{"", "1.0", ""}},
		{"3:1.0-2.azl3", EVR{"3", "1.0", "2.azl3"}},
		{"1.0-a-b", EVR{"", "1.0-a", "b"}},
		{"x:1", EVR{"", "x:1", ""}},
	}
	for _, c := range cases {
		if got := ParseEVR(c.in); got != c.want {
			t.Errorf("ParseEVR(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}
