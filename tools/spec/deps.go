package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Sense is rpm's dependency flag word (rpmsenseFlags): the comparison bits
// plus qualifiers such as "post" or "interp".
type Sense uint32

// The rpmsenseFlags bits Keel uses (rpm's include/rpm/rpmds.h).
const (
	SenseLess          Sense = 1 << 1
	SenseGreater       Sense = 1 << 2
	SenseEqual         Sense = 1 << 3
	SensePosttrans     Sense = 1 << 5
	SensePrereq        Sense = 1 << 6
	SensePretrans      Sense = 1 << 7
	SenseInterp        Sense = 1 << 8
	SenseScriptPre     Sense = 1 << 9
	SenseScriptPost    Sense = 1 << 10
	SenseScriptPreun   Sense = 1 << 11
	SenseScriptPostun  Sense = 1 << 12
	SenseScriptVerify  Sense = 1 << 13
	SenseFindRequires  Sense = 1 << 14
	SenseFindProvides  Sense = 1 << 15
	SenseTriggerIn     Sense = 1 << 16
	SenseTriggerUn     Sense = 1 << 17
	SenseTriggerPostun Sense = 1 << 18
	SenseMissingOK     Sense = 1 << 19
	SenseRPMLib        Sense = 1 << 24
	SenseTriggerPrein  Sense = 1 << 25
	SenseKeyring       Sense = 1 << 26
	SenseConfig        Sense = 1 << 28
	SenseMeta          Sense = 1 << 29

	senseMask       = SenseLess | SenseGreater | SenseEqual
	allRequiresMask = SenseInterp | SenseScriptPre | SenseScriptPost | SenseScriptPreun |
		SenseScriptPostun | SenseScriptVerify | SenseFindRequires | SenseRPMLib | SenseKeyring |
		SensePretrans | SensePosttrans | SensePrereq | SenseMeta | SenseMissingOK
	senseTrigger = SenseTriggerPrein | SenseTriggerIn | SenseTriggerUn | SenseTriggerPostun
)

// DepType renders the qualifier bits as rpm's %{REQUIREFLAGS:deptype}
// query format does: "manual" when there are none, else e.g. "post,interp".
func (s Sense) DepType() string {
	var parts []string
	add := func(bit Sense, name string) {
		if s&bit != 0 {
			parts = append(parts, name)
		}
	}
	add(SenseScriptPre, "pre")
	add(SenseScriptPost, "post")
	add(SenseScriptPreun, "preun")
	add(SenseScriptPostun, "postun")
	add(SenseScriptVerify, "verify")
	add(SenseInterp, "interp")
	add(SenseRPMLib, "rpmlib")
	if s&(SenseFindRequires|SenseFindProvides) != 0 {
		parts = append(parts, "auto")
	}
	add(SensePrereq, "prereq")
	add(SensePretrans, "pretrans")
	add(SensePosttrans, "posttrans")
	add(SenseConfig, "config")
	add(SenseMissingOK, "missingok")
	add(SenseMeta, "meta")
	if len(parts) == 0 {
		return "manual"
	}
	return strings.Join(parts, ",")
}

// Dep is one dependency: a name (or a rich dependency in parentheses), an
// optional EVR and its flags.
type Dep struct {
	Name  string
	EVR   string
	Flags Sense
}

// String renders the dependency as rpm's *NEVRS query tags do:
// "name", "name >= 1.0", "(a or b)".
func (d Dep) String() string {
	if d.Flags&senseMask == 0 && d.EVR == "" {
		return d.Name
	}
	var b strings.Builder
	b.Grow(len(d.Name) + len(d.EVR) + 5) // " >= "
	b.WriteString(d.Name)
	if d.Flags&senseMask != 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if d.Flags&SenseLess != 0 {
			b.WriteByte('<')
		}
		if d.Flags&SenseGreater != 0 {
			b.WriteByte('>')
		}
		if d.Flags&SenseEqual != 0 {
			b.WriteByte('=')
		}
	}
	if d.EVR != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.EVR)
	}
	return b.String()
}

// compareDeps orders dependencies as rpm's rpmds sets are kept: by name,
// then EVR (both bytewise), then the flag word.
func compareDeps(a, b Dep) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.EVR, b.EVR); c != 0 {
		return c
	}
	switch {
	case a.Flags < b.Flags:
		return -1
	case a.Flags > b.Flags:
		return 1
	}
	return 0
}

// DepSet is a sorted, duplicate-free dependency list, as rpm's rpmdsMerge
// maintains it.
type DepSet []Dep

// Add inserts d unless an identical entry is present.
func (s *DepSet) Add(d Dep) {
	i := sort.Search(len(*s), func(i int) bool { return compareDeps((*s)[i], d) >= 0 })
	if i < len(*s) && compareDeps((*s)[i], d) == 0 {
		return
	}
	*s = append(*s, Dep{})
	copy((*s)[i+1:], (*s)[i:])
	(*s)[i] = d
}

// depKind is which dependency tag a spec line fills.
type depKind int

const (
	kindRequires depKind = iota
	kindProvides
	kindConflicts
	kindObsoletes
	kindRecommends
	kindSuggests
	kindSupplements
	kindEnhances
	kindOrder
	kindPrereq
	kindBuildRequires
	kindBuildConflicts
	kindTrigger
)

// sanitize keeps only the flag bits rpm stores for the tag
// (rpmSanitizeDSFlags).
func (k depKind) sanitize(f Sense) Sense {
	var extra Sense
	switch k {
	case kindProvides:
		extra = f & SenseFindProvides
	case kindTrigger:
		extra = f & senseTrigger
	case kindRecommends, kindSuggests, kindSupplements, kindEnhances, kindRequires, kindOrder, kindPrereq, kindBuildRequires:
		extra = f & allRequiresMask
	case kindConflicts, kindBuildConflicts:
		extra = f
	}
	return f&senseMask | extra
}

var senseOps = []struct {
	tok   string
	sense Sense
}{
	{"<=", SenseLess | SenseEqual}, {"=<", SenseLess | SenseEqual}, {"<", SenseLess},
	{"==", SenseEqual}, {"=", SenseEqual},
	{">=", SenseGreater | SenseEqual}, {"=>", SenseGreater | SenseEqual}, {">", SenseGreater},
}

func parseSenseOp(s string) Sense {
	for _, o := range senseOps {
		if s == o.tok {
			return o.sense
		}
	}
	return 0
}

func isDepSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skipWhite skips blanks and commas (rpm's SKIPWHITE in parseReqs.c).
func skipWhite(s string, i int) int {
	for i < len(s) && (isDepSpace(s[i]) || s[i] == ',') {
		i++
	}
	return i
}

func skipNonWhite(s string, i int) int {
	for i < len(s) && !(isDepSpace(s[i]) || s[i] == ',') {
		i++
	}
	return i
}

// parseDeps splits a dependency field ("a, b >= 1, (c or d)") into
// dependencies the way rpm's parseRCPOT does. flags are the qualifier bits.
func parseDeps(field string, kind depKind, flags Sense) ([]Dep, error) {
	var out []Dep
	allowRich := false
	switch kind {
	case kindRequires, kindRecommends, kindSuggests, kindSupplements, kindEnhances, kindConflicts,
		kindPrereq, kindBuildRequires, kindBuildConflicts:
		allowRich = true
	}
	if kind == kindPrereq {
		flags |= SenseScriptPre | SenseScriptPreun
	}
	for i := 0; i < len(field); {
		i = skipWhite(field, i)
		if i >= len(field) {
			break
		}
		f := flags &^ senseMask
		if field[i] == '(' {
			if !allowRich {
				return nil, fmt.Errorf("no rich dependencies allowed for this type: %s", field[i:])
			}
			var b strings.Builder
			j, err := parseRich(field, i, &b, true, kind)
			if err != nil {
				return nil, err
			}
			out = append(out, Dep{Name: b.String(), Flags: kind.sanitize(f)})
			i = j
			continue
		}
		j := skipNonWhite(field, i)
		name := field[i:j]
		var evr string
		v := skipWhite(field, j)
		ve := skipNonWhite(field, v)
		next := v
		if ve > v {
			if sense := parseSenseOp(field[v:ve]); sense != 0 {
				f |= sense
				v = skipWhite(field, ve)
				ve = skipNonWhite(field, v)
				if v >= len(field) || ve == v {
					return nil, fmt.Errorf("version required: %s", field)
				}
				evr = field[v:ve]
				next = ve
			}
		}
		if err := checkDep(name, evr); err != nil {
			return nil, err
		}
		if kind == kindObsoletes {
			if err := checkName(name); err != nil {
				return nil, fmt.Errorf("only package names are allowed in Obsoletes: %w", err)
			}
		}
		out = append(out, Dep{Name: name, EVR: evr, Flags: kind.sanitize(f)})
		i = next
	}
	return out, nil
}

// checkDep applies rpm's checkDep: the first character and, for versioned
// dependencies, the EVR characters.
func checkDep(name, evr string) error {
	if name == "" {
		return fmt.Errorf("name required")
	}
	c := name[0]
	if c < 0x80 && !(isAlnum(c) || c == '_' || c == '/') {
		return fmt.Errorf("dependency tokens must begin with alpha-numeric, '_' or '/': %s", name)
	}
	if evr != "" {
		if name[0] == '/' {
			return fmt.Errorf("versioned file name not permitted: %s", name)
		}
		if err := charCheck(evr, allowedCharsEVR, ""); err != nil {
			return err
		}
	}
	return nil
}

var richOps = []string{"and", "or", "if", "unless", "else", "with", "without"}

const (
	richCheck  = 1 << 0
	richNoWith = 1 << 1
	richNoAnd  = 1 << 2
	richNoOr   = 1 << 3
)

func richCheckOp(op string, check int) error {
	if (op == "with" || op == "without") && check&richNoWith != 0 {
		return fmt.Errorf("illegal ops in with/without")
	}
	if check&richCheck == 0 {
		return nil
	}
	if (op == "and" || op == "if") && check&richNoAnd != 0 {
		return fmt.Errorf("illegal context for 'unless', please use 'or' instead")
	}
	if (op == "or" || op == "unless") && check&richNoOr != 0 {
		return fmt.Errorf("illegal context for 'if', please use 'and' instead")
	}
	return nil
}

// skipNonWhiteX is rpm's SKIPNONWHITEX: stops at blanks, commas and an
// unbalanced ')'.
func skipNonWhiteX(s string, i int) int {
	bl := 0
	for i < len(s) {
		c := s[i]
		if isDepSpace(c) || c == ',' {
			break
		}
		if c == ')' {
			if bl <= 0 {
				break
			}
			bl--
		}
		if c == '(' {
			bl++
		}
		i++
	}
	return i
}

// parseRich parses a rich dependency starting at s[i] == '(' and writes its
// normalized form (single spaces, as rpm's parseRCPOTRichCB builds it) to b.
// It returns the index after the closing parenthesis.
func parseRich(s string, i int, b *strings.Builder, top bool, kind depKind) (int, error) {
	check := richCheck
	j, err := richInternal(s, i, b, &check)
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, s[i:])
	}
	if top {
		op := "and"
		if kind == kindConflicts || kind == kindBuildConflicts || kind == kindSupplements || kind == kindEnhances {
			op = "or"
		}
		if err := richCheckOp(op, check); err != nil {
			return 0, fmt.Errorf("%v: %s", err, s[i:])
		}
	}
	return j, nil
}

func richInternal(s string, i int, b *strings.Builder, checkp *int) (int, error) {
	check := *checkp
	op, firstop, chainop := "", "", ""
	b.WriteByte('(')
	if i >= len(s) || s[i] != '(' {
		return 0, fmt.Errorf("rich dependency does not start with '('")
	}
	i++
	for {
		i = skipWhite(s, i)
		if i < len(s) && s[i] == ')' {
			if chainop != "" {
				return 0, fmt.Errorf("missing argument to rich dependency op")
			}
			return 0, fmt.Errorf("empty rich dependency")
		}
		if i < len(s) && s[i] == '(' {
			sub := check & richCheck
			j, err := richInternal(s, i, b, &sub)
			if err != nil {
				return 0, err
			}
			if op == "if" || op == "unless" {
				sub &^= richNoAnd | richNoOr
			}
			check |= sub
			i = j
		} else {
			n := i
			i = skipNonWhiteX(s, i)
			if i == n {
				return 0, fmt.Errorf("name required")
			}
			name := s[n:i]
			var evr string
			var sense Sense
			p := skipWhite(s, i)
			if p < len(s) {
				pe := skipNonWhiteX(s, p)
				sense = parseSenseOp(s[p:pe])
				if sense != 0 {
					p = skipWhite(s, pe)
					e := p
					p = skipNonWhiteX(s, p)
					if p == e {
						return 0, fmt.Errorf("version required")
					}
					evr = s[e:p]
					i = p
				}
			}
			b.WriteString(name)
			if evr != "" {
				b.WriteByte(' ')
				if sense&SenseLess != 0 {
					b.WriteByte('<')
				}
				if sense&SenseGreater != 0 {
					b.WriteByte('>')
				}
				if sense&SenseEqual != 0 {
					b.WriteByte('=')
				}
				b.WriteByte(' ')
				b.WriteString(evr)
			}
			if err := checkDep(name, evr); err != nil {
				return 0, err
			}
		}
		i = skipWhite(s, i)
		if i >= len(s) {
			return 0, fmt.Errorf("unterminated rich dependency")
		}
		if s[i] == ')' {
			break
		}
		pe := i
		for pe < len(s) && !isDepSpace(s[pe]) && s[pe] != ')' {
			pe++
		}
		word := s[i:pe]
		op = ""
		for _, o := range richOps {
			if o == word {
				op = o
			}
		}
		if op == "" {
			return 0, fmt.Errorf("unknown rich dependency op '%s'", word)
		}
		if firstop == "" {
			firstop = op
		}
		if op == "else" && (chainop == "if" || chainop == "unless") {
			chainop = ""
		}
		if chainop != "" && op != chainop {
			return 0, fmt.Errorf("cannot chain different ops")
		}
		if chainop != "" && op != "and" && op != "or" && op != "with" {
			return 0, fmt.Errorf("can only chain and/or/with ops")
		}
		b.WriteString(" " + op + " ")
		chainop = op
		i = pe
	}
	if firstop == "" {
		firstop = "SINGLE"
	}
	if err := richCheckOp(firstop, check); err != nil {
		return 0, err
	}
	if firstop == "if" {
		check |= richNoOr
	}
	if firstop == "unless" {
		check |= richNoAnd
	}
	if op == "and" || op == "or" {
		check &^= richNoAnd | richNoOr
	}
	if op != "" && op != "with" && op != "without" && op != "or" {
		check |= richNoWith
	}
	b.WriteByte(')')
	*checkp |= check
	return i + 1, nil
}
