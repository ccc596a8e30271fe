package buildroot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// HostMirror returns the URI of the first apt source under aptDir (normally
// /etc/apt) that serves suite as a binary ("deb") repository. It reads
// sources.list, sources.list.d/*.list and sources.list.d/*.sources (deb822);
// disabled files (other suffixes) are ignored. The mirror stays a property
// of the machine, never of the repository.
func HostMirror(aptDir, suite string) (string, error) {
	files := []string{filepath.Join(aptDir, "sources.list")}
	more, _ := filepath.Glob(filepath.Join(aptDir, "sources.list.d", "*"))
	sort.Strings(more)
	files = append(files, more...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var uri string
		switch {
		case strings.HasSuffix(f, ".sources"):
			uri = deb822Mirror(string(data), suite)
		case strings.HasSuffix(f, ".list"), filepath.Base(f) == "sources.list":
			uri = oneLineMirror(string(data), suite)
		}
		if uri != "" {
			return uri, nil
		}
	}
	return "", fmt.Errorf("no apt source for suite %q under %s: pass --mirror", suite, aptDir)
}

// oneLineMirror reads "deb [opts] URI SUITE COMPONENTS..." lines.
func oneLineMirror(data, suite string) string {
	for _, line := range strings.Split(data, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
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
		if len(f) >= 2 && f[1] == suite {
			return f[0]
		}
	}
	return ""
}

// deb822Mirror reads stanzas with Types, URIs, Suites and Enabled fields.
func deb822Mirror(data, suite string) string {
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
				k, v, ok := strings.Cut(line, ":")
				if ok {
					key = strings.ToLower(strings.TrimSpace(k))
					fields[key] = strings.TrimSpace(v)
				}
			}
		}
		if strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		if !slices.Contains(strings.Fields(fields["types"]), "deb") ||
			!slices.Contains(strings.Fields(fields["suites"]), suite) {
			continue
		}
		if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
			return uris[0]
		}
	}
	return ""
}
