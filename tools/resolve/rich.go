package resolve

import (
	"fmt"
	"strings"

	"github.com/keel-build/keel/tools/rpmfile"
)

// expr is a dependency: a simple one (op == "") or a boolean (rich) one as
// described in rpm's docs/manual/boolean_dependencies.md.
type expr struct {
	op   string // "", "and", "or", "with", "without", "if", "unless"
	args []*expr
	dep  rpmfile.Dep
}

func (e *expr) String() string {
	if e.op == "" {
		return e.dep.String()
	}
	parts := make([]string, 0, 2*len(e.args))
	for i, a := range e.args {
		if i > 0 {
			op := e.op
			if (op == "if" || op == "unless") && i == 2 {
				op = "else"
			}
			parts = append(parts, op)
		}
		parts = append(parts, a.String())
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// parseDep turns a dependency from a header into an expression.
func parseDep(d rpmfile.Dep) (*expr, error) {
	if !d.IsRich() {
		return &expr{dep: d}, nil
	}
	p := &richParser{toks: tokenize(d.Name)}
	e, err := p.parseGroup()
	if err != nil {
		return nil, fmt.Errorf("parsing rich dependency %q: %w", d.Name, err)
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("parsing rich dependency %q: trailing %q", d.Name, strings.Join(p.toks[p.i:], " "))
	}
	return e, nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' && cur.Len() == 0:
			toks = append(toks, "(")
		case c == '(':
			// A parenthesis inside a name, as in "perl(Foo::Bar)": keep the
			// name whole up to its matching ')'.
			n := 1
			cur.WriteByte(c)
			for i++; i < len(s) && n > 0; i++ {
				switch s[i] {
				case '(':
					n++
				case ')':
					n--
				}
				cur.WriteByte(s[i])
			}
			i--
		case c == ')':
			flush()
			toks = append(toks, ")")
		case c == ' ' || c == '\t':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return toks
}

type richParser struct {
	toks []string
	i    int
}

func (p *richParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *richParser) next() string {
	t := p.peek()
	p.i++
	return t
}

var richOps = map[string]bool{"and": true, "or": true, "with": true, "without": true, "if": true, "unless": true, "else": true}

// parseGroup parses "( term [op term ...] )".
func (p *richParser) parseGroup() (*expr, error) {
	if p.next() != "(" {
		return nil, fmt.Errorf("expected '('")
	}
	first, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	if p.peek() == ")" {
		p.next()
		return first, nil
	}
	op := p.next()
	if !richOps[op] || op == "else" {
		return nil, fmt.Errorf("unknown operator %q", op)
	}
	e := &expr{op: op, args: []*expr{first}}
	for {
		t, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		e.args = append(e.args, t)
		switch nxt := p.next(); {
		case nxt == ")":
			return e, nil
		case nxt == op && (op == "and" || op == "or" || op == "with"):
		case nxt == "else" && (op == "if" || op == "unless") && len(e.args) == 2:
		default:
			return nil, fmt.Errorf("unexpected %q after %s", nxt, e.args[len(e.args)-1])
		}
	}
}

func (p *richParser) parseTerm() (*expr, error) {
	if p.peek() == "(" {
		return p.parseGroup()
	}
	name := p.next()
	if name == "" || name == ")" || richOps[name] {
		return nil, fmt.Errorf("expected a package name, got %q", name)
	}
	d := rpmfile.Dep{Name: name}
	var f rpmfile.DepFlags
	switch p.peek() {
	case "<":
		f = rpmfile.SenseLess
	case "<=", "=<":
		f = rpmfile.SenseLess | rpmfile.SenseEqual
	case "=", "==":
		f = rpmfile.SenseEqual
	case ">=", "=>":
		f = rpmfile.SenseGreater | rpmfile.SenseEqual
	case ">":
		f = rpmfile.SenseGreater
	}
	if f != 0 {
		p.next()
		v := p.next()
		if v == "" || v == ")" || v == "(" {
			return nil, fmt.Errorf("missing version after %s", name)
		}
		d.Flags, d.EVR = f, rpmfile.ParseEVR(v)
	}
	return &expr{dep: d}, nil
}
