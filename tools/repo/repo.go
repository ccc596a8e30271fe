// Package repo writes RPM repository metadata (repodata/repomd.xml with
// primary, filelists and other, sha256-checksummed, gzip or zstd compressed)
// over a set of RPM files, in the format createrepo_c writes and dnf reads.
//
// The output is deterministic: packages are sorted by name, EVR, arch and
// checksum; no wall-clock time is written (package times are the packages'
// build times, the repository revision and timestamps are the epoch given
// with WithEpoch or else the newest build time); the same RPMs, in any
// order, give the same bytes.
package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/keel-build/keel/tools/rpmfile"
)

// Option configures Write.
type Option func(*config)

type config struct {
	compression    string
	epoch          int64
	epochSet       bool
	changelogLimit int
}

// WithCompression selects "gzip" (the default, read by every dnf/yum) or
// "zstd" for the metadata files.
func WithCompression(c string) Option { return func(o *config) { o.compression = c } }

// WithEpoch sets the repository revision and metadata timestamps
// (SOURCE_DATE_EPOCH). The default is the newest package build time.
func WithEpoch(sec int64) Option { return func(o *config) { o.epoch, o.epochSet = sec, true } }

// WithChangelogLimit keeps at most n changelog entries per package in
// other.xml (createrepo_c's default is 10; 0 keeps none).
func WithChangelogLimit(n int) Option { return func(o *config) { o.changelogLimit = n } }

// Result describes a written repository.
type Result struct {
	// Packages are the NEVRAs in metadata order.
	Packages []string
	// Files are the written metadata files, relative to the output folder.
	Files []string
}

// Write creates dir/Packages/ with the RPM files and dir/repodata/ with the
// metadata. An existing repodata/ is replaced only once the new one is
// complete.
func Write(ctx context.Context, dir string, rpms []string, opts ...Option) (*Result, error) {
	cfg := config{compression: "gzip", changelogLimit: 10}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.compression != "gzip" && cfg.compression != "zstd" {
		return nil, fmt.Errorf("unknown metadata compression %q (want gzip or zstd)", cfg.compression)
	}
	pkgs, err := load(ctx, rpms)
	if err != nil {
		return nil, err
	}
	if !cfg.epochSet {
		for _, p := range pkgs {
			cfg.epoch = max(cfg.epoch, p.BuildTime)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "Packages"), 0o755); err != nil {
		return nil, err
	}
	for _, p := range pkgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := place(p.Path, filepath.Join(dir, "Packages", filepath.Base(p.Path))); err != nil {
			return nil, fmt.Errorf("copying %s into the repository: %w", p.Path, err)
		}
	}
	md, err := Metadata(pkgs, func(p *rpmfile.Package) string { return "Packages/" + filepath.Base(p.Path) }, opts...)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, ".repodata-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	res := &Result{}
	for _, p := range pkgs {
		res.Packages = append(res.Packages, p.NEVRA())
	}
	names := make([]string, 0, len(md))
	for n := range md {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(tmp, n), md[n], 0o644); err != nil {
			return nil, err
		}
		res.Files = append(res.Files, "repodata/"+n)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, "repodata")
	if err := os.RemoveAll(final); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, err
	}
	return res, nil
}

// load opens the RPMs, hashes them and sorts them into metadata order.
func load(ctx context.Context, rpms []string) ([]*rpmfile.Package, error) {
	var pkgs []*rpmfile.Package
	seen := map[string]string{}
	for _, f := range rpms {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := rpmfile.Open(f)
		if err != nil {
			return nil, err
		}
		if _, err := p.SHA256(); err != nil {
			return nil, err
		}
		base := filepath.Base(f)
		if other, ok := seen[base]; ok {
			return nil, fmt.Errorf("two RPMs named %s: %s and %s", base, other, f)
		}
		seen[base] = f
		pkgs = append(pkgs, p)
	}
	sortPackages(pkgs)
	return pkgs, nil
}

func sortPackages(pkgs []*rpmfile.Package) {
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := pkgs[i], pkgs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if c := rpmfile.CompareEVR(a.EVR(), b.EVR()); c != 0 {
			return c < 0
		}
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		sa, _ := a.SHA256()
		sb, _ := b.SHA256()
		return sa < sb
	})
}

// place hard-links src to dst, or copies it where linking is impossible.
func place(src, dst string) error {
	if same, err := sameFile(src, dst); err == nil && same {
		return nil
	}
	os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".rpm-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// Metadata renders the repodata files for pkgs (in the given order, which
// should be sorted) with location(p) as each package's href. It returns file
// name → content, including repomd.xml.
func Metadata(pkgs []*rpmfile.Package, location func(*rpmfile.Package) string, opts ...Option) (map[string][]byte, error) {
	cfg := config{compression: "gzip", changelogLimit: 10}
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.epochSet {
		for _, p := range pkgs {
			cfg.epoch = max(cfg.epoch, p.BuildTime)
		}
	}
	docs := []struct {
		kind string
		gen  func([]*rpmfile.Package, func(*rpmfile.Package) string, int) ([]byte, error)
	}{{"primary", primaryXML}, {"filelists", filelistsXML}, {"other", otherXML}}
	out := map[string][]byte{}
	var records []record
	for _, d := range docs {
		raw, err := d.gen(pkgs, location, cfg.changelogLimit)
		if err != nil {
			return nil, fmt.Errorf("rendering %s.xml: %w", d.kind, err)
		}
		comp, ext, err := compress(raw, cfg.compression)
		if err != nil {
			return nil, fmt.Errorf("compressing %s.xml: %w", d.kind, err)
		}
		sum := sha256hex(comp)
		name := sum + "-" + d.kind + ".xml" + ext
		out[name] = comp
		records = append(records, record{kind: d.kind, sum: sum, openSum: sha256hex(raw), href: "repodata/" + name,
			size: len(comp), openSize: len(raw)})
	}
	out["repomd.xml"] = repomdXML(records, cfg.epoch)
	return out, nil
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func compress(b []byte, kind string) ([]byte, string, error) {
	var buf bytes.Buffer
	switch kind {
	case "zstd":
		w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			return nil, "", err
		}
		if _, err := w.Write(b); err != nil {
			return nil, "", err
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), ".zst", nil
	default:
		// No name and a zero modification time in the gzip header.
		w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, "", err
		}
		if _, err := w.Write(b); err != nil {
			return nil, "", err
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), ".gz", nil
	}
}

type record struct {
	kind, sum, openSum, href string
	size, openSize           int
}

func repomdXML(recs []record, epoch int64) []byte {
	var b bytes.Buffer
	ts := strconv.FormatInt(epoch, 10)
	b.WriteString(xmlHeader)
	b.WriteString(`<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">` + "\n")
	b.WriteString("  <revision>" + ts + "</revision>\n")
	for _, r := range recs {
		fmt.Fprintf(&b, "  <data type=\"%s\">\n", r.kind)
		fmt.Fprintf(&b, "    <checksum type=\"sha256\">%s</checksum>\n", r.sum)
		fmt.Fprintf(&b, "    <open-checksum type=\"sha256\">%s</open-checksum>\n", r.openSum)
		fmt.Fprintf(&b, "    <location href=\"%s\"/>\n", esc(r.href))
		fmt.Fprintf(&b, "    <timestamp>%s</timestamp>\n", ts)
		fmt.Fprintf(&b, "    <size>%d</size>\n", r.size)
		fmt.Fprintf(&b, "    <open-size>%d</open-size>\n", r.openSize)
		b.WriteString("  </data>\n")
	}
	b.WriteString("</repomd>\n")
	return b.Bytes()
}
