package gen

import (
	"fmt"
	"strings"

	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/spec"
)

// dep is a dependency or a provide: a name, and an optional comparison
// with an [E:]V[-R].
type dep struct {
	Name  string
	EVR   string
	Flags rpmfile.DepFlags // only the comparison bits
}

func fromSpecDep(d spec.Dep) dep {
	return dep{Name: d.Name, EVR: d.EVR, Flags: rpmfile.DepFlags(d.Flags) & rpmfile.SenseMask}
}

func fromSpecDeps(s spec.DepSet) []dep {
	out := make([]dep, 0, len(s))
	for _, d := range s {
		out = append(out, fromSpecDep(d))
	}
	return out
}

// String renders d like rpm's *NEVRS tags.
func (d dep) String() string {
	return spec.Dep{Name: d.Name, EVR: d.EVR, Flags: spec.Sense(d.Flags)}.String()
}

// satisfies reports whether provide p satisfies requirement r (names equal,
// ranges overlapping as rpm's rpmdsCompare decides).
func (p dep) satisfies(r dep) bool {
	return p.Name == r.Name && rpmfile.Overlaps(rpmfile.ParseEVR(p.EVR), p.Flags, rpmfile.ParseEVR(r.EVR), r.Flags)
}

// parseDepString parses "name", "name OP evr" (OP one of < <= = >= >).
func parseDepString(s string) (dep, error) {
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		return dep{Name: f[0]}, nil
	case 3:
		var fl rpmfile.DepFlags
		for _, c := range f[1] {
			switch c {
			case '<':
				fl |= rpmfile.SenseLess
			case '>':
				fl |= rpmfile.SenseGreater
			case '=':
				fl |= rpmfile.SenseEqual
			default:
				return dep{}, fmt.Errorf("bad operator %q in %q", f[1], s)
			}
		}
		if fl == 0 || len(f[1]) > 2 {
			return dep{}, fmt.Errorf("bad operator %q in %q", f[1], s)
		}
		return dep{Name: f[0], EVR: f[2], Flags: fl}, nil
	}
	return dep{}, fmt.Errorf("cannot parse dependency %q: want NAME or NAME OP VERSION", s)
}

// rich is a parsed rich dependency (rpm 4.13+ boolean dependencies):
// either a leaf dep or an operator over operands.
type rich struct {
	op   string // "", "and", "or", "if", "unless", "with", "without"
	leaf dep
	args []*rich // for if/unless: [then, cond] or [then, cond, else]
}

// parseRich parses "(a or (b >= 1 and c))". Like rpm, an operator must not
// be mixed with another at the same level except if/unless ... else.
func parseRich(s string) (*rich, error) {
	toks := tokenizeRich(s)
	p := &richParser{toks: toks}
	r, err := p.group()
	if err != nil {
		return nil, fmt.Errorf("parsing rich dependency %q: %w", s, err)
	}
	if p.i != len(toks) {
		return nil, fmt.Errorf("parsing rich dependency %q: trailing %q", s, toks[p.i])
	}
	return r, nil
}

func tokenizeRich(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			out = append(out, s[i:i+1])
			i++
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != ')' && !(s[j] == '(' && j == i) {
				if s[j] == '(' { // a name with parentheses, e.g. perl(Foo)
					depth := 0
					for ; j < len(s); j++ {
						if s[j] == '(' {
							depth++
						} else if s[j] == ')' {
							depth--
							if depth == 0 {
								break
							}
						}
					}
				}
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

type richParser struct {
	toks []string
	i    int
}

func (p *richParser) next() string {
	if p.i >= len(p.toks) {
		return ""
	}
	t := p.toks[p.i]
	p.i++
	return t
}

func (p *richParser) peek() string {
	if p.i >= len(p.toks) {
		return ""
	}
	return p.toks[p.i]
}

func isRichOp(t string) bool {
	switch t {
	case "and", "or", "if", "unless", "with", "without", "else":
		return true
	}
	return false
}

// group parses "( term (op term)* )".
func (p *richParser) group() (*rich, error) {
	if p.next() != "(" {
		return nil, fmt.Errorf("expected '('")
	}
	first, err := p.term()
	if err != nil {
		return nil, err
	}
	r := first
	op := ""
	for {
		t := p.next()
		if t == ")" {
			return r, nil
		}
		if !isRichOp(t) {
			return nil, fmt.Errorf("expected an operator or ')', got %q", t)
		}
		arg, err := p.term()
		if err != nil {
			return nil, err
		}
		switch {
		case op == "":
			op = t
			r = &rich{op: t, args: []*rich{first, arg}}
		case t == "else" && (op == "if" || op == "unless") && len(r.args) == 2:
			r.args = append(r.args, arg)
		case t == op && (op == "and" || op == "or" || op == "with"):
			r.args = append(r.args, arg)
		default:
			return nil, fmt.Errorf("cannot mix %q with %q without parentheses", op, t)
		}
	}
}

// term parses a nested group or "name [OP evr]".
func (p *richParser) term() (*rich, error) {
	if p.peek() == "(" {
		return p.group()
	}
	name := p.next()
	if name == "" || name == ")" || isRichOp(name) {
		return nil, fmt.Errorf("expected a dependency, got %q", name)
	}
	d := dep{Name: name}
	switch op := p.peek(); op {
	case "<", "<=", "=", ">=", ">", "==":
		p.next()
		if op == "==" {
			op = "="
		}
		pd, err := parseDepString(name + " " + op + " " + p.next())
		if err != nil {
			return nil, err
		}
		d = pd
	}
	return &rich{leaf: d}, nil
}
