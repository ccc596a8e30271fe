// Package rpmfiletest builds small RPM files for tests with
// github.com/google/rpmpack, a pure Go RPM writer, so that tests of the image
// stages need no rpmbuild. File capabilities, which rpmpack has no field
// for, are written as a raw header tag. Hard link sets cannot be made this
// way (rpm wants the data once, on the last member of the set): tests use
// the rpmbuild-made tools/rpmfile/testdata/hardlinks-1.0-1.noarch.rpm.
package rpmfiletest

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/google/rpmpack"
)

// Spec describes one package to build.
type Spec struct {
	Name, Version, Release string
	Arch                   string // default "x86_64"
	Epoch                  string // "" for none
	Summary                string
	// Dependencies in rpm syntax: "name", "name >= 1.0-1", "(a or b)".
	Requires, Provides, Conflicts, Obsoletes, Recommends []string
	Files                                                []File
	Pre, Post, Posttrans                                 string
	Compressor                                           string // default "gzip"
}

// File is one file of a Spec. Exactly one of Body (regular file), Link
// (symlink) or Dir (directory) describes its type.
type File struct {
	Path  string
	Body  string
	Link  string
	Dir   bool
	Mode  uint // permission bits; default 0644, 0755 for directories, 0777 for links
	Owner string
	Group string
	MTime uint32
	Flags rpmpack.FileType // rpmpack.ConfigFile, GhostFile, DocFile, ...
	Caps  string           // rpm's text form, e.g. "cap_net_raw=ep"
}

// FileName is the conventional name of the package's file.
func (s Spec) FileName() string {
	arch := s.Arch
	if arch == "" {
		arch = "x86_64"
	}
	return fmt.Sprintf("%s-%s-%s.%s.rpm", s.Name, s.Version, s.Release, arch)
}

// Bytes builds the RPM.
func (s Spec) Bytes() ([]byte, error) {
	md := rpmpack.RPMMetaData{
		Name: s.Name, Version: s.Version, Release: s.Release, Arch: s.Arch,
		Summary: s.Summary, Description: s.Summary, Licence: "MIT", BuildHost: "keel",
		Compressor: s.Compressor, Epoch: rpmpack.NoEpoch,
	}
	if md.Arch == "" {
		md.Arch = "x86_64"
	}
	if md.Summary == "" {
		md.Summary, md.Description = s.Name, s.Name
	}
	if s.Epoch != "" {
		e, err := strconv.ParseUint(s.Epoch, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parsing epoch: %w", err)
		}
		md.Epoch = uint32(e)
		// rpmpack's own self-provide leaves the epoch out; add the one
		// rpmbuild would write.
		if err := md.Provides.Set(fmt.Sprintf("%s = %s:%s-%s", s.Name, s.Epoch, s.Version, s.Release)); err != nil {
			return nil, err
		}
	}
	for _, rel := range []struct {
		dst *rpmpack.Relations
		src []string
	}{{&md.Requires, s.Requires}, {&md.Provides, s.Provides}, {&md.Conflicts, s.Conflicts},
		{&md.Obsoletes, s.Obsoletes}, {&md.Recommends, s.Recommends}} {
		for _, d := range rel.src {
			if err := rel.dst.Set(d); err != nil {
				return nil, fmt.Errorf("parsing dependency %q: %w", d, err)
			}
		}
	}
	r, err := rpmpack.NewRPM(md)
	if err != nil {
		return nil, err
	}
	files := append([]File(nil), s.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var caps []string
	hasCaps := false
	for _, f := range files {
		rf := rpmpack.RPMFile{Name: f.Path, Body: []byte(f.Body), Owner: f.Owner, Group: f.Group,
			MTime: f.MTime, Type: f.Flags, Mode: f.Mode}
		if rf.Owner == "" {
			rf.Owner = "root"
		}
		if rf.Group == "" {
			rf.Group = "root"
		}
		switch {
		case f.Dir:
			if rf.Mode == 0 {
				rf.Mode = 0o755
			}
			rf.Mode |= 0o040000
		case f.Link != "":
			if rf.Mode == 0 {
				rf.Mode = 0o777
			}
			rf.Mode |= 0o120000
			rf.Body = []byte(f.Link)
		default:
			if rf.Mode == 0 {
				rf.Mode = 0o644
			}
			rf.Mode |= 0o100000
		}
		r.AddFile(rf)
		caps = append(caps, f.Caps)
		hasCaps = hasCaps || f.Caps != ""
	}
	if hasCaps {
		r.AddCustomTag(5010, rpmpack.EntryStringSlice(caps))
	}
	for _, sc := range []struct {
		body string
		add  func(string)
	}{{s.Pre, r.AddPrein}, {s.Post, r.AddPostin}, {s.Posttrans, r.AddPosttrans}} {
		if sc.body != "" {
			sc.add(sc.body)
		}
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write builds the RPM into dir under its conventional name and returns the
// path. It fails the test on error.
func Write(tb testing.TB, dir string, s Spec) string {
	tb.Helper()
	b, err := s.Bytes()
	if err != nil {
		tb.Fatalf("building %s: %v", s.Name, err)
	}
	p := filepath.Join(dir, s.FileName())
	if err := os.WriteFile(p, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// WriteAll writes every spec into dir and returns the paths in order.
func WriteAll(tb testing.TB, dir string, specs ...Spec) []string {
	tb.Helper()
	var out []string
	for _, s := range specs {
		out = append(out, Write(tb, dir, s))
	}
	return out
}

// hardlinksRPM is made by rpmbuild from testdata/hardlinks.spec (see
// testdata/README.md): a hard link set, a capability, a symlink,
// %config(noreplace), %dir, %ghost and a %pre scriptlet.
//
//go:embed testdata/hardlinks-1.0-1.noarch.rpm
var hardlinksRPM []byte

// HardlinksName is the file name WriteHardlinks uses.
const HardlinksName = "hardlinks-1.0-1.noarch.rpm"

// WriteHardlinks writes the rpmbuild-made fixture into dir and returns its
// path.
func WriteHardlinks(tb testing.TB, dir string) string {
	tb.Helper()
	p := filepath.Join(dir, HardlinksName)
	if err := os.WriteFile(p, hardlinksRPM, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// HardlinksBytes returns the rpmbuild-made fixture.
func HardlinksBytes() []byte { return append([]byte(nil), hardlinksRPM...) }
