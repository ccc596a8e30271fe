package spec

import (
	"strings"
	"testing"
)

// needMoreRef is the straightforward whole-buffer form of rpm's check
// (copyNextLineFromOFI), kept to test the incremental balance against.
func needMoreRef(buf string) bool {
	pc, bc, xc, nc := 0, 0, 0, 0
	for p := 0; p < len(buf); p++ {
		switch buf[p] {
		case '\\':
			if p+1 < len(buf) {
				if buf[p+1] == '\n' {
					nc = 1
				}
				p++
			}
		case '\n':
			nc = 0
		case '%':
			if p+1 < len(buf) {
				switch buf[p+1] {
				case '{':
					p++
					bc++
				case '(':
					p++
					pc++
				case '[':
					p++
					xc++
				case '%':
					p++
				}
			}
		case '{':
			if bc > 0 {
				bc++
			}
		case '}':
			if bc > 0 {
				bc--
			}
		case '(':
			if pc > 0 {
				pc++
			}
		case ')':
			if pc > 0 {
				pc--
			}
		case '[':
			if xc > 0 {
				xc++
			}
		case ']':
			if xc > 0 {
				xc--
			}
		}
	}
	return pc != 0 || bc != 0 || xc != 0 || nc != 0
}

func TestNeedMore(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"Name: foo\n", false},
		{"%{lua:\n", true},
		{"%{lua: x = {1}\n}\n", false},
		{"%(echo (a)\n", true},
		{"%[1 + [2]\n", true},
		{"%%{ not a macro\n", false},
		{"a \\\n", true},
		{"a \\\nb\n", false},
		{"a \\\\\n", false}, // an escaped backslash
		{"{ } ( ) [ ]\n", false},
		{"%{a}%{b\n", true},
		{"trailing %", false},
		{"trailing \\", false},
	} {
		if got := needMore(c.text); got != c.want || needMoreRef(c.text) != c.want {
			t.Errorf("needMore(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// TestNeedMoreIncremental checks that scanning a text piece by piece, cut
// anywhere (also between a '\' or '%' and the byte after it), answers as
// the whole-buffer check on each prefix.
func TestNeedMoreIncremental(t *testing.T) {
	texts := []string{
		"%{lua:\nprint(\"}\")\n}\n",
		"a \\\nb \\\\\nc %%{ %{x\n}\n",
		"%(echo \\\n%[1+(2)]\n)\n%{?a:%{b}}\n",
		"x %\n{ \\\n",
	}
	for _, text := range texts {
		for cut := 1; cut < len(text); cut++ {
			var st balance
			for end := cut; ; end += cut {
				if end > len(text) {
					end = len(text)
				}
				if got, want := st.needMore(text[:end]), needMoreRef(text[:end]); got != want {
					t.Errorf("%q in pieces of %d: after %d bytes got %v, want %v", text, cut, end, got, want)
				}
				if end == len(text) {
					break
				}
			}
		}
	}
}

// FuzzNeedMore checks the incremental scan against whole scans on any text
// cut into pieces of any size.
func FuzzNeedMore(f *testing.F) {
	f.Add("%{lua:\nprint(\"}\")\n}\n", 3)
	f.Add("a \\\nb %%{ %(x\n)\n", 1)
	f.Fuzz(func(t *testing.T, text string, cut int) {
		if cut <= 0 || cut > len(text) {
			cut = 1
		}
		var st balance
		for end := cut; ; end += cut {
			if end > len(text) {
				end = len(text)
			}
			if got, want := st.needMore(text[:end]), needMoreRef(text[:end]); got != want {
				t.Fatalf("%q in pieces of %d: after %d bytes got %v, want %v", text, cut, end, got, want)
			}
			if end == len(text) {
				break
			}
		}
	})
}

// hasCheckLineRef is hasCheckLine line by line, as the toolkit's regexp
// reads it.
func hasCheckLineRef(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, checkBlanks), "%check") {
			return true
		}
	}
	return false
}

func TestHasCheckLine(t *testing.T) {
	for _, text := range []string{
		"", "%check", "%check\n", "x\n%check", " \t%check", "\r\n\v%checkout",
		"x %check", "a\nx%check\n", "# %check\n", "%chec\nk", "x %check\n  %check",
		"\x1c%check", "\xa0%check", "%%check", "a\n\n\n\t%check -p",
	} {
		if got, want := hasCheckLine(text), hasCheckLineRef(text); got != want {
			t.Errorf("hasCheckLine(%q) = %v, want %v", text, got, want)
		}
	}
}

// FuzzHasCheckLine checks hasCheckLine against the line by line reading.
func FuzzHasCheckLine(f *testing.F) {
	f.Add("a\n  %check\n")
	f.Add("x %check\n%checkout")
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := hasCheckLine(text), hasCheckLineRef(text); got != want {
			t.Fatalf("hasCheckLine(%q) = %v, want %v", text, got, want)
		}
	})
}

func TestFieldsUpTo(t *testing.T) {
	for _, s := range []string{"", "  a b\tc  ", "Mon Jun 6 2016 Name <n@x> - 1.0", "a\u00a0b c", "a b c d e f g h i j", "é b"} {
		want := strings.Fields(s)
		if len(want) > 7 {
			want = want[:7]
		}
		var arr [7]string
		got := fieldsUpTo(arr[:0], s)
		if len(got) > 7 {
			got = got[:7]
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("fieldsUpTo(%q) = %q, want %q", s, got, want)
		}
	}
}
