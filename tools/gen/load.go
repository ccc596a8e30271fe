package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/keel-build/keel/tools/gen/internal/filelist"
	"github.com/keel-build/keel/tools/spec"
)

// specFolder is one folder of the tree: its spec files and BUILD file.
type specFolder struct {
	Dir   string            // folder name under the root
	Specs []string          // spec file names, sorted
	Files map[string]string // regular files: sha256 of specs, signatures and signed files, else "stat:SIZE:MTIME"
	Build bool              // has a BUILD.bazel

	sigs    map[string]string // file → sha256 from *.signatures.json
	sigsErr error             // reading them failed
}

// specInfo is one spec and what each target arch makes of it.
type specInfo struct {
	Folder *specFolder
	File   string // e.g. "openssl.spec"
	Target string // target name: the file name without .spec
	Label  string // //<pkg>:<target>
	Arch   map[string]*archInfo
	Err    error // evaluation failed (for some arch)
}

// archInfo is what gen keeps of a spec evaluated for one arch; it is what
// the evaluation cache stores.
type archInfo struct {
	Name, Version, Release, Epoch          string
	BuildArchs, ExclusiveArch, ExcludeArch []string
	Sources                                []sourceRef
	BuildRequires                          []dep
	Packages                               []pkgInfo
}

type sourceRef struct {
	Tag, Value string
}

// pkgInfo is one binary package.
type pkgInfo struct {
	Name, Arch              string // Arch: the target arch or "noarch"
	Version, Release, Epoch string
	Built                   bool
	Provides, Requires      []dep
	Paths, Dirs, FileLists  []string
}

// buildsOn reports whether the spec builds on arch (ExclusiveArch,
// ExcludeArch).
func (a *archInfo) buildsOn(arch string) bool {
	if len(a.ExclusiveArch) > 0 && !contains(a.ExclusiveArch, arch) &&
		!(contains(a.ExclusiveArch, "noarch") && len(a.BuildArchs) > 0 && a.BuildArchs[0] == "noarch") {
		return false
	}
	return !contains(a.ExcludeArch, arch)
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// scanTree lists the folders of root that hold a spec or a BUILD.bazel,
// and hashes their files.
func scanTree(root string, jobs int) ([]*specFolder, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("reading spec tree %s: %w", root, err)
	}
	var folders []*specFolder
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "bazel-") {
			continue
		}
		folders = append(folders, &specFolder{Dir: e.Name()})
	}
	errs := make([]error, len(folders))
	parallel(len(folders), jobs, func(i int) {
		errs[i] = folders[i].scan(filepath.Join(root, folders[i].Dir))
	})
	var out []*specFolder
	for i, f := range folders {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if len(f.Specs) > 0 || f.Build {
			out = append(out, f)
		}
	}
	return out, nil
}

func (f *specFolder) scan(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading spec folder %s: %w", dir, err)
	}
	f.Files = map[string]string{}
	var others []fs.DirEntry
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		switch {
		case n == buildFileName:
			f.Build = true
		case strings.HasSuffix(n, ".spec") || strings.HasSuffix(n, ".signatures.json"):
			if strings.HasSuffix(n, ".spec") {
				f.Specs = append(f.Specs, n)
			}
			if err := f.hash(dir, n); err != nil {
				return err
			}
		default:
			others = append(others, e)
		}
	}
	sort.Strings(f.Specs)
	// An error is reported for each spec of the folder by plan.
	f.sigs, f.sigsErr = signatures(filepath.Dir(dir), f)
	// Signed files are hashed (their hash is checked); for the others,
	// which only matter to the evaluation cache (a spec may %include or
	// %(cat) them), size and modification time stand in for the contents,
	// as they do for make.
	for _, e := range others {
		if _, signed := f.sigs[e.Name()]; signed {
			if err := f.hash(dir, e.Name()); err != nil {
				return err
			}
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return fmt.Errorf("reading %s: %w", filepath.Join(dir, e.Name()), err)
		}
		f.Files[e.Name()] = fmt.Sprintf("stat:%d:%d", fi.Size(), fi.ModTime().UnixNano())
	}
	return nil
}

func (f *specFolder) hash(dir, name string) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(dir, name), err)
	}
	sum := sha256.Sum256(b)
	f.Files[name] = hex.EncodeToString(sum[:])
	return nil
}

// fingerprint hashes the files under dir (the macro tree): names and
// contents.
func fingerprint(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		fmt.Fprintf(h, "%s %x\n", filepath.ToSlash(rel), sum)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing macro dir %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cacheVersion changes whenever archInfo or the way it is derived changes.
const cacheVersion = "keel-gen-1"

// cacheKey names one evaluation: the spec folder's contents, the spec, the
// arch and everything configuring the evaluator.
func cacheKey(f *specFolder, file, arch, macroFP string, defines []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00with_check 0\x00%s\x00%s\x00%s\x00%s\x00", cacheVersion, arch, macroFP, f.Dir, file)
	for _, d := range defines {
		fmt.Fprintf(h, "define %s\x00", d)
	}
	names := make([]string, 0, len(f.Files))
	for n := range f.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s %s\x00", n, f.Files[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// evaluate evaluates every spec for every arch (with_check 0), using and
// filling the cache.
func evaluate(root string, folders []*specFolder, o *Options, c *evalCache) ([]*specInfo, error) {
	macroFP, err := fingerprint(o.MacroDir)
	if err != nil {
		return nil, err
	}
	defines := o.Defines
	evs := map[string]*spec.Evaluator{}
	var evMu sync.Mutex
	evaluator := func(arch string) (*spec.Evaluator, error) {
		evMu.Lock()
		defer evMu.Unlock()
		if ev := evs[arch]; ev != nil {
			return ev, nil
		}
		ev, err := spec.NewEvaluator(spec.Options{Arch: arch, MacroDir: o.MacroDir, Defines: defines})
		if err != nil {
			return nil, fmt.Errorf("setting up the spec evaluator for %s: %w", arch, err)
		}
		evs[arch] = ev
		return ev, nil
	}
	var specs []*specInfo
	type job struct {
		s    *specInfo
		arch string
		key  string
	}
	var jobs []job
	for _, f := range folders {
		for _, file := range f.Specs {
			s := &specInfo{Folder: f, File: file, Target: strings.TrimSuffix(file, ".spec"), Arch: map[string]*archInfo{}}
			specs = append(specs, s)
			for _, a := range o.Arches {
				jobs = append(jobs, job{s, a, cacheKey(f, file, a, macroFP, defines)})
			}
		}
	}
	results := make([]*archInfo, len(jobs))
	errs := make([]error, len(jobs))
	parallel(len(jobs), o.Jobs, func(i int) {
		j := jobs[i]
		if ai := c.get(j.key); ai != nil {
			results[i] = ai
			return
		}
		ev, err := evaluator(j.arch)
		if err != nil {
			errs[i] = err
			return
		}
		sp, err := ev.Evaluate(filepath.Join(root, j.s.Folder.Dir, j.s.File), 0)
		if err != nil {
			errs[i] = err
			return
		}
		results[i] = fromSpec(sp)
		c.put(j.key, results[i])
	})
	for i, j := range jobs {
		if errs[i] != nil {
			if j.s.Err == nil {
				j.s.Err = errs[i]
			}
			continue
		}
		j.s.Arch[j.arch] = results[i]
	}
	for _, s := range specs {
		if s.Err != nil {
			s.Arch = map[string]*archInfo{}
		}
	}
	return specs, nil
}

func fromSpec(sp *spec.Spec) *archInfo {
	a := &archInfo{
		Name: sp.Name, Version: sp.Version, Release: sp.Release, Epoch: epoch(sp.Epoch),
		BuildArchs: sp.BuildArchs, ExclusiveArch: sp.ExclusiveArch, ExcludeArch: sp.ExcludeArch,
		BuildRequires: fromSpecDeps(sp.BuildRequires),
	}
	for _, s := range sp.Sources {
		a.Sources = append(a.Sources, sourceRef{s.Tag, s.Value})
	}
	for _, s := range sp.Patches {
		a.Sources = append(a.Sources, sourceRef{s.Tag, s.Value})
	}
	files := filelist.Scan(sp.Parsed, sp.Name)
	for _, p := range sp.Packages {
		pi := pkgInfo{
			Name: p.Name, Arch: p.Arch, Version: p.Version, Release: p.Release, Epoch: epoch(p.Epoch),
			Built: p.Built, Provides: fromSpecDeps(p.Provides), Requires: fromSpecDeps(p.Requires),
		}
		if l := files[p.Name]; l != nil {
			pi.Paths, pi.Dirs, pi.FileLists = l.Paths, l.Dirs, l.FileLists
		}
		a.Packages = append(a.Packages, pi)
	}
	return a
}

func epoch(e *uint32) string {
	if e == nil {
		return ""
	}
	return fmt.Sprint(*e)
}

// parallel runs fn(0..n-1) on up to jobs goroutines (0: one per CPU).
func parallel(n, jobs int, fn func(i int)) {
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// pkgPath joins Bazel package path parts, skipping empty ones.
func pkgPath(parts ...string) string {
	var nonEmpty []string
	for _, p := range parts {
		if p != "" && p != "." {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return path.Join(nonEmpty...)
}
