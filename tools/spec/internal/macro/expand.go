package macro

import (
	"sort"
	"strconv"
	"strings"
)

const qchar = 0x1f // rpm's quote marker (ASCII unit separator)

// mbuf is rpm's MacroBuf: the state of one expansion.
type mbuf struct {
	e     *Engine
	buf   []byte
	depth int
	level int
	err   *Error
	me    *entry   // macro being expanded (for Lua's opt/arg)
	args  []string // its arguments
}

// newBuf starts the expansion of an API call; the outermost one resets
// the step count.
func (e *Engine) newBuf() *mbuf {
	if e.depth == 0 && e.lua == nil || e.depth == 0 && len(e.lua.prints) == 0 {
		e.steps = 0 // an outermost call
	}
	return e.getBuf(e.depth, e.level)
}

// Expansion buffers are reused: an expansion takes one (getBuf) and gives
// it back when its text has been copied out (putBuf), so that most
// expansions write into memory that has already grown to size.
const (
	maxFreeBufs = 16       // buffers kept per engine
	maxFreeCap  = 64 << 10 // larger buffers are left to the collector
)

// getBuf returns an empty buffer for an expansion at depth and level.
func (e *Engine) getBuf(depth, level int) *mbuf {
	n := len(e.free)
	if n == 0 {
		return &mbuf{e: e, depth: depth, level: level}
	}
	mb := e.free[n-1]
	e.free = e.free[:n-1]
	*mb = mbuf{e: e, buf: mb.buf[:0], depth: depth, level: level}
	return mb
}

// putBuf gives mb back; it must not be used after.
func (e *Engine) putBuf(mb *mbuf) {
	if len(e.free) < maxFreeBufs && cap(mb.buf) <= maxFreeCap {
		mb.me, mb.args, mb.err = nil, nil, nil
		e.free = append(e.free, mb)
	}
}

// finish returns the text and error of mb and gives it back.
func (mb *mbuf) finish() (string, error) {
	s, err := string(mb.buf), mb.result()
	mb.e.putBuf(mb)
	return s, err
}

func (mb *mbuf) result() error {
	if mb.err != nil {
		return mb.err
	}
	return nil
}

// fail records the first error.
func (mb *mbuf) fail(format string, args ...any) {
	if mb.err == nil {
		mb.err = errorf(format, args...)
	}
}

func (mb *mbuf) failErr(err *Error) {
	if mb.err == nil {
		mb.err = err
	}
}

func (mb *mbuf) warnf(format string, args ...any) {
	mb.e.warn("warning: " + mb.e.fileCtx + strings.TrimRight(errorf(format, args...).Msg, "\n"))
}

func (mb *mbuf) appendStr(s string) {
	if len(mb.buf)+len(s) > mb.e.opts.MaxOutput {
		mb.fail("macro expansion exceeds %d bytes", mb.e.opts.MaxOutput)
		return
	}
	mb.buf = append(mb.buf, s...)
}

func (mb *mbuf) appendByte(c byte) {
	if len(mb.buf) >= mb.e.opts.MaxOutput {
		mb.fail("macro expansion exceeds %d bytes", mb.e.opts.MaxOutput)
		return
	}
	mb.buf = append(mb.buf, c)
}

// enter and leave are rpm's mbInit/mbFini depth accounting.
func (mb *mbuf) enter() bool {
	mb.e.steps++
	if mb.e.steps > MaxSteps {
		mb.fail("macro expansion takes more than %d steps", MaxSteps)
		return false
	}
	mb.depth++
	if mb.depth > mb.e.opts.MaxDepth {
		mb.depth--
		mb.fail("Too many levels of recursion in macro expansion. It is likely caused by recursive macro declaration.")
		return false
	}
	return true
}

func (mb *mbuf) leave() { mb.depth-- }

// expandThis expands src into a new string, with the state of mb
// (rpm's expandThis). ok is false if this expansion failed.
func (mb *mbuf) expandThis(src string) (string, bool) {
	umb := mb.e.getBuf(mb.depth, mb.level)
	umb.me, umb.args = mb.me, mb.args
	umb.expand(src)
	s, err := string(umb.buf), umb.err
	mb.e.putBuf(umb)
	if err != nil {
		mb.failErr(err)
		return s, false
	}
	return s, true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }
func isEOL(c byte) bool   { return c == '\n' || c == '\r' }
func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// matchchar returns the index just after the pr matching the pl at s[i],
// or -1 (rpm's matchchar).
func matchchar(s string, i int, pl, pr byte) int {
	lvl := 0
	for i < len(s) {
		c := s[i]
		i++
		if c == '\\' {
			i++
			continue
		}
		if c == pr {
			lvl--
			if lvl <= 0 {
				return i
			}
		} else if c == pl {
			lvl++
		}
	}
	return -1
}

// findMacroEnd returns the index after the macro call starting at s[i]
// (the character after '%'), or -1 for an unterminated one.
func findMacroEnd(s string, i int) int {
	if i < len(s) {
		switch s[i] {
		case '(':
			return matchchar(s, i, '(', ')')
		case '{':
			return matchchar(s, i, '{', '}')
		case '[':
			return matchchar(s, i, '[', ']')
		}
	}
	for i < len(s) && (s[i] == '?' || s[i] == '!') {
		i++
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	for i < len(s) && (isAlnum(s[i]) || s[i] == '_') {
		i++
	}
	if i+1 < len(s) && s[i] == '*' && s[i+1] == '*' {
		i += 2
	} else if i < len(s) && (s[i] == '*' || s[i] == '#') {
		i++
	}
	return i
}

func setNegateAndCheck(s string, i int) (j int, negate bool, chkexist int) {
	for i < len(s) && (s[i] == '?' || s[i] == '!') {
		if s[i] == '!' {
			negate = !negate
		} else {
			chkexist++
		}
		i++
	}
	return i, negate, chkexist
}

// expand is rpm's expandMacro: expand src, appending to mb.buf.
func (mb *mbuf) expand(src string) {
	if !mb.enter() {
		return
	}
	defer mb.leave()
	s := 0
	for mb.err == nil && s < len(src) {
		// Copy text until the next macro.
		k := strings.IndexByte(src[s:], '%')
		if k < 0 {
			mb.appendStr(src[s:])
			return
		}
		if k > 0 {
			mb.appendStr(src[s : s+k])
			s += k
		}
		s++ // skip %
		if s >= len(src) {
			mb.appendByte('%')
			break
		}
		if src[s] == '%' {
			mb.appendByte('%')
			s++
			continue
		}
		s = mb.expandOne(src, s)
	}
}

// expandOne expands the macro call whose '%' is just before src[s] and
// returns where to continue.
func (mb *mbuf) expandOne(src string, s int) int {
	f, fe, g, ge, lastc := -1, -1, -1, -1, -1
	var negate bool
	var chkexist int
	se := findMacroEnd(src, s)
	if se < 0 {
		mb.fail("Unterminated %c: %s", src[s], src[s:])
		return s
	}
	switch src[s] {
	default: // %name
		f, negate, chkexist = setNegateAndCheck(src, s)
		fe = se
		if fe < len(src) && isBlank(src[fe]) {
			if k := strings.IndexByte(src[fe:], '\n'); k >= 0 {
				lastc = fe + k
			} else {
				lastc = len(src)
			}
		}
	case '(':
		mb.doShellEscape(src[s+1 : se-1])
		return se
	case '[':
		mb.doExpressionExpansion(src[s+1 : se-1])
		return se
	case '{':
		f, negate, chkexist = setNegateAndCheck(src, s+1)
		fe = f
		for fe < len(src) && src[fe] != ' ' && src[fe] != ':' && src[fe] != '}' {
			fe++
		}
		if fe < len(src) {
			switch src[fe] {
			case ':':
				g, ge = fe+1, se-1
			case ' ':
				lastc = se - 1
			}
		}
	}

	if fe-f <= 0 {
		// % in an unknown context: keep it.
		mb.appendByte('%')
		return s
	}
	name := src[f:fe]
	me := mb.e.tab.lookup(name)
	if me != nil {
		if me.flags&meAuto != 0 && mb.level > me.level {
			me = nil // out-of-scope automatic macro
		} else if me.level > 0 {
			me.flags |= meUsed
		}
	}

	if src[f] == '-' || chkexist > 0 {
		if (me == nil && !negate) || (me != nil && negate) {
			return se
		}
		if g >= 0 && g < ge {
			mb.expand(src[g:ge])
		} else if me != nil {
			mb.doMacro(me, nil, nil)
		}
		return se
	}

	if me == nil {
		// Leave an unknown %name as is.
		mb.appendByte('%')
		return s
	}

	if !me.parametric && me.flags&meFunc == 0 {
		mb.doMacro(me, nil, nil)
		return se
	}
	if !me.parametric && fe == se {
		lastc = -1 // do not parse arguments after %foo
	}

	args := []string{me.name}
	if me.flags&meParse != 0 && fe == se {
		// Free-field builtins (%define, %global, %dnl, ...) parse the rest.
		fwd := 0
		args = append(args, src[se:])
		mb.doMacro(me, args, &fwd)
		se += fwd
	} else {
		if g >= 0 {
			se = mb.grabArgs(me, &args, src, g, ge, false)
		} else if lastc >= 0 {
			se = mb.grabArgs(me, &args, src, fe, lastc, true)
		}
		mb.doMacro(me, args, nil)
	}
	return se
}

// grabArgs collects the arguments src[from:to] of a call and returns where
// to continue.
func (mb *mbuf) grabArgs(me *entry, argv *[]string, src string, from, to int, split bool) int {
	if me.flags&meParse != 0 {
		*argv = append(*argv, src[from:to])
	} else {
		s, _ := mb.expandThis(src[from:to])
		if split {
			*argv = splitQuoted(*argv, s)
		} else {
			*argv = append(*argv, s)
		}
	}
	if to >= len(src) || (src[to] == '\n' && src[to-1] != '\\') {
		return to
	}
	return to + 1
}

// splitQuoted splits s at blanks, keeping \x1f-quoted runs together (and
// dropping the markers), as rpm's splitQuoted.
func splitQuoted(av []string, s string) []string {
	start := 0
	quoted := false
	for i := 0; i <= len(s); i++ {
		var c byte
		if i < len(s) {
			c = s[i]
		}
		if !quoted && (i == len(s) || c == ' ' || c == '\t') {
			if i > start {
				av = append(av, strings.ReplaceAll(s[start:i], "\x1f", ""))
			}
			start = i + 1
		}
		if c == qchar {
			quoted = !quoted
		}
	}
	return av
}

// doMacro expands one macro entry (rpm's doMacro).
func (mb *mbuf) doMacro(me *entry, args []string, parsed *int) {
	prevme, prevargs := mb.me, mb.args
	defer func() { mb.me, mb.args = prevme, prevargs }()
	switch {
	case me.flags&meFunc != 0:
		nargs := 0
		if len(args) > 0 {
			nargs = len(args) - 1
		}
		needarg := me.nargs != 0
		havearg := nargs > 0
		if me.nargs >= 0 && needarg != havearg {
			if needarg {
				mb.fail("%%%s: argument expected", me.name)
			} else {
				mb.fail("%%%s: unexpected argument", me.name)
			}
			return
		}
		me.fn(mb, me, args, parsed)
	case me.flags&meLiteral != 0:
		mb.appendStr(me.body)
	case me.body != "":
		if args == nil {
			mb.expand(me.body)
			break
		}
		mark := mb.setupArgs(me, args)
		mb.expand(me.body)
		mb.freeArgs(mark)
	}
}

// setupArgs defines %0, %**, %#, %1..., %*, %-f and %-f* for a call of a
// parametric macro (rpm's setupArgs). It returns the length of e.scoped
// before the call, for freeArgs.
func (mb *mbuf) setupArgs(me *entry, argv []string) (mark int) {
	mb.level++
	e := mb.e
	mark = len(e.scoped)
	lvl := mb.level
	// The call's definitions share one allocation (they are dropped
	// together): %0 %** %# %* and one per argument, more for options
	// with a value (%-f and %-f*) or grouped (-ab).
	ents := make([]entry, 0, 3+len(argv))
	def := func(name, body string) {
		if len(ents) == cap(ents) {
			ents = make([]entry, 0, 4)
		}
		ents = append(ents, entry{name: name, body: body, level: lvl, flags: meAuto | meLiteral})
		e.push(&ents[len(ents)-1])
	}
	def("0", me.name)
	def("**", strings.Join(argv[1:], " "))
	rest, bad := getopt(argv[1:], me.opts, func(c byte, arg string, hasArg bool) {
		if hasArg {
			def(optNames[c], optNames[c]+" "+arg)
			def(optStarNames[c], arg)
		} else {
			def(optNames[c], optNames[c])
		}
	})
	if bad != 0 {
		mb.fail("Unknown option %c in %s(%s)", bad, me.name, me.opts)
	} else {
		def("#", strconv.Itoa(len(rest)))
		for i, a := range rest {
			def(strconv.Itoa(i+1), a)
		}
		def("*", strings.Join(rest, " "))
	}
	mb.me = me
	mb.args = argv
	return mark
}

// optNames and optStarNames are the names of the macros %-c and %-c*
// for each option character c.
var optNames, optStarNames = func() (n, s [256]string) {
	for c := range n {
		n[c] = "-" + string(rune(c))
		s[c] = n[c] + "*"
	}
	return n, s
}()

// freeArgs pops every definition made at the current call level: those
// of names scoped since setupArgs returned mark (a definition at this
// level or deeper can only have been made during the call). Unused
// non-automatic ones are warned about in name order, the order of rpm's
// sorted macro table.
func (mb *mbuf) freeArgs(mark int) {
	e := mb.e
	var unused []string
	for _, name := range e.scoped[mark:] {
		me := e.tab.lookup(name)
		if me == nil || me.level < mb.level {
			continue // popped already (listed twice), or %undefine'd
		}
		if me.flags&(meAuto|meUsed) == 0 {
			unused = append(unused, name)
		}
		for me != nil && me.level >= mb.level {
			me = e.tab.pop(name)
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		mb.warnf("Macro %%%s defined but not used within scope", name)
	}
	e.scoped = e.scoped[:mark]
	mb.level--
	mb.me = nil
	mb.args = nil
}

// getopt parses args with GNU getopt semantics (permuting: options may
// follow operands; "--" ends options) and returns the operands, or the
// offending option character.
func getopt(args []string, opts string, opt func(c byte, arg string, hasArg bool)) (rest []string, bad byte) {
	posix := false
	if strings.HasPrefix(opts, "+") || strings.HasPrefix(opts, "-") {
		posix = opts[0] == '+'
		opts = opts[1:]
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if posix {
				rest = append(rest, args[i:]...)
				break
			}
			rest = append(rest, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(opts, c)
			if k < 0 || c == ':' {
				return nil, c
			}
			if k+1 < len(opts) && opts[k+1] == ':' {
				if j+1 < len(a) {
					opt(c, a[j+1:], true)
				} else if i+1 < len(args) {
					i++
					opt(c, args[i], true)
				} else {
					return nil, c
				}
				break
			}
			opt(c, "", false)
		}
	}
	return rest, 0
}
