package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The data files gen reads from the root of the spec tree. Each may be
// absent.
const (
	ToolchainFile = "toolchain.provides"
	OverridesFile = "gen.overrides.json"
	LearnedFile   = "provides.learned.json"
	LockFile      = "sources.lock.json"
)

// Resolution targets an override may name besides a label.
const (
	ResolveToolchain = "toolchain"
	ResolveIgnore    = "ignore"
)

// Overrides is the manual overrides file (gen.overrides.json).
type Overrides struct {
	// Requires maps a requirement to what satisfies it.
	Requires []RequireOverride `json:"requires,omitempty"`
	// Bootstrap lists dependency edges to cut when they are in a cycle.
	Bootstrap []BootstrapOverride `json:"bootstrap,omitempty"`
}

// RequireOverride resolves a requirement by hand.
type RequireOverride struct {
	// Requirement is the dependency name as written (without version), e.g.
	// "pkgconfig(foo)" or "/usr/bin/x".
	Requirement string `json:"requirement"`
	// Spec limits the override to one spec (its label); empty: every spec.
	Spec string `json:"spec,omitempty"`
	// Resolve is a package label, "toolchain" or "ignore".
	Resolve string `json:"resolve"`
	Reason  string `json:"reason"`
}

// BootstrapOverride names an in-cycle edge to cut: From's dependency on To.
type BootstrapOverride struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// Learned is the index of provides learned from built RPMs
// (provides.learned.json): binary package name → its provides, each
// rendered like rpm's PROVIDENEVRS ("perl(Foo) = 1.2", "libfoo.so.1()(64bit)").
type Learned struct {
	Packages map[string][]string `json:"packages"`
}

// config is everything read from the tree root.
type config struct {
	toolchain []dep
	overrides Overrides
	learned   map[string][]dep // RPM name → provides
}

func readConfig(root string) (*config, error) {
	c := &config{}
	tc, err := readToolchain(filepath.Join(root, ToolchainFile))
	if err != nil {
		return nil, err
	}
	c.toolchain = tc
	if err := readJSON(filepath.Join(root, OverridesFile), &c.overrides); err != nil {
		return nil, err
	}
	for i, o := range c.overrides.Requires {
		if o.Requirement == "" || o.Resolve == "" || o.Reason == "" {
			return nil, fmt.Errorf("reading %s: requires[%d]: requirement, resolve and reason are required", filepath.Join(root, OverridesFile), i)
		}
		if o.Resolve != ResolveToolchain && o.Resolve != ResolveIgnore && !strings.HasPrefix(o.Resolve, "//") {
			return nil, fmt.Errorf("reading %s: requires[%d]: resolve %q is not a //label, %q or %q", filepath.Join(root, OverridesFile), i, o.Resolve, ResolveToolchain, ResolveIgnore)
		}
	}
	for i, b := range c.overrides.Bootstrap {
		if b.From == "" || b.To == "" || b.Reason == "" {
			return nil, fmt.Errorf("reading %s: bootstrap[%d]: from, to and reason are required", filepath.Join(root, OverridesFile), i)
		}
	}
	var l Learned
	if err := readJSON(filepath.Join(root, LearnedFile), &l); err != nil {
		return nil, err
	}
	c.learned = map[string][]dep{}
	names := make([]string, 0, len(l.Packages))
	for n := range l.Packages {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, p := range l.Packages[n] {
			d, err := parseDepString(p)
			if err != nil {
				return nil, fmt.Errorf("reading %s: package %s: %w", filepath.Join(root, LearnedFile), n, err)
			}
			c.learned[n] = append(c.learned[n], d)
		}
	}
	return c, nil
}

// readJSON decodes path into v; an absent file leaves v unchanged.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// readToolchain reads the toolchain capabilities list: one provide per
// line ("gcc", "glibc-devel = 2.38", "/usr/bin/make"), '#' comments.
func readToolchain(path string) ([]dep, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var out []dep
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		d, err := parseDepString(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, d)
	}
	return out, nil
}
