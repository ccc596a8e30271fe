// Package filelist reads the %files sections of an evaluated spec text
// (the `rpmspec -P` form): which absolute paths, directories and glob
// patterns each binary package lists, and which -f file lists it names
// (their contents are only known once the package is built).
//
// It is hand-written because rpm's own reader (build/files.c) is C and the
// spec engine does not expose file lists; it follows files.c for the
// directives it strips.
package filelist

import (
	"sort"
	"strings"
)

// List is what one package's %files sections declare.
type List struct {
	// Paths are the absolute entries, as written (they may hold glob
	// characters; a path ending in "/" or a plain directory entry names
	// everything below it).
	Paths []string
	// Dirs are the entries marked %dir (the directory itself only).
	Dirs []string
	// FileLists are the -f arguments, unknown until the package is built.
	FileLists []string
}

// sectionKeywords end a %files section (rpm's build/parseSpec.c partList).
var sectionKeywords = map[string]bool{
	"%package": true, "%description": true, "%prep": true, "%build": true,
	"%install": true, "%check": true, "%clean": true, "%pre": true,
	"%post": true, "%preun": true, "%postun": true, "%pretrans": true,
	"%posttrans": true, "%preuntrans": true, "%postuntrans": true,
	"%trigger": true, "%triggerin": true, "%triggerun": true,
	"%triggerpostun": true, "%triggerprein": true, "%filetriggerin": true,
	"%filetriggerun": true, "%filetriggerpostun": true,
	"%transfiletriggerin": true, "%transfiletriggerun": true,
	"%transfiletriggerpostun": true, "%verifyscript": true,
	"%changelog": true, "%files": true, "%sepolicy": true,
	"%generate_buildrequires": true, "%conf": true, "%patchlist": true,
	"%sourcelist": true,
}

// Scan returns the file lists of every package with a %files section,
// keyed by package name; main is the main package's name (what %files
// without -n and a suffix refers to).
func Scan(text, main string) map[string]*List {
	out := map[string]*List{}
	var cur *List
	for line := range strings.SplitSeq(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "%") {
			kw := t
			if i := strings.IndexAny(t, " \t"); i >= 0 {
				kw = t[:i]
			}
			if sectionKeywords[kw] {
				cur = nil
				if kw == "%files" {
					name, lists := filesArgs(strings.Fields(t)[1:], main)
					cur = out[name]
					if cur == nil {
						cur = &List{}
						out[name] = cur
					}
					cur.FileLists = append(cur.FileLists, lists...)
				}
				continue
			}
		}
		if cur == nil || t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		addLine(cur, t)
	}
	for _, l := range out {
		l.Paths = sortUniq(l.Paths)
		l.Dirs = sortUniq(l.Dirs)
		l.FileLists = sortUniq(l.FileLists)
	}
	return out
}

// filesArgs parses "%files [-n NAME | SUFFIX] [-f FILE]...".
func filesArgs(args []string, main string) (string, []string) {
	name := main
	var lists []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-n" && i+1 < len(args):
			name = args[i+1]
			i++
		case a == "-f" && i+1 < len(args):
			lists = append(lists, args[i+1])
			i++
		case strings.HasPrefix(a, "-f") && len(a) > 2:
			lists = append(lists, a[2:])
		case strings.HasPrefix(a, "-"):
			// Other options (e.g. -p in old specs) take no argument here.
		default:
			name = main + "-" + a
		}
	}
	return name, lists
}

// addLine records the paths of one %files line after its directives.
func addLine(l *List, t string) {
	isDir, skip := false, false
	var paths []string
	for len(t) > 0 {
		t = strings.TrimLeft(t, " \t")
		if t == "" {
			break
		}
		if t[0] == '%' {
			word, rest := directive(t)
			t = rest
			switch word {
			case "%dir":
				isDir = true
			case "%exclude", "%defattr", "%docdir", "%pubkey":
				skip = true
			}
			continue
		}
		end := strings.IndexAny(t, " \t")
		if end < 0 {
			end = len(t)
		}
		word := t[:end]
		t = t[end:]
		if strings.HasPrefix(word, "\"") {
			word = strings.Trim(word, "\"")
		}
		paths = append(paths, word)
	}
	if skip {
		return
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			// Relative %doc/%license entries are copied from the build
			// directory into a docdir: not a provide anyone requires.
			continue
		}
		if isDir {
			l.Dirs = append(l.Dirs, p)
		} else {
			l.Paths = append(l.Paths, p)
		}
	}
}

// directive splits a leading "%word" or "%word(args)" from s.
func directive(s string) (string, string) {
	i := 1
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] == '_') {
		i++
	}
	word := s[:i]
	if i < len(s) && s[i] == '(' {
		if j := strings.IndexByte(s[i:], ')'); j >= 0 {
			i += j + 1
		} else {
			i = len(s)
		}
	}
	return word, s[i:]
}

func sortUniq(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}
