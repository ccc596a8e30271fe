package spec

import "time"

// Spec is what rpm knows about a spec file after evaluating it for one
// target: the source package header and every declared binary package.
type Spec struct {
	Path string // the spec file as given

	// Source package header (rpmspec -q --srpm).
	Name, Version, Release string
	Epoch                  *uint32
	Summary, License, URL  string // "" when absent
	HasURL                 bool

	BuildArchs, ExclusiveArch, ExcludeArch, ExclusiveOS, ExcludeOS []string

	// Sources and Patches in spec order, numbered as rpm numbers them.
	Sources, Patches  []Source
	NoSource, NoPatch []uint32 // in rpm's header order

	BuildRequires  DepSet
	BuildConflicts DepSet

	Packages []*Package // main package first, in declaration order

	// HasCheck reports a line starting with %check in the evaluated text
	// (the test Azure Linux's toolkit applies to `rpmspec -P` output).
	HasCheck bool
	// ChangelogTime is the date of the first %changelog entry (zero if none).
	ChangelogTime time.Time

	// Warnings are problems rpm reports without failing (e.g. a bad
	// %changelog date).
	Warnings []string

	// Parsed is the evaluated spec text, like `rpmspec -P` prints it
	// (except that %prep keeps %setup/%patch lines as written).
	Parsed string
}

// Source is one Source or Patch entry.
type Source struct {
	Num   uint32
	Tag   string // tag as written: "Source0", "Source", "Patch12", "%sourcelist"
	Value string // expanded URL or file name
}

// Package is one declared binary package.
type Package struct {
	Name             string
	Epoch            *uint32
	Version, Release string
	Arch             string
	Built            bool // has a %files section
	Summary, License string
	HasDescription   bool

	Requires, Provides, Conflicts, Obsoletes           DepSet
	Recommends, Suggests, Supplements, Enhances, Order DepSet
}

// EVR renders [epoch:]version-release.
func (p *Package) EVR() string {
	s := p.Version + "-" + p.Release
	if p.Epoch != nil {
		s = uitoa(*p.Epoch) + ":" + s
	}
	return s
}

func uitoa(u uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	return string(b[i:])
}
