package macro

import (
	"strconv"
	"strings"
)

// validName checks a name for %define/%global/%undefine (rpm's validName).
func (mb *mbuf) validName(name, action string) bool {
	if name == "" || !(isAlpha(name[0]) || (name[0] == '_' && len(name) > 1)) {
		mb.fail("Macro %%%s has illegal name (%s)", name, action)
		return false
	}
	if me := mb.e.tab.lookup(name); me != nil && me.flags&(meFunc|meAuto) != 0 {
		mb.fail("Macro %%%s is a built-in (%s)", name, action)
		return false
	}
	return true
}

// doDefine parses and executes a definition "name[(opts)] body" at the
// start of se (rpm's doDefine). With parse false the body is the whole
// rest of se; otherwise the body ends at an unescaped end of line (or is a
// {...} group) and the number of bytes consumed is returned.
func (mb *mbuf) doDefine(se string, level int, expandbody, parse bool) int {
	s := 0
	for s < len(se) && isBlank(se[s]) {
		s++
	}
	ns := s
	for s < len(se) && (isAlnum(se[s]) || se[s] == '_') {
		s++
	}
	name := se[ns:s]
	var opts string
	parametric := false
	if s < len(se) && se[s] == '(' {
		s++
		k := strings.IndexByte(se[s:], ')')
		if k < 0 {
			mb.fail("Macro %%%s has unterminated opts", name)
			return len(se)
		}
		opts = se[s : s+k]
		parametric = true
		s += k + 1
	}
	sbody := s
	for s < len(se) && isBlank(se[s]) {
		s++
	}
	var body string
	switch {
	case !parse:
		body = se[s:]
		s = len(se)
	case s < len(se) && se[s] == '{':
		end := matchchar(se, s, '{', '}')
		if end < 0 {
			mb.fail("Macro %%%s has unterminated body", name)
			return s
		}
		body = se[s+1 : end-1]
		s = end
	default:
		var b strings.Builder
		var d Brackets
		for s < len(se) && (d.brace > 0 || d.paren > 0 || !isEOL(se[s])) {
			switch se[s] {
			case '\\':
				if s+1 < len(se) {
					s++
				}
			case '%':
				if s+1 < len(se) && (d.Open(se[s+1]) || se[s+1] == '%') {
					b.WriteByte(se[s])
					s++
				}
			default:
				d.Inner(se[s])
			}
			b.WriteByte(se[s])
			s++
		}
		if !d.Balanced() {
			mb.fail("Macro %%%s has unterminated body", name)
			return s
		}
		body = strings.TrimRight(b.String(), " \t\r\n")
	}
	for s < len(se) && isEOL(se[s]) {
		s++
	}
	action := "%define"
	if expandbody {
		action = "%global"
	}
	if !mb.validName(name, action) {
		return s
	}
	if body == "" {
		mb.fail("Macro %%%s has empty body", name)
		return s
	}
	if sbody >= len(se) || !isBlank(se[sbody]) && !(se[sbody] == '\\' && sbody+1 < len(se) && isEOL(se[sbody+1])) {
		mb.warnf("Macro %%%s needs whitespace before body", name)
	}
	if expandbody {
		eb, ok := mb.expandThis(body)
		if !ok {
			mb.err = nil
			mb.fail("Macro %%%s failed to expand", name)
			return s
		}
		body = eb
	}
	mb.e.push(&entry{name: name, opts: opts, parametric: parametric, body: body, level: level})
	return s
}

// loadMacros reads macro-file text (rpm's loadMacroFile with rdcl).
func (e *Engine) loadMacros(file, data string, level int) {
	lines := strings.SplitAfter(data, "\n")
	lineno := 0
	for i := 0; i < len(lines); {
		var buf strings.Builder
		n, next := rdcl(lines, i, &buf)
		i = next
		lineno += n
		l := buf.String()
		k := 0
		for k < len(l) && isBlank(l[k]) {
			k++
		}
		if k >= len(l) || l[k] != '%' {
			continue
		}
		mb := e.newBuf()
		old := e.fileCtx
		e.fileCtx = file + ": line " + strconv.Itoa(lineno) + ": "
		mb.doDefine(l[k+1:], level, false, true)
		e.fileCtx = old
		if _, err := mb.finish(); err != nil {
			e.warn("error: " + file + ": line " + strconv.Itoa(lineno) + ": " + err.(*Error).Msg)
		}
	}
}

// rdcl joins lines[i:] into one logical line: a line starting with '%'
// continues while it ends with a backslash or has an unclosed %{, %( or
// %[. It returns the number of physical lines used and the next index.
func rdcl(lines []string, i int, buf *strings.Builder) (int, int) {
	n := 0
	var d Brackets
	first := true
	for i < len(lines) {
		raw := lines[i]
		i++
		n++
		line := strings.TrimRight(raw, "\r\n")
		hadEOL := len(line) != len(raw)
		start := buf.Len()
		buf.WriteString(line)
		if first {
			first = false
			t := strings.TrimLeft(line, " \t")
			if t == "" || t[0] != '%' {
				return n, i
			}
		}
		if !hadEOL {
			return n, i
		}
		all := buf.String()
		for p := start; p < len(all); p++ {
			switch all[p] {
			case '\\':
				if p+1 < len(all) {
					p++
				}
			case '%':
				if p+1 < len(all) && (d.Open(all[p+1]) || all[p+1] == '%') {
					p++
				}
			default:
				d.Inner(all[p])
			}
		}
		if (len(line) == 0 || line[len(line)-1] != '\\') && d.Balanced() {
			return n, i
		}
		buf.WriteByte('\n')
	}
	return n, i
}

// Brackets counts the brackets rpm balances when it reads text that may
// span lines: a macro body (rpmio/macro.c's rdcl and doDefine) or a spec
// line (build/parseSpec.c's copyNextLineFromOFI): %{...}, %(...) and
// %[...], and plain brackets only while one of those is open. The zero
// value is balanced.
type Brackets struct{ brace, paren, bracket int }

// Open records c, the byte after a '%', when it opens a bracket.
func (d *Brackets) Open(c byte) bool {
	switch c {
	case '{':
		d.brace++
	case '(':
		d.paren++
	case '[':
		d.bracket++
	default:
		return false
	}
	return true
}

// Inner tracks a plain bracket: it counts only inside an open one.
func (d *Brackets) Inner(c byte) {
	switch c {
	case '{', '}':
		d.brace = step(d.brace, c == '{')
	case '(', ')':
		d.paren = step(d.paren, c == '(')
	case '[', ']':
		d.bracket = step(d.bracket, c == '[')
	}
}

func step(n int, up bool) int {
	switch {
	case n == 0:
		return 0
	case up:
		return n + 1
	default:
		return n - 1
	}
}

// Balanced reports whether every bracket counted is closed.
func (d Brackets) Balanced() bool { return d.brace == 0 && d.paren == 0 && d.bracket == 0 }
