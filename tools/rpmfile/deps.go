package rpmfile

import "strings"

// DepFlags are rpm's RPMSENSE_* bits of a dependency (lib/rpmds.h).
type DepFlags uint32

// The dependency flags Keel looks at.
const (
	SenseLess         DepFlags = 1 << 1
	SenseGreater      DepFlags = 1 << 2
	SenseEqual        DepFlags = 1 << 3
	SenseMask         DepFlags = SenseLess | SenseGreater | SenseEqual
	SensePosttrans    DepFlags = 1 << 5
	SensePrereq       DepFlags = 1 << 6
	SensePretrans     DepFlags = 1 << 7
	SenseInterp       DepFlags = 1 << 8
	SenseScriptPre    DepFlags = 1 << 9
	SenseScriptPost   DepFlags = 1 << 10
	SenseScriptPreUn  DepFlags = 1 << 11
	SenseScriptPostUn DepFlags = 1 << 12
	SenseScriptVerify DepFlags = 1 << 13
	SenseRpmlib       DepFlags = 1 << 24
	SenseConfig       DepFlags = 1 << 28
)

// Op renders the comparison operator of f ("", "<", "<=", "=", ">=", ">").
func (f DepFlags) Op() string {
	switch f & SenseMask {
	case SenseLess:
		return "<"
	case SenseLess | SenseEqual:
		return "<="
	case SenseEqual:
		return "="
	case SenseGreater | SenseEqual:
		return ">="
	case SenseGreater:
		return ">"
	}
	return ""
}

// IsPrereq reports whether the requirement must be installed before the
// package's install-time scriptlets run (Requires(pre), (post), (pretrans),
// (posttrans) and the legacy PreReq): createrepo's pre="1".
func (f DepFlags) IsPrereq() bool {
	return f&(SensePrereq|SenseScriptPre|SenseScriptPost|SensePretrans|SensePosttrans) != 0
}

// Dep is one dependency (Requires, Provides, ...) of a package.
type Dep struct {
	Name  string
	Flags DepFlags
	EVR   EVR
}

// String renders the dependency as rpm prints it: "name >= 1.0-1".
func (d Dep) String() string {
	if op := d.Flags.Op(); op != "" && !d.EVR.IsZero() {
		return d.Name + " " + op + " " + d.EVR.String()
	}
	return d.Name
}

// IsRich reports whether the dependency is a boolean (rich) dependency such
// as "(a or b)".
func (d Dep) IsRich() bool { return strings.HasPrefix(d.Name, "(") }

// Matches reports whether the provide p satisfies the (simple) requirement
// r: same name and overlapping version ranges.
func Matches(p, r Dep) bool {
	return p.Name == r.Name && Overlaps(p.EVR, p.Flags, r.EVR, r.Flags)
}
