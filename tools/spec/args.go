package spec

import (
	"fmt"
	"strings"
)

// splitArgs splits a line into words as popt's poptParseArgvString does:
// blanks separate words, '…' and "…" group, backslash escapes.
func splitArgs(s string) ([]string, error) {
	var out []string
	if strings.IndexAny(s, `"'\`) < 0 {
		// Nothing quoted or escaped: the words are substrings of s.
		for i := 0; i < len(s); {
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			j := i
			for j < len(s) && !isSpace(s[j]) {
				j++
			}
			if j > i {
				out = append(out, s[i:j])
			}
			i = j
		}
		return out, nil
	}
	var cur strings.Builder
	have := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			if c == '\\' {
				i++
				if i >= len(s) {
					return nil, fmt.Errorf("bad quoting in %q", s)
				}
				if s[i] != quote {
					cur.WriteByte('\\')
				}
			}
			cur.WriteByte(s[i])
		case isSpace(c):
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
			continue
		case c == '"' || c == '\'':
			quote = c
		case c == '\\':
			i++
			if i >= len(s) {
				return nil, fmt.Errorf("bad quoting in %q", s)
			}
			cur.WriteByte(s[i])
		default:
			cur.WriteByte(c)
		}
		have = true
	}
	if have {
		out = append(out, cur.String())
	}
	return out, nil
}

type optKV struct {
	opt byte
	val string
}

// optSet holds parsed short options.
type optSet struct {
	m     map[byte][]string
	order []optKV
}

// getopt parses single-letter options the way popt does for rpm's section
// lines: spec maps a letter to whether it takes a value; options and
// positional arguments may be interleaved; "--" ends options.
func getopt(args []string, spec map[byte]bool) (*optSet, []string, error) {
	os := &optSet{m: map[byte][]string{}}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		if a[1] == '-' {
			return nil, nil, fmt.Errorf("%s", a)
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			takes, ok := spec[c]
			if !ok {
				return nil, nil, fmt.Errorf("-%c", c)
			}
			if !takes {
				os.add(c, "")
				continue
			}
			var v string
			if j+1 < len(a) {
				v = a[j+1:]
			} else {
				if i+1 >= len(args) {
					return nil, nil, fmt.Errorf("-%c: missing argument", c)
				}
				i++
				v = args[i]
			}
			os.add(c, v)
			break
		}
	}
	return os, pos, nil
}

func (o *optSet) add(c byte, v string) {
	o.m[c] = append(o.m[c], v)
	o.order = append(o.order, optKV{c, v})
}

func (o *optSet) has(c byte) bool { _, ok := o.m[c]; return ok }

func (o *optSet) last(c byte) string {
	v := o.m[c]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}
