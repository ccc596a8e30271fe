package repo

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/keel-build/keel/tools/rpmfile"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// esc escapes text for XML content and attribute values.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func epochOf(e string) string {
	if e == "" {
		return "0"
	}
	return e
}

func versionTag(p *rpmfile.Package) string {
	return fmt.Sprintf(`<version epoch="%s" ver="%s" rel="%s"/>`, esc(epochOf(p.Epoch)), esc(p.Version), esc(p.Release))
}

var flagNames = map[rpmfile.DepFlags]string{
	rpmfile.SenseLess: "LT", rpmfile.SenseLess | rpmfile.SenseEqual: "LE", rpmfile.SenseEqual: "EQ",
	rpmfile.SenseGreater | rpmfile.SenseEqual: "GE", rpmfile.SenseGreater: "GT",
}

// isPrimaryFile is createrepo_c's rule for the files listed in primary.xml
// (so that file requirements on them resolve without filelists).
func isPrimaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || path == "/usr/lib/sendmail" || strings.Contains(path, "bin/")
}

func writeFiles(b *bytes.Buffer, p *rpmfile.Package, filter func(string) bool, indent string) {
	for _, f := range p.Files {
		if filter != nil && !filter(f.Path) {
			continue
		}
		typ := ""
		switch {
		case f.IsGhost():
			typ = ` type="ghost"`
		case f.IsDir():
			typ = ` type="dir"`
		}
		fmt.Fprintf(b, "%s<file%s>%s</file>\n", indent, typ, esc(f.Path))
	}
}

// writeDeps writes one rpm:provides/requires/... block the way createrepo_c
// does: rpmlib() requirements dropped, duplicates dropped, requirements the
// package satisfies itself (its own provides or files) dropped, pre="1" on
// install-time prerequisites.
func writeDeps(b *bytes.Buffer, tag string, deps []rpmfile.Dep, p *rpmfile.Package) {
	type key struct {
		name  string
		flags rpmfile.DepFlags
		evr   rpmfile.EVR
		pre   bool
	}
	seen := map[key]bool{}
	var lines []string
	own := map[string]bool{}
	provided := map[key]bool{}
	if tag == "requires" {
		for _, f := range p.Files {
			own[f.Path] = true
		}
		for _, d := range p.Provides {
			provided[key{d.Name, d.Flags & rpmfile.SenseMask, d.EVR, false}] = true
		}
	}
	for _, d := range deps {
		pre := tag == "requires" && d.Flags.IsPrereq()
		k := key{d.Name, d.Flags & rpmfile.SenseMask, d.EVR, pre}
		if seen[k] {
			continue
		}
		seen[k] = true
		if tag == "requires" {
			if strings.HasPrefix(d.Name, "rpmlib(") || own[d.Name] || provided[key{k.name, k.flags, k.evr, false}] {
				continue
			}
		}
		var s strings.Builder
		fmt.Fprintf(&s, `      <rpm:entry name="%s"`, esc(d.Name))
		if fl, ok := flagNames[d.Flags&rpmfile.SenseMask]; ok && !d.EVR.IsZero() {
			fmt.Fprintf(&s, ` flags="%s" epoch="%s" ver="%s"`, fl, esc(epochOf(d.EVR.Epoch)), esc(d.EVR.Version))
			if d.EVR.Release != "" {
				fmt.Fprintf(&s, ` rel="%s"`, esc(d.EVR.Release))
			}
		}
		if pre {
			s.WriteString(` pre="1"`)
		}
		s.WriteString("/>\n")
		lines = append(lines, s.String())
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "    <rpm:%s>\n", tag)
	for _, l := range lines {
		b.WriteString(l)
	}
	fmt.Fprintf(b, "    </rpm:%s>\n", tag)
}

func primaryXML(pkgs []*rpmfile.Package, location func(*rpmfile.Package) string, _ int) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">`+"\n", len(pkgs))
	for _, p := range pkgs {
		sum, err := p.SHA256()
		if err != nil {
			return nil, err
		}
		b.WriteString("<package type=\"rpm\">\n")
		fmt.Fprintf(&b, "  <name>%s</name>\n  <arch>%s</arch>\n  %s\n", esc(p.Name), esc(p.Arch), versionTag(p))
		fmt.Fprintf(&b, "  <checksum type=\"sha256\" pkgid=\"YES\">%s</checksum>\n", sum)
		fmt.Fprintf(&b, "  <summary>%s</summary>\n  <description>%s</description>\n", esc(p.Summary), esc(p.Description))
		fmt.Fprintf(&b, "  <packager>%s</packager>\n  <url>%s</url>\n", esc(p.Packager), esc(p.URL))
		// The file time is the build time: a file's mtime is not reproducible.
		fmt.Fprintf(&b, "  <time file=\"%d\" build=\"%d\"/>\n", p.BuildTime, p.BuildTime)
		fmt.Fprintf(&b, "  <size package=\"%d\" installed=\"%d\" archive=\"%d\"/>\n", p.FileSize, p.InstalledSize, p.ArchiveSize)
		fmt.Fprintf(&b, "  <location href=\"%s\"/>\n", esc(location(p)))
		b.WriteString("  <format>\n")
		fmt.Fprintf(&b, "    <rpm:license>%s</rpm:license>\n    <rpm:vendor>%s</rpm:vendor>\n", esc(p.License), esc(p.Vendor))
		fmt.Fprintf(&b, "    <rpm:group>%s</rpm:group>\n    <rpm:buildhost>%s</rpm:buildhost>\n", esc(p.Group), esc(p.BuildHost))
		fmt.Fprintf(&b, "    <rpm:sourcerpm>%s</rpm:sourcerpm>\n", esc(p.SourceRPM))
		fmt.Fprintf(&b, "    <rpm:header-range start=\"%d\" end=\"%d\"/>\n", p.HeaderStart, p.HeaderEnd)
		writeDeps(&b, "provides", p.Provides, p)
		writeDeps(&b, "requires", p.Requires, p)
		writeDeps(&b, "conflicts", p.Conflicts, p)
		writeDeps(&b, "obsoletes", p.Obsoletes, p)
		writeDeps(&b, "suggests", p.Suggests, p)
		writeDeps(&b, "enhances", p.Enhances, p)
		writeDeps(&b, "recommends", p.Recommends, p)
		writeDeps(&b, "supplements", p.Supplements, p)
		writeFiles(&b, p, isPrimaryFile, "    ")
		b.WriteString("  </format>\n</package>\n")
	}
	b.WriteString("</metadata>\n")
	return b.Bytes(), nil
}

func filelistsXML(pkgs []*rpmfile.Package, _ func(*rpmfile.Package) string, _ int) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, `<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="%d">`+"\n", len(pkgs))
	for _, p := range pkgs {
		sum, err := p.SHA256()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "<package pkgid=\"%s\" name=\"%s\" arch=\"%s\">\n  %s\n", sum, esc(p.Name), esc(p.Arch), versionTag(p))
		writeFiles(&b, p, nil, "  ")
		b.WriteString("</package>\n")
	}
	b.WriteString("</filelists>\n")
	return b.Bytes(), nil
}

func otherXML(pkgs []*rpmfile.Package, _ func(*rpmfile.Package) string, limit int) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, `<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="%d">`+"\n", len(pkgs))
	for _, p := range pkgs {
		sum, err := p.SHA256()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "<package pkgid=\"%s\" name=\"%s\" arch=\"%s\">\n  %s\n", sum, esc(p.Name), esc(p.Arch), versionTag(p))
		// rpm stores the newest entry first; createrepo_c keeps the newest
		// `limit` and lists them oldest first.
		cl := p.Changelog
		if len(cl) > limit {
			cl = cl[:limit]
		}
		for i := len(cl) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "  <changelog author=\"%s\" date=\"%d\">%s</changelog>\n", esc(cl[i].Author), cl[i].Time, esc(cl[i].Text))
		}
		b.WriteString("</package>\n")
	}
	b.WriteString("</otherdata>\n")
	return b.Bytes(), nil
}
