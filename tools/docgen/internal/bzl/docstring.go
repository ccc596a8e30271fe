package bzl

import (
	"regexp"
	"strings"
)

// A Docstring is a function doc string in the Google style that Bazel's
// own documentation tools read: a description, then sections "Args:"
// (one "name: text" entry per parameter, continued on more indented
// lines) and "Returns:".
type Docstring struct {
	Description string
	Args        []Arg // in the order they are written
	Returns     string
}

// An Arg is one entry of the Args section. Name keeps "*" or "**".
type Arg struct{ Name, Doc string }

// Clean removes a doc string's indentation as Python's inspect.cleandoc
// does: the first line is stripped, the common indentation of the others
// removed, and blank lines at either end dropped.
func Clean(doc string) string {
	lines := strings.Split(strings.ReplaceAll(doc, "\t", "    "), "\n")
	lines[0] = strings.TrimSpace(lines[0])
	indent := -1
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i := 1; i < len(lines); i++ {
		if len(lines[i]) >= indent && indent > 0 {
			lines[i] = lines[i][indent:]
		}
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

var (
	sectionRE = regexp.MustCompile(`^(Args|Arguments|Keyword Args|Keyword Arguments|Returns|Yields):\s*$`)
	argRE     = regexp.MustCompile(`^(\*{0,2}[A-Za-z_][A-Za-z0-9_]*)(\s*\([^)]*\))?:\s*(.*)$`)
)

// ParseDocstring splits a function doc string into its description and
// its Args and Returns sections.
func ParseDocstring(doc string) Docstring {
	var d Docstring
	var desc, returns []string
	section := ""
	argIndent := -1
	for _, line := range strings.Split(Clean(doc), "\n") {
		if m := sectionRE.FindStringSubmatch(line); m != nil {
			section, argIndent = m[1], -1
			if section == "Yields" {
				section = "Returns"
			}
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		blank := strings.TrimSpace(line) == ""
		if section != "" && !blank && indent == 0 {
			section = "" // back to the description
		}
		switch section {
		case "":
			desc = append(desc, line)
		case "Returns":
			returns = append(returns, line)
		default: // Args
			if blank {
				if n := len(d.Args); n > 0 {
					d.Args[n-1].Doc += "\n"
				}
				continue
			}
			if argIndent < 0 {
				argIndent = indent
			}
			if indent == argIndent {
				if m := argRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
					d.Args = append(d.Args, Arg{Name: m[1], Doc: m[3]})
					continue
				}
			}
			if n := len(d.Args); n > 0 {
				d.Args[n-1].Doc += "\n" + strings.TrimSpace(line)
			}
		}
	}
	for i := range d.Args {
		d.Args[i].Doc = strings.TrimSpace(d.Args[i].Doc)
	}
	d.Description = strings.TrimSpace(strings.Join(desc, "\n"))
	d.Returns = Clean(strings.Join(returns, "\n"))
	return d
}
