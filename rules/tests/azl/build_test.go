package azl

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/spec"
)

// The flags rpm puts on the dependencies its generators add from the
// packaged files (RPMSENSE_FIND_REQUIRES and _FIND_PROVIDES), and on its
// own rpmlib() feature requirements.
const (
	autoRequire = rpmfile.DepFlags(spec.SenseFindRequires)
	autoProvide = rpmfile.DepFlags(spec.SenseFindProvides)
	rpmlib      = rpmfile.DepFlags(spec.SenseRPMLib)
)

// TestBuiltRPMs checks the RPMs rpm_package built from the corpus specs
// against the spec engine's evaluation of the same specs (x86_64, the
// toolchain's defines): the same packages and NEVRAs; exactly the spec's
// own Provides, Requires (with their flags: post, interp...), Conflicts and
// Obsoletes; and every dependency rpm generated from the packaged files
// (sonames, symbol versions, rtld(GNU_HASH), script interpreters) accounted
// for by those files, and the other way round.
func TestBuiltRPMs(t *testing.T) {
	rpms := runfiles(t, "KEEL_AZL_RPMS")
	ev, err := spec.NewEvaluator(spec.Options{Arch: "x86_64", Defines: distDefines(t)})
	if err != nil {
		t.Fatal(err)
	}
	predicted := map[string]*spec.Package{}
	for _, p := range runfiles(t, "KEEL_AZL_TREE") {
		if !strings.HasSuffix(p, ".spec") {
			continue
		}
		s, err := ev.Evaluate(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range s.Packages {
			if pkg.Built {
				predicted[pkg.Name] = pkg
			}
		}
	}
	built := map[string]bool{}
	for _, path := range rpms {
		h, err := rpmfile.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		built[h.Name] = true
		t.Run(filepath.Base(path), func(t *testing.T) {
			p := predicted[h.Name]
			if p == nil {
				t.Fatalf("built %s, which the spec engine does not predict", h.Name)
			}
			checkPackage(t, h, p)
		})
	}
	for name := range predicted {
		if !built[name] {
			t.Errorf("the spec engine predicts %s, which was not built", name)
		}
	}
}

func checkPackage(t *testing.T, h *rpmfile.Package, p *spec.Package) {
	epoch := ""
	if p.Epoch != nil {
		epoch = fmt.Sprint(*p.Epoch)
	}
	if got, want := h.NEVRA(), fmt.Sprintf("%s-%s%s-%s.%s", p.Name, epochPrefix(epoch), p.Version, p.Release, p.Arch); got != want || h.Epoch != epoch {
		t.Errorf("built %s (epoch %q), the spec engine predicts %s (epoch %q)", got, h.Epoch, want, epoch)
	}
	manual := func(ds []rpmfile.Dep, skip rpmfile.DepFlags) []string {
		var out []string
		for _, d := range ds {
			if d.Flags&skip == 0 {
				out = append(out, fmt.Sprintf("%s [%#x]", d, uint32(d.Flags)))
			}
		}
		slices.Sort(out)
		return out
	}
	predicted := func(ds spec.DepSet) []string {
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprintf("%s [%#x]", d, uint32(d.Flags)))
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"Provides", manual(h.Provides, autoProvide), predicted(p.Provides)},
		{"Requires", manual(h.Requires, autoRequire|rpmlib), predicted(p.Requires)},
		{"Conflicts", manual(h.Conflicts, 0), predicted(p.Conflicts)},
		{"Obsoletes", manual(h.Obsoletes, 0), predicted(p.Obsoletes)},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s of the spec: built %q, the spec engine predicts %q", c.what, c.got, c.want)
		}
	}

	facts := readFacts(t, h)
	generated := func(ds []rpmfile.Dep, flag rpmfile.DepFlags) []string {
		var out []string
		for _, d := range ds {
			if d.Flags&flag != 0 && d.Flags&rpmlib == 0 {
				out = append(out, d.String())
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	if got := generated(h.Provides, autoProvide); !slices.Equal(got, facts.provides) {
		t.Errorf("generated Provides %q, the packaged files account for %q", got, facts.provides)
	}
	if got := generated(h.Requires, autoRequire); !slices.Equal(got, facts.requires) {
		t.Errorf("generated Requires %q, the packaged files account for %q", got, facts.requires)
	}
	if len(h.Files) == 0 {
		t.Errorf("%s has no files", h.NEVRA())
	}
}

func epochPrefix(e string) string {
	if e == "" {
		return ""
	}
	return e + ":"
}

// facts are the dependencies rpm 4.18's generators derive from a package's
// files (tools/elfdeps.c and script.req, per the fileattrs of the build
// root's rpm): computed here from the payload with debug/elf, so that an
// RPM whose generated dependencies do not match its files fails.
type facts struct {
	provides, requires []string // sorted, unique
}

func readFacts(t *testing.T, h *rpmfile.Package) facts {
	t.Helper()
	pl, err := h.OpenPayload()
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	var prov, req []string
	// debuginfo.attr: each build-id link of a debuginfo package provides
	// its build id, whatever the file type.
	for _, f := range h.Files {
		if m := buildIDLink.FindStringSubmatch(f.Path); m != nil {
			prov = append(prov, "debuginfo(build-id) = "+m[1]+m[2])
		}
	}
	for {
		e, err := pl.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		f := h.Files[e.Index]
		if !f.IsRegular() || e.Size == 0 {
			continue
		}
		data, err := io.ReadAll(pl)
		if err != nil {
			t.Fatal(err)
		}
		exec := f.Mode&0o111 != 0
		switch {
		case bytes.HasPrefix(data, []byte(elf.ELFMAG)):
			p, r, err := elfDeps(data, f.Path, exec)
			if err != nil {
				t.Fatalf("%s in %s: %v", f.Path, h.NEVRA(), err)
			}
			prov, req = append(prov, p...), append(req, r...)
		case exec && bytes.HasPrefix(data, []byte("#!")):
			// script.req: an absolute interpreter, and an absolute
			// one that .../bin/env runs.
			line, _, _ := bytes.Cut(data[2:], []byte("\n"))
			fields := strings.Fields(string(line))
			if len(fields) > 0 && strings.HasPrefix(fields[0], "/") {
				req = append(req, fields[0])
			}
			if len(fields) > 1 && strings.HasSuffix(fields[0], "/bin/env") && strings.HasPrefix(fields[1], "/") {
				req = append(req, fields[1])
			}
		}
	}
	slices.Sort(prov)
	slices.Sort(req)
	return facts{slices.Compact(prov), slices.Compact(req)}
}

// buildIDLink matches the paths debuginfo.attr provides for:
// /usr/lib/debug/.build-id/XX/REST.debug.
var buildIDLink = regexp.MustCompile(`^/usr/lib/debug/\.build-id/([^/]+)/([^/]+)\.debug$`)

// elfDeps returns what rpm's elfdeps generates for one ELF file (exec: any
// x bit). Requires, the sonames and versions it needs and rtld(GNU_HASH)
// when it has only the GNU hash table, come from every file but one that
// has an interpreter and no x bit (a PIE's .debug copy). Provides are the
// soname (for a shared object without DT_DEBUG, the file name when it has
// none) and the symbol versions it defines. Like rpm, sonames that do not
// look like libraries (no ".so", or not "lib..."/"ld...") are dropped.
func elfDeps(data []byte, path string, exec bool) (provides, requires []string, err error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	if f.Type != elf.ET_DYN && f.Type != elf.ET_EXEC {
		return nil, nil, nil
	}
	marker := ""
	if f.Class == elf.ELFCLASS64 {
		marker = "(64bit)"
	}
	add := func(deps *[]string, soname, ver string) {
		if skipSoname(soname) {
			return
		}
		if ver == "" && marker == "" {
			*deps = append(*deps, soname)
		} else {
			*deps = append(*deps, soname+"("+ver+")"+marker)
		}
	}
	interp := false
	for _, p := range f.Progs {
		interp = interp || p.Type == elf.PT_INTERP
	}
	genRequires := !(interp && !exec)

	sonames, err := f.DynString(elf.DT_SONAME)
	if err != nil {
		return nil, nil, err
	}
	vers, err := f.DynamicVersions()
	if err != nil && f.SectionByType(elf.SHT_GNU_VERDEF) != nil {
		return nil, nil, err
	}
	base := ""
	for _, v := range vers {
		if v.Flags&elf.VER_FLG_BASE != 0 {
			base = v.Name
		} else if base != "" {
			add(&provides, base, v.Name)
		}
	}
	debug, _ := f.DynValue(elf.DT_DEBUG)
	if f.Type == elf.ET_DYN && len(debug) == 0 {
		if len(sonames) == 0 {
			sonames = []string{filepath.Base(path)}
		}
		for _, s := range sonames {
			add(&provides, s, "")
		}
	}
	if !genRequires {
		return provides, nil, nil
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil, nil, err
	}
	for _, n := range needed {
		add(&requires, n, "")
	}
	needs, err := f.DynamicVersionNeeds()
	if err != nil && f.SectionByType(elf.SHT_GNU_VERNEED) != nil {
		return nil, nil, err
	}
	for _, n := range needs {
		for _, v := range n.Needs {
			add(&requires, n.Name, v.Dep)
		}
	}
	gnuHash, _ := f.DynValue(elf.DT_GNU_HASH)
	hash, _ := f.DynValue(elf.DT_HASH)
	if len(gnuHash) > 0 && len(hash) == 0 {
		requires = append(requires, "rtld(GNU_HASH)")
	}
	return provides, requires, nil
}

// skipSoname is elfdeps' filter: a soname is kept when it holds ".so" and
// starts like a library or the dynamic linker.
func skipSoname(s string) bool {
	if strings.TrimSpace(s) == "" || !strings.Contains(s, ".so") {
		return true
	}
	for _, p := range []string{"ld.", "ld-", "ld64.", "ld64-", "lib"} {
		if strings.HasPrefix(s, p) {
			return false
		}
	}
	return true
}
