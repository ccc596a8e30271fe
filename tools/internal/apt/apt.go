// Package apt reads the machine's apt configuration: which Debian archives
// (mirror URIs, suites, components) it uses. Keel takes its mirror from
// there at run time, so no host name is ever written into the repository.
package apt

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Archive is one suite of a Debian archive as apt is configured to use it.
type Archive struct {
	URI        string
	Suite      string
	Components []string
	Types      []string // "deb" (binary packages), "deb-src" (sources)
}

// Serves reports whether the archive is configured for type t ("deb" or
// "deb-src").
func (a Archive) Serves(t string) bool { return slices.Contains(a.Types, t) }

// Archives lists the archives of apt's configuration under aptDir
// (sources.list, sources.list.d/*.list and deb822 sources.list.d/*.sources;
// other suffixes are disabled files), in file order, "deb" and "deb-src"
// entries alike, each URI and suite once. The mirror is thereby a property
// of the machine, never of the repository. (Hand-written: no maintained Go
// library reads apt's two source formats.)
func Archives(aptDir string) ([]Archive, error) {
	files := []string{filepath.Join(aptDir, "sources.list")}
	more, err := filepath.Glob(filepath.Join(aptDir, "sources.list.d", "*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(more)
	files = append(files, more...)
	var out []Archive
	seen := map[[2]string]int{}
	add := func(a Archive) {
		k := [2]string{strings.TrimSuffix(a.URI, "/"), a.Suite}
		if i, ok := seen[k]; ok {
			for _, c := range a.Components {
				if !slices.Contains(out[i].Components, c) {
					out[i].Components = append(out[i].Components, c)
				}
			}
			for _, t := range a.Types {
				if !slices.Contains(out[i].Types, t) {
					out[i].Types = append(out[i].Types, t)
				}
			}
			return
		}
		seen[k] = len(out)
		out = append(out, a)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		switch {
		case strings.HasSuffix(f, ".sources"):
			deb822Archives(string(data), add)
		case strings.HasSuffix(f, ".list") || filepath.Base(f) == "sources.list":
			oneLineArchives(string(data), add)
		}
	}
	return out, nil
}

// oneLineArchives reads "deb [opts] URI SUITE COMPONENTS..." lines.
func oneLineArchives(data string, add func(Archive)) {
	for _, line := range strings.Split(data, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 3 || (f[0] != "deb" && f[0] != "deb-src") {
			continue
		}
		typ := f[0]
		f = f[1:]
		if strings.HasPrefix(f[0], "[") {
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) == 0 {
				continue
			}
			f = f[1:]
		}
		if len(f) >= 3 {
			add(Archive{URI: f[0], Suite: f[1], Components: f[2:], Types: []string{typ}})
		}
	}
}

// deb822Archives reads stanzas with Types, URIs, Suites, Components and
// Enabled fields.
func deb822Archives(data string, add func(Archive)) {
	for _, stanza := range strings.Split(strings.ReplaceAll(data, "\r", ""), "\n\n") {
		fields := map[string]string{}
		key := ""
		for _, line := range strings.Split(stanza, "\n") {
			switch {
			case strings.HasPrefix(line, "#"):
			case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
				if key != "" {
					fields[key] += " " + strings.TrimSpace(line)
				}
			default:
				if k, v, ok := strings.Cut(line, ":"); ok {
					key = strings.ToLower(strings.TrimSpace(k))
					fields[key] = strings.TrimSpace(v)
				}
			}
		}
		if strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		types := strings.Fields(fields["types"])
		if !slices.Contains(types, "deb") && !slices.Contains(types, "deb-src") {
			continue
		}
		comps := strings.Fields(fields["components"])
		if len(comps) == 0 {
			continue
		}
		for _, uri := range strings.Fields(fields["uris"]) {
			for _, suite := range strings.Fields(fields["suites"]) {
				var ts []string
				for _, t := range types {
					if t == "deb" || t == "deb-src" {
						ts = append(ts, t)
					}
				}
				add(Archive{URI: uri, Suite: suite, Components: comps, Types: ts})
			}
		}
	}
}
