package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/keel-build/keel/tools/spec/internal/macro"
)

// part is a spec section kind (rpm's PART_*).
type part int

const (
	partNone part = iota
	partPreamble
	partPrep
	partBuildRequires
	partConf
	partBuild
	partInstall
	partCheck
	partClean
	partPreun
	partPostun
	partPretrans
	partPosttrans
	partPre
	partPost
	partFiles
	partChangelog
	partDescription
	partTriggerPostun
	partTriggerPrein
	partTriggerUn
	partTriggerIn
	partVerifyScript
	partPolicies
	partFileTriggerIn
	partFileTriggerUn
	partFileTriggerPostun
	partTransFileTriggerIn
	partTransFileTriggerUn
	partTransFileTriggerPostun
	partEmpty
	partPatchList
	partSourceList
)

// partList is rpm's table; order matters for prefix matching.
var partList = []struct {
	p   part
	tok string
}{
	{partPreamble, "%package"}, {partPrep, "%prep"}, {partBuildRequires, "%generate_buildrequires"},
	{partConf, "%conf"}, {partBuild, "%build"}, {partInstall, "%install"}, {partCheck, "%check"},
	{partClean, "%clean"}, {partPreun, "%preun"}, {partPostun, "%postun"}, {partPretrans, "%pretrans"},
	{partPosttrans, "%posttrans"}, {partPre, "%pre"}, {partPost, "%post"}, {partFiles, "%files"},
	{partChangelog, "%changelog"}, {partDescription, "%description"},
	{partTriggerPostun, "%triggerpostun"}, {partTriggerPrein, "%triggerprein"},
	{partTriggerUn, "%triggerun"}, {partTriggerIn, "%triggerin"}, {partTriggerIn, "%trigger"},
	{partVerifyScript, "%verifyscript"}, {partPolicies, "%sepolicy"},
	{partFileTriggerIn, "%filetriggerin"}, {partFileTriggerIn, "%filetrigger"},
	{partFileTriggerUn, "%filetriggerun"}, {partFileTriggerPostun, "%filetriggerpostun"},
	{partTransFileTriggerIn, "%transfiletriggerin"}, {partTransFileTriggerIn, "%transfiletrigger"},
	{partTransFileTriggerUn, "%transfiletriggerun"}, {partTransFileTriggerPostun, "%transfiletriggerpostun"},
	{partEmpty, "%end"}, {partPatchList, "%patchlist"}, {partSourceList, "%sourcelist"},
}

func isPart(line string) part {
	if line == "" || line[0] != '%' {
		return partNone
	}
	for _, p := range partList {
		if len(line) < len(p.tok) || !strings.EqualFold(line[:len(p.tok)], p.tok) {
			continue
		}
		if len(line) == len(p.tok) || isSpace(line[len(p.tok)]) {
			return p.p
		}
	}
	return partNone
}

// errBuildArch restarts the parse for the main package's BuildArch.
type restartError struct{}

func (restartError) Error() string { return "BuildArch restart" }

// pkgState is a package being parsed.
type pkgState struct {
	*Package
	nameSet                  bool
	sets                     map[string]bool // preamble tags seen (for inheritance)
	count                    map[string]int  // header entries of single-value tags
	summaryLang, licenseLang bool
}

// parser is one evaluation of one spec file.
type parser struct {
	*reader
	eng        *macro.Engine
	path       string
	recursing  bool
	spec       *Spec
	pkgs       []*pkgState
	srcLicense *string
	sources    []*srcEntry // in declaration order
	autoSource int64
	autoPatch  int64
	baNames    []string
	prepSeen   bool
	restrict   map[string][]string
}

type srcEntry struct {
	num     uint32
	patch   bool
	no      bool
	tag     string
	full    string
	fromTag bool
}

func (p *parser) main() *pkgState { return p.pkgs[0] }

// run parses the whole spec (parseSpec). It returns restartError when the
// main package declares BuildArch and this is not yet the recursive parse.
func (p *parser) run() error {
	p.eng.Push("_docdir", "", "%{_defaultdocdir}", macro.LevelSpec)
	p.eng.Push("_licensedir", "", "%{_defaultlicensedir}", macro.LevelSpec)
	p.autoSource, p.autoPatch = -1, -1
	p.restrict = map[string][]string{}
	next := partPreamble
	initial := true
	prev := partEmpty
	for next != partNone {
		cur := next
		var err error
		switch cur {
		case partEmpty:
			next, err = p.parseEmpty(prev)
		case partPreamble:
			next, err = p.parsePreamble(initial)
			initial = false
		case partPatchList, partSourceList:
			next, err = p.parseList(cur == partPatchList)
		case partPrep:
			next, err = p.parsePrep()
		case partConf, partBuildRequires, partBuild, partInstall, partCheck, partClean, partPolicies:
			next, _, err = p.parseLines(stripNothing, false)
			if cur == partPolicies {
				// parsePolicies strips comments and trailing space; the
				// section content is not used by Keel.
				_ = next
			}
		case partChangelog:
			next, err = p.parseChangelog()
		case partDescription:
			next, err = p.parseDescription()
		case partFiles:
			next, err = p.parseFiles()
		default:
			next, err = p.parseScript(cur)
		}
		if err != nil {
			return err
		}
		prev = cur
	}
	for _, ps := range p.pkgs {
		if !ps.HasDescription {
			return &Error{File: p.path, Msg: fmt.Sprintf("package has no %%description: %s", ps.Name)}
		}
	}
	return p.finish()
}

// parseLines reads lines until the next section header (parseLines).
// It returns the next part and the lines read.
func (p *parser) parseLines(strip int, collect bool) (part, []string, error) {
	var lines []string
	next, err := p.parseSection(strip, func(line string) {
		if collect {
			lines = append(lines, line)
		}
	})
	return next, lines, err
}

// parseSection reads the lines of a section, handing each to line, up to
// the next section (whose part it returns) or the end of the spec.
func (p *parser) parseSection(strip int, line func(string)) (part, error) {
	eof, err := p.readLine(strip)
	if err != nil {
		return 0, err
	}
	if eof {
		return partNone, nil
	}
	for {
		if np := isPart(p.line); np != partNone {
			return np, nil
		}
		line(p.line)
		eof, err := p.readLine(strip)
		if err != nil {
			return 0, err
		}
		if eof {
			return partNone, nil
		}
	}
}

func (p *parser) parseEmpty(prev part) (part, error) {
	rest := skipSpace(p.line[len("%end"):])
	if rest != "" {
		return 0, p.errorf("%%end doesn't take any arguments: %s", p.line)
	}
	if prev == partEmpty {
		return 0, p.errorf("%%end not expected here, no section to close: %s", p.line)
	}
	for {
		eof, err := p.readLine(stripTrailing | stripComments)
		if err != nil {
			return 0, err
		}
		if eof {
			return partNone, nil
		}
		if np := isPart(p.line); np != partNone {
			return np, nil
		}
		if skipSpace(p.line) != "" {
			return 0, p.errorf("line doesn't belong to any section: %s", p.line)
		}
	}
}

// lookupPackage finds a package: name "" is the main package; sub names
// are prefixed with the main name unless byFullName (-n).
func (p *parser) lookupPackage(name string, byFullName bool) *pkgState {
	if name == "" {
		return p.main()
	}
	if !byFullName {
		name = p.main().Name + "-" + name
	}
	for _, ps := range p.pkgs {
		if ps.nameSet && ps.Name == name {
			return ps
		}
	}
	return nil
}

// sectionArgs parses a section line's -n NAME / NAME arguments plus the
// given extra options (letter → takes a value).
func (p *parser) sectionArgs(what string, extra map[byte]bool) (name string, full bool, opts *optSet, err error) {
	argv, err := splitArgs(p.line)
	if err != nil {
		return "", false, nil, p.errorf("error parsing %s: %v", what, err)
	}
	spec := map[byte]bool{'n': true}
	for k, v := range extra {
		spec[k] = v
	}
	opts, pos, err := getopt(argv[1:], spec)
	if err != nil {
		return "", false, nil, p.errorf("bad option %v: %s", err, p.line)
	}
	if opts.has('n') {
		name, full = opts.last('n'), true
	}
	if len(pos) > 0 {
		if name == "" {
			name = pos[0]
		}
		if len(pos) > 1 {
			return "", false, nil, p.errorf("too many names: %s", p.line)
		}
	}
	return name, full, opts, nil
}

func (p *parser) findPackage(what string, extra map[byte]bool) (*pkgState, *optSet, error) {
	name, full, opts, err := p.sectionArgs(what, extra)
	if err != nil {
		return nil, nil, err
	}
	ps := p.lookupPackage(name, full)
	if ps == nil {
		n := name
		if !full && name != "" {
			n = p.main().Name + "-" + name
		}
		return nil, nil, p.errorf("%s: package %s does not exist", strings.TrimSpace(p.line), n)
	}
	return ps, opts, nil
}

func (p *parser) parseDescription() (part, error) {
	ps, opts, err := p.findPackage("%description", map[byte]bool{'l': true})
	if err != nil {
		return 0, err
	}
	next, _, err := p.parseLines(stripTrailing|stripComments, false)
	if err != nil {
		return 0, err
	}
	if !opts.has('l') || opts.last('l') == "C" {
		ps.HasDescription = true
	}
	return next, nil
}

func (p *parser) parseFiles() (part, error) {
	p.eng.PushLiteral("license", "%license", macro.LevelSpec)
	defer p.eng.Pop("license")
	ps, _, err := p.findPackage("%files", map[byte]bool{'f': true})
	if err != nil {
		return 0, err
	}
	ps.Built = true
	next, _, err := p.parseLines(stripComments, false)
	return next, err
}

var scriptParts = map[part]struct {
	name  string
	flags Sense
	trig  bool
}{
	partPre: {"%pre", SenseScriptPre, false}, partPost: {"%post", SenseScriptPost, false},
	partPreun: {"%preun", SenseScriptPreun, false}, partPostun: {"%postun", SenseScriptPostun, false},
	partPretrans: {"%pretrans", SensePretrans, false}, partPosttrans: {"%posttrans", SensePosttrans, false},
	partVerifyScript: {"%verifyscript", SenseScriptVerify, false},
	partTriggerPrein: {"%triggerprein", 0, true}, partTriggerIn: {"%triggerin", 0, true},
	partTriggerUn: {"%triggerun", 0, true}, partTriggerPostun: {"%triggerpostun", 0, true},
	partFileTriggerIn: {"%filetriggerin", 0, true}, partFileTriggerUn: {"%filetriggerun", 0, true},
	partFileTriggerPostun: {"%filetriggerpostun", 0, true}, partTransFileTriggerIn: {"%transfiletriggerin", 0, true},
	partTransFileTriggerUn: {"%transfiletriggerun", 0, true}, partTransFileTriggerPostun: {"%transfiletriggerpostun", 0, true},
}

// parseScript handles scriptlets and triggers (parseScript.c): the
// interpreter becomes a Requires with the scriptlet's qualifier.
func (p *parser) parseScript(pt part) (part, error) {
	sp := scriptParts[pt]
	line := p.line
	var cond string
	if sp.trig {
		idx := -1
		for i := 0; i+1 < len(line); i++ {
			if line[i] == '-' && line[i+1] == '-' && i > 0 && isBlank(line[i-1]) && i+2 < len(line) && isBlank(line[i+2]) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return 0, p.errorf("triggers must have --: %s", line)
		}
		cond = strings.TrimSpace(line[idx+2:])
		if cond == "" {
			return 0, p.errorf("missing trigger condition: %s", line)
		}
		p.line = line[:idx+2]
	}
	ps, opts, err := p.findPackage(sp.name, map[byte]bool{'p': true, 'f': true, 'e': false, 'q': false, 'P': true})
	p.line = line
	if err != nil {
		return 0, err
	}
	prog := "/bin/sh"
	if opts.has('p') {
		prog = opts.last('p')
		if strings.HasPrefix(prog, "<") {
			if !strings.HasSuffix(prog, ">") {
				return 0, p.errorf("internal script must end with '>': %s", prog)
			}
		} else if !strings.HasPrefix(prog, "/") {
			return 0, p.errorf("script program must begin with '/': %s", prog)
		}
	}
	if opts.has('P') && (!sp.trig || pt == partTriggerIn || pt == partTriggerUn || pt == partTriggerPostun || pt == partTriggerPrein) {
		return 0, p.errorf("priorities are allowed only for file triggers: %s", prog)
	}
	progArgv, err := splitArgs(prog)
	if err != nil || len(progArgv) == 0 {
		return 0, p.errorf("error parsing %s: %s", sp.name, prog)
	}
	next, _, err := p.parseLines(stripNothing, false)
	if err != nil {
		return 0, err
	}
	switch {
	case progArgv[0] == "<lua>":
		ps.Requires.Add(rpmlibDep("BuiltinLuaScripts", "4.2.2-1"))
	case strings.HasPrefix(progArgv[0], "<"):
		return 0, p.errorf("unsupported internal script: %s", progArgv[0])
	default:
		ps.Requires.Add(Dep{Name: progArgv[0], Flags: kindRequires.sanitize(sp.flags | SenseInterp)})
	}
	if opts.has('e') || opts.has('q') {
		ps.Requires.Add(rpmlibDep("ScriptletExpansion", "4.9.0-1"))
	}
	if !sp.trig && len(progArgv) > 1 {
		ps.Requires.Add(rpmlibDep("ScriptletInterpreterArgs", "4.0.3-1"))
	}
	if sp.trig {
		if len(progArgv) > 1 {
			return 0, p.errorf("interpreter arguments not allowed in triggers: %s", prog)
		}
		if pt >= partFileTriggerIn && pt <= partTransFileTriggerPostun && pt != partVerifyScript && pt != partPolicies && !strings.HasPrefix(cond, "/") {
			return 0, p.errorf("file trigger condition must begin with '/': %s", cond)
		}
		if _, err := parseDeps(cond, kindTrigger, 0); err != nil {
			return 0, p.errorf("%v", err)
		}
	}
	return next, nil
}

func rpmlibDep(feature, evr string) Dep {
	return Dep{Name: "rpmlib(" + feature + ")", EVR: evr, Flags: SenseRPMLib | SenseLess | SenseEqual}
}

// parsePrep reads %prep. %setup defines %{buildsubdir} as rpm does at
// parse time (the -a/-b sources must exist); other lines are kept as is.
func (p *parser) parsePrep() (part, error) {
	if p.prepSeen {
		return 0, p.errorf("second %%prep")
	}
	p.prepSeen = true
	next, lines, err := p.parseLines(stripParsed, true)
	if err != nil {
		return 0, err
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "%setup") {
			p.doSetup(l)
		}
		p.parsed = append(p.parsed, l...)
	}
	return next, nil
}

// doSetup mirrors the parse-time effect of rpm's doSetupMacro. Errors are
// ignored as rpmspec (RPMSPEC_FORCE) ignores them.
func (p *parser) doSetup(line string) {
	argv, err := splitArgs(line)
	if err != nil {
		return
	}
	if v, _ := p.eng.Expand("%{_build_in_place}"); expandNumeric(v) != 0 {
		return
	}
	opts, _, err := getopt(argv[1:], map[byte]bool{'a': true, 'b': true, 'c': false, 'D': false, 'n': true, 'T': false, 'q': false})
	if err != nil {
		return
	}
	for _, k := range opts.order {
		if k.opt != 'a' && k.opt != 'b' {
			continue
		}
		n, err := parseUnsignedNum(k.val)
		if err != nil || p.findSource(n, false) == nil {
			return
		}
	}
	if opts.has('n') {
		p.eng.Push("buildsubdir", "", opts.last('n'), macro.LevelSpec)
	} else {
		p.eng.Push("buildsubdir", "", p.main().Name+"-"+p.main().Version, macro.LevelSpec)
	}
}

func (p *parser) findSource(num uint32, patch bool) *srcEntry {
	for _, s := range p.sources {
		if s.num == num && s.patch == patch {
			return s
		}
	}
	return nil
}

// parseList handles %sourcelist / %patchlist.
func (p *parser) parseList(patch bool) (part, error) {
	next, lines, err := p.parseLines(stripTrailing|stripComments, true)
	if err != nil {
		return 0, err
	}
	tag := "%sourcelist"
	if patch {
		tag = "%patchlist"
	}
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if err := p.addSource(l, patch, tag, false, 0); err != nil {
			return 0, err
		}
	}
	return next, nil
}

// addSource records a Source/Patch and defines %{SOURCEn}/%{SOURCEURLn}
// (addSource in parsePreamble.c).
func (p *parser) addSource(value string, patch bool, tag string, numbered bool, num uint32) error {
	auto := &p.autoSource
	kind := "source"
	if patch {
		auto, kind = &p.autoPatch, "patch"
	}
	if !numbered {
		*auto++
		num = uint32(*auto)
	} else if int64(int32(num)) > *auto {
		*auto = int64(int32(num))
	}
	if p.findSource(num, patch) != nil {
		return p.errorf("%s %d defined multiple times", kind, num)
	}
	p.sources = append(p.sources, &srcEntry{num: num, patch: patch, tag: tag, full: value})
	base := value
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i:]
		if j := strings.LastIndexByte(base, '='); j >= 0 {
			base = base[j:]
		}
		base = base[1:]
	}
	dir, _ := p.eng.Expand("%{_sourcedir}/")
	path := cleanPath(dir + base)
	up := "SOURCE"
	if patch {
		up = "PATCH"
	}
	n := strconv.FormatUint(uint64(num), 10)
	p.eng.Push(up+n, "", path, macro.LevelSpec)
	p.eng.Push(up+"URL"+n, "", value, macro.LevelSpec)
	p.luaAddSource(path, num, patch)
	return nil
}

// cleanPath is rpmCleanPath's main effect: collapse repeated slashes.
func cleanPath(s string) string {
	for strings.Contains(s, "//") {
		i := strings.Index(s, "//")
		if i > 0 && s[i-1] == ':' {
			// keep URL schemes ("http://") as rpm does
			j := strings.Index(s[i+2:], "//")
			if j < 0 {
				break
			}
			s = s[:i+2] + cleanPath(s[i+2:])
			break
		}
		s = s[:i] + s[i+1:]
	}
	return s
}

func expandNumeric(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	switch s[0] {
	case 'Y', 'y':
		return 1
	case 'N', 'n':
		return 0
	}
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return 0
	}
	return n
}

// parseUnsignedNum is rpm's: optional leading space, then only digits.
func parseUnsignedNum(s string) (uint32, error) {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	if s == "" || !isDigit(s[0]) {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return uint32(n), nil
}
