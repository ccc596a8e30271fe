package docgen

import (
	"fmt"
	"path"
	"strings"

	"github.com/keel-build/keel/tools/docgen/internal/bzl"
)

// attrTypes are the types of attributes as the reference names them.
var attrTypes = map[string]string{
	"bool":                    "bool",
	"int":                     "int",
	"int_list":                "list of ints",
	"label":                   "label",
	"label_keyed_string_dict": "dict: label → string",
	"label_list":              "list of labels",
	"output":                  "output",
	"output_list":             "list of outputs",
	"string":                  "string",
	"string_dict":             "dict: string → string",
	"string_keyed_label_dict": "dict: string → label",
	"string_list":             "list of strings",
	"string_list_dict":        "dict: string → list of strings",
}

type renderer struct {
	api     *api
	outDir  string // folder of the output, for links to the .bzl files
	module  string // MODULE.bazel
	b       strings.Builder
	missing []string
	public  map[any]string // declaration → the public name it is documented under
}

func newRenderer(a *api, o Options) *renderer {
	r := &renderer{api: a, outDir: path.Dir(o.Out), module: o.Module, public: map[any]string{}}
	for _, group := range [][]entry{a.rules, a.providers, a.extensions} {
		for _, e := range group {
			switch {
			case e.rule != nil:
				r.public[e.rule] = e.name
			case e.provider != nil:
				r.public[e.provider] = e.name
			}
		}
	}
	return r
}

func (r *renderer) p(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

func (r *renderer) miss(file, format string, args ...any) {
	r.missing = append(r.missing, file+": "+fmt.Sprintf(format, args...))
}

// render returns the reference.
func (r *renderer) render() string {
	a := r.api
	r.p("## Reference\n\n")
	r.p("Generated from the doc strings of `%s`, the files it loads and\n", a.file)
	r.p("the module extensions that `%s` uses. BUILD files load the rules,\n", r.module)
	r.p("macros and providers with `load(\"//%s\", ...)`.\n\n", labelOf(a.file))
	sections := []struct {
		title   string
		entries []entry
	}{
		{"Rules and macros", a.rules},
		{"Providers", a.providers},
		{"Module extensions", a.extensions},
		{"Other values", a.others},
	}
	for _, s := range sections {
		if len(s.entries) == 0 {
			continue
		}
		var links []string
		for _, e := range s.entries {
			links = append(links, fmt.Sprintf("[%s](#%s)", e.name, anchor(e.name)))
		}
		r.p("- %s: %s\n", s.title, strings.Join(links, ", "))
	}
	r.p("\n")
	for _, s := range sections {
		if len(s.entries) == 0 {
			continue
		}
		r.p("### %s\n\n", s.title)
		for _, e := range s.entries {
			r.p("#### %s\n\n", e.name)
			switch {
			case e.rule != nil:
				r.rule(e.name, e.rule)
			case e.macro != nil:
				r.macro(e.macro)
			case e.provider != nil:
				r.provider(e.name, e.provider)
			case e.extension != nil:
				r.extension(e)
			default:
				r.p("`%s = %s`\n\n", e.name, e.value)
			}
		}
	}
	return strings.TrimRight(r.b.String(), "\n") + "\n"
}

// declared says what a symbol is and where it is declared.
func (r *renderer) declared(kind, name, declName, file string) {
	r.p("*%s* declared in [%s](%s)", kind, file, r.link(file))
	if declName != "" && declName != name {
		r.p(" as `%s`", declName)
	}
	r.p(".\n\n")
}

// link is the relative link from the output to a file of the tree.
func (r *renderer) link(file string) string {
	up := ""
	if r.outDir != "." {
		up = strings.Repeat("../", strings.Count(r.outDir, "/")+1)
	}
	return up + file
}

func (r *renderer) doc(file, what, doc string) {
	doc = bzl.Clean(doc)
	if doc == "" {
		r.miss(file, "%s has no doc string", what)
		return
	}
	r.p("%s\n\n", doc)
}

var ruleKinds = map[string]string{"rule": "Rule", "repository_rule": "Repository rule", "aspect": "Aspect"}

func (r *renderer) rule(name string, rule *bzl.Rule) {
	r.declared(ruleKinds[rule.Kind], name, rule.Name, rule.File)
	r.doc(rule.File, rule.Kind+" "+name, rule.Doc)
	r.ruleFacts(rule)
	r.attrs(rule.File, rule.Kind+" "+name, rule.Attrs, rule.Kind != "aspect", nil)
}

// ruleFacts lists what a rule declares besides its attributes.
func (r *renderer) ruleFacts(rule *bzl.Rule) {
	var facts []string
	if rule.Executable {
		facts = append(facts, "Executable: `bazel run` runs it.")
	}
	if rule.Test {
		facts = append(facts, "A test: `bazel test` runs it.")
	}
	if len(rule.Toolchains) > 0 {
		facts = append(facts, "Toolchains: "+codeList(mainRepoLabels(rule.Toolchains))+".")
	}
	if len(rule.Provides) > 0 {
		facts = append(facts, "Provides: "+r.providerList(rule.Provides, ", ")+".")
	}
	if len(facts) > 0 {
		r.p("%s\n\n", strings.Join(facts, " "))
	}
}

// attrs writes an attribute table; withName adds the implicit name
// attribute of rules; skip leaves out attributes by name.
func (r *renderer) attrs(file, owner string, attrs []*bzl.Attr, withName bool, skip map[string]bool) {
	var rows [][]string
	if withName {
		rows = append(rows, []string{"`name`", "name", "mandatory", "A unique name for this target."})
	}
	for _, a := range attrs {
		if strings.HasPrefix(a.Name, "_") || skip[a.Name] {
			continue
		}
		typ := attrTypes[a.Type]
		if a.SingleFile {
			typ += "; one file"
		}
		def := "mandatory"
		if !a.Mandatory {
			def = "`" + a.Default + "`"
		}
		doc := bzl.Clean(a.Doc)
		if doc == "" {
			r.miss(file, "%s: attribute %s has no doc", owner, a.Name)
		}
		var notes []string
		if len(a.Values) > 0 {
			notes = append(notes, "One of "+codeList(a.Values)+".")
		}
		if a.Files != "" && a.Files != "True" {
			notes = append(notes, "Files: `"+a.Files+"`.")
		}
		if len(a.Providers) > 0 {
			var sets []string
			for _, set := range a.Providers {
				sets = append(sets, r.providerList(set, " and "))
			}
			notes = append(notes, "Must provide "+strings.Join(sets, ", or ")+".")
		}
		if a.Executable {
			notes = append(notes, "Executable.")
		}
		rows = append(rows, []string{"`" + a.Name + "`", typ, def, cell(strings.TrimSpace(doc + " " + strings.Join(notes, " ")))})
	}
	if len(rows) == 0 {
		return
	}
	r.table([]string{"Attribute", "Type", "Default", "Description"}, rows)
}

func (r *renderer) macro(m *bzl.Macro) {
	r.declared("Macro", m.Name, "", m.File)
	r.p("```starlark\n%s\n```\n\n", signature(m))
	what := "macro " + m.Name
	if m.Doc.Description == "" {
		r.miss(m.File, "%s has no doc string", what)
	} else {
		r.p("%s\n\n", m.Doc.Description)
	}
	docs := map[string]string{}
	for _, a := range m.Doc.Args {
		docs[a.Name] = a.Doc
	}
	var rows [][]string
	params := map[string]bool{}
	row := func(name, def string) {
		params[name] = true
		doc, ok := docs[name]
		if !ok {
			r.miss(m.File, "%s: parameter %s is not in the Args section of its doc string", what, name)
		}
		rows = append(rows, []string{"`" + name + "`", def, cell(doc)})
	}
	for _, p := range m.Params {
		def := "mandatory"
		if p.Default != "" {
			def = "`" + p.Default + "`"
		}
		row(p.Name, def)
	}
	if m.Varargs != "" {
		row("*"+m.Varargs, "")
	}
	if m.Kwargs != "" {
		row("**"+m.Kwargs, "")
	}
	for _, a := range m.Doc.Args {
		if !params[a.Name] {
			r.miss(m.File, "%s: its doc string documents %s, which is not a parameter", what, a.Name)
		}
	}
	if len(rows) > 0 {
		r.table([]string{"Parameter", "Default", "Description"}, rows)
	}
	if m.Doc.Returns != "" {
		r.p("Returns: %s\n\n", m.Doc.Returns)
	}
	for _, rule := range m.Calls {
		if pub, ok := r.public[rule]; ok {
			r.p("It instantiates the rule [%s](#%s).\n\n", pub, anchor(pub))
			continue
		}
		where := "in the same file"
		if rule.File != m.File {
			where = fmt.Sprintf("in [%s](%s)", rule.File, r.link(rule.File))
		}
		r.p("It instantiates the rule `%s`, declared %s:\n\n", rule.Name, where)
		r.doc(rule.File, "rule "+rule.Name, rule.Doc)
		r.ruleFacts(rule)
		if m.Kwargs == "" {
			continue
		}
		skip := map[string]bool{}
		for _, p := range m.Params {
			skip[p.Name] = true
		}
		var rest int
		for _, a := range rule.Attrs {
			if !skip[a.Name] && !strings.HasPrefix(a.Name, "_") {
				rest++
			}
		}
		if rest > 0 {
			r.p("Attributes of `%s` that `**%s` sets:\n\n", rule.Name, m.Kwargs)
			r.attrs(rule.File, "rule "+rule.Name, rule.Attrs, false, skip)
		}
	}
}

// signature is a macro's call, on one line when short enough, else one
// parameter a line.
func signature(m *bzl.Macro) string {
	var params []string
	for _, p := range m.Params {
		if p.Default == "" {
			params = append(params, p.Name)
		} else {
			params = append(params, p.Name+" = "+p.Default)
		}
	}
	if m.Varargs != "" {
		params = append(params, "*"+m.Varargs)
	}
	if m.Kwargs != "" {
		params = append(params, "**"+m.Kwargs)
	}
	line := m.Name + "(" + strings.Join(params, ", ") + ")"
	if len(line) <= 80 {
		return line
	}
	return m.Name + "(\n    " + strings.Join(params, ",\n    ") + ",\n)"
}

func (r *renderer) provider(name string, p *bzl.Provider) {
	r.declared("Provider", name, p.Name, p.File)
	r.doc(p.File, "provider "+name, p.Doc)
	var rows [][]string
	for _, f := range p.Fields {
		if f.Doc == "" {
			r.miss(p.File, "provider %s: field %s has no doc", name, f.Name)
		}
		rows = append(rows, []string{"`" + f.Name + "`", cell(bzl.Clean(f.Doc))})
	}
	if len(rows) > 0 {
		r.table([]string{"Field", "Description"}, rows)
	}
}

func (r *renderer) extension(e entry) {
	x := e.extension
	r.declared("Module extension", e.name, x.Name, x.File)
	if e.use != "" {
		r.p("```starlark\n%s\n```\n\n", e.use)
	}
	what := "module extension " + e.name
	r.doc(x.File, what, x.Doc)
	v := e.tagVar
	if v == "" {
		v = e.name
	}
	for _, t := range x.TagClasses {
		r.p("##### %s.%s\n\n", v, t.Name)
		r.doc(x.File, what+": tag class "+t.Name, t.Doc)
		r.attrs(x.File, what+": tag class "+t.Name, t.Attrs, false, nil)
	}
}

func (r *renderer) table(header []string, rows [][]string) {
	r.p("| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
	for _, row := range rows {
		r.p("| %s |\n", strings.Join(row, " | "))
	}
	r.p("\n")
}

// providerList names providers, linking those the reference documents.
func (r *renderer) providerList(refs []bzl.ProviderRef, sep string) string {
	var names []string
	for _, ref := range refs {
		if pub, ok := r.public[ref.Provider]; ok && ref.Provider != nil {
			names = append(names, fmt.Sprintf("[%s](#%s)", pub, anchor(pub)))
		} else {
			names = append(names, "`"+ref.Name()+"`")
		}
	}
	return strings.Join(names, sep)
}

// cell makes Markdown fit in a table cell: one line, paragraphs kept
// apart, pipes escaped.
func cell(s string) string {
	paras := strings.Split(s, "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.ReplaceAll(strings.Join(paras, "<br><br>"), "|", `\|`)
}

func codeList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

// mainRepoLabels shows labels of the main repository as BUILD files write
// them: "@@//rules:x" as "//rules:x".
func mainRepoLabels(labels []string) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = strings.TrimPrefix(strings.TrimPrefix(l, "@@//"), "@//")
		if out[i] != l {
			out[i] = "//" + out[i]
		}
	}
	return out
}

// labelOf is the label (without the leading //) of a file of the tree,
// assuming its folder is its package.
func labelOf(file string) string {
	dir, base := path.Split(file)
	return strings.TrimSuffix(dir, "/") + ":" + base
}

// anchor is the fragment GitHub gives a heading of plain text.
func anchor(heading string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(heading) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteRune(c)
		case c == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}
