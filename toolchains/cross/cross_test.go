// Package cross checks Keel's spec tree as the rpm toolchains build it for
// each architecture (aarch64 by cross-compilation on x86_64): every RPM is
// the one the spec engine predicts, with the provides it predicts; every
// program and kernel in an arch RPM is for that machine; and a noarch RPM is
// the same file whatever the target.
package cross

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"debug/pe"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cavaliergopher/cpio"
	"github.com/keel-build/keel/tools/gen"
	"github.com/keel-build/keel/tools/rpmbuild"
	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/spec"
	"github.com/klauspost/compress/zstd"
)

// built is what the rpms_for_arch targets wrote: arch → package label →
// their files.
type built map[string]map[string]files

type files struct {
	Metadata string   `json:"metadata"`
	SRPM     string   `json:"srpm"`
	RPMs     []string `json:"rpms"`
}

// machines are the ELF and PE (EFI stub) machines of each rpm arch.
var machines = map[string]struct {
	elf elf.Machine
	pe  uint16
}{
	"x86_64":  {elf.EM_X86_64, pe.IMAGE_FILE_MACHINE_AMD64},
	"aarch64": {elf.EM_AARCH64, pe.IMAGE_FILE_MACHINE_ARM64},
}

// load reads the manifests named by $KEEL_CROSS_BUILT (runfiles paths), or
// skips the test outside Bazel. It returns them and the runfiles root.
func load(t *testing.T) (built, string) {
	t.Helper()
	list, dir := os.Getenv("KEEL_CROSS_BUILT"), os.Getenv("TEST_SRCDIR")
	if list == "" || dir == "" {
		t.Skip("runs under Bazel only: tools/bazel test //toolchains/cross:cross_test")
	}
	root := filepath.Join(dir, os.Getenv("TEST_WORKSPACE"))
	b := built{}
	for _, p := range strings.Fields(list) {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Arch     string           `json:"arch"`
			Packages map[string]files `json:"packages"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
		b[m.Arch] = m.Packages
	}
	return b, root
}

// specOf writes the spec file of a source RPM into dir: the spec exactly
// as built. It reads the cpio payload itself: rpmfile's payload reader
// wants every member in the header's file list, which a source RPM's
// bare names are not.
func specOf(t *testing.T, srpm, dir string) string {
	t.Helper()
	h, err := rpmfile.Open(srpm)
	if err != nil {
		t.Fatal(err)
	}
	if h.PayloadCompressor != "zstd" {
		t.Fatalf("%s: payload compressed with %q; this test reads zstd (keel rpmbuild's)", srpm, h.PayloadCompressor)
	}
	f, err := os.Open(srpm)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(h.PayloadOffset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	cr := cpio.NewReader(zr)
	for {
		hdr, err := cr.Next()
		if err == io.EOF {
			t.Fatalf("%s holds no spec file", srpm)
		}
		if err != nil {
			t.Fatalf("reading the payload of %s: %v", srpm, err)
		}
		if !strings.HasSuffix(hdr.Name, ".spec") {
			continue
		}
		data, err := io.ReadAll(cr)
		if err != nil {
			t.Fatalf("%s: %s: %v", srpm, hdr.Name, err)
		}
		path := filepath.Join(dir, filepath.Base(hdr.Name))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
}

func TestBuiltAsPredicted(t *testing.T) {
	b, root := load(t)
	specs := filepath.Join(root, "specs")
	defines, found, err := gen.DistDefines(specs)
	if err != nil || !found {
		t.Fatalf("reading the distro defines of %s: found %v, %v", specs, found, err)
	}
	for _, arch := range []string{"x86_64", "aarch64"} {
		pkgs := b[arch]
		if len(pkgs) == 0 {
			t.Errorf("%s: nothing built", arch)
			continue
		}
		ev, err := spec.NewEvaluator(spec.Options{Arch: arch, Defines: defines})
		if err != nil {
			t.Fatal(err)
		}
		for label, pf := range pkgs {
			t.Run(arch+"/"+label, func(t *testing.T) {
				s, err := ev.Evaluate(specOf(t, filepath.Join(root, pf.SRPM), t.TempDir()), 0)
				if err != nil {
					t.Fatal(err)
				}
				var meta rpmbuild.Metadata
				data, err := os.ReadFile(filepath.Join(root, pf.Metadata))
				if err == nil {
					err = json.Unmarshal(data, &meta)
				}
				if err != nil {
					t.Fatalf("reading the metadata: %v", err)
				}
				checkPredicted(t, s, meta, filepath.Join(root, filepath.Dir(pf.Metadata)))
				for _, r := range pf.RPMs {
					checkMachine(t, arch, filepath.Join(root, r))
				}
			})
		}
	}
}

// checkPredicted compares the built RPMs (their metadata; the files in
// dir) with the spec engine's packages: the same file names, every
// predicted require, and the same provides but for the one rpm derives
// from the file list, config(NAME) = EVR, which a package with %config
// files has (the spec engine does not predict it).
func checkPredicted(t *testing.T, s *spec.Spec, meta rpmbuild.Metadata, dir string) {
	t.Helper()
	want := map[string]*spec.Package{}
	for _, p := range s.Packages {
		if p.Built {
			want[fmt.Sprintf("%s-%s.%s.rpm", p.Name, p.EVR(), p.Arch)] = p
		}
	}
	var got []string
	for _, m := range meta.Packages {
		got = append(got, m.File)
		p := want[m.File]
		if p == nil {
			continue
		}
		var provides []string
		for _, d := range p.Provides {
			provides = append(provides, d.String())
		}
		if hasConfig(t, filepath.Join(dir, m.File)) {
			provides = append(provides, fmt.Sprintf("config(%s) = %s", p.Name, p.EVR()))
		}
		slices.Sort(provides)
		if g := slices.Sorted(slices.Values(m.Provides)); !slices.Equal(g, provides) {
			t.Errorf("%s provides %q; the spec engine predicts %q", m.File, g, provides)
		}
		for _, d := range p.Requires {
			if !slices.Contains(m.Requires, d.String()) {
				t.Errorf("%s requires %q, lacking %q that the spec engine predicts", m.File, m.Requires, d)
			}
		}
	}
	slices.Sort(got)
	if w := slices.Sorted(maps.Keys(want)); !slices.Equal(got, w) {
		t.Errorf("built %q; the spec engine predicts %q", got, w)
	}
}

// hasConfig reports whether the RPM at path has a %config file.
func hasConfig(t *testing.T, path string) bool {
	t.Helper()
	h, err := rpmfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.Files {
		if h.Files[i].IsConfig() {
			return true
		}
	}
	return false
}

// checkMachine opens every regular file of an arch RPM that is an ELF or
// PE (an EFI-stub kernel) file, and wants it built for arch. An arch RPM
// without any such file fails: the check would say nothing.
func checkMachine(t *testing.T, arch, path string) {
	t.Helper()
	h, err := rpmfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Arch != arch {
		if h.Arch != "noarch" {
			t.Errorf("%s: arch %s in a build for %s", filepath.Base(path), h.Arch, arch)
		}
		return
	}
	pl, err := h.OpenPayload()
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	want := machines[arch]
	checked := 0
	for {
		e, err := pl.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e.Size == 0 {
			continue
		}
		data, err := io.ReadAll(pl)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, e.Name, err)
		}
		switch {
		case bytes.HasPrefix(data, []byte(elf.ELFMAG)):
			f, err := elf.NewFile(bytes.NewReader(data))
			if err != nil {
				t.Errorf("%s: %s: %v", filepath.Base(path), e.Name, err)
				continue
			}
			if f.Machine != want.elf {
				t.Errorf("%s: %s is an ELF file for %s, want %s", filepath.Base(path), e.Name, f.Machine, want.elf)
			}
			checked++
		case bytes.HasPrefix(data, []byte("MZ")):
			f, err := pe.NewFile(bytes.NewReader(data))
			if err != nil {
				t.Errorf("%s: %s: %v", filepath.Base(path), e.Name, err)
				continue
			}
			if f.Machine != want.pe {
				t.Errorf("%s: %s is a PE file for machine %#x, want %#x", filepath.Base(path), e.Name, f.Machine, want.pe)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Errorf("%s: an %s RPM without any ELF or PE file to check", filepath.Base(path), arch)
	}
}

// TestNoarchBuiltOnce wants each noarch RPM that several architectures use
// to be one file: rpm writes the target into a noarch RPM's header, so
// building it per target would give different files of the same name.
func TestNoarchBuiltOnce(t *testing.T) {
	b, root := load(t)
	sums := map[string]map[string]string{} // file name → arch → sha256
	for arch, pkgs := range b {
		for _, pf := range pkgs {
			for _, r := range pf.RPMs {
				if !strings.HasSuffix(r, ".noarch.rpm") {
					continue
				}
				data, err := os.ReadFile(filepath.Join(root, r))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(data)
				name := filepath.Base(r)
				if sums[name] == nil {
					sums[name] = map[string]string{}
				}
				sums[name][arch] = hex.EncodeToString(sum[:])
			}
		}
	}
	if len(sums) == 0 {
		t.Fatal("no noarch RPM built")
	}
	for name, byArch := range sums {
		if len(byArch) != len(b) {
			t.Errorf("%s is built for %d of %d architectures", name, len(byArch), len(b))
		}
		first := ""
		for arch, sum := range byArch {
			if first == "" {
				first = sum
			} else if sum != first {
				t.Errorf("%s differs between architectures (%s: %s): %v", name, arch, sum, byArch)
			}
		}
	}
}
