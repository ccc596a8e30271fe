package gen

import "testing"

func TestSatisfies(t *testing.T) {
	tests := []struct {
		prov, req string
		want      bool
	}{
		{"foo = 1.2", "foo >= 1.0", true},
		{"foo = 1.2", "foo >= 2.0", false},
		{"foo", "foo >= 2.0", true}, // an unversioned provide satisfies any version
		{"foo = 1.2-3", "foo = 1.2", true},
		{"foo = 1:1.0", "foo >= 2.0", true}, // epoch wins
		{"foo = 1.0~rc1", "foo >= 1.0", false},
		{"foo = 2.0", "foo < 2.0", false},
		{"bar = 1.0", "foo", false},
	}
	for _, tc := range tests {
		p, err := parseDepString(tc.prov)
		if err != nil {
			t.Fatal(err)
		}
		r, err := parseDepString(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.satisfies(r); got != tc.want {
			t.Errorf("%q satisfies %q = %v, want %v", tc.prov, tc.req, got, tc.want)
		}
	}
}

func TestParseRich(t *testing.T) {
	tests := []struct {
		in, want string // want: leaves in order, joined by |
	}{
		{"(a or b)", "or:a|b"},
		{"(perl(Foo::Bar) >= 1.0 and (c or d))", "and:perl(Foo::Bar) >= 1.0|or:c|d"},
		{"(a if b else c)", "if:a|b|c"},
	}
	for _, tc := range tests {
		r, err := parseRich(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := richString(r); got != tc.want {
			t.Errorf("parseRich(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"(a or b and c)", "(a or", "a or b)"} {
		if _, err := parseRich(bad); err == nil {
			t.Errorf("parseRich(%q): no error", bad)
		}
	}
}

func richString(r *rich) string {
	if r.op == "" {
		return r.leaf.String()
	}
	s := r.op + ":"
	for i, a := range r.args {
		if i > 0 {
			s += "|"
		}
		s += richString(a)
	}
	return s
}
