package spec

import (
	"fmt"
	"strings"

	"github.com/keel-build/keel/tools/spec/internal/macro"
)

// This file mirrors rpm 4.18's build/parsePreamble.c.

const (
	allowedCharsName      = ".-_+%{}"
	allowedFirstCharsName = "_%"
	allowedCharsVerRel    = "._+%{}~^"
	allowedCharsEVR       = allowedCharsVerRel + "-:"
)

// charCheck is rpmCharCheck: every byte must be alphanumeric or allowed.
func charCheck(field, allowed, allowedFirst string) error {
	for i := 0; i < len(field); i++ {
		c := field[i]
		if isAlnum(c) {
			continue
		}
		if i == 0 && allowedFirst != "" {
			if strings.IndexByte(allowedFirst, c) >= 0 {
				continue
			}
			return fmt.Errorf("illegal char '%c' (0x%x) in: %s", c, c, field)
		}
		if strings.IndexByte(allowed, c) < 0 {
			return fmt.Errorf("illegal char '%c' (0x%x) in: %s", c, c, field)
		}
	}
	if strings.Contains(field, "..") {
		return fmt.Errorf("illegal sequence \"..\" in: %s", field)
	}
	return nil
}

func checkName(name string) error { return charCheck(name, allowedCharsName, allowedFirstCharsName) }

type tagKind int

const (
	tagName tagKind = iota
	tagVersion
	tagRelease
	tagEpoch
	tagSummary
	tagLicense
	tagSourceLicense
	tagDistribution
	tagDistURL
	tagVendor
	tagGroup
	tagPackager
	tagURL
	tagVCS
	tagSource
	tagPatch
	tagNoSource
	tagNoPatch
	tagExcludeArch
	tagExclusiveArch
	tagExcludeOS
	tagExclusiveOS
	tagIcon
	tagProvides
	tagRequires
	tagRecommends
	tagSuggests
	tagSupplements
	tagEnhances
	tagPrereq
	tagConflicts
	tagObsoletes
	tagPrefixes
	tagBuildRoot
	tagBuildArchs
	tagBuildConflicts
	tagBuildPrereq
	tagBuildRequires
	tagAutoReqProv
	tagAutoReq
	tagAutoProv
	tagDocDir
	tagDistTag
	tagBugURL
	tagTranslationURL
	tagUpstreamReleases
	tagOrder
	tagRemovePathPostfixes
	tagModularityLabel
)

// preambleList is rpm's table; a tag that is a prefix of another must
// come after it.
var preambleList = []struct {
	tag     tagKind
	typ     int // 0 plain, 1 optional (lang), 2 optional (qualifiers)
	isMacro bool
	token   string
}{
	{tagName, 0, true, "name"}, {tagVersion, 0, true, "version"}, {tagRelease, 0, true, "release"},
	{tagEpoch, 0, true, "epoch"}, {tagSummary, 1, true, "summary"}, {tagLicense, 0, true, "license"},
	{tagSourceLicense, 0, true, "sourcelicense"}, {tagDistribution, 0, true, "distribution"},
	{tagDistURL, 0, true, "disturl"}, {tagVendor, 0, true, "vendor"}, {tagGroup, 1, true, "group"},
	{tagPackager, 0, true, "packager"}, {tagURL, 0, true, "url"}, {tagVCS, 0, true, "vcs"},
	{tagSource, 0, false, "source"}, {tagPatch, 0, false, "patch"}, {tagNoSource, 0, false, "nosource"},
	{tagNoPatch, 0, false, "nopatch"}, {tagExcludeArch, 0, false, "excludearch"},
	{tagExclusiveArch, 0, false, "exclusivearch"}, {tagExcludeOS, 0, false, "excludeos"},
	{tagExclusiveOS, 0, false, "exclusiveos"}, {tagIcon, 0, false, "icon"},
	{tagProvides, 0, false, "provides"}, {tagRequires, 2, false, "requires"},
	{tagRecommends, 0, false, "recommends"}, {tagSuggests, 0, false, "suggests"},
	{tagSupplements, 0, false, "supplements"}, {tagEnhances, 0, false, "enhances"},
	{tagPrereq, 2, false, "prereq"}, {tagConflicts, 0, false, "conflicts"},
	{tagObsoletes, 0, false, "obsoletes"}, {tagPrefixes, 0, true, "prefixes"},
	{tagPrefixes, 0, true, "prefix"}, {tagBuildRoot, 0, false, "buildroot"},
	{tagBuildArchs, 0, false, "buildarchitectures"}, {tagBuildArchs, 0, false, "buildarch"},
	{tagBuildConflicts, 0, false, "buildconflicts"}, {tagBuildPrereq, 0, false, "buildprereq"},
	{tagBuildRequires, 0, false, "buildrequires"}, {tagAutoReqProv, 0, false, "autoreqprov"},
	{tagAutoReq, 0, false, "autoreq"}, {tagAutoProv, 0, false, "autoprov"}, {tagDocDir, 0, false, "docdir"},
	{tagDistTag, 0, true, "disttag"}, {tagBugURL, 0, true, "bugurl"},
	{tagTranslationURL, 0, true, "translationurl"}, {tagUpstreamReleases, 0, true, "upstreamreleases"},
	{tagOrder, 2, false, "orderwithrequires"}, {tagRemovePathPostfixes, 0, true, "removepathpostfixes"},
	{tagModularityLabel, 0, true, "modularitylabel"},
}

// findPreambleTag identifies the tag of line. ok is false for an unknown tag.
func findPreambleTag(line string) (tag tagKind, macroName, lang string, ok bool) {
	for _, p := range preambleList {
		if len(line) < len(p.token) || !strings.EqualFold(line[:len(p.token)], p.token) {
			continue
		}
		s := skipSpace(line[len(p.token):])
		switch p.typ {
		case 0:
			if p.tag != tagSource && p.tag != tagPatch && !strings.HasPrefix(s, ":") {
				return 0, "", "", false
			}
		case 1, 2:
			if strings.HasPrefix(s, ":") {
				if p.typ == 1 {
					lang = "C"
				}
				break
			}
			if !strings.HasPrefix(s, "(") {
				return 0, "", "", false
			}
			s = skipSpace(s[1:])
			i := 0
			for i < len(s) && !isSpace(s[i]) && s[i] != ')' {
				i++
			}
			lang = s[:i]
			s = skipSpace(s[i:])
			if !strings.HasPrefix(s, ")") {
				return 0, "", "", false
			}
			s = skipSpace(s[1:])
			if !strings.HasPrefix(s, ":") {
				return 0, "", "", false
			}
		}
		if p.isMacro {
			macroName = p.token
		}
		return p.tag, macroName, lang, true
	}
	return 0, "", "", false
}

// singleTags are the preamble tags rpm stores once per header.
var singleTags = map[tagKind]string{
	tagName: "Name", tagVersion: "Version", tagRelease: "Release", tagEpoch: "Epoch", tagLicense: "License",
	tagURL: "Url", tagDistribution: "Distribution", tagVendor: "Vendor", tagPackager: "Packager",
	tagDistURL: "Disturl", tagVCS: "Vcs", tagDistTag: "Disttag", tagBugURL: "Bugurl",
	tagTranslationURL: "Translationurl", tagUpstreamReleases: "Upstreamreleases",
	tagModularityLabel: "Modularitylabel",
}

var singleTagOrder = []string{"Name", "Version", "Release", "Epoch", "License", "Url", "Distribution", "Vendor",
	"Packager", "Disturl", "Vcs", "Disttag", "Bugurl", "Translationurl", "Upstreamreleases", "Modularitylabel"}

var depTagKinds = map[tagKind]depKind{
	tagProvides: kindProvides, tagRequires: kindRequires, tagRecommends: kindRecommends,
	tagSuggests: kindSuggests, tagSupplements: kindSupplements, tagEnhances: kindEnhances,
	tagPrereq: kindPrereq, tagConflicts: kindConflicts, tagObsoletes: kindObsoletes, tagOrder: kindOrder,
	tagBuildRequires: kindBuildRequires, tagBuildPrereq: kindBuildRequires, tagBuildConflicts: kindBuildConflicts,
}

var qualifierBits = []struct {
	name string
	bits Sense
}{
	{"interp", SenseInterp}, {"meta", SenseMeta}, {"preun", SenseScriptPreun}, {"pre", SenseScriptPre},
	{"postun", SenseScriptPostun}, {"post", SenseScriptPost}, {"rpmlib", SenseRPMLib},
	{"verify", SenseScriptVerify}, {"pretrans", SensePretrans}, {"posttrans", SensePosttrans},
}

// parseQualifiers is parseBits: "post,preun" → flags.
func parseQualifiers(s string) (Sense, error) {
	var bits Sense
	if s == "" {
		return 0, nil
	}
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		found := false
		for _, q := range qualifierBits {
			if q.name == w {
				bits |= q.bits
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("bad qualifier %q", w)
		}
	}
	return bits, nil
}

// parsePreamble parses the main preamble (initial) or a %package section.
func (p *parser) parsePreamble(initial bool) (part, error) {
	var ps *pkgState
	if !initial {
		argv := strings.Fields(p.line)
		var name string
		full := false
		switch {
		case len(argv) >= 2 && argv[1] == "-n" && len(argv) == 3:
			name, full = argv[2], true
		case len(argv) == 2 && argv[1] != "-n":
			name = argv[1]
		default:
			return 0, p.errorf("bad package specification: %s", p.line)
		}
		first := allowedFirstCharsName
		if !full {
			first = ""
		}
		if err := charCheck(name, allowedCharsName, first); err != nil {
			return 0, p.errorf("%v", err)
		}
		if p.lookupPackage(name, full) != nil {
			return 0, p.errorf("%s: package %s already exists", p.line, name)
		}
		nvr := name
		if !full {
			nvr = p.main().Name + "-" + name
		}
		ps = &pkgState{Package: &Package{Name: nvr}, nameSet: true, sets: map[string]bool{}, count: map[string]int{}}
		ps.count["Name"] = 1 // from %package
		p.pkgs = append(p.pkgs, ps)
	} else {
		ps = &pkgState{Package: &Package{}, sets: map[string]bool{}, count: map[string]int{}}
		p.pkgs = append(p.pkgs, ps)
	}
	next := partNone
	for {
		eof, err := p.readLine(stripTrailing | stripComments)
		if err != nil {
			return 0, err
		}
		if eof {
			break
		}
		if np := isPart(p.line); np != partNone {
			next = np
			break
		}
		if skipSpace(p.line) == "" {
			continue
		}
		tag, macroName, lang, ok := findPreambleTag(p.line)
		if !ok {
			return 0, p.errorf("unknown tag: %s", p.line)
		}
		if err := p.handleTag(ps, tag, macroName, lang); err != nil {
			return 0, err
		}
		if name, ok := singleTags[tag]; ok {
			ps.count[name]++
		}
		if p.baNames != nil && !p.recursing {
			return 0, restartError{}
		}
	}
	if initial {
		root, _ := p.eng.Expand("%{?buildroot:%{buildroot}}")
		root = cleanPath(root)
		p.eng.Push("buildroot", "", root, macro.LevelSpec)
		if root == "" {
			return 0, &Error{File: p.path, Msg: "%{buildroot} couldn't be empty"}
		}
		if root == "/" {
			return 0, &Error{File: p.path, Msg: "%{buildroot} can not be \"/\""}
		}
	}
	if ps != p.main() {
		// copyInheritedTags: tags the subpackage did not set come from
		// the main package.
		m := p.main()
		if !ps.sets["epoch"] && m.sets["epoch"] {
			ps.Epoch, ps.sets["epoch"] = m.Epoch, true
		}
		if !ps.sets["version"] && m.sets["version"] {
			ps.Version, ps.sets["version"] = m.Version, true
		}
		if !ps.sets["release"] && m.sets["release"] {
			ps.Release, ps.sets["release"] = m.Release, true
		}
		if !ps.sets["license"] && m.sets["license"] {
			ps.License, ps.sets["license"] = m.License, true
		}
	}
	nvr := ps.Name
	if initial {
		nvr = "(main package)"
	}
	// checkForDuplicates: a second header entry of a plain tag is an
	// error (a second Summary or Group only warns; the last one wins).
	for _, name := range singleTagOrder {
		if ps.count[name] > 1 {
			return 0, &Error{File: p.path, Msg: fmt.Sprintf("Duplicate %s entries in package: %s", name, nvr)}
		}
	}
	for _, req := range []string{"name", "version", "release", "summary", "license"} {
		if !ps.sets[req] && !(req == "name" && ps.nameSet) {
			return 0, &Error{File: p.path, Line: p.lineNum, Msg: fmt.Sprintf("%s field must be present in package: %s", strings.ToUpper(req[:1])+req[1:], nvr)}
		}
	}
	return next, nil
}

// handleTag is handlePreambleTag.
func (p *parser) handleTag(ps *pkgState, tag tagKind, macroName, lang string) error {
	line := p.line
	i := strings.IndexByte(line, ':')
	if i < 0 {
		return p.errorf("malformed tag: %s", line)
	}
	field := strings.TrimRightFunc(skipSpace(line[i+1:]), func(c rune) bool { return c < 0x80 && isSpace(byte(c)) })
	if field == "" {
		return p.errorf("empty tag: %s", line)
	}
	multi := strings.IndexFunc(field, func(c rune) bool { return c < 0x80 && isSpace(byte(c)) }) >= 0
	single := func() error {
		if multi {
			return p.errorf("tag takes single token only: %s", line)
		}
		return nil
	}
	dup := func(key string) {
		// rpm rejects a duplicate header entry at the end of the preamble;
		// remember the tag to report it.
		ps.sets[key] = true
	}
	switch tag {
	case tagName:
		if err := single(); err != nil {
			return err
		}
		if err := charCheck(field, allowedCharsName, allowedFirstCharsName); err != nil {
			return p.errorf("%v", err)
		}
		ps.Name, ps.nameSet = field, true
		dup("name")
	case tagVersion, tagRelease:
		if err := single(); err != nil {
			return err
		}
		if err := charCheck(field, allowedCharsVerRel, ""); err != nil {
			return p.errorf("%v", err)
		}
		if tag == tagVersion {
			ps.Version = field
			dup("version")
		} else {
			ps.Release = field
			dup("release")
		}
	case tagURL, tagDistTag, tagBugURL, tagModularityLabel, tagVCS:
		if err := single(); err != nil {
			return err
		}
		if tag == tagURL {
			if ps == p.main() {
				p.spec.URL, p.spec.HasURL = field, true
			}
		}
	case tagTranslationURL, tagUpstreamReleases, tagGroup, tagDistribution, tagVendor, tagPackager:
	case tagSummary:
		if lang == "C" || lang == "" {
			ps.Summary = field
			dup("summary")
		}
	case tagLicense:
		ps.License = field
		dup("license")
	case tagSourceLicense:
		lic := field // a copy, so that field itself stays off the heap
		p.srcLicense = &lic
	case tagBuildRoot:
	case tagPrefixes:
		for _, w := range strings.Fields(field) {
			if len(w) > 1 && strings.HasSuffix(w, "/") {
				return p.errorf("prefixes must not end with \"/\": %s", line)
			}
		}
	case tagDocDir:
		if err := single(); err != nil {
			return err
		}
		if !strings.HasPrefix(field, "/") {
			return p.errorf("docdir must begin with '/': %s", line)
		}
		p.eng.Pop("_docdir")
		p.eng.Push("_docdir", "", field, macro.LevelSpec)
	case tagEpoch:
		if err := single(); err != nil {
			return err
		}
		n, err := parseUnsignedNum(field)
		if err != nil {
			return p.errorf("epoch field must be an unsigned number: %s", line)
		}
		ps.Epoch = &n
		dup("epoch")
	case tagAutoReqProv, tagAutoReq, tagAutoProv:
	case tagSource, tagPatch:
		name := "source"
		if tag == tagPatch {
			name = "patch"
		}
		rest := line[len(name):]
		j := 0
		for j < len(rest) && rest[j] != ':' && rest[j] != ' ' && rest[j] != '\t' {
			j++
		}
		numStr := rest[:j]
		var num uint32
		numbered := false
		if strings.TrimSpace(numStr) != "" {
			n, err := parseUnsignedNum(numStr)
			if err != nil {
				return p.errorf("bad %s number: %s", name, line)
			}
			num, numbered = n, true
		}
		tagText := strings.TrimSpace(line[:i])
		if err := p.addSource(field, tag == tagPatch, tagText, numbered, num); err != nil {
			return err
		}
		p.sources[len(p.sources)-1].fromTag = true
	case tagIcon:
		if err := single(); err != nil {
			return err
		}
	case tagNoSource, tagNoPatch:
		// parseNoSource hands parseUnsignedNum the rest of the field from
		// each token on, and that rejects trailing text: in rpm 4.18 only
		// a single number (or the last of a list) parses.
		patch := tag == tagNoPatch
		kind := "source"
		if patch {
			kind = "patch"
		}
		for i := skipWhite(field, 0); i < len(field); i = skipWhite(field, skipNonWhite(field, i)) {
			n, err := parseUnsignedNum(field[i:])
			if err != nil {
				return p.errorf("bad number: %s", field[i:])
			}
			s := p.findSource(n, patch)
			if s == nil {
				return p.errorf("bad no%s number: %d", kind, n)
			}
			s.no = true
		}
	case tagRequires, tagRecommends, tagSuggests, tagSupplements, tagEnhances, tagOrder,
		tagPrereq, tagConflicts, tagObsoletes, tagProvides, tagBuildPrereq, tagBuildRequires, tagBuildConflicts:
		var flags Sense
		if tag == tagRequires || tag == tagOrder || tag == tagRecommends || tag == tagSuggests || tag == tagSupplements || tag == tagEnhances {
			f, err := parseQualifiers(lang)
			if err != nil {
				return p.errorf("bad %s: qualifiers: %s", strings.SplitN(line, ":", 2)[0], line)
			}
			flags = f
		}
		kind := depTagKinds[tag]
		deps, err := parseDeps(field, kind, flags)
		if err != nil {
			return p.errorf("%v: %s", err, line)
		}
		for _, d := range deps {
			if strings.HasPrefix(d.Name, "rpmlib(") {
				// addReqProv: rpmlib() may not be provided; elsewhere it
				// carries the rpmlib bit.
				if kind == kindProvides {
					return p.errorf("invalid dependency: %s", line)
				}
				d.Flags = kind.sanitize(d.Flags | SenseRPMLib)
			}
			set := p.depSet(ps, kind)
			set.Add(d)
		}
	case tagExcludeArch, tagExclusiveArch, tagExcludeOS, tagExclusiveOS:
		words, err := splitArgs(field)
		if err != nil {
			return p.errorf("error parsing tag field: %v", err)
		}
		key := map[tagKind]string{tagExcludeArch: "excludearch", tagExclusiveArch: "exclusivearch", tagExcludeOS: "excludeos", tagExclusiveOS: "exclusiveos"}[tag]
		p.restrict[key] = append(p.restrict[key], words...)
	case tagBuildArchs:
		words, err := splitArgs(field)
		if err != nil {
			return p.errorf("bad BuildArchitecture format: %s", line)
		}
		if ps == p.main() {
			if p.baNames != nil {
				return p.errorf("duplicate BuildArch entry: %s", line)
			}
			p.baNames = words
			if len(words) == 0 {
				p.baNames = nil
			}
		} else {
			if len(words) != 1 || words[0] != "noarch" {
				return p.errorf("only noarch subpackages are supported: %s", line)
			}
			ps.Arch = "noarch"
		}
	case tagRemovePathPostfixes:
	}
	if macroName != "" {
		p.eng.Push(macroName, "", field, macro.LevelSpec)
		if ps == p.main() {
			p.eng.Push(strings.ToUpper(macroName), "", field, macro.LevelSpec)
		}
	}
	return nil
}

func (p *parser) depSet(ps *pkgState, k depKind) *DepSet {
	switch k {
	case kindBuildRequires:
		return &p.spec.BuildRequires
	case kindBuildConflicts:
		return &p.spec.BuildConflicts
	case kindRequires, kindPrereq:
		return &ps.Requires
	case kindProvides:
		return &ps.Provides
	case kindConflicts:
		return &ps.Conflicts
	case kindObsoletes:
		return &ps.Obsoletes
	case kindRecommends:
		return &ps.Recommends
	case kindSuggests:
		return &ps.Suggests
	case kindSupplements:
		return &ps.Supplements
	case kindEnhances:
		return &ps.Enhances
	}
	return &ps.Order
}

// finish is addTargets + initSourceHeader: arch, automatic provides and
// the source package header.
func (p *parser) finish() error {
	arch, err := p.eng.Expand("%{_target_cpu}")
	if err != nil {
		return &Error{File: p.path, Msg: err.Error()}
	}
	for _, ps := range p.pkgs {
		if ps.Arch == "" {
			ps.Arch = arch
		}
		evr := ps.EVR()
		ps.Provides.Add(Dep{Name: ps.Name, EVR: evr, Flags: SenseEqual})
		isa, err := p.eng.Expand(ps.Name + "%{?_isa}")
		if err != nil {
			return &Error{File: p.path, Msg: err.Error()}
		}
		if ps.Arch != "noarch" && isa != ps.Name {
			ps.Provides.Add(Dep{Name: isa, EVR: evr, Flags: SenseEqual})
		}
		p.spec.Packages = append(p.spec.Packages, ps.Package)
	}
	m := p.main()
	s := p.spec
	s.Name, s.Version, s.Release, s.Epoch, s.Summary, s.License = m.Name, m.Version, m.Release, m.Epoch, m.Summary, m.License
	if p.srcLicense != nil {
		s.License = *p.srcLicense
	}
	s.ExcludeArch, s.ExclusiveArch = p.restrict["excludearch"], p.restrict["exclusivearch"]
	s.ExcludeOS, s.ExclusiveOS = p.restrict["excludeos"], p.restrict["exclusiveos"]
	s.BuildArchs = p.baNames
	// rpm keeps sources in a list that is prepended to, so the NOSOURCE and
	// NOPATCH header arrays come out in reverse declaration order.
	for i := len(p.sources) - 1; i >= 0; i-- {
		e := p.sources[i]
		if e.no {
			if e.patch {
				s.NoPatch = append(s.NoPatch, e.num)
			} else {
				s.NoSource = append(s.NoSource, e.num)
			}
		}
	}
	for _, e := range p.sources {
		src := Source{Num: e.num, Tag: e.tag, Value: e.full}
		if e.patch {
			s.Patches = append(s.Patches, src)
		} else {
			s.Sources = append(s.Sources, src)
		}
	}
	return nil
}
