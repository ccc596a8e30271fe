package sources

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/ulikunitz/xz"

	"github.com/keel-build/keel/tools/internal/apt"
)

// debian is the union of the indexes of the configured archives.
type debian struct {
	client *http.Client
	log    io.Writer
	// pool maps the sha256 of every listed file to its URL (the first
	// archive listing it wins).
	pool map[string]string
}

// indexes says which indexes of each archive component are read: the
// source index (source/Sources.xz) and the binary package indexes of some
// architectures (binary-ARCH/Packages.xz).
type indexes struct {
	sources bool
	arches  []string
}

func (n indexes) String() string {
	var names []string
	if n.sources {
		names = append(names, "source")
	}
	for _, a := range n.arches {
		names = append(names, "binary-"+a)
	}
	return strings.Join(names, ", ")
}

// debArch returns the architecture of a Debian binary package's file name
// (NAME_VERSION_ARCH.deb, as the archive's pool names it), or "".
func debArch(file string) string {
	stem, ok := strings.CutSuffix(path.Base(file), ".deb")
	if !ok || strings.Count(stem, "_") != 2 {
		return ""
	}
	arch := stem[strings.LastIndex(stem, "_")+1:]
	for _, c := range arch {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return ""
		}
	}
	return arch
}

// neededIndexes picks the indexes that can list the wanted files: a
// binary package named NAME_VERSION_ARCH.deb is looked up in the binary
// index of ARCH (Debian lists "all" packages in binary-all), every other
// file in the source index.
func neededIndexes(wants []Want) indexes {
	var n indexes
	seen := map[string]bool{}
	for _, w := range wants {
		arch := debArch(w.File)
		switch {
		case arch == "":
			n.sources = true
		case !seen[arch]:
			seen[arch] = true
			n.arches = append(n.arches, arch)
		}
	}
	sort.Strings(n.arches)
	return n
}

// openDebian reads the apt configuration, downloads the indexes each
// archive has of the kinds needed (checked against its Release file) and
// records where every listed file is. Archives without such indexes, or
// unreachable, are skipped with a warning; having none at all is an error.
//
// The Release file's signature is not checked: trust rests on the sha256
// of each wanted file, which comes from the repository, not the mirror. A
// wrong index can only make a file missing, never place a wrong one.
func openDebian(ctx context.Context, o Options, need indexes) (*debian, error) {
	aptDir := o.AptDir
	if aptDir == "" {
		aptDir = "/etc/apt"
	}
	archives, err := apt.Archives(aptDir)
	if err != nil {
		return nil, err
	}
	if len(archives) == 0 {
		return nil, fmt.Errorf("no Debian archives configured under %s", aptDir)
	}
	d := &debian{client: o.Client, log: o.Log, pool: map[string]string{}}
	if d.client == nil {
		d.client = http.DefaultClient
	}
	loaded := 0
	for _, a := range archives {
		n, err := d.loadArchive(ctx, a, need)
		if err != nil {
			// An archive that cannot be reached or lacks the indexes (a
			// third-party repository, say) is only skipped.
			if ctx.Err() != nil {
				return nil, err
			}
			fmt.Fprintf(o.Log, "warning: %s %s: no index (%v)\n", a.URI, a.Suite, err)
			continue
		}
		loaded += n
	}
	if loaded == 0 {
		return nil, fmt.Errorf("none of the %d archives configured under %s has an index of the kinds needed (%s)", len(archives), aptDir, need)
	}
	return d, nil
}

// urls returns hash → download URL for the wanted hashes the indexes list.
func (d *debian) urls(wants []Want) map[string]string {
	out := map[string]string{}
	for _, w := range wants {
		if u, ok := d.pool[w.SHA256]; ok {
			out[w.SHA256] = u
		}
	}
	return out
}

// loadArchive reads the Release file of one suite and the needed indexes
// of each of its components, and returns how many indexes it read.
func (d *debian) loadArchive(ctx context.Context, a apt.Archive, need indexes) (int, error) {
	base := strings.TrimSuffix(a.URI, "/")
	releaseURL := base + "/dists/" + a.Suite + "/Release"
	var sums map[string]string
	if err := d.fetch(ctx, releaseURL, func(r io.Reader) error {
		var err error
		sums, err = releaseSHA256(r)
		return err
	}); err != nil {
		return 0, err
	}
	type index struct {
		rel  string
		read func(io.Reader, string) error
	}
	n := 0
	for _, comp := range a.Components {
		var list []index
		if need.sources {
			list = append(list, index{comp + "/source/Sources.xz", d.readSources})
		}
		for _, arch := range need.arches {
			list = append(list, index{comp + "/binary-" + arch + "/Packages.xz", d.readPackages})
		}
		for _, ix := range list {
			want, ok := sums[ix.rel]
			if !ok {
				fmt.Fprintf(d.log, "warning: %s lists no %s\n", releaseURL, ix.rel)
				continue
			}
			if err := d.readIndex(ctx, base+"/dists/"+a.Suite+"/"+ix.rel, want, base, ix.read); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// readIndex downloads one xz-compressed index, hands its text to read and
// checks the compressed file against the Release file's sha256. An index
// that does not match (a mirror caught between updates of the Release file
// and the index) is still used, with a warning: it only says where files
// are, and every file is checked against its own sha256 when placed.
func (d *debian) readIndex(ctx context.Context, u, want, base string, read func(io.Reader, string) error) error {
	return d.fetch(ctx, u, func(r io.Reader) error {
		h := sha256.New()
		tee := io.TeeReader(r, h)
		zr, err := xz.NewReader(tee)
		if err == nil {
			err = read(zr, base)
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", u, err)
		}
		// Drain what the xz reader left (padding, index) so the whole
		// file is hashed.
		if _, err := io.Copy(h, r); err != nil {
			return fmt.Errorf("reading %s: %w", u, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			fmt.Fprintf(d.log, "warning: %v (the index is used: files are checked by their own sha256)\n",
				&MismatchError{File: u, Expected: want, Actual: got})
		}
		return nil
	})
}

// releaseSHA256 reads the SHA256 field of a Release (or InRelease) file:
// path → sha256.
func releaseSHA256(r io.Reader) (map[string]string, error) {
	sums := map[string]string{}
	in := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") {
			in = line == "SHA256:"
			continue
		}
		if f := strings.Fields(line); in && len(f) == 3 {
			sums[f[2]] = f[0]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(sums) == 0 {
		return nil, errors.New("Release file has no SHA256 field")
	}
	return sums, nil
}

// stanzas calls fn with the fields of every stanza of a Debian control
// file (Sources, Packages): lower-case field name → value, continuation
// lines joined with "\n".
func stanzas(r io.Reader, fn func(map[string]string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	fields := map[string]string{}
	field := ""
	flush := func() {
		if len(fields) > 0 {
			fn(fields)
		}
		fields, field = map[string]string{}, ""
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if field != "" {
				fields[field] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, _ := strings.Cut(line, ":")
			field = strings.ToLower(k)
			fields[field] = strings.TrimSpace(v)
		}
	}
	flush()
	return sc.Err()
}

// readSources reads a source index (Sources) and records the pool URL of
// every file listed under Checksums-Sha256.
func (d *debian) readSources(r io.Reader, base string) error {
	return stanzas(r, func(f map[string]string) {
		dir := f["directory"]
		if dir == "" {
			return
		}
		for _, line := range strings.Split(f["checksums-sha256"], "\n") {
			if w := strings.Fields(line); len(w) == 3 {
				d.record(strings.ToLower(w[0]), base+"/"+path.Join(dir, w[2]))
			}
		}
	})
}

// readPackages reads a binary package index (Packages) and records the
// pool URL (Filename) of every package by its SHA256.
func (d *debian) readPackages(r io.Reader, base string) error {
	return stanzas(r, func(f map[string]string) {
		if sum, file := strings.ToLower(f["sha256"]), f["filename"]; sum != "" && file != "" {
			d.record(sum, base+"/"+path.Clean(file))
		}
	})
}

// record keeps the first location seen of a hash.
func (d *debian) record(sum, url string) {
	if _, ok := d.pool[sum]; !ok {
		d.pool[sum] = url
	}
}

// notFoundError is a 404 or 410 from the mirror.
type notFoundError struct{ url string }

func (e *notFoundError) Error() string { return e.url + ": not found" }

// fetch GETs url and hands the body to read.
func (d *debian) fetch(ctx context.Context, url string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return &notFoundError{url}
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("downloading %s: %s", url, resp.Status)
	}
	fmt.Fprintf(d.log, "fetching %s\n", url)
	return read(resp.Body)
}
