package bzl

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkjson"
	"go.starlark.net/starlarkstruct"
)

// The values below stand in for Bazel's built-ins while a .bzl file loads.
// They record what the file declares (doc strings, attributes, fields) and
// nothing else: no rule runs, no repository is fetched.

// ruleValue is the Starlark value of a rule, repository rule or aspect.
type ruleValue struct{ *Rule }

func (r ruleValue) String() string        { return "<" + r.Kind + " " + r.name() + ">" }
func (r ruleValue) Type() string          { return r.Kind }
func (r ruleValue) Freeze()               {}
func (r ruleValue) Truth() starlark.Bool  { return true }
func (r ruleValue) Hash() (uint32, error) { return starlark.String(r.File + r.Doc).Hash() }
func (r ruleValue) Name() string          { return r.name() }
func (r ruleValue) name() string {
	if r.Rule.Name == "" {
		return "(unexported)"
	}
	return r.Rule.Name
}

// CallInternal fails: only BUILD files instantiate rules (a macro body that
// calls one runs from a BUILD file, never while the .bzl file loads).
func (r ruleValue) CallInternal(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return nil, fmt.Errorf("%s %s: a .bzl file cannot instantiate a %s while it loads", r.Kind, r.name(), r.Kind)
}

// attrValue is the Starlark value of attr.TYPE().
type attrValue struct{ *Attr }

func (a attrValue) String() string        { return "<attr." + a.Attr.Type + ">" }
func (a attrValue) Type() string          { return "Attribute" }
func (a attrValue) Freeze()               {}
func (a attrValue) Truth() starlark.Bool  { return true }
func (a attrValue) Hash() (uint32, error) { return starlark.String(a.Attr.Type + a.Doc).Hash() }

// providerValue is the Starlark value of a provider.
type providerValue struct{ *Provider }

func (p providerValue) String() string        { return "<provider " + p.Name() + ">" }
func (p providerValue) Type() string          { return "provider" }
func (p providerValue) Freeze()               {}
func (p providerValue) Truth() starlark.Bool  { return true }
func (p providerValue) Hash() (uint32, error) { return starlark.String(p.File + p.Doc).Hash() }
func (p providerValue) Name() string {
	if p.Provider.Name == "" {
		return "(unexported)"
	}
	return p.Provider.Name
}

// CallInternal makes an instance, as a struct: calls at load time are rare
// (a default value, say) and need nothing more.
func (p providerValue) CallInternal(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: unexpected positional arguments", p.Name())
	}
	return starlarkstruct.FromKeywords(p, kwargs), nil
}

// extensionValue is the Starlark value of a module extension.
type extensionValue struct{ *ModuleExtension }

func (m extensionValue) String() string        { return "<module_extension " + m.Name + ">" }
func (m extensionValue) Type() string          { return "module_extension" }
func (m extensionValue) Freeze()               {}
func (m extensionValue) Truth() starlark.Bool  { return true }
func (m extensionValue) Hash() (uint32, error) { return starlark.String(m.File + m.Doc).Hash() }

// tagClassValue is the Starlark value of a tag class.
type tagClassValue struct{ *TagClass }

func (t tagClassValue) String() string        { return "<tag_class>" }
func (t tagClassValue) Type() string          { return "tag_class" }
func (t tagClassValue) Freeze()               {}
func (t tagClassValue) Truth() starlark.Bool  { return true }
func (t tagClassValue) Hash() (uint32, error) { return starlark.String(t.Doc).Hash() }

// A Label is what Label() returns. Repo is "" for the main repository.
type Label struct{ Repo, Pkg, Target string }

func (l *Label) String() string {
	return "@@" + l.Repo + "//" + l.Pkg + ":" + l.Target
}
func (l *Label) Type() string         { return "Label" }
func (l *Label) Freeze()              {}
func (l *Label) Truth() starlark.Bool { return true }
func (l *Label) Hash() (uint32, error) {
	return starlark.String(l.String()).Hash()
}
func (l *Label) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(l.Target), nil
	case "package":
		return starlark.String(l.Pkg), nil
	case "repo_name", "workspace_name":
		return starlark.String(l.Repo), nil
	}
	return unmodelled("Label." + name), nil
}
func (l *Label) AttrNames() []string {
	return []string{"name", "package", "repo_name", "workspace_name"}
}

// opaque is a value whose content no documentation needs: a depset, a
// select(), a transition. It prints as the call that made it.
type opaque struct{ kind, text string }

func (o *opaque) String() string        { return o.text }
func (o *opaque) Type() string          { return o.kind }
func (o *opaque) Freeze()               {}
func (o *opaque) Truth() starlark.Bool  { return true }
func (o *opaque) Hash() (uint32, error) { return starlark.String(o.text).Hash() }

// unmodelled stands for every Bazel built-in that has no stand-in here
// (DefaultInfo, platform_common, native, ctx-only APIs, ...): rule
// implementations name many of them, but only code that runs while the
// file loads uses them, and then the error says which one is missing.
type unmodelled string

func (u unmodelled) String() string        { return string(u) }
func (u unmodelled) Type() string          { return "builtin" }
func (u unmodelled) Freeze()               {}
func (u unmodelled) Truth() starlark.Bool  { return true }
func (u unmodelled) Hash() (uint32, error) { return starlark.String(u).Hash() }
func (u unmodelled) Name() string          { return string(u) }
func (u unmodelled) Attr(name string) (starlark.Value, error) {
	return unmodelled(string(u) + "." + name), nil
}
func (u unmodelled) AttrNames() []string { return nil }
func (u unmodelled) CallInternal(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return nil, fmt.Errorf("%s: Bazel built-in that keel docs does not model; a .bzl file may use it in function bodies only, or keel docs needs a stand-in for it (tools/docgen/internal/bzl)", string(u))
}

// namespace is a built-in module such as attr: its modelled members, and
// unmodelled ones for the rest.
type namespace struct {
	name    string
	members starlark.StringDict
}

func (n *namespace) String() string        { return n.name }
func (n *namespace) Type() string          { return "module" }
func (n *namespace) Freeze()               {}
func (n *namespace) Truth() starlark.Bool  { return true }
func (n *namespace) Hash() (uint32, error) { return starlark.String(n.name).Hash() }
func (n *namespace) Attr(name string) (starlark.Value, error) {
	if v, ok := n.members[name]; ok {
		return v, nil
	}
	return unmodelled(n.name + "." + name), nil
}
func (n *namespace) AttrNames() []string {
	names := make([]string, 0, len(n.members))
	for k := range n.members {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// implicitDefaults are the defaults Bazel gives an attribute of each type
// when the declaration has none.
var implicitDefaults = map[string]string{
	"bool":                    "False",
	"int":                     "0",
	"int_list":                "[]",
	"label":                   "None",
	"label_keyed_string_dict": "{}",
	"label_list":              "[]",
	"output":                  "None",
	"output_list":             "[]",
	"string":                  `""`,
	"string_dict":             "{}",
	"string_keyed_label_dict": "{}",
	"string_list":             "[]",
	"string_list_dict":        "{}",
}

// builtins returns the stand-ins for Bazel's .bzl built-ins, for a file of
// package pkg, which Label() resolves relative labels against.
func builtins(pkg string) starlark.StringDict {
	attrs := starlark.StringDict{}
	for typ := range implicitDefaults {
		attrs[typ] = starlark.NewBuiltin("attr."+typ, newAttr(typ))
	}
	return starlark.StringDict{
		"attr":             &namespace{"attr", attrs},
		"rule":             starlark.NewBuiltin("rule", newRule("rule")),
		"repository_rule":  starlark.NewBuiltin("repository_rule", newRule("repository_rule")),
		"aspect":           starlark.NewBuiltin("aspect", newRule("aspect")),
		"provider":         starlark.NewBuiltin("provider", newProvider),
		"module_extension": starlark.NewBuiltin("module_extension", newModuleExtension),
		"tag_class":        starlark.NewBuiltin("tag_class", newTagClass),
		"struct":           starlark.NewBuiltin("struct", starlarkstruct.Make),
		"json":             starlarkjson.Module,
		"Label":            starlark.NewBuiltin("Label", newLabel(pkg)),
		"depset":           starlark.NewBuiltin("depset", newOpaque("depset")),
		"select":           starlark.NewBuiltin("select", newOpaque("select")),
		"transition":       starlark.NewBuiltin("transition", newOpaque("transition")),
		"exec_group":       starlark.NewBuiltin("exec_group", newOpaque("exec_group")),
		"visibility":       starlark.NewBuiltin("visibility", noop),
		"config_common": &namespace{"config_common", starlark.StringDict{
			"toolchain_type": starlark.NewBuiltin("config_common.toolchain_type", toolchainType(pkg)),
		}},
	}
}

func noop(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return starlark.None, nil
}

// text is the Starlark source text of a value, as a doc shows it.
func text(v starlark.Value) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// callArgs are the arguments of a call by parameter name; positional
// arguments take the names given to parseArgs, in order.
type callArgs struct {
	fn     string
	byName map[string]starlark.Value
}

func parseArgs(fn string, args starlark.Tuple, kwargs []starlark.Tuple, positional ...string) (*callArgs, error) {
	if len(args) > len(positional) {
		return nil, fmt.Errorf("%s: got %d positional arguments, want at most %d", fn, len(args), len(positional))
	}
	c := &callArgs{fn: fn, byName: map[string]starlark.Value{}}
	for i, a := range args {
		c.byName[positional[i]] = a
	}
	for _, kv := range kwargs {
		k := string(kv[0].(starlark.String))
		if _, dup := c.byName[k]; dup {
			return nil, fmt.Errorf("%s: got %s twice", fn, k)
		}
		c.byName[k] = kv[1]
	}
	return c, nil
}

func (c *callArgs) str(name string) (string, error) {
	v, ok := c.byName[name]
	if !ok || v == starlark.None {
		return "", nil
	}
	s, ok := starlark.AsString(v)
	if !ok {
		return "", fmt.Errorf("%s: %s: got %s, want string", c.fn, name, v.Type())
	}
	return s, nil
}

func (c *callArgs) boolean(name string) bool {
	v, ok := c.byName[name]
	return ok && bool(v.Truth())
}

// list returns the elements of a list or tuple argument.
func (c *callArgs) list(name string) ([]starlark.Value, error) {
	v, ok := c.byName[name]
	if !ok || v == starlark.None {
		return nil, nil
	}
	seq, ok := v.(starlark.Indexable)
	if !ok {
		return nil, fmt.Errorf("%s: %s: got %s, want list", c.fn, name, v.Type())
	}
	out := make([]starlark.Value, seq.Len())
	for i := range out {
		out[i] = seq.Index(i)
	}
	return out, nil
}

// dict returns the items of a dict argument, in insertion order.
func (c *callArgs) dict(name string) ([]starlark.Tuple, error) {
	v, ok := c.byName[name]
	if !ok || v == starlark.None {
		return nil, nil
	}
	d, ok := v.(*starlark.Dict)
	if !ok {
		return nil, fmt.Errorf("%s: %s: got %s, want dict", c.fn, name, v.Type())
	}
	return d.Items(), nil
}

func newAttr(typ string) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		c, err := parseArgs(b.Name(), args, kwargs)
		if err != nil {
			return nil, err
		}
		a := &Attr{Type: typ, Mandatory: c.boolean("mandatory"), Executable: c.boolean("executable")}
		if a.Doc, err = c.str("doc"); err != nil {
			return nil, err
		}
		a.Default = implicitDefaults[typ]
		if v, ok := c.byName["default"]; ok {
			a.Default = text(v)
		}
		values, err := c.list("values")
		if err != nil {
			return nil, err
		}
		for _, v := range values {
			a.Values = append(a.Values, text(v))
		}
		providers, err := c.list("providers")
		if err != nil {
			return nil, err
		}
		if len(providers) > 0 {
			if _, nested := providers[0].(*starlark.List); !nested {
				// [A, B] means [[A, B]]: a label must give both.
				providers = []starlark.Value{starlark.NewList(providers)}
			}
		}
		for _, set := range providers {
			l, ok := set.(*starlark.List)
			if !ok {
				return nil, fmt.Errorf("%s: providers: mixes providers and lists of providers", b.Name())
			}
			var refs []ProviderRef
			for i := 0; i < l.Len(); i++ {
				refs = append(refs, providerRef(l.Index(i)))
			}
			a.Providers = append(a.Providers, refs)
		}
		if v, ok := c.byName["allow_single_file"]; ok && bool(v.Truth()) {
			a.Files, a.SingleFile = text(v), true
		} else if v, ok := c.byName["allow_files"]; ok && bool(v.Truth()) {
			a.Files = text(v)
		}
		return attrValue{a}, nil
	}
}

// providerRef refers to a provider value; its name is read when the
// documentation is rendered, since a provider declared in the same file
// is named only once the file has loaded.
func providerRef(v starlark.Value) ProviderRef {
	if p, ok := v.(providerValue); ok {
		return ProviderRef{Provider: p.Provider}
	}
	return ProviderRef{Builtin: text(v)}
}

// attrList reads an attrs dict: name → attr.TYPE(...).
func attrList(c *callArgs) ([]*Attr, error) {
	items, err := c.dict("attrs")
	if err != nil {
		return nil, err
	}
	var attrs []*Attr
	for _, kv := range items {
		name, ok := starlark.AsString(kv[0])
		if !ok {
			return nil, fmt.Errorf("%s: attrs: key %s is not a string", c.fn, kv[0])
		}
		a, ok := kv[1].(attrValue)
		if !ok {
			return nil, fmt.Errorf("%s: attrs: %s is a %s, want attr.TYPE(...)", c.fn, name, kv[1].Type())
		}
		// A shared attr.TYPE() value may be bound to several names (and
		// rules): each gets its own copy.
		cp := *a.Attr
		cp.Name = name
		attrs = append(attrs, &cp)
	}
	return attrs, nil
}

func newRule(kind string) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		c, err := parseArgs(b.Name(), args, kwargs, "implementation")
		if err != nil {
			return nil, err
		}
		r := &Rule{Kind: kind, File: currentFile(thread), Executable: c.boolean("executable"), Test: c.boolean("test")}
		if r.Doc, err = c.str("doc"); err != nil {
			return nil, err
		}
		if r.Attrs, err = attrList(c); err != nil {
			return nil, err
		}
		toolchains, err := c.list("toolchains")
		if err != nil {
			return nil, err
		}
		for _, t := range toolchains {
			if s, ok := starlark.AsString(t); ok {
				r.Toolchains = append(r.Toolchains, s)
			} else {
				r.Toolchains = append(r.Toolchains, text(t))
			}
		}
		provides, err := c.list("provides")
		if err != nil {
			return nil, err
		}
		for _, p := range provides {
			r.Provides = append(r.Provides, providerRef(p))
		}
		return ruleValue{r}, nil
	}
}

func newProvider(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c, err := parseArgs(b.Name(), args, kwargs, "doc")
	if err != nil {
		return nil, err
	}
	p := &Provider{File: currentFile(thread)}
	if p.Doc, err = c.str("doc"); err != nil {
		return nil, err
	}
	switch fields := c.byName["fields"].(type) {
	case nil:
	case *starlark.Dict:
		for _, kv := range fields.Items() {
			name, _ := starlark.AsString(kv[0])
			doc, ok := starlark.AsString(kv[1])
			if !ok {
				return nil, fmt.Errorf("provider: fields: the doc of %s is a %s, want string", name, kv[1].Type())
			}
			p.Fields = append(p.Fields, Field{Name: name, Doc: doc})
		}
	case starlark.Indexable:
		for i := 0; i < fields.Len(); i++ {
			name, ok := starlark.AsString(fields.Index(i))
			if !ok {
				return nil, fmt.Errorf("provider: fields: %s is not a string", fields.Index(i))
			}
			p.Fields = append(p.Fields, Field{Name: name})
		}
	default:
		return nil, fmt.Errorf("provider: fields: got %s, want dict or list", fields.Type())
	}
	pc := providerValue{p}
	if init, ok := c.byName["init"]; ok && init != starlark.None {
		// With init, provider() returns the provider and its raw constructor.
		return starlark.Tuple{pc, starlark.NewBuiltin("raw constructor", func(th *starlark.Thread, _ *starlark.Builtin, a starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			return pc.CallInternal(th, a, kw)
		})}, nil
	}
	return pc, nil
}

func newTagClass(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c, err := parseArgs(b.Name(), args, kwargs, "attrs")
	if err != nil {
		return nil, err
	}
	t := &TagClass{}
	if t.Doc, err = c.str("doc"); err != nil {
		return nil, err
	}
	if t.Attrs, err = attrList(c); err != nil {
		return nil, err
	}
	return tagClassValue{t}, nil
}

func newModuleExtension(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c, err := parseArgs(b.Name(), args, kwargs, "implementation")
	if err != nil {
		return nil, err
	}
	m := &ModuleExtension{File: currentFile(thread)}
	if m.Doc, err = c.str("doc"); err != nil {
		return nil, err
	}
	items, err := c.dict("tag_classes")
	if err != nil {
		return nil, err
	}
	for _, kv := range items {
		name, _ := starlark.AsString(kv[0])
		t, ok := kv[1].(tagClassValue)
		if !ok {
			return nil, fmt.Errorf("module_extension: tag_classes: %s is a %s, want tag_class(...)", name, kv[1].Type())
		}
		cp := *t.TagClass
		cp.Name = name
		m.TagClasses = append(m.TagClasses, &cp)
	}
	return extensionValue{m}, nil
}

func newLabel(pkg string) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var s string
		if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &s); err != nil {
			return nil, err
		}
		return ParseLabel(s, pkg)
	}
}

func toolchainType(pkg string) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		c, err := parseArgs(b.Name(), args, kwargs, "name")
		if err != nil {
			return nil, err
		}
		l, ok := c.byName["name"]
		if s, isStr := starlark.AsString(l); isStr {
			if l, err = ParseLabel(s, pkg); err != nil {
				return nil, err
			}
		} else if !ok {
			return nil, fmt.Errorf("%s: missing name", b.Name())
		}
		return &opaque{"toolchain_type", text(l)}, nil
	}
}

func newOpaque(kind string) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var parts []string
		for _, a := range args {
			parts = append(parts, text(a))
		}
		for _, kv := range kwargs {
			parts = append(parts, fmt.Sprintf("%s = %s", kv[0].(starlark.String).GoString(), text(kv[1])))
		}
		return &opaque{kind, kind + "(" + strings.Join(parts, ", ") + ")"}, nil
	}
}
