package sources

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
)

// scanDirs finds files in dirs whose content has a wanted hash and returns
// hash → path. Files named like a wanted file are hashed first; the rest
// only if something is still missing, so a folder of the right files costs
// one read per file.
func scanDirs(dirs []string, wants []Want) (map[string]string, error) {
	wanted := map[string]bool{}
	names := map[string]bool{}
	for _, w := range wants {
		wanted[w.SHA256] = true
		if w.File != "" {
			names[w.File] = true
		}
	}
	var first, rest []string
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.Type().IsRegular() {
				return nil
			}
			if names[e.Name()] {
				first = append(first, p)
			} else {
				rest = append(rest, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("searching %s: %w", d, err)
		}
	}
	sort.Strings(first)
	sort.Strings(rest)
	found := map[string]string{}
	for _, p := range append(first, rest...) {
		if len(found) == len(wanted) {
			break
		}
		sum, err := hashFile(p)
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", p, err)
		}
		if wanted[sum] && found[sum] == "" {
			found[sum] = p
		}
	}
	return found, nil
}
