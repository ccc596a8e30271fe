package macro

import (
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

func (e *Engine) newBuf() *mbuf {
	if e.depth == 0 && e.lua == nil || e.depth == 0 && len(e.lua.prints) == 0 {
		e.steps = 0 // an outermost call
	}
	return &mbuf{e: e, depth: e.depth, level: e.level}
}

func (mb *mbuf) out() string { return string(mb.buf) }

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
	umb := *mb
	umb.buf = nil
	umb.err = nil
	umb.expand(src)
	if umb.err != nil {
		mb.failErr(umb.err)
		return string(umb.buf), false
	}
	return string(umb.buf), true
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
		if args != nil {
			mb.setupArgs(me, args)
		}
		mb.expand(me.body)
		if args != nil {
			mb.freeArgs()
		}
	}
}

// setupArgs defines %0, %**, %#, %1..., %*, %-f and %-f* for a call of a
// parametric macro (rpm's setupArgs).
func (mb *mbuf) setupArgs(me *entry, argv []string) {
	mb.level++
	e := mb.e
	lvl := mb.level
	e.push(&entry{name: "0", body: me.name, level: lvl, flags: meAuto | meLiteral})
	e.push(&entry{name: "**", body: strings.Join(argv[1:], " "), level: lvl, flags: meAuto | meLiteral})
	rest, bad := getopt(argv[1:], me.opts, func(c byte, arg string, hasArg bool) {
		body := "-" + string(c)
		if hasArg {
			body += " " + arg
		}
		e.push(&entry{name: "-" + string(c), body: body, level: lvl, flags: meAuto | meLiteral})
		if hasArg {
			e.push(&entry{name: "-" + string(c) + "*", body: arg, level: lvl, flags: meAuto | meLiteral})
		}
	})
	if bad != 0 {
		mb.fail("Unknown option %c in %s(%s)", bad, me.name, me.opts)
	} else {
		e.push(&entry{name: "#", body: strconv.Itoa(len(rest)), level: lvl, flags: meAuto | meLiteral})
		for i, a := range rest {
			e.push(&entry{name: strconv.Itoa(i + 1), body: a, level: lvl, flags: meAuto | meLiteral})
		}
		e.push(&entry{name: "*", body: strings.Join(rest, " "), level: lvl, flags: meAuto | meLiteral})
	}
	mb.me = me
	mb.args = argv
}

// freeArgs pops every definition made at the current call level.
func (mb *mbuf) freeArgs() {
	e := mb.e
	keep := e.scoped[:0]
	var done map[string]bool
	for _, name := range e.scoped {
		me := e.tab.lookup(name)
		if me == nil || me.level < mb.level {
			if me != nil {
				keep = append(keep, name)
			}
			continue
		}
		if done == nil {
			done = make(map[string]bool)
		}
		if done[name] {
			continue
		}
		done[name] = true
		if me.flags&(meAuto|meUsed) == 0 {
			mb.warnf("Macro %%%s defined but not used within scope", me.name)
		}
		for me != nil && me.level >= mb.level {
			me = e.tab.pop(name)
		}
		if me != nil && me.level > 0 {
			keep = append(keep, name)
		}
	}
	// Deduplicate what is kept.
	seen := make(map[string]bool, len(keep))
	out := keep[:0]
	for _, n := range keep {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	e.scoped = out
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
