package resolve

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
)

// Lock is the JSON lock file of an install set: exactly which RPM files were
// chosen, with their sha256, and which scriptlets of theirs will not run.
type Lock struct {
	Requested []string        `json:"requested"`
	Packages  []LockedPackage `json:"packages"`
}

// LockedPackage is one chosen RPM.
type LockedPackage struct {
	Name    string `json:"name"`
	Epoch   string `json:"epoch,omitempty"`
	Version string `json:"version"`
	Release string `json:"release"`
	Arch    string `json:"arch"`
	// File is the RPM's base name; SHA256 the hex digest of the whole file.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// Scriptlets lists the scriptlets Keel skips ("pre", "post", ...).
	Scriptlets []string `json:"skipped_scriptlets,omitempty"`
}

// Lock hashes the chosen RPM files and returns the lock.
func (r *Result) Lock() (*Lock, error) {
	l := &Lock{Requested: r.Requested, Packages: []LockedPackage{}}
	if l.Requested == nil {
		l.Requested = []string{}
	}
	for _, p := range r.Packages {
		sum, err := p.SHA256()
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", p.NEVRA(), err)
		}
		lp := LockedPackage{Name: p.Name, Epoch: p.Epoch, Version: p.Version, Release: p.Release,
			Arch: p.Arch, File: filepath.Base(p.Path), SHA256: sum}
		for _, s := range p.Scriptlets {
			lp.Scriptlets = append(lp.Scriptlets, s.Kind)
		}
		l.Packages = append(l.Packages, lp)
	}
	return l, nil
}

// Write writes the lock as indented JSON with a final newline.
func (l *Lock) Write(w io.Writer) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
