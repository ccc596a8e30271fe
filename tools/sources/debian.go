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
	"strings"

	"github.com/ulikunitz/xz"

	"github.com/keel-build/keel/tools/internal/apt"
)

// debian is the union of the source indexes of the configured archives.
type debian struct {
	client *http.Client
	log    io.Writer
	// pool maps the sha256 of every listed file to its URL (the first
	// archive listing it wins).
	pool map[string]string
}

// openDebian reads the apt configuration, downloads every archive's
// Sources.xz (checked against its Release file) and records where the
// wanted hashes are. Archives without source indexes, or unreachable, are
// skipped with a warning; having none at all is an error.
//
// The Release file's signature is not checked: trust rests on the sha256
// of each wanted file, which comes from the repository, not the mirror. A
// wrong index can only make a file missing, never place a wrong one.
func openDebian(ctx context.Context, o Options) (*debian, error) {
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
		n, err := d.loadArchive(ctx, a)
		if err != nil {
			// An index that does not match its Release file is an error;
			// an archive that cannot be reached or has no source index
			// (a third-party repository, say) is only skipped.
			var me *MismatchError
			if errors.As(err, &me) || ctx.Err() != nil {
				return nil, err
			}
			fmt.Fprintf(o.Log, "warning: %s %s: no source index (%v)\n", a.URI, a.Suite, err)
			continue
		}
		loaded += n
	}
	if loaded == 0 {
		return nil, fmt.Errorf("none of the %d archives configured under %s has a source index", len(archives), aptDir)
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

// loadArchive reads the Release file of one suite and the Sources.xz of
// each of its components, and returns how many indexes it read.
func (d *debian) loadArchive(ctx context.Context, a apt.Archive) (int, error) {
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
	n := 0
	for _, comp := range a.Components {
		rel := comp + "/source/Sources.xz"
		want, ok := sums[rel]
		if !ok {
			fmt.Fprintf(d.log, "warning: %s lists no %s\n", releaseURL, rel)
			continue
		}
		u := base + "/dists/" + a.Suite + "/" + rel
		err := d.fetch(ctx, u, func(r io.Reader) error {
			h := sha256.New()
			if err := d.readSources(io.TeeReader(r, h), base); err != nil {
				return fmt.Errorf("reading %s: %w", u, err)
			}
			// Drain what the xz reader left (padding, index) so the whole
			// file is hashed.
			if _, err := io.Copy(h, r); err != nil {
				return err
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != want {
				return &MismatchError{File: u, Expected: want, Actual: got}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
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

// readSources reads a Sources.xz stream and records the pool URL of every
// file listed under Checksums-Sha256.
func (d *debian) readSources(r io.Reader, base string) error {
	zr, err := xz.NewReader(r)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	var dir string
	var files [][2]string // sha256, name
	field := ""
	flush := func() {
		for _, f := range files {
			if dir != "" && d.pool[f[0]] == "" {
				d.pool[f[0]] = base + "/" + path.Join(dir, f[1])
			}
		}
		dir, files, field = "", nil, ""
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if f := strings.Fields(line); field == "checksums-sha256" && len(f) == 3 {
				files = append(files, [2]string{strings.ToLower(f[0]), f[2]})
			}
		default:
			k, v, _ := strings.Cut(line, ":")
			field = strings.ToLower(k)
			if field == "directory" {
				dir = strings.TrimSpace(v)
			}
		}
	}
	flush()
	return sc.Err()
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
