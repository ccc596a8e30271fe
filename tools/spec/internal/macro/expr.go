package macro

import (
	"math"
	"strconv"
	"strings"

	"github.com/keel-build/keel/tools/rpmver"
)

// The expression language of %if and %[...] (rpm 4.18's expression.c):
// 32-bit C integers, "strings", v"versions", + - * / (integer), comparisons,
// ! && || and ?:, with rpm's "types must match" rule. Macros inside tokens
// are expanded while parsing when exprExpand is set.

const (
	exprExpand  = 1 << 0
	exprDiscard = 1 << 31
)

type valueKind int

const (
	kindInt valueKind = iota
	kindString
	kindVersion
)

type value struct {
	kind valueKind
	i    int32
	s    string
	v    rpmver.EVR
}

func (v value) bool() bool {
	switch v.kind {
	case kindInt:
		return v.i != 0
	case kindString:
		return v.s != ""
	}
	return false
}

func (v value) String() string {
	switch v.kind {
	case kindInt:
		return strconv.Itoa(int(v.i))
	case kindString:
		return v.s
	}
	s := v.v.Version
	if v.v.Epoch != "" {
		s = v.v.Epoch + ":" + s
	}
	if v.v.Release != "" {
		s += "-" + v.v.Release
	}
	return s
}

type token int

const (
	tokEOF token = iota + 1
	tokInteger
	tokString
	tokAdd
	tokMinus
	tokMultiply
	tokDivide
	tokOpenP
	tokCloseP
	tokEQ
	tokNEQ
	tokLT
	tokLE
	tokGT
	tokGE
	tokNot
	tokAnd
	tokOr
	tokCond
	tokAlt
	tokComma
	tokFunction
)

type exprState struct {
	mb    *mbuf
	str   string
	p     int
	next  token
	val   value
	flags int
	err   *Error
}

// errf records the first error, in rpm's "msg: expression" form.
func (st *exprState) errf(msg string) {
	if st.err == nil {
		first := st.str
		st.err = &Error{Msg: msg + ": " + first}
	}
}

func (mb *mbuf) evalExpr(expr string, flags int) (value, error) {
	st := &exprState{mb: mb, str: expr, flags: flags}
	if !st.rdToken() {
		return value{}, st.fail()
	}
	v, ok := st.doTernary()
	if !ok {
		return value{}, st.fail()
	}
	if st.next != tokEOF {
		st.errf("syntax error in expression")
		return value{}, st.fail()
	}
	return v, nil
}

func (st *exprState) fail() error {
	if st.err == nil {
		st.err = &Error{Msg: "failed to evaluate expression: " + st.str}
	}
	return st.err
}

// valueBuf returns str[p:p+n], macro-expanded when expanding.
func (st *exprState) valueBuf(p, n int) (string, bool) {
	if st.flags&exprDiscard != 0 {
		n = 0
	}
	t := st.str[p : p+n]
	if n > 0 && st.flags&exprExpand != 0 {
		umb := st.mb.e.getBuf(st.mb.depth, st.mb.level)
		umb.expand(t)
		s, err := string(umb.buf), umb.err
		st.mb.e.putBuf(umb)
		if err != nil {
			st.err = err
			return "", false
		}
		return s, true
	}
	return t, true
}

func (st *exprState) skipMacro(ts int) int {
	if ts < len(st.str) && st.str[ts] == '%' {
		return ts + 1
	}
	pe := findMacroEnd(st.str, ts)
	if pe < 0 {
		return len(st.str)
	}
	return pe
}

func wellformedInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCLong parses a leading integer like strtol(s, &end, 0) and reports
// whether all of s was used; out-of-range values saturate.
func parseCLong(s string) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\r\f\v")
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	base := 10
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		base, t = 16, t[2:]
	} else if strings.HasPrefix(t, "0") && len(t) > 1 {
		base = 8
	}
	u, err := strconv.ParseUint(t, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			if neg {
				return math.MinInt64, true
			}
			return math.MaxInt64, true
		}
		return 0, false
	}
	if u > math.MaxInt64 {
		if neg {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

// atoi is C's atoi: (int)strtol(s, NULL, 10).
func atoi(s string) int32 {
	t := strings.TrimLeft(s, " \t\n\r\f\v")
	neg := false
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg = t[0] == '-'
		t = t[1:]
	}
	var n uint64
	over := false
	for i := 0; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
		if n > (math.MaxUint64-9)/10 {
			over = true
			break
		}
		n = n*10 + uint64(t[i]-'0')
	}
	var l int64
	switch {
	case over || (!neg && n > math.MaxInt64):
		l = math.MaxInt64
		if neg {
			l = math.MinInt64
		}
	case neg && n > 1<<63:
		l = math.MinInt64
	case neg:
		l = -int64(n)
	default:
		l = int64(n)
	}
	return int32(l)
}

func (st *exprState) rdToken() bool {
	s := st.str
	p := st.p
	expand := st.flags&exprExpand != 0
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	var tok token
	var v value
	if p >= len(s) {
		st.next = tokEOF
		st.p = p
		return true
	}
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	switch c := s[p]; c {
	case '+':
		tok = tokAdd
	case '-':
		tok = tokMinus
	case '*':
		tok = tokMultiply
	case '/':
		tok = tokDivide
	case '(':
		tok = tokOpenP
	case ')':
		tok = tokCloseP
	case '=':
		if at(p+1) != '=' {
			st.errf("syntax error while parsing ==")
			return false
		}
		tok = tokEQ
		p++
	case '!':
		tok = tokNot
		if at(p+1) == '=' {
			tok = tokNEQ
			p++
		}
	case '<':
		tok = tokLT
		if at(p+1) == '=' {
			tok = tokLE
			p++
		}
	case '>':
		tok = tokGT
		if at(p+1) == '=' {
			tok = tokGE
			p++
		}
	case '&':
		if at(p+1) != '&' {
			st.errf("syntax error while parsing &&")
			return false
		}
		tok = tokAnd
		p++
	case '|':
		if at(p+1) != '|' {
			st.errf("syntax error while parsing ||")
			return false
		}
		tok = tokOr
		p++
	case '?':
		tok = tokCond
	case ':':
		tok = tokAlt
	case ',':
		tok = tokComma
	default:
		switch {
		case isDigit(c) || (c == '%' && expand):
			ts := 0
			for ; p+ts < len(s); ts++ {
				if s[p+ts] == '%' && expand {
					ts = st.skipMacro(p+ts+1) - p - 1
				} else if !isDigit(s[p+ts]) {
					break
				}
			}
			if p+ts > len(s) {
				ts = len(s) - p
			}
			temp, ok := st.valueBuf(p, ts)
			if !ok {
				return false
			}
			if expand && !wellformedInteger(temp) {
				if temp != "" && isAlpha(temp[0]) {
					st.errf("macro expansion returned a bare word, please use \"...\"")
				} else {
					st.errf("macro expansion did not return an integer")
				}
				st.err.Msg += "\nexpanded string: " + temp
				return false
			}
			p += ts - 1
			tok = tokInteger
			v = value{kind: kindInt, i: atoi(temp)}
		case c == '"' || (c == 'v' && at(p+1) == '"'):
			isVer := c == 'v'
			if isVer {
				p += 2
			} else {
				p++
			}
			ts := 0
			for ; p+ts < len(s); ts++ {
				if s[p+ts] == '%' && expand {
					ts = st.skipMacro(p+ts+1) - p - 1
				} else if s[p+ts] == '"' {
					break
				}
			}
			if p+ts >= len(s) || s[p+ts] != '"' {
				st.errf("unterminated string in expression")
				return false
			}
			temp, ok := st.valueBuf(p, ts)
			if !ok {
				return false
			}
			p += ts
			tok = tokString
			if !isVer {
				v = value{kind: kindString, s: temp}
			} else {
				if st.flags&exprDiscard != 0 {
					temp = "0"
				}
				evr, ok := parseVersion(temp)
				if !ok {
					st.errf("invalid version")
					return false
				}
				v = value{kind: kindVersion, v: evr}
			}
		case isAlpha(c):
			q := p + 1
			for q < len(s) && (isAlnum(s[q]) || s[q] == '_' || s[q] == '.' || s[q] == ':') {
				q++
			}
			if q < len(s) && s[q] == '(' {
				v = value{kind: kindString, s: s[p:q]}
				p = q
				tok = tokFunction
				break
			}
			st.errf("bare words are no longer supported, please use \"...\"")
			return false
		default:
			st.errf("parse error in expression")
			return false
		}
	}
	st.p = p + 1
	st.next = tok
	st.val = v
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseVersion parses "[E:]V[-R]" as rpmverParse; V must not be empty and
// E must be digits.
func parseVersion(s string) (rpmver.EVR, bool) {
	if s == "" {
		return rpmver.EVR{}, false
	}
	k := 0
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	var e rpmver.EVR
	rest := s
	if k < len(s) && s[k] == ':' {
		e.Epoch = s[:k]
		if e.Epoch == "" {
			e.Epoch = "0"
		}
		rest = s[k+1:]
	}
	if j := strings.LastIndexByte(rest, '-'); j >= 0 {
		e.Version, e.Release = rest[:j], rest[j+1:]
	} else {
		e.Version = rest
	}
	if e.Version == "" {
		return e, false
	}
	return e, true
}

// compareVersion is rpm 4.18's rpmverCmp: epochs (missing = 0), versions,
// then releases, a missing release comparing as "" (so 1.0 < 1.0-2, unlike
// dependency comparison).
func compareVersion(a, b rpmver.EVR) int {
	ea, eb := a.Epoch, b.Epoch
	if ea == "" {
		ea = "0"
	}
	if eb == "" {
		eb = "0"
	}
	if c := rpmver.Vercmp(ea, eb); c != 0 {
		return c
	}
	if c := rpmver.Vercmp(a.Version, b.Version); c != 0 {
		return c
	}
	return rpmver.Vercmp(a.Release, b.Release)
}

func (st *exprState) doFunction() (value, bool) {
	name := st.val.s
	if !st.rdToken() {
		return value{}, false
	}
	var args []value
	for st.next != tokCloseP {
		v, ok := st.doTernary()
		if !ok {
			return value{}, false
		}
		args = append(args, v)
		if st.next == tokCloseP {
			break
		}
		if st.next != tokComma {
			st.errf("syntax error in expression")
			return value{}, false
		}
		if !st.rdToken() {
			return value{}, false
		}
		if st.next == tokCloseP {
			st.errf("syntax error in expression")
			return value{}, false
		}
	}
	if !st.rdToken() {
		return value{}, false
	}
	if !strings.HasPrefix(name, "lua:") {
		st.errf("unsupported function")
		return value{}, false
	}
	if st.flags&exprDiscard != 0 {
		return value{kind: kindString}, true
	}
	var sargs []any
	for _, a := range args {
		switch a.kind {
		case kindInt:
			sargs = append(sargs, int(a.i))
		case kindString:
			sargs = append(sargs, a.s)
		default:
			st.errf("unsupported function argument type")
			return value{}, false
		}
	}
	res, err := st.mb.luaCallFunction(name[4:], sargs)
	if err != nil {
		st.err = err
		return value{}, false
	}
	return value{kind: kindString, s: res}, true
}

func (st *exprState) doPrimary() (value, bool) {
	switch st.next {
	case tokFunction:
		return st.doFunction()
	case tokOpenP:
		if !st.rdToken() {
			return value{}, false
		}
		v, ok := st.doTernary()
		if !ok {
			return value{}, false
		}
		if st.next != tokCloseP {
			st.errf("unmatched (")
			return value{}, false
		}
		if !st.rdToken() {
			return value{}, false
		}
		return v, true
	case tokInteger, tokString:
		v := st.val
		if !st.rdToken() {
			return value{}, false
		}
		return v, true
	case tokMinus:
		if !st.rdToken() {
			return value{}, false
		}
		v, ok := st.doPrimary()
		if !ok {
			return value{}, false
		}
		if v.kind != kindInt {
			st.errf("- only on numbers")
			return value{}, false
		}
		return value{kind: kindInt, i: -v.i}, true
	case tokNot:
		if !st.rdToken() {
			return value{}, false
		}
		v, ok := st.doPrimary()
		if !ok {
			return value{}, false
		}
		r := int32(0)
		if !v.bool() {
			r = 1
		}
		return value{kind: kindInt, i: r}, true
	case tokEOF:
		st.errf("unexpected end of expression")
		return value{}, false
	}
	st.errf("syntax error in expression")
	return value{}, false
}

func (st *exprState) doMultiplyDivide() (value, bool) {
	v1, ok := st.doPrimary()
	if !ok {
		return v1, false
	}
	for st.next == tokMultiply || st.next == tokDivide {
		op := st.next
		if !st.rdToken() {
			return v1, false
		}
		v2, ok := st.doPrimary()
		if !ok {
			return v1, false
		}
		if v1.kind != v2.kind {
			st.errf("types must match")
			return v1, false
		}
		switch v1.kind {
		case kindInt:
			if st.flags&exprDiscard != 0 {
				continue
			}
			if v2.i == 0 && op == tokDivide {
				st.errf("division by zero")
				return v1, false
			}
			if op == tokMultiply {
				v1.i *= v2.i
			} else if v1.i == math.MinInt32 && v2.i == -1 {
				v1.i = math.MinInt32
			} else {
				v1.i /= v2.i
			}
		case kindVersion:
			st.errf("* and / not supported for versions")
			return v1, false
		default:
			st.errf("* and / not supported for strings")
			return v1, false
		}
	}
	return v1, true
}

func (st *exprState) doAddSubtract() (value, bool) {
	v1, ok := st.doMultiplyDivide()
	if !ok {
		return v1, false
	}
	for st.next == tokAdd || st.next == tokMinus {
		op := st.next
		if !st.rdToken() {
			return v1, false
		}
		v2, ok := st.doMultiplyDivide()
		if !ok {
			return v1, false
		}
		if v1.kind != v2.kind {
			st.errf("types must match")
			return v1, false
		}
		switch v1.kind {
		case kindInt:
			if op == tokAdd {
				v1.i += v2.i
			} else {
				v1.i -= v2.i
			}
		case kindVersion:
			st.errf("+ and - not supported for versions")
			return v1, false
		default:
			if op == tokMinus {
				st.errf("- not supported for strings")
				return v1, false
			}
			v1.s += v2.s
		}
	}
	return v1, true
}

func (st *exprState) doRelational() (value, bool) {
	v1, ok := st.doAddSubtract()
	if !ok {
		return v1, false
	}
	for st.next >= tokEQ && st.next <= tokGE {
		op := st.next
		if !st.rdToken() {
			return v1, false
		}
		v2, ok := st.doAddSubtract()
		if !ok {
			return v1, false
		}
		if v1.kind != v2.kind {
			st.errf("types must match")
			return v1, false
		}
		var c int
		switch v1.kind {
		case kindInt:
			c = int(int32(uint32(v1.i) - uint32(v2.i))) // C: v1 - v2
		case kindVersion:
			c = compareVersion(v1.v, v2.v)
		default:
			c = strings.Compare(v1.s, v2.s)
		}
		var r bool
		switch op {
		case tokEQ:
			r = c == 0
		case tokNEQ:
			r = c != 0
		case tokLT:
			r = c < 0
		case tokLE:
			r = c <= 0
		case tokGT:
			r = c > 0
		case tokGE:
			r = c >= 0
		}
		v1 = value{kind: kindInt}
		if r {
			v1.i = 1
		}
	}
	return v1, true
}

func (st *exprState) doLogical() (value, bool) {
	oldflags := st.flags
	defer func() { st.flags = oldflags }()
	v1, ok := st.doRelational()
	if !ok {
		return v1, false
	}
	for st.next == tokAnd || st.next == tokOr {
		op := st.next
		b1 := v1.bool()
		if (op == tokAnd && !b1) || (op == tokOr && b1) {
			st.flags |= exprDiscard
		}
		if !st.rdToken() {
			return v1, false
		}
		v2, ok := st.doRelational()
		if !ok {
			return v1, false
		}
		if v1.kind != v2.kind {
			st.errf("types must match")
			return v1, false
		}
		if (op == tokAnd && b1) || (op == tokOr && !b1) {
			v1 = v2
		}
		st.flags = oldflags
	}
	return v1, true
}

func (st *exprState) doTernary() (value, bool) {
	oldflags := st.flags
	defer func() { st.flags = oldflags }()
	v1, ok := st.doLogical()
	if !ok {
		return v1, false
	}
	if st.next != tokCond {
		return v1, true
	}
	cond := v1.bool()
	if !cond {
		st.flags |= exprDiscard
	}
	if !st.rdToken() {
		return v1, false
	}
	v1, ok = st.doTernary()
	if !ok {
		return v1, false
	}
	if st.next != tokAlt {
		st.errf("syntax error in expression")
		return v1, false
	}
	st.flags = oldflags
	if cond {
		st.flags |= exprDiscard
	}
	if !st.rdToken() {
		return v1, false
	}
	v2, ok := st.doTernary()
	if !ok {
		return v1, false
	}
	st.flags = oldflags
	if v1.kind != v2.kind {
		st.errf("types must match")
		return v1, false
	}
	if cond {
		return v1, true
	}
	return v2, true
}

// doExpressionExpansion expands %[expr].
func (mb *mbuf) doExpressionExpansion(expr string) {
	odepth, olevel := mb.e.depth, mb.e.level
	mb.e.depth, mb.e.level = mb.depth, mb.level
	v, err := mb.evalExpr(expr, exprExpand)
	mb.e.depth, mb.e.level = odepth, olevel
	if err != nil {
		mb.failErr(err.(*Error))
		return
	}
	mb.appendStr(v.String())
}
