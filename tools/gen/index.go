package gen

import (
	"path"

	"github.com/keel-build/keel/tools/rpmfile"
	"sort"
	"strings"
)

// How a provider matched a requirement, best first. A requirement goes to
// the providers of the best tier that has any.
const (
	tierName     = iota // a package of that name
	tierProvide         // an explicit or automatic Provides
	tierLearned         // provides.learned.json
	tierFile            // a path listed in %files
	tierFileDir         // below a directory listed in %files
	tierFileGlob        // matched by a glob listed in %files
	tierGuess           // naming convention (python3dist(x) → python3-x)
	numTiers
)

var tierNames = [numTiers]string{"name", "provides", "learned", "file", "file-dir", "file-glob", "convention"}

// provider is one binary package of one spec that provides something.
type provider struct {
	spec *specInfo
	pkg  string // binary package (RPM) name
	ver  string // its version
	prov dep    // the matching provide, for name tiers
	dir  bool   // matched through a listed directory (weaker than a glob)
}

// index answers "which package provides this?" for one arch.
type index struct {
	arch      string
	names     map[string][]provider  // provide name → providers (tierName, tierProvide)
	pkgs      map[string][]provider  // binary package name → providers
	learned   map[string][]provider  // provide name → providers
	files     map[string][]provider  // exact %files path → providers
	globs     map[string][]globEntry // literal dir → glob entries under it
	deepGlobs map[string][]globEntry // globs with glob characters in the dir part, by the literal dir before them
	sonames   map[string][]provider  // soname (libfoo.so.1) → providers
	soGlobs   []globEntry            // basenames like libfoo.so.* (dir ignored)
	memo      map[dep]match
}

type globEntry struct {
	pattern string
	lit     string // pattern's literal prefix: a quick test before path.Match
	p       provider
}

func newGlob(pattern string, p provider) globEntry {
	i := strings.IndexAny(pattern, "*?[\\")
	return globEntry{pattern, pattern[:i], p}
}

func (g globEntry) match(s string) bool {
	if !strings.HasPrefix(s, g.lit) {
		return false
	}
	ok, _ := path.Match(g.pattern, s)
	return ok
}

func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// buildIndex indexes the packages every spec builds on arch.
func buildIndex(arch string, specs []*specInfo, cfg *config) *index {
	ix := &index{
		arch: arch, memo: map[dep]match{}, names: map[string][]provider{}, pkgs: map[string][]provider{},
		learned: map[string][]provider{}, files: map[string][]provider{},
		globs: map[string][]globEntry{}, deepGlobs: map[string][]globEntry{}, sonames: map[string][]provider{},
	}
	for _, s := range specs {
		a := s.Arch[arch]
		if a == nil || !a.buildsOn(arch) {
			continue
		}
		for _, p := range a.Packages {
			if !p.Built {
				continue
			}
			pv := provider{spec: s, pkg: p.Name, ver: p.Version}
			ix.pkgs[p.Name] = append(ix.pkgs[p.Name], pv)
			for _, d := range p.Provides {
				pv.prov = d
				ix.names[d.Name] = append(ix.names[d.Name], pv)
			}
			pv.prov = dep{}
			for _, f := range p.Paths {
				ix.addPath(f, pv)
			}
		}
	}
	// Learned provides attach to the spec that builds the named RPM.
	for _, n := range sortedKeys(cfg.learned) {
		for _, owner := range ix.pkgs[n] {
			for _, d := range cfg.learned[n] {
				owner.prov = d
				ix.learned[d.Name] = append(ix.learned[d.Name], owner)
			}
		}
	}
	return ix
}

func (ix *index) addPath(f string, pv provider) {
	dir, base := path.Split(strings.TrimSuffix(f, "/"))
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case !hasGlob(f):
		ix.files[path.Clean(f)] = append(ix.files[path.Clean(f)], pv)
	case hasGlob(dir):
		c := path.Clean(f)
		lit := path.Dir(c[:strings.IndexAny(c, "*?[")] + "x")
		ix.deepGlobs[lit] = append(ix.deepGlobs[lit], newGlob(c, pv))
	default:
		ix.globs[dir] = append(ix.globs[dir], newGlob(base, pv))
	}
	// Shared libraries provide their soname wherever they are installed.
	if i := strings.Index(base, ".so"); i > 0 && strings.HasPrefix(base, "lib") {
		if hasGlob(base) {
			ix.soGlobs = append(ix.soGlobs, newGlob(base, pv))
			return
		}
		// libfoo.so.1.2.3 provides libfoo.so.1 (the usual SONAME), and
		// may be any of its prefixes; a bare libfoo.so is the development
		// symlink, not a soname.
		rest := base[i+3:]
		if !strings.HasPrefix(rest, ".") {
			return
		}
		for j := i + 4; j <= len(base); j++ {
			if j == len(base) || base[j] == '.' {
				ix.sonames[base[:j]] = append(ix.sonames[base[:j]], pv)
			}
		}
	}
}

// match is the outcome of looking a requirement up.
type match struct {
	tier      int
	providers []provider
}

// lookup finds the best-tier providers of r on this arch (memoized: the
// same requirements recur across specs).
func (ix *index) lookup(r dep) match {
	if m, ok := ix.memo[r]; ok {
		return m
	}
	m := ix.find(r)
	ix.memo[r] = m
	return m
}

func (ix *index) find(r dep) match {
	var byTier [numTiers][]provider
	for _, p := range ix.names[r.Name] {
		if p.prov.satisfies(r) {
			t := tierProvide
			if p.prov.Name == p.pkg {
				t = tierName
			}
			byTier[t] = append(byTier[t], p)
		}
	}
	for _, p := range ix.learned[r.Name] {
		if p.prov.satisfies(r) {
			byTier[tierLearned] = append(byTier[tierLearned], p)
		}
	}
	// File-derived provides: a path has no version; pkgconfig(), perl()
	// and cmake() provides carry the version of the file's contents, which
	// gen takes to be the package's version.
	var fileTiers [numTiers][]provider
	for _, c := range fileCandidates(r.Name) {
		ix.matchPath(c, &fileTiers)
	}
	if so := sonameOf(r.Name); so != "" {
		fileTiers[tierFile] = append(fileTiers[tierFile], ix.sonames[so]...)
		for _, g := range ix.soGlobs {
			if g.match(so) {
				fileTiers[tierFileGlob] = append(fileTiers[tierFileGlob], g.p)
			}
		}
	}
	for t, ps := range fileTiers {
		for _, p := range ps {
			if r.Flags == 0 || !strings.HasPrefix(r.Name, "/") && (dep{Name: r.Name, EVR: p.ver, Flags: rpmfile.SenseEqual}).satisfies(r) {
				byTier[t] = append(byTier[t], p)
			}
		}
	}
	for _, n := range conventionNames(r.Name) {
		byTier[tierGuess] = append(byTier[tierGuess], ix.pkgs[n]...)
	}
	for t, ps := range byTier {
		if len(ps) == 0 {
			continue
		}
		if t == tierFileDir { // the weak tiers compete as one
			for i := range ps {
				ps[i].dir = true
			}
			ps = append(ps, byTier[tierFileGlob]...)
		}
		return match{t, ps}
	}
	return match{tier: -1}
}

// matchPath adds the packages whose %files cover the absolute path c.
func (ix *index) matchPath(c string, byTier *[numTiers][]provider) {
	byTier[tierFile] = append(byTier[tierFile], ix.files[c]...)
	for d := path.Dir(c); d != "/" && d != "."; d = path.Dir(d) {
		byTier[tierFileDir] = append(byTier[tierFileDir], ix.files[d]...)
	}
	// Globs: the file itself, or one of its directories, matches.
	for p := c; p != "/" && p != "."; p = path.Dir(p) {
		for _, g := range ix.globs[path.Dir(p)] {
			if g.match(path.Base(p)) {
				byTier[tierFileGlob] = append(byTier[tierFileGlob], g.p)
			}
		}
	}
	for d := path.Dir(c); ; d = path.Dir(d) {
		for _, g := range ix.deepGlobs[d] {
			if g.match(c) {
				byTier[tierFileGlob] = append(byTier[tierFileGlob], g.p)
			}
		}
		if d == "/" || d == "." {
			break
		}
	}
}

// fileCandidates lists the paths whose presence in a package gives rpm's
// automatic provide name (rpm's fileattrs generators): a path itself,
// pkgconfig(x), perl(A::B), cmake(x).
func fileCandidates(name string) []string {
	if strings.HasPrefix(name, "/") {
		return []string{path.Clean(name)}
	}
	arg, ok := funcArg(name, "pkgconfig")
	if ok {
		return []string{"/usr/lib64/pkgconfig/" + arg + ".pc", "/usr/lib/pkgconfig/" + arg + ".pc", "/usr/share/pkgconfig/" + arg + ".pc"}
	}
	if arg, ok = funcArg(name, "perl"); ok && !strings.Contains(arg, "(") {
		rel := strings.ReplaceAll(arg, "::", "/") + ".pm"
		var out []string
		for _, root := range []string{"/usr/share/perl5/vendor_perl", "/usr/lib64/perl5/vendor_perl", "/usr/share/perl5", "/usr/lib64/perl5"} {
			out = append(out, root+"/"+rel)
		}
		return out
	}
	if arg, ok = funcArg(name, "cmake"); ok {
		var out []string
		for _, root := range []string{"/usr/lib64/cmake", "/usr/share/cmake", "/usr/lib/cmake"} {
			for _, f := range []string{arg + "Config.cmake", strings.ToLower(arg) + "-config.cmake"} {
				out = append(out, root+"/"+arg+"/"+f)
			}
		}
		return out
	}
	return nil
}

// sonameOf returns "libfoo.so.1" for "libfoo.so.1()(64bit)" and the like.
func sonameOf(name string) string {
	if !strings.HasPrefix(name, "lib") || !strings.Contains(name, ".so") {
		return ""
	}
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	return name
}

// conventionNames lists the package names that by Fedora/Azure Linux
// naming carry a generated provide: python3dist(x) → python3-x,
// rubygem(x) → rubygem-x.
func conventionNames(name string) []string {
	for _, pfx := range []string{"python3dist", "python3.12dist"} {
		if arg, ok := funcArg(name, pfx); ok {
			n := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(arg))
			return []string{"python3-" + n}
		}
	}
	if arg, ok := funcArg(name, "rubygem"); ok {
		return []string{"rubygem-" + arg}
	}
	return nil
}

// funcArg returns x for "fn(x)".
func funcArg(name, fn string) (string, bool) {
	if strings.HasPrefix(name, fn+"(") && strings.HasSuffix(name, ")") {
		return name[len(fn)+1 : len(name)-1], true
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// weakTier reports tiers where a match only means "the package lists a
// directory or pattern that could hold it": shared directories such as
// %{_libdir}/pkgconfig are listed whole by many packages.
func weakTier(t int) bool { return t == tierFileDir || t == tierFileGlob }

// closest keeps, of weak-tier providers, those whose package name is most
// like the requirement's subject (pkgconfig(expat) → expat-devel); a
// deterministic heuristic, recorded as such in the summary's "via".
func closest(req string, ps []provider) []provider {
	key := normName(subject(req))
	best := -1
	var out []provider
	for _, p := range ps {
		n := normName(p.pkg)
		score := 0
		switch {
		case n == key:
			score = 4
		case key != "" && (strings.Contains(n, key) || strings.Contains(key, n)):
			score = 2
		}
		if !p.dir {
			score++
		}
		if score > best {
			best, out = score, nil
		}
		if score == best {
			out = append(out, p)
		}
	}
	return out
}

// subject is the x of fn(x), or the requirement's base name.
func subject(req string) string {
	if i := strings.IndexByte(req, '('); i > 0 && strings.HasSuffix(req, ")") {
		return req[i+1 : len(req)-1]
	}
	if sonameOf(req) != "" {
		so := sonameOf(req)
		return so[:strings.Index(so, ".so")]
	}
	return path.Base(req)
}

// normName lowercases and drops language prefixes, library affixes and
// punctuation: "perl-Test-Pod" and "Test::Pod" both become "testpod".
func normName(s string) string {
	s = strings.ToLower(s)
	for _, p := range []string{"perl-", "python3-", "lib"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, x := range []string{"-devel", "-libs", "-tools"} {
		s = strings.TrimSuffix(s, x)
	}
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
