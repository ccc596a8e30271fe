// Package sources fills Bazel's repository cache with the source files of a
// spec tree, so that builds work on machines without access to upstream
// download sites.
//
// Bazel fetches every remote Source and Patch by URL and sha256. Before it
// touches the network it looks in its repository cache under
// content_addressable/sha256/<hash>/file; a file there is used as is. Seed
// puts each wanted file in that place, found by its hash in local folders or
// in the indexes of the Debian archive that the machine's apt is
// configured to use (Debian ships most upstream tarballs byte for byte as
// its .orig.tar files, and pinned binary packages, such as the boot loaders
// images carry, by their own hash). Every file is checked against its sha256 before it
// is renamed into place, so the cache never holds a partial or wrong file.
//
// Seed is what `keel sources seed` runs.
package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Want is one wanted file: an entry of a sources lock file
// (specs/sources.lock.json), a line of a *.signatures.json, or a bare hash.
type Want struct {
	File    string   `json:"file"`
	SHA256  string   `json:"sha256"`
	URLs    []string `json:"urls,omitempty"`
	Package string   `json:"package,omitempty"`
}

func (w Want) String() string {
	if w.File == "" {
		return w.SHA256
	}
	return w.File + " (" + w.SHA256 + ")"
}

// Options say where Seed puts files and where it looks for them.
type Options struct {
	// RepositoryCache is Bazel's --repository_cache directory.
	RepositoryCache string
	// FromDirs are folders searched (recursively) for files by content.
	FromDirs []string
	// FromDebian looks hashes up in the indexes of the Debian archives
	// configured for apt under AptDir: binary packages named
	// NAME_VERSION_ARCH.deb in the binary index of ARCH, every other file
	// in the source index.
	FromDebian bool
	// AptDir is apt's configuration directory; /etc/apt if empty.
	AptDir string
	// Client fetches from the mirror; http.DefaultClient if nil.
	Client *http.Client
	// Log receives progress and warnings; discarded if nil.
	Log io.Writer
}

// Found is a file that is in the cache after Seed.
type Found struct {
	Want
	// From is where it came from: "cache" if it was already there, else a
	// local path or a mirror URL.
	From string
}

// Report lists what Seed found and what it did not.
type Report struct {
	Found   []Found
	Missing []Want
}

// CachePath is where Bazel's repository cache at dir keeps the file with
// the given sha256.
func CachePath(dir, sha256 string) string {
	return filepath.Join(dir, "content_addressable", "sha256", sha256, "file")
}

// Seed places every wanted file into o.RepositoryCache. A file missing
// everywhere is listed in the report, not an error; errors are reserved for
// failures (an unreadable folder, a mirror serving a file whose hash is
// wrong, a cache that cannot be written).
func Seed(ctx context.Context, o Options, wants []Want) (*Report, error) {
	if o.RepositoryCache == "" {
		return nil, errors.New("no repository cache directory given")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	wants, err := dedupe(wants)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	var todo []Want
	for _, w := range wants {
		ok, err := cached(o.RepositoryCache, w.SHA256)
		if err != nil {
			return nil, err
		}
		if ok {
			rep.Found = append(rep.Found, Found{w, "cache"})
		} else {
			todo = append(todo, w)
		}
	}

	if len(todo) > 0 && len(o.FromDirs) > 0 {
		byHash, err := scanDirs(o.FromDirs, todo)
		if err != nil {
			return nil, err
		}
		todo, err = placeEach(todo, rep, byHash, func(w Want, src string) error {
			f, err := os.Open(src)
			if err != nil {
				return err
			}
			defer f.Close()
			return Place(o.RepositoryCache, w.SHA256, nameOf(w, src), f)
		})
		if err != nil {
			return nil, err
		}
	}

	if len(todo) > 0 && o.FromDebian {
		m, err := openDebian(ctx, o, neededIndexes(todo))
		if err != nil {
			return nil, err
		}
		todo, err = placeEach(todo, rep, m.urls(todo), func(w Want, url string) error {
			return m.fetch(ctx, url, func(r io.Reader) error {
				return Place(o.RepositoryCache, w.SHA256, nameOf(w, url), r)
			})
		})
		if err != nil {
			return nil, err
		}
	}
	rep.Missing = todo
	sort.Slice(rep.Found, func(i, j int) bool { return less(rep.Found[i].Want, rep.Found[j].Want) })
	sort.Slice(rep.Missing, func(i, j int) bool { return less(rep.Missing[i], rep.Missing[j]) })
	return rep, nil
}

// placeEach places every want that has a location in where and returns the
// ones still missing.
func placeEach(todo []Want, rep *Report, where map[string]string, place func(Want, string) error) ([]Want, error) {
	var left []Want
	for _, w := range todo {
		src, ok := where[w.SHA256]
		if !ok {
			left = append(left, w)
			continue
		}
		if err := place(w, src); err != nil {
			return nil, err
		}
		rep.Found = append(rep.Found, Found{w, src})
	}
	return left, nil
}

// dedupe drops repeated hashes (keeping the first name seen) and checks
// that every hash is 64 lower-case hex digits.
func dedupe(wants []Want) ([]Want, error) {
	seen := map[string]bool{}
	var out []Want
	for _, w := range wants {
		w.SHA256 = strings.ToLower(w.SHA256)
		if !isSHA256(w.SHA256) {
			return nil, fmt.Errorf("%s: %q is not a sha256 (64 hex digits)", w.File, w.SHA256)
		}
		if seen[w.SHA256] {
			continue
		}
		seen[w.SHA256] = true
		out = append(out, w)
	}
	return out, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func nameOf(w Want, src string) string {
	if w.File != "" {
		return w.File
	}
	return src
}

func less(a, b Want) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.SHA256 < b.SHA256
}
