package gen

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// SourcesRepo is the hub repository that holds every remote source: the
// file F of the spec folder P is the label @keel_sources//P:F (P is the
// folder's package path, e.g. SPECS/openssl).
const SourcesRepo = "keel_sources"

// LockEntry is one remote source in sources.lock.json.
type LockEntry struct {
	// Package is the spec folder's Bazel package, e.g. "SPECS/openssl".
	Package string `json:"package"`
	// File is the file name rpmbuild expects in SOURCES.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// URLs are the upstream locations (empty when the spec names only a
	// file: the distro's source server has it by name and hash).
	URLs []string `json:"urls"`
}

// specSources is what a spec's Source and Patch tags resolve to.
type specSources struct {
	local  []string    // files of the folder, sorted
	remote []LockEntry // sorted by file
}

// signatures reads every *.signatures.json of the folder:
// {"Signatures": {"file": "sha256"}}.
func signatures(root string, f *specFolder) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range sortedKeys(f.Files) {
		if !strings.HasSuffix(n, ".signatures.json") {
			continue
		}
		p := filepath.Join(root, f.Dir, n)
		var sig struct {
			// encoding/json matches field names case-insensitively, so
			// "signatures" (found in some folders) is read too.
			Signatures map[string]string
		}
		if err := readJSON(p, &sig); err != nil {
			return nil, err
		}
		for file, sum := range sig.Signatures {
			if old, ok := out[file]; ok && old != sum {
				return nil, fmt.Errorf("%s: %s has two different signatures in the folder", p, file)
			}
			out[file] = strings.ToLower(sum)
		}
	}
	return out, nil
}

// resolveSources sorts the spec's sources (over every arch) into local
// files and pinned remote files. A source that is neither in the folder
// nor signed, or a local file whose hash differs from its signature, is
// an error naming the file.
func resolveSources(root, pkg string, s *specInfo, sigs map[string]string) (*specSources, error) {
	seen := map[string]bool{}
	out := &specSources{}
	for _, arch := range sortedKeys(s.Arch) {
		for _, src := range s.Arch[arch].Sources {
			file := src.Value
			if i := strings.LastIndexByte(file, '/'); i >= 0 {
				file = file[i+1:]
			}
			if file == "" || seen[file] {
				continue
			}
			seen[file] = true
			path := filepath.Join(root, s.Folder.Dir, file)
			sum, signed := sigs[file]
			if have, ok := s.Folder.Files[file]; ok {
				if signed && have != sum { // signed files are hashed by scan
					return nil, fmt.Errorf("%s: sha256 %s does not match %s in the folder's signatures.json", path, have, sum)
				}
				out.local = append(out.local, file)
				continue
			}
			if !signed {
				return nil, fmt.Errorf("%s (%s of %s): not in the folder and no sha256 in a signatures.json", path, src.Tag, s.File)
			}
			if len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" {
				return nil, fmt.Errorf("%s: signature %q is not a sha256", path, sum)
			}
			e := LockEntry{Package: pkg, File: file, SHA256: sum, URLs: []string{}}
			if strings.Contains(src.Value, "://") {
				e.URLs = []string{src.Value}
			}
			out.remote = append(out.remote, e)
		}
	}
	sort.Strings(out.local)
	sort.Slice(out.remote, func(i, j int) bool { return out.remote[i].File < out.remote[j].File })
	return out, nil
}

// sourceLabel is the hub label of a remote source.
func sourceLabel(e LockEntry) string {
	return "@" + SourcesRepo + "//" + e.Package + ":" + e.File
}

// marshalLock renders the lock file: entries sorted by package and file,
// one folder's duplicate files merged.
func marshalLock(entries []LockEntry) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Package != entries[j].Package {
			return entries[i].Package < entries[j].Package
		}
		return entries[i].File < entries[j].File
	})
	var uniq []LockEntry
	for _, e := range entries {
		if n := len(uniq); n > 0 && uniq[n-1].Package == e.Package && uniq[n-1].File == e.File {
			continue
		}
		uniq = append(uniq, e)
	}
	if uniq == nil {
		uniq = []LockEntry{}
	}
	b, err := json.MarshalIndent(struct {
		Sources []LockEntry `json:"sources"`
	}{uniq}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the lock file: %w", err)
	}
	return append(b, '\n'), nil
}
