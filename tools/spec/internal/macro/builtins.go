package macro

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type builtinFunc func(mb *mbuf, me *entry, argv []string, parsed *int)

// builtins is rpm 4.18's builtinmacros[] table (name, function, number of
// arguments (-1: optional), flags).
var builtins = []struct {
	name  string
	fn    builtinFunc
	nargs int
	flags int
}{
	{"P", doSP, 1, 0},
	{"S", doSP, 1, 0},
	{"basename", doFoo, 1, 0},
	{"define", doDef, 1, meParse},
	{"dirname", doFoo, 1, 0},
	{"dnl", doDnl, 1, meParse},
	{"dump", doDump, 0, 0},
	{"echo", doOutput, 1, 0},
	{"error", doOutput, 1, 0},
	{"exists", doFoo, 1, 0},
	{"expand", doExpand, 1, 0},
	{"expr", doFoo, 1, 0},
	{"getconfdir", doFoo, 0, 0},
	{"getenv", doFoo, 1, 0},
	{"getncpus", doFoo, 0, 0},
	{"global", doGlobal, 1, meParse},
	{"load", doLoad, 1, 0},
	{"lua", doLua, 1, meParse},
	{"macrobody", doBody, 1, 0},
	{"quote", doFoo, 1, 0},
	{"shescape", doShescape, 1, 0},
	{"shrink", doFoo, 1, 0},
	{"suffix", doFoo, 1, 0},
	{"trace", doTrace, 0, 0},
	{"u2p", doFoo, 1, 0},
	{"uncompress", doUncompress, 1, 0},
	{"undefine", doUndefine, 1, 0},
	{"url2path", doFoo, 1, 0},
	{"verbose", doVerbose, -1, meParse},
	{"warn", doOutput, 1, 0},
}

// builtinTable is the shared base table of every new Engine.
var builtinTable = func() map[string]*entry {
	m := make(map[string]*entry, len(builtins))
	for _, b := range builtins {
		m[b.name] = &entry{name: b.name, parametric: b.nargs != 0, body: "<builtin>",
			fn: b.fn, nargs: b.nargs, flags: b.flags | meFunc, level: LevelBuiltin}
	}
	return m
}()

func doDnl(mb *mbuf, me *entry, argv []string, parsed *int) {
	s := argv[1]
	k := strings.IndexAny(s, "\r\n")
	end := len(s)
	if k >= 0 {
		end = k + 1
	}
	if parsed != nil {
		*parsed += end
	}
}

func doDef(mb *mbuf, me *entry, argv []string, parsed *int) {
	mb.argvDefine(argv, mb.level, false, parsed)
}

func doGlobal(mb *mbuf, me *entry, argv []string, parsed *int) {
	mb.argvDefine(argv, LevelGlobal, true, parsed)
}

func (mb *mbuf) argvDefine(argv []string, level int, expand bool, parsed *int) {
	se := argv[1]
	if len(argv) > 2 {
		se = argv[1] + " " + argv[2]
	}
	n := mb.doDefine(se, level, expand, parsed != nil)
	if parsed != nil {
		*parsed += n
	}
}

func doUndefine(mb *mbuf, me *entry, argv []string, parsed *int) {
	if mb.validName(argv[1], "%undefine") {
		mb.e.tab.pop(argv[1])
	}
}

func doDump(mb *mbuf, me *entry, argv []string, parsed *int) {
	names := mb.e.tab.names()
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("========================\n")
	for _, n := range names {
		e := mb.e.tab.lookup(n)
		c := byte(':')
		if e.flags&meUsed != 0 {
			c = '='
		}
		b.WriteString(strconv.Itoa(e.level))
		b.WriteByte(c)
		b.WriteString(" " + n)
		if e.opts != "" {
			b.WriteString("(" + e.opts + ")")
		}
		if e.body != "" {
			b.WriteString("\t" + e.body)
		}
		b.WriteByte('\n')
	}
	b.WriteString("======================== active " + strconv.Itoa(len(names)) + " empty 0")
	mb.e.warn(b.String())
}

func doOutput(mb *mbuf, me *entry, argv []string, parsed *int) {
	switch me.name {
	case "error":
		mb.fail("%s", argv[1])
	case "warn":
		mb.e.warn("warning: " + argv[1])
	default:
		mb.e.warn(argv[1])
	}
}

func doBody(mb *mbuf, me *entry, argv []string, parsed *int) {
	if argv[1] == "" {
		return
	}
	if e := mb.e.tab.lookup(argv[1]); e != nil {
		mb.appendStr(e.body)
	} else {
		mb.fail("no such macro: '%s'", argv[1])
	}
}

func doSP(mb *mbuf, me *entry, argv []string, parsed *int) {
	if me.name == "S" {
		mb.expand("%SOURCE" + argv[1])
	} else {
		mb.expand("%PATCH" + argv[1])
	}
}

func doUncompress(mb *mbuf, me *entry, argv []string, parsed *int) {
	if argv[1] != "" {
		mb.expand("%__rpmuncompress ")
		mb.appendStr(argv[1])
	}
}

func doExpand(mb *mbuf, me *entry, argv []string, parsed *int) {
	if argv[1] != "" {
		mb.expand(argv[1])
	}
}

func doVerbose(mb *mbuf, me *entry, argv []string, parsed *int) {
	// Expansion is never verbose here (rpmIsVerbose() is false).
	if parsed != nil || len(argv) < 2 {
		mb.appendByte('0')
	}
}

func doShescape(mb *mbuf, me *entry, argv []string, parsed *int) {
	for i, a := range argv[1:] {
		if i > 0 {
			mb.appendByte(' ')
		}
		mb.appendStr("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
}

func doTrace(mb *mbuf, me *entry, argv []string, parsed *int) {}

func doLoad(mb *mbuf, me *entry, argv []string, parsed *int) {
	path := argv[1]
	data, err := os.ReadFile(mb.e.resolve(path))
	if err != nil {
		mb.fail("failed to load macro file %s", path)
		return
	}
	mb.e.loadMacros(path, string(data), LevelMacroFiles)
}

func (e *Engine) resolve(p string) string {
	if filepath.IsAbs(p) || e.opts.Dir == "" {
		return p
	}
	return filepath.Join(e.opts.Dir, p)
}

// shrink removes leading and trailing whitespace and squeezes inner runs
// to one space.
func shrink(s string) string {
	b := make([]byte, 0, len(s))
	last := byte(' ')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isSpace(c) {
			if last == ' ' {
				continue
			}
			c = ' '
		}
		b = append(b, c)
		last = c
	}
	if len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// urlPath returns the path part of a URL, as rpm's urlPath.
func urlPath(s string) string {
	for _, p := range []string{"file://", "ftp://", "hkp://", "http://", "https://"} {
		if strings.HasPrefix(s, p) {
			rest := s[len(p):]
			if k := strings.IndexByte(rest, '/'); k >= 0 {
				return rest[k:]
			}
			return ""
		}
	}
	if s == "-" {
		return ""
	}
	return s
}

func doFoo(mb *mbuf, me *entry, argv []string, parsed *int) {
	arg := ""
	if len(argv) > 1 {
		arg = argv[1]
	}
	switch me.name {
	case "basename":
		if k := strings.LastIndexByte(arg, '/'); k >= 0 {
			arg = arg[k+1:]
		}
		mb.appendStr(arg)
	case "dirname":
		if k := strings.LastIndexByte(arg, '/'); k >= 0 {
			arg = arg[:k]
		}
		mb.appendStr(arg)
	case "shrink":
		mb.appendStr(shrink(arg))
	case "quote":
		for i, a := range argv[1:] {
			if i > 0 {
				mb.appendByte(' ')
			}
			mb.appendStr("\x1f" + a + "\x1f")
		}
	case "suffix":
		if k := strings.LastIndexByte(arg, '.'); k >= 0 {
			mb.appendStr(arg[k+1:])
		}
	case "expr":
		v, err := mb.evalExpr(arg, 0)
		if err != nil {
			mb.failErr(err.(*Error))
			return
		}
		mb.appendStr(v.String())
	case "url2path", "u2p":
		p := urlPath(arg)
		if p == "" {
			p = "/"
		}
		mb.appendStr(p)
	case "getenv":
		mb.appendStr(mb.e.opts.Env[arg])
	case "getconfdir":
		mb.appendStr(mb.e.opts.ConfDir)
	case "getncpus":
		mb.appendStr(strconv.Itoa(mb.e.opts.NCPUs))
	case "exists":
		if _, err := os.Stat(mb.e.resolve(arg)); err == nil {
			mb.appendByte('1')
		} else {
			mb.appendByte('0')
		}
	}
}
