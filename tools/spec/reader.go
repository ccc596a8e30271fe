package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/keel-build/keel/tools/spec/internal/macro"
)

// This file mirrors rpm 4.18's build/parseSpec.c line reader: physical lines
// are joined while a macro is unbalanced or a line ends in a backslash, the
// joined text is macro-expanded once (unless it sits in a false conditional),
// and the expansion is handed out line by line; conditionals and %include
// are handled on those lines.

// strip flags (rpm's STRIP_*).
const (
	stripNothing  = 0
	stripTrailing = 1 << 0
	stripComments = 1 << 1
	stripParsed   = 1 << 2
)

type lineKind int

const (
	lineEndif lineKind = 1 << iota
	lineElse
	lineIf
	lineIfarch
	lineIfnarch
	lineIfos
	lineIfnos
	lineInclude
	lineElifarch
	lineElifos
	lineElif
)

const (
	lineIfAny   = lineIf | lineIfarch | lineIfnarch | lineIfos | lineIfnos
	lineElifAny = lineElif | lineElifos | lineElifarch
)

type lineType struct {
	id       lineKind
	text     string
	withArgs bool
	cond     bool
	wrong    lineKind // conditionals that may not directly precede this one
}

// lineTypes is rpm's table, in rpm's (significant) order.
var lineTypes = []lineType{
	{lineEndif, "%endif", false, true, lineEndif},
	{lineElse, "%else", false, true, lineEndif | lineElse},
	{lineIf, "%if", true, true, 0},
	{lineIfarch, "%ifarch", true, true, 0},
	{lineIfnarch, "%ifnarch", true, true, 0},
	{lineIfos, "%ifos", true, true, 0},
	{lineIfnos, "%ifnos", true, true, 0},
	{lineInclude, "%include", true, false, 0},
	{lineElifarch, "%elifarch", true, true, lineEndif | lineElse},
	{lineElifos, "%elifos", true, true, lineEndif | lineElse},
	{lineElif, "%elif", true, true, lineEndif | lineElse},
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func skipSpace(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

func parseLineType(s string) *lineType {
	if s == "" || s[0] != '%' {
		return nil
	}
	for i := range lineTypes {
		t := &lineTypes[i]
		if !strings.HasPrefix(s, t.text) {
			continue
		}
		rest := s[len(t.text):]
		if t.withArgs {
			if rest == "" || isBlank(rest[0]) {
				return t
			}
		} else if rest == "" || !isAlpha(rest[0]) {
			return t
		}
	}
	return nil
}

// maxIncludeDepth bounds %include nesting (a file including itself).
const maxIncludeDepth = 32

type openFile struct {
	name    string
	data    string
	pos     int
	lineNum int
}

type readLevel struct {
	reading, readable bool
	lineNum           int
	last              *lineType
}

// reader is the line-reading state of one spec parse.
type reader struct {
	eng      *macro.Engine
	files    []*openFile
	pending  string // expanded text not yet handed out
	havePend bool   // pending holds a line (possibly empty)
	line     string // current line
	lineNum  int
	fileName string
	stack    []*readLevel
	parsed   []byte // the text rpmspec --parse prints
	readFile func(string) ([]byte, error)
}

// newReader starts reading data; the parsed text goes into buf's memory if
// there is room (the parsed text is about as long as the spec).
func newReader(eng *macro.Engine, path string, data string, buf []byte) *reader {
	r := &reader{eng: eng, readFile: os.ReadFile, parsed: buf[:0]}
	if want := len(data) + len(data)/4; cap(r.parsed) < want {
		r.parsed = make([]byte, 0, want)
	}
	r.stack = []*readLevel{{reading: true, readable: true, last: &lineTypes[0]}}
	r.pushFile(path, string(data))
	return r
}

func (r *reader) pushFile(name, data string) {
	r.files = append(r.files, &openFile{name: name, data: data})
	r.eng.PushLiteral("__file_name", name, macro.LevelSpec)
}

func (r *reader) top() *readLevel { return r.stack[len(r.stack)-1] }

// errorf builds an error naming file:line.
func (r *reader) errorf(format string, args ...any) error {
	return &Error{File: r.fileName, Line: r.lineNum, Msg: fmt.Sprintf(format, args...)}
}

// Error is a spec evaluation error at file:line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// rawLine returns the next physical line (with its newline) of the
// innermost open file, popping finished %include files. ok is false at EOF
// of the spec itself.
func (r *reader) rawLine() (string, bool) {
	for len(r.files) > 0 {
		f := r.files[len(r.files)-1]
		if f.pos < len(f.data) {
			end := strings.IndexByte(f.data[f.pos:], '\n')
			var l string
			if end < 0 {
				l = f.data[f.pos:]
				f.pos = len(f.data)
			} else {
				l = f.data[f.pos : f.pos+end+1]
				f.pos += end + 1
			}
			f.lineNum++
			r.lineNum = f.lineNum
			r.fileName = f.name
			return l, true
		}
		r.files = r.files[:len(r.files)-1]
		r.eng.Pop("__file_name")
		if len(r.files) > 0 {
			g := r.files[len(r.files)-1]
			r.fileName, r.lineNum = g.name, g.lineNum
		}
	}
	return "", false
}

// needMore reports whether buf ends inside an unbalanced %{ %( %[ or after a
// backslash-newline (copyNextLineFromOFI's check).
func needMore(buf string) bool {
	var b balance
	return b.needMore(buf)
}

// balance is the state of needMore's scan. A logical line is checked again
// each time a physical line is appended to it; keeping the state makes
// that linear in the length of the line instead of quadratic (long %{lua:}
// blocks and backslash-continued scripts have hundreds of lines).
type balance struct {
	brackets macro.Brackets // rpm's pc, bc and xc, counted as for macro bodies
	cont     bool           // the text ends in a backslash-newline (rpm's nc)
	pos      int            // buf[:pos] has been scanned
}

// needMore scans what was appended to buf since the last call (buf must
// extend the text of that call) and reports as the function needMore does
// for the whole of buf.
func (st *balance) needMore(buf string) bool {
	p := st.pos
	for ; p < len(buf); p++ {
		if !st.cont && st.brackets.Balanced() {
			// Outside any bracket only '%' and '\\' count: skip to the
			// next one (most lines have none).
			k := indexPercentOrBackslash(buf[p:])
			if k < 0 {
				p = len(buf)
				break
			}
			p += k
		}
		switch c := buf[p]; c {
		case '\\', '%':
			if p+1 == len(buf) {
				// The meaning of these depends on the next byte: look at
				// them again once there is one. At the end of the text
				// they count for nothing, as in a scan of the whole.
				st.pos = p
				return st.unbalanced()
			}
			if c == '\\' {
				if buf[p+1] == '\n' {
					st.cont = true
				}
				p++
			} else if st.brackets.Open(buf[p+1]) || buf[p+1] == '%' {
				p++
			}
		case '\n':
			st.cont = false
		default:
			st.brackets.Inner(c)
		}
	}
	st.pos = p
	return st.unbalanced()
}

// indexPercentOrBackslash is strings.IndexAny(s, "%\\"), with the
// vectorized strings.IndexByte.
func indexPercentOrBackslash(s string) int {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return strings.IndexByte(s, '\\')
	}
	if j := strings.IndexByte(s[:i], '\\'); j >= 0 {
		return j
	}
	return i
}

func (st *balance) unbalanced() bool {
	return st.cont || !st.brackets.Balanced()
}

// expandBuf is expandMacrosInSpecBuf: expand buf unless it is in a false
// branch.
func (r *reader) expandBuf(buf string) (string, error) {
	lb := skipSpace(buf)
	cond := parseLineType(lb)
	if cond != nil && cond.id&lineElifAny != 0 {
		if !r.top().readable {
			return buf, nil
		}
	} else if !r.top().reading {
		return buf, nil
	}
	if strings.IndexByte(buf, '%') < 0 {
		return buf, nil
	}
	r.eng.PushLiteral("__file_lineno", strconv.Itoa(r.lineNum), macro.LevelSpec)
	out, err := r.eng.Expand(buf)
	r.eng.Pop("__file_lineno")
	if err != nil {
		return "", r.errorf("%v", err)
	}
	return out, nil
}

// readLine reads the next logical line into r.line. It returns io EOF as
// eof=true.
func (r *reader) readLine(strip int) (eof bool, err error) {
	prev := r.top().last.id
	if !r.havePend {
		// Most logical lines are one physical line: text is that line
		// until a second one is appended in buf.
		var text string
		var buf strings.Builder
		var bal balance
		startLine := 0
		for {
			l, ok := r.rawLine()
			if !ok {
				if len(r.stack) > 1 {
					r.lineNum = r.top().lineNum
					return false, r.errorf("unclosed %%if")
				}
				if startLine > 0 {
					r.lineNum = startLine
					return false, r.errorf("unclosed macro or bad line continuation")
				}
				return true, nil
			}
			if startLine == 0 {
				text = l
			} else {
				if buf.Len() == 0 {
					buf.WriteString(text)
				}
				buf.WriteString(l)
				text = buf.String()
			}
			if bal.needMore(text) {
				if startLine == 0 {
					startLine = r.lineNum
				}
				continue
			}
			break
		}
		exp, err := r.expandBuf(text)
		if err != nil {
			return false, err
		}
		r.pending, r.havePend = exp, true
	}
	lt, err := r.finishLine(strip)
	if err != nil {
		return false, err
	}
	if lt != nil {
		again, err := r.conditional(lt, prev)
		if err != nil {
			return false, err
		}
		if again {
			return r.readLine(strip)
		}
	}
	if !r.top().reading {
		r.line = ""
	}
	if strip&stripParsed == 0 {
		r.parsed = append(r.parsed, r.line...)
		if strip&stripTrailing != 0 {
			r.parsed = append(r.parsed, '\n')
		}
	}
	return false, nil
}

// finishLine is copyNextLineFinish: cut the next line out of r.pending.
func (r *reader) finishLine(strip int) (*lineType, error) {
	s := r.pending
	i := 0
	for i < len(s) && s[i] != '\n' && isSpace(s[i]) {
		i++
	}
	lt := parseLineType(s[i:])
	var line string
	if lt == nil {
		j := strings.IndexByte(s, '\n') + 1
		if j == 0 {
			j = len(s)
		}
		line, r.pending = s[:j], s[j:]
	} else {
		// A conditional or %include continues over backslash-newlines,
		// which become blanks.
		var b strings.Builder
		j := 0
		for j < len(s) {
			c := s[j]
			if c == '\\' && j+1 < len(s) && s[j+1] == '\n' {
				b.WriteString("  ")
				j += 2
				continue
			}
			b.WriteByte(c)
			j++
			if c == '\n' {
				break
			}
		}
		line, r.pending = b.String(), s[j:]
	}
	r.havePend = r.pending != ""
	if strip&stripComments != 0 {
		if t := skipSpace(line); strings.HasPrefix(t, "#") {
			line = line[:len(line)-len(t)]
		}
	}
	if strip&stripTrailing != 0 {
		line = strings.TrimRightFunc(line, func(c rune) bool { return c < 0x80 && isSpace(byte(c)) })
	}
	r.line = line
	return lt, nil
}

// matchTok reports whether token appears (case-insensitively) among the
// blank-separated words of line.
func matchTok(token, line string) bool {
	for _, w := range strings.Fields(line) {
		if strings.EqualFold(w, token) {
			return true
		}
	}
	return false
}

// conditional handles a %if-family or %include line. again is true when
// the line was consumed and the caller must read the next one.
func (r *reader) conditional(lt *lineType, prev lineKind) (again bool, err error) {
	s := skipSpace(r.line)
	top := r.top()
	if lt.cond && prev&lt.wrong != 0 {
		if prev == lineEndif {
			return false, r.errorf("%s with no %%if", lt.text)
		}
		return false, r.errorf("%s after %s", lt.text, top.last.text)
	}
	match := false
	argMatch := func(macroName string) (bool, error) {
		rest := s[len(lt.text):]
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return false, r.errorf("argument expected for %s", s)
		}
		v, err := r.eng.Expand(macroName)
		if err != nil {
			return false, r.errorf("%v", err)
		}
		return matchTok(v, rest), nil
	}
	switch {
	case lt.id&(lineIfarch|lineElifarch) != 0:
		if match, err = argMatch("%{_target_cpu}"); err != nil {
			return false, err
		}
	case lt.id == lineIfnarch:
		if match, err = argMatch("%{_target_cpu}"); err != nil {
			return false, err
		}
		match = !match
	case lt.id&(lineIfos|lineElifos) != 0:
		if match, err = argMatch("%{_target_os}"); err != nil {
			return false, err
		}
	case lt.id == lineIfnos:
		if match, err = argMatch("%{_target_os}"); err != nil {
			return false, err
		}
		match = !match
	case lt.id&(lineIf|lineElif) != 0:
		check := top.reading
		if lt.id == lineElif {
			check = top.readable
		}
		if check {
			expr := s[len(lt.text):]
			match, err = r.eng.EvalCondition(expr)
			if err != nil {
				return false, r.errorf("bad %s condition: %s: %v", lt.text, strings.TrimSpace(expr), err)
			}
		}
	case lt.id == lineElse:
		top.last = lt
		top.reading = r.stack[len(r.stack)-2].reading && top.readable
		r.line = ""
	case lt.id == lineEndif:
		r.stack = r.stack[:len(r.stack)-1]
		r.line = ""
	case lt.id == lineInclude && top.reading:
		name := strings.TrimSpace(s[len("%include"):])
		if name == "" {
			return false, r.errorf("malformed %%include statement")
		}
		if len(r.files) >= maxIncludeDepth {
			return false, r.errorf("%%include nested too deeply (more than %d files)", maxIncludeDepth)
		}
		if !filepath.IsAbs(name) {
			// rpm opens it relative to its working directory, which is
			// the spec's directory when specs are queried.
			name = filepath.Join(filepath.Dir(r.files[0].name), name)
		}
		data, err := r.readFile(name)
		if err != nil {
			return false, r.errorf("unable to open %s: %v", name, err)
		}
		r.pushFile(name, string(data))
		return true, nil
	}
	if lt.id&lineIfAny != 0 {
		rl := &readLevel{reading: top.reading && match, lineNum: r.lineNum, last: lt}
		rl.readable = !rl.reading && top.reading
		r.stack = append(r.stack, rl)
		r.line = ""
	} else if lt.id&lineElifAny != 0 {
		top.reading = top.readable && match
		if top.reading {
			top.readable = false
		}
		top.last = lt
		r.line = ""
	}
	return false, nil
}
