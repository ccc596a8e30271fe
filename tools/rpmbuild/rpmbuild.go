// Package rpmbuild builds one RPM package from its spec file inside a
// sandbox: a private copy of a pinned build root, fresh user, mount, pid and
// network namespaces (no network), a cleared environment, and exactly the
// RPMs of the package's resolved BuildRequires unpacked into the root.
//
// The RPMs installed are the closure of the spec's BuildRequires (evaluated
// by tools/spec for the target architecture, the defines and %with_check of
// the build) over the candidate RPMs, resolved by tools/resolve, less what
// the build root's capabilities provide (ResolveBuildDeps). The build log
// and the lock (BuildLock) name them.
//
// Builds are bit-for-bit reproducible: rpmbuild always runs with the same
// _topdir (/builddir/build), build host name and payload compression, and
// with every time stamp taken from SOURCE_DATE_EPOCH, which is either given
// or read by rpm from the spec's %changelog. Because the paths inside the
// sandbox never change, no -ffile-prefix-map is needed to hide the host's
// directories.
//
// Binary RPMs depend only on what builds them, not on the rest of the spec
// text: rpmbuild -ba would stamp each binary RPM with the MD5 of the source
// RPM's header (RPMTAG_SOURCEPKGID, rpm's build/pack.c sets it only when it
// made the source RPM in the same run), and that header holds the spec, so
// a comment would change every RPM and rebuild every dependent. Build runs
// rpmbuild -bb, then rpmbuild -bs for the source RPM.
//
// Build is what `keel rpmbuild` runs; one Bazel action calls it per package.
// Its outputs (RPMs, source RPM, metadata, lock) appear only if the whole
// build succeeds; the log is written whether it succeeds or not.
package rpmbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/buildroot"
	"github.com/keel-build/keel/tools/rpmbuild/internal/rpminstall"
	"github.com/keel-build/keel/tools/rpmfile"
	"github.com/keel-build/keel/tools/sandbox"
	"github.com/keel-build/keel/tools/sources"
)

// Topdir is rpm's _topdir inside the sandbox.
const Topdir = "/builddir/build"

// Options describes one package build.
type Options struct {
	// Root is the build root: a .tar.zst made by `keel buildroot make`
	// (unpacked privately for this build) or a directory (used read-only
	// as the lower layer of an overlay).
	Root    string
	Spec    string
	Sources []string // sources and patches, placed in SOURCES/ by base name
	// SourceSHA256 maps source base names to their expected sha256 (hex):
	// a source whose content differs fails the build before it starts.
	SourceSHA256 map[string]string
	// CandidateRPMs are the RPMs the BuildRequires may be taken from (in
	// Bazel: those of the package's deps); only the resolved closure is
	// installed.
	CandidateRPMs []string
	// Capabilities are what the build root provides ("NAME" or "NAME OP
	// VERSION"): BuildRequires they satisfy install nothing.
	Capabilities []string
	// Arch is the target architecture the spec is evaluated for to find its
	// BuildRequires; Target, or the host's, if empty.
	Arch    string
	Target  string   // rpmbuild --target, e.g. "aarch64"; host arch if empty
	Defines []string // "NAME VALUE", passed as rpmbuild --define
	OutDir  string   // receives the binary RPMs and the source RPM
	Log     string   // full build log; not written if empty
	// SourceDateEpoch, if >= 0, is exported as SOURCE_DATE_EPOCH; if
	// negative, rpm takes it from the spec's %changelog, which must exist.
	SourceDateEpoch int64
	WithCheck       bool
	// Expect, if not nil, is the exact set of file names the build must
	// produce (binary RPMs, and the source RPM unless SRPM is set), as a
	// Bazel rule declares them.
	Expect []string
	// SRPM, if set, is the path the source RPM is written to, instead of
	// OutDir: its name need not be known beforehand.
	SRPM string
	// Metadata, if set, receives a JSON description of the binary RPMs
	// (see Metadata).
	Metadata string
	// Lock, if set, receives the BuildLock as JSON: the RPMs installed.
	Lock    string
	Timeout time.Duration
	// TmpDir holds the private root and topdir; os.TempDir() if empty.
	TmpDir string
	// Stderr receives warnings; discarded if nil.
	Stderr io.Writer
}

// Result reports a successful build.
type Result struct {
	// Outputs are the base names of the binary RPMs written to OutDir,
	// sorted, then the source RPM's.
	Outputs []string
	// Prepare is the time before the sandbox starts (evaluating the spec,
	// resolving and hashing the BuildRequires, unpacking the root, staging
	// the inputs); Sandbox the sandbox's (dependency install + rpmbuild).
	Prepare, Sandbox, Total time.Duration
}

// logTailLines is how much of the log a failed build shows in its error.
const logTailLines = 40

func init() {
	sandbox.RegisterHook("rpm-install", func(args []string) error {
		return rpminstall.Install("/", args)
	})
}

// Build runs one package build as described by o.
func Build(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if err := check(&o); err != nil {
		return nil, err
	}
	arch := o.Arch
	if arch == "" {
		arch = o.Target
	}
	if arch == "" {
		arch = hostArch()
	}
	breqs, changelog, err := evaluateSpec(o.Spec, arch, o.Defines, o.WithCheck)
	if err != nil {
		return nil, err
	}
	// rpm takes SOURCE_DATE_EPOCH from the newest %changelog entry, and
	// from the clock when there is none: refuse to build unreproducibly.
	if o.SourceDateEpoch < 0 && changelog.IsZero() {
		return nil, fmt.Errorf("%s: no %%changelog entry to take SOURCE_DATE_EPOCH from: add one or pass --source-date-epoch", o.Spec)
	}
	var cands []*rpmfile.Package
	for _, r := range o.CandidateRPMs {
		p, err := rpmfile.Open(r)
		if err != nil {
			return nil, fmt.Errorf("reading candidate RPM: %w", err)
		}
		cands = append(cands, p)
	}
	deps, err := ResolveBuildDeps(ctx, o.Spec, breqs, cands, o.Capabilities)
	if err != nil {
		return nil, err
	}
	var lock []byte
	if o.Lock != "" {
		l, err := deps.lock(o.Spec, arch)
		if err != nil {
			return nil, err
		}
		if lock, err = json.MarshalIndent(l, "", "  "); err != nil {
			return nil, fmt.Errorf("encoding lock: %w", err)
		}
		lock = append(lock, '\n')
	}

	work, err := os.MkdirTemp(o.TmpDir, "keel-rpmbuild-")
	if err != nil {
		return nil, fmt.Errorf("making work directory: %w", err)
	}
	defer buildroot.RemoveAll(work)

	cfg := &sandbox.Config{
		Tmpfs: []string{"/tmp", "/var/tmp"},
		Dir:   Topdir,
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=/builddir", "USER=root", "LOGNAME=root",
			"LANG=C.UTF-8", "TZ=UTC", "TMPDIR=/tmp",
		},
		Hostname: "keel",
		Timeout:  o.Timeout,
		Warn:     o.Stderr,
	}
	if o.SourceDateEpoch >= 0 {
		cfg.Env = append(cfg.Env, "SOURCE_DATE_EPOCH="+strconv.FormatInt(o.SourceDateEpoch, 10))
	}
	if st, err := os.Stat(o.Root); err != nil {
		return nil, fmt.Errorf("reading build root: %w", err)
	} else if st.IsDir() {
		cfg.Root, cfg.Overlay, cfg.Scratch = o.Root, true, filepath.Join(work, "overlay")
	} else {
		cfg.Root = filepath.Join(work, "root")
		if err := buildroot.Unpack(o.Root, cfg.Root); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("building %s: %w", o.Spec, err)
	}

	top := filepath.Join(work, "topdir")
	for _, d := range []string{"SPECS", "SOURCES", "BUILD", "BUILDROOT", "RPMS", "SRPMS"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			return nil, err
		}
	}
	specIn := filepath.Join(Topdir, "SPECS", filepath.Base(o.Spec))
	if err := copyFile(o.Spec, filepath.Join(top, "SPECS", filepath.Base(o.Spec))); err != nil {
		return nil, err
	}
	for _, s := range o.Sources {
		if err := copyFile(s, filepath.Join(top, "SOURCES", filepath.Base(s))); err != nil {
			return nil, err
		}
	}
	cfg.Binds = append(cfg.Binds, sandbox.Bind{Src: top, Dst: Topdir})
	if len(deps.Packages) > 0 {
		var inside []string
		for i, p := range deps.Packages {
			in := fmt.Sprintf("/.keel/deps/%04d-%s", i, filepath.Base(p.Path))
			cfg.Binds = append(cfg.Binds, sandbox.Bind{Src: p.Path, Dst: in, ReadOnly: true})
			inside = append(inside, in)
		}
		cfg.Hooks = []sandbox.Hook{{Name: "rpm-install", Args: inside}}
	}
	// The binary RPMs first (-bb: no source RPM in the same run, so no
	// SOURCEPKGID ties them to the spec's text), then the source RPM. The
	// shell removes BUILD and BUILDROOT after rpmbuild: files there may
	// belong to ids the host user cannot delete.
	rargs := rpmbuildArgs(&o, specIn)
	cfg.Args = append([]string{"/bin/sh", "-c",
		`rpmbuild -bb "$@" && rpmbuild -bs "$@"; rc=$?; rm -rf ` + Topdir + `/BUILD ` + Topdir + `/BUILDROOT; exit $rc`, "rpmbuild"},
		rargs...)
	prepare := time.Since(start)

	var logBuf bytes.Buffer
	logW := io.Writer(&tail{buf: &logBuf})
	var logFile *os.File
	if o.Log != "" {
		if err := os.MkdirAll(filepath.Dir(o.Log), 0o755); err != nil {
			return nil, fmt.Errorf("making the log's directory: %w", err)
		}
		if logFile, err = os.CreateTemp(filepath.Dir(o.Log), "."+filepath.Base(o.Log)+".tmp*"); err != nil {
			return nil, fmt.Errorf("creating log: %w", err)
		}
		defer os.Remove(logFile.Name())
		defer logFile.Close()
		logW = io.MultiWriter(logFile, logW)
	}
	// Writes to logW fail only with the log file; Close reports that.
	io.WriteString(logW, deps.describe())
	for _, mode := range []string{"-bb", "-bs"} {
		fmt.Fprintf(logW, "keel rpmbuild: rpmbuild %s %s\n", mode, strings.Join(rargs, " "))
	}
	cfg.Stdout, cfg.Stderr = logW, logW
	sres, runErr := sandbox.Run(ctx, cfg)
	res := &Result{Prepare: prepare}
	if sres != nil {
		res.Sandbox = sres.Duration
	}
	if runErr != nil {
		runErr = fmt.Errorf("building %s: %w\n--- last %d lines of the build log ---\n%s", o.Spec, runErr, logTailLines, lastLines(logBuf.String(), logTailLines))
	}
	// The log is an output of failed builds too.
	if logFile != nil {
		err := logFile.Chmod(0o644)
		if cerr := logFile.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(logFile.Name(), o.Log)
		}
		if err != nil {
			return nil, errors.Join(runErr, fmt.Errorf("writing log %s: %w", o.Log, err))
		}
	}
	if runErr != nil {
		return nil, runErr
	}

	outs, err := collect(top)
	if err != nil {
		return nil, err
	}
	var srpm string
	if o.SRPM != "" {
		if srpm, outs, err = takeSRPM(outs); err != nil {
			return nil, fmt.Errorf("building %s: %w", o.Spec, err)
		}
	}
	names := make([]string, len(outs))
	for i, p := range outs {
		names[i] = filepath.Base(p)
	}
	if o.Expect != nil {
		want := slices.Clone(o.Expect)
		sort.Strings(want)
		if !slices.Equal(names, want) {
			return nil, fmt.Errorf("building %s: produced %q, but the rule expects %q", o.Spec, names, want)
		}
	}
	var meta []byte
	if o.Metadata != "" {
		if meta, err = describeRPMs(outs); err != nil {
			return nil, err
		}
	}
	// Every output is staged beside its place, then all are renamed at
	// once: a build that fails here leaves none of them.
	var st staging
	defer st.discard()
	for _, f := range outs {
		if err := st.copy(f, filepath.Join(o.OutDir, filepath.Base(f))); err != nil {
			return nil, err
		}
	}
	if srpm != "" {
		if err := st.copy(srpm, o.SRPM); err != nil {
			return nil, err
		}
	}
	if meta != nil {
		if err := st.write(o.Metadata, meta); err != nil {
			return nil, err
		}
	}
	if lock != nil {
		if err := st.write(o.Lock, lock); err != nil {
			return nil, err
		}
	}
	if err := st.commit(); err != nil {
		return nil, err
	}
	if srpm != "" {
		names = append(names, filepath.Base(srpm))
	}
	res.Outputs = names
	res.Total = time.Since(start)
	return res, nil
}

// takeSRPM separates the one source RPM from the binary RPMs.
func takeSRPM(outs []string) (string, []string, error) {
	var srpm string
	var bins []string
	for _, p := range outs {
		if strings.HasSuffix(p, ".src.rpm") && filepath.Base(filepath.Dir(p)) == "SRPMS" {
			if srpm != "" {
				return "", nil, fmt.Errorf("two source RPMs: %s and %s", filepath.Base(srpm), filepath.Base(p))
			}
			srpm = p
			continue
		}
		bins = append(bins, p)
	}
	if srpm == "" {
		return "", nil, errors.New("rpmbuild made no source RPM")
	}
	return srpm, bins, nil
}

// MetadataPackage describes one built binary RPM, as rpm renders it.
type MetadataPackage struct {
	File     string   `json:"file"`
	Name     string   `json:"name"`
	Epoch    string   `json:"epoch"`
	Version  string   `json:"version"`
	Release  string   `json:"release"`
	Arch     string   `json:"arch"`
	Provides []string `json:"provides"`
	Requires []string `json:"requires"`
	Files    []string `json:"files"`
}

// Metadata is the JSON that Options.Metadata receives.
type Metadata struct {
	Packages []MetadataPackage `json:"packages"`
}

// describeRPMs reads the headers of the binary RPMs rpms.
func describeRPMs(rpms []string) ([]byte, error) {
	m := Metadata{Packages: []MetadataPackage{}}
	for _, p := range rpms {
		h, err := rpmfile.Open(p)
		if err != nil {
			return nil, fmt.Errorf("reading built RPM: %w", err)
		}
		mp := MetadataPackage{
			File: filepath.Base(p), Name: h.Name, Epoch: h.Epoch, Version: h.Version, Release: h.Release, Arch: h.Arch,
			Provides: []string{}, Requires: []string{}, Files: []string{},
		}
		for _, d := range h.Provides {
			mp.Provides = append(mp.Provides, d.String())
		}
		for _, d := range h.Requires {
			mp.Requires = append(mp.Requires, d.String())
		}
		for _, f := range h.Files {
			mp.Files = append(mp.Files, f.Path)
		}
		m.Packages = append(m.Packages, mp)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<=" as rpm prints it
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encoding metadata: %w", err)
	}
	return b.Bytes(), nil
}

// staging writes outputs to temporary files beside their places and
// renames them into place together (commit); discard removes what a failed
// build staged.
type staging struct{ tmp, dst []string }

// create opens a temporary file beside dst, with mode 0644 whatever the
// umask.
func (st *staging) create(dst string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("making the directory of %s: %w", dst, err)
	}
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", dst, err)
	}
	st.tmp, st.dst = append(st.tmp, f.Name()), append(st.dst, dst)
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", dst, err)
	}
	return f, nil
}

// copy stages a copy of the file src for dst.
func (st *staging) copy(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return st.stage(dst, in)
}

// write stages data for dst.
func (st *staging) write(dst string, data []byte) error {
	return st.stage(dst, bytes.NewReader(data))
}

func (st *staging) stage(dst string, r io.Reader) error {
	f, err := st.create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}

// commit renames every staged file into place. If one rename fails, the
// outputs already renamed are removed.
func (st *staging) commit() error {
	for i, tmp := range st.tmp {
		if err := os.Rename(tmp, st.dst[i]); err != nil {
			for _, done := range st.dst[:i] {
				os.Remove(done)
			}
			return fmt.Errorf("writing %s: %w", st.dst[i], err)
		}
	}
	st.tmp, st.dst = nil, nil
	return nil
}

// discard removes the staged files that commit did not rename.
func (st *staging) discard() {
	for _, tmp := range st.tmp {
		os.Remove(tmp)
	}
}

func check(o *Options) error {
	if o.Root == "" || o.Spec == "" || o.OutDir == "" {
		return errors.New("--root, --spec and --out-dir are required")
	}
	if _, err := os.Stat(o.Spec); err != nil {
		return fmt.Errorf("reading spec: %w", err)
	}
	seen := map[string]string{}
	for _, s := range o.Sources {
		if _, err := os.Stat(s); err != nil {
			return fmt.Errorf("reading source: %w", err)
		}
		b := filepath.Base(s)
		if prev, dup := seen[b]; dup {
			return fmt.Errorf("sources %s and %s have the same name", prev, s)
		}
		seen[b] = s
	}
	for _, r := range o.CandidateRPMs {
		if _, err := os.Stat(r); err != nil {
			return fmt.Errorf("reading candidate RPM: %w", err)
		}
	}
	if len(o.SourceSHA256) > 0 {
		for _, s := range o.Sources {
			if err := checkSHA256(s, o.SourceSHA256); err != nil {
				return err
			}
		}
	}
	for _, d := range o.Defines {
		if n, _, ok := strings.Cut(d, " "); !ok || n == "" {
			return fmt.Errorf("define %q: want 'NAME VALUE'", d)
		}
	}
	if _, err := os.Stat(o.Root); err != nil {
		return fmt.Errorf("reading build root: %w", err)
	}
	return nil
}

// checkSHA256 hashes the source at path and compares it with its entry in
// sums (by base name). A source without an entry is not checked: a
// distribution's signatures list the upstream archives, while its patches
// and local files live in the spec's own tree.
func checkSHA256(path string, sums map[string]string) error {
	want, ok := sums[filepath.Base(path)]
	if !ok {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading source: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("hashing source %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(want) {
		return &sources.MismatchError{File: path, Expected: strings.ToLower(want), Actual: got}
	}
	return nil
}

// ReadSignatures reads an Azure Linux signatures file,
// {"Signatures": {"FILE": "SHA256", ...}}, into a map for SourceSHA256.
func ReadSignatures(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading signatures: %w", err)
	}
	var sig struct {
		Signatures map[string]string // matched case-insensitively, as gen reads it
	}
	if err := json.Unmarshal(data, &sig); err != nil {
		return nil, fmt.Errorf("reading signatures %s: %w", path, err)
	}
	if sig.Signatures == nil {
		return nil, fmt.Errorf("reading signatures %s: no \"Signatures\" object", path)
	}
	return sig.Signatures, nil
}

// hostArch is rpm's name of the architecture keel runs on.
func hostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// rpmbuildArgs returns rpmbuild's arguments but the build mode: the fixed
// reproducibility settings first, then the caller's defines, which may
// override them, and the spec last.
func rpmbuildArgs(o *Options, spec string) []string {
	checkVal := "0"
	if o.WithCheck {
		checkVal = "1"
	}
	defs := []string{
		"_topdir " + Topdir,
		"_buildhost keel",
		"use_source_date_epoch_as_buildtime 1",
		"clamp_mtime_to_source_date_epoch 1",
		"source_date_epoch_from_changelog 1",
		"_binary_payload w3.zstdio",
		"_source_payload w3.zstdio",
		"with_check " + checkVal,
	}
	defs = append(defs, o.Defines...)
	args := []string{"--nodeps"}
	if !o.WithCheck {
		args = append(args, "--nocheck")
	}
	if o.Target != "" {
		args = append(args, "--target", o.Target)
	}
	for _, d := range defs {
		args = append(args, "--define", d)
	}
	return append(args, spec)
}

// collect lists the built RPMs, sorted by base name.
func collect(top string) ([]string, error) {
	bins, err := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if err != nil {
		return nil, err
	}
	srcs, err := filepath.Glob(filepath.Join(top, "SRPMS", "*.rpm"))
	if err != nil {
		return nil, err
	}
	all := append(bins, srcs...)
	if len(all) == 0 {
		return nil, errors.New("rpmbuild succeeded but produced no RPMs")
	}
	sort.Slice(all, func(i, j int) bool { return filepath.Base(all[i]) < filepath.Base(all[j]) })
	return all, nil
}

// copyFile copies src to a new file dst with mode 0644 whatever the umask:
// the source RPM records the modes of the spec and sources.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := out.Chmod(0o644); err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}

// tail keeps the end of a stream in buf: between 64 and 128 KiB.
type tail struct{ buf *bytes.Buffer }

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if t.buf.Len() > 128<<10 {
		keep := t.buf.Bytes()[t.buf.Len()-64<<10:]
		nb := bytes.NewBuffer(append([]byte(nil), keep...))
		*t.buf = *nb
	}
	return len(p), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
