package bzl

// The declarations a .bzl file makes, as documentation needs them. Values
// are recorded as their Starlark source text (`"gzip"`, `["raw", "vhd"]`).

// A Rule is what rule(), repository_rule() or aspect() declares.
type Rule struct {
	Kind       string // "rule", "repository_rule" or "aspect"
	Name       string // the global of File it is bound to
	File       string // the .bzl file that declares it, relative to the root
	Doc        string
	Attrs      []*Attr       // in declaration order
	Toolchains []string      // toolchain types, as written (labels as strings)
	Provides   []ProviderRef // the providers it promises
	Executable bool
	Test       bool
}

// An Attr is one attribute of a rule or tag class: one attr.TYPE() call.
type Attr struct {
	Name      string // its key in the attrs dict
	Type      string // the attr function: "string", "label_list", ...
	Doc       string
	Mandatory bool
	// Default is the default given, or Bazel's implicit one for the type.
	Default string
	Values  []string // the allowed values, when restricted
	// Providers is what a label must provide: all providers of one of
	// the sets.
	Providers [][]ProviderRef
	// Files is allow_single_file or allow_files, as written ("True",
	// `[".tar.zst"]`), or "" when neither is set.
	Files      string
	SingleFile bool
	Executable bool
}

// A Provider is what provider() declares.
type Provider struct {
	Name   string
	File   string
	Doc    string
	Fields []Field // in declaration order
}

// A Field is one field of a provider.
type Field struct{ Name, Doc string }

// A ModuleExtension is what module_extension() declares.
type ModuleExtension struct {
	Name       string
	File       string
	Doc        string
	TagClasses []*TagClass // in declaration order
}

// A TagClass is one tag of a module extension; Name is its key in
// tag_classes.
type TagClass struct {
	Name  string
	Doc   string
	Attrs []*Attr
}

// A Macro is a public function: a macro a BUILD file calls.
type Macro struct {
	Name    string
	File    string
	Doc     Docstring
	Params  []Param
	Varargs string // name of *args, "" when none
	Kwargs  string // name of **kwargs, "" when none
	// Calls are the rules its body calls (directly), in source order: the
	// rules whose attributes **kwargs may set.
	Calls []*Rule
}

// A Param is one named parameter of a macro.
type Param struct {
	Name    string
	Default string // Starlark text; "" when mandatory
}

// A ProviderRef names a provider that an attribute or rule refers to:
// one declared in a .bzl file, or a built-in (DefaultInfo, ...).
type ProviderRef struct {
	Provider *Provider // nil for a built-in
	Builtin  string
}

// Name is the provider's name: the global it is exported as (known once
// its file has loaded), or the built-in's name.
func (r ProviderRef) Name() string {
	if r.Provider != nil {
		return r.Provider.Name
	}
	return r.Builtin
}
