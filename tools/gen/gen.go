package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bazelbuild/buildtools/build"
	"github.com/rogpeppe/go-internal/diff"
)

// DefaultArches are the target arches gen evaluates when none are given.
var DefaultArches = []string{"x86_64", "aarch64"}

// Options configure a run.
type Options struct {
	// Root is the spec tree: Root/<dir>/<name>.spec. It must be inside a
	// Bazel workspace (a MODULE.bazel, REPO.bazel or WORKSPACE above it).
	Root string
	// Arches are the target arches (default DefaultArches).
	Arches []string
	// MacroDir and the defines configure the spec evaluator
	// (spec.Options); specs are evaluated with %with_check 0, as Azure
	// Linux's toolkit does for BuildRequires. The macros are the tree's
	// DistFile, or DistDefaults for a tree without one, then Defines.
	MacroDir     string
	DistDefaults []string
	Defines      []string
	// Check writes nothing: Result.Stale and Result.Diff tell what a run
	// would change.
	Check bool
	// CacheDir keeps spec evaluations between runs ("" disables it).
	CacheDir string
	// Jobs is how many specs are evaluated at once (0: one per CPU).
	Jobs int
}

// Result is the outcome of a run.
type Result struct {
	Summary *Summary
	// Changed lists the files (relative to Root) that were written or
	// removed, or with Check that are stale; sorted.
	Changed []string
	// Diff is a unified diff of the stale files (Check only).
	Diff []byte
}

// Run generates the BUILD files of a spec tree, its sources lock file and
// the summary. Files are written only when their contents change (nothing
// at all with Check). Specs that fail to evaluate, or whose sources do not
// match their signatures, are listed in Summary.Errors and their BUILD
// files left as they are; Run then still writes everything else.
func Run(o Options) (*Result, error) {
	if len(o.Arches) == 0 {
		o.Arches = DefaultArches
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", o.Root, err)
	}
	prefix, err := packagePrefix(root)
	if err != nil {
		return nil, err
	}
	cfg, err := readConfig(root)
	if err != nil {
		return nil, err
	}
	dist, found, err := DistDefines(root)
	if err != nil {
		return nil, err
	}
	if !found {
		dist = o.DistDefaults
	}
	o.Defines = append(append([]string{}, dist...), o.Defines...)
	folders, err := scanTree(root, o.Jobs)
	if err != nil {
		return nil, err
	}
	cache := openCache(o.CacheDir)
	specs, err := evaluate(root, folders, &o, cache)
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		s.Label = shortLabel(pkgPath(prefix, s.Folder.Dir), s.Target)
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Label < specs[j].Label })
	pl := plan(root, prefix, specs, cfg, o.Arches)

	outputs, err := render(root, folders, pl, o.Jobs)
	if err != nil {
		return nil, err
	}
	lock, err := marshalLock(pl.lock)
	if err != nil {
		return nil, err
	}
	outputs = append(outputs, output{rel: LockFile, data: lock})
	sort.Slice(outputs, func(i, j int) bool { return outputs[i].rel < outputs[j].rel })

	res := &Result{Summary: pl.summary}
	var diffs bytes.Buffer
	for _, out := range outputs {
		p := filepath.Join(root, filepath.FromSlash(out.rel))
		old, err := os.ReadFile(p)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if out.data == nil && !exists || out.data != nil && exists && bytes.Equal(old, out.data) {
			continue
		}
		res.Changed = append(res.Changed, out.rel)
		if o.Check {
			diffs.Write(diff.Diff("a/"+out.rel, old, "b/"+out.rel, out.data))
			continue
		}
		if out.data == nil {
			if err := os.Remove(p); err != nil {
				return nil, fmt.Errorf("removing %s: %w", p, err)
			}
			continue
		}
		if err := writeFileAtomic(p, out.data); err != nil {
			return nil, err
		}
	}
	res.Diff = diffs.Bytes()
	if !o.Check {
		if err := cache.save(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// output is one file gen owns: its wanted contents (nil: absent).
type output struct {
	rel  string
	data []byte
}

// render merges the generated rules into each folder's BUILD file.
func render(root string, folders []*specFolder, pl *planned, jobs int) ([]output, error) {
	outs := make([]output, len(folders))
	errs := make([]error, len(folders))
	parallel(len(folders), jobs, func(i int) {
		f := folders[i]
		rel := f.Dir + "/" + buildFileName
		p := filepath.Join(root, f.Dir, buildFileName)
		var file *build.File
		var old []byte
		if f.Build {
			b, err := os.ReadFile(p)
			if err != nil {
				errs[i] = fmt.Errorf("reading %s: %w", p, err)
				return
			}
			file, errs[i] = parseBuild(p, b)
			if errs[i] != nil {
				return
			}
			old = b
		}
		// A spec with errors keeps its existing target untouched.
		frozen := map[string]bool{}
		for _, s := range pl.failed[f] {
			frozen[s.Target] = true
		}
		data := mergeBuild(file, p, pl.rules[f], frozen)
		if data == nil && old == nil {
			outs[i] = output{rel: rel}
			return
		}
		outs[i] = output{rel: rel, data: data}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// packagePrefix returns the Bazel package path of root: its path below the
// workspace directory.
func packagePrefix(root string) (string, error) {
	for d := root; ; d = filepath.Dir(d) {
		for _, n := range []string{"MODULE.bazel", "REPO.bazel", "WORKSPACE.bazel", "WORKSPACE"} {
			if _, err := os.Stat(filepath.Join(d, n)); err == nil {
				rel, err := filepath.Rel(d, root)
				if err != nil {
					return "", fmt.Errorf("locating %s in its workspace: %w", root, err)
				}
				return filepath.ToSlash(rel), nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("finding the Bazel workspace of %s: no MODULE.bazel, REPO.bazel or WORKSPACE in it or above it", root)
		}
	}
}

// WriteSummary writes s as indented JSON to path (atomically).
func WriteSummary(path string, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the summary: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// WriteReport prints a short human summary: counts, then every
// unresolved requirement, cut edge and error.
func (s *Summary) WriteReport(w io.Writer) {
	fmt.Fprintf(w, "%d packages, %d edges, %d unresolved requirements, %d cycles, %d cut edges, %d errors\n",
		len(s.Packages), len(s.Edges), len(s.Unresolved), len(s.Cycles), len(s.Cut), len(s.Errors))
	for _, u := range s.Unresolved {
		fmt.Fprintf(w, "unresolved: %s: %s (%s) [%s]\n", u.Spec, u.Requirement, u.Reason, strings.Join(u.Arches, ","))
	}
	for _, c := range s.Cut {
		fmt.Fprintf(w, "cut (%s): %s -> %s: %s\n", c.Rule, c.From, c.To, strings.Join(c.Requirements, ", "))
	}
	for _, e := range s.Errors {
		fmt.Fprintf(w, "error: %s: %s\n", e.Spec, e.Error)
	}
}
