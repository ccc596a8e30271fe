package sources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ulikunitz/xz"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listDir returns every path under dir, relative, sorted (WalkDir order).
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestPlace(t *testing.T) {
	content := []byte("tarball bytes")
	good := sum(content)
	other := sum([]byte("something else"))

	t.Run("match", func(t *testing.T) {
		dir := t.TempDir()
		if err := Place(dir, good, "a.tar.gz", bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(CachePath(dir, good))
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("cache file = %q, %v; want %q", got, err, content)
		}
		want := []string{"content_addressable", "content_addressable/sha256",
			"content_addressable/sha256/" + good, "content_addressable/sha256/" + good + "/file"}
		if got := listDir(t, dir); !reflect.DeepEqual(got, want) {
			t.Errorf("cache holds %q, want %q", got, want)
		}
	})
	t.Run("mismatch", func(t *testing.T) {
		dir := t.TempDir()
		err := Place(dir, other, "a.tar.gz", bytes.NewReader(content))
		var me *MismatchError
		if !errors.As(err, &me) {
			t.Fatalf("err = %v, want a *MismatchError", err)
		}
		if me.File != "a.tar.gz" || me.Expected != other || me.Actual != good {
			t.Errorf("error = %+v", me)
		}
		for _, s := range []string{"a.tar.gz", other, good} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not mention %s", err, s)
			}
		}
		if _, err := os.Stat(CachePath(dir, other)); !os.IsNotExist(err) {
			t.Errorf("a wrong file was placed: %v", err)
		}
		if ents, _ := os.ReadDir(filepath.Dir(CachePath(dir, other))); len(ents) != 0 {
			t.Errorf("left behind %v", ents)
		}
	})
}

func TestReadWantFile(t *testing.T) {
	local := "local config\n"
	tests := []struct {
		name    string
		content string
		want    []Want
		err     string // substring of the error; "" for success
	}{
		{
			name: "lock file",
			content: `[{"file": "a-1.tar.gz", "sha256": "` + strings.Repeat("AB", 32) + `",
			  "urls": ["https://example.invalid/a-1.tar.gz"], "package": "a"}]`,
			want: []Want{{File: "a-1.tar.gz", SHA256: strings.Repeat("ab", 32),
				URLs: []string{"https://example.invalid/a-1.tar.gz"}, Package: "a"}},
		},
		{
			name: "signatures, local file skipped",
			content: `{"Signatures": {"z.tar.xz": "` + strings.Repeat("1", 64) + `",
			  "local.conf": "` + sum([]byte(local)) + `", "b.tar.gz": "` + strings.Repeat("2", 64) + `"}}`,
			want: []Want{{File: "b.tar.gz", SHA256: strings.Repeat("2", 64)}, {File: "z.tar.xz", SHA256: strings.Repeat("1", 64)}},
		},
		{
			name:    "signatures, local file with a wrong hash",
			content: `{"Signatures": {"local.conf": "` + strings.Repeat("3", 64) + `"}}`,
			err:     "local.conf: sha256 mismatch: expected " + strings.Repeat("3", 64) + ", got " + sum([]byte(local)),
		},
		{
			name: "lock file as keel gen writes it",
			content: `{"sources": [{"package": "SPECS/b", "file": "b-2.tar.xz", "sha256": "` + strings.Repeat("2", 64) + `",
			  "urls": []}]}`,
			want: []Want{{File: "b-2.tar.xz", SHA256: strings.Repeat("2", 64), URLs: []string{}, Package: "SPECS/b"}},
		},
		{name: "lock file with an unknown field", content: `{"sources": [{"file": "a", "hash": "1"}]}`, err: `unknown field "hash"`},
		{name: "short hash", content: `[{"file": "a", "sha256": "abc"}]`, err: `entry 1 (a): "abc" is not a sha256`},
		{name: "unknown field", content: `[{"file": "a", "sha": "abc"}]`, err: `unknown field "sha"`},
		{name: "no signatures", content: `{"Sigs": {}}`, err: `no "Signatures" object and no "sources" list`},
		{name: "not json", content: `a b c`, err: "want a JSON lock file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "local.conf"), local)
			p := filepath.Join(dir, "x.signatures.json")
			write(t, p, tc.content)
			got, err := ReadWantFile(p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestReadWants(t *testing.T) {
	dir := t.TempDir()
	h1, h2, h3 := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("c", 64)
	write(t, filepath.Join(dir, "a", "a.signatures.json"), `{"Signatures": {"a.tar": "`+h1+`"}}`)
	write(t, filepath.Join(dir, "b", "b.signatures.json"), `{"Signatures": {"b.tar": "`+h2+`"}}`)
	write(t, filepath.Join(dir, "b", "notes.json"), `not read`)
	got, err := ReadWants([]string{strings.ToUpper(h3), dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []Want{{SHA256: h3}, {File: "a.tar", SHA256: h1}, {File: "b.tar", SHA256: h2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if _, err := ReadWants([]string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no *.signatures.json") {
		t.Errorf("empty folder: err = %v", err)
	}
	if _, err := ReadWants([]string{"deadbeef"}); err == nil {
		t.Error("a short hash that is no file was accepted")
	}
}

func TestSeedFromDirs(t *testing.T) {
	src := t.TempDir()
	// Names differ from the wanted ones: files match by content.
	write(t, filepath.Join(src, "x", "renamed.tar.gz"), "alpha")
	write(t, filepath.Join(src, "beta.tar.gz"), "beta")
	write(t, filepath.Join(src, "unrelated"), "gamma")
	cache := t.TempDir()
	wants := []Want{
		{File: "alpha.tar.gz", SHA256: sum([]byte("alpha"))},
		{File: "beta.tar.gz", SHA256: sum([]byte("beta"))},
		{File: "delta.tar.gz", SHA256: sum([]byte("delta"))},
		{File: "beta-again.tar.gz", SHA256: sum([]byte("beta"))}, // duplicate hash
	}
	rep, err := Seed(context.Background(), Options{RepositoryCache: cache, FromDirs: []string{src}}, wants)
	if err != nil {
		t.Fatal(err)
	}
	wantFound := []Found{
		{wants[0], filepath.Join(src, "x", "renamed.tar.gz")},
		{wants[1], filepath.Join(src, "beta.tar.gz")},
	}
	if !reflect.DeepEqual(rep.Found, wantFound) || !reflect.DeepEqual(rep.Missing, []Want{wants[2]}) {
		t.Errorf("report = %+v", rep)
	}
	for _, c := range []string{"alpha", "beta"} {
		if got, err := os.ReadFile(CachePath(cache, sum([]byte(c)))); err != nil || string(got) != c {
			t.Errorf("cache for %s = %q, %v", c, got, err)
		}
	}

	// A second run finds everything in the cache; a damaged entry is replaced.
	write(t, CachePath(cache, sum([]byte("beta"))), "damaged")
	rep, err = Seed(context.Background(), Options{RepositoryCache: cache, FromDirs: []string{src}}, wants[:2])
	if err != nil {
		t.Fatal(err)
	}
	froms := []string{rep.Found[0].From, rep.Found[1].From}
	if !reflect.DeepEqual(froms, []string{"cache", filepath.Join(src, "beta.tar.gz")}) {
		t.Errorf("second run found from %q", froms)
	}
	if got, _ := os.ReadFile(CachePath(cache, sum([]byte("beta")))); string(got) != "beta" {
		t.Errorf("damaged entry holds %q after reseeding", got)
	}
}

// mirror is a fake Debian archive: one suite with a source index.
type mirror struct {
	srv     *httptest.Server
	files   map[string][]byte // URL path → content
	indexes map[string][]byte // path under dists/bookworm → content
	mu      sync.Mutex
	got     []string // paths requested
}

func xzBytes(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newMirror serves pool files under pool/main/<letter>/<pkg>/ and a
// Sources.xz listing them (with the hashes in listed, which may differ from
// the content to simulate a bad mirror) for suite "bookworm", component
// "main". The suite "bookworm-updates" has no Release file.
func newMirror(t *testing.T, pool map[string]string, listed map[string]string) *mirror {
	t.Helper()
	m := &mirror{files: map[string][]byte{}, indexes: map[string][]byte{}}
	var idx strings.Builder
	for name, content := range pool {
		pkg := strings.SplitN(name, "_", 2)[0]
		dir := "pool/main/" + pkg[:1] + "/" + pkg
		m.files["/debian/"+dir+"/"+name] = []byte(content)
		h := listed[name]
		if h == "" {
			h = sum([]byte(content))
		}
		fmt.Fprintf(&idx, "Package: %s\nVersion: 1.0-1\nFiles:\n d41d8cd98f00b204e9800998ecf8427e %d %s\nChecksums-Sha256:\n %s %d %s.dsc\n %s %d %s\nDirectory: %s\n\n",
			pkg, len(content), name, strings.Repeat("0", 64), 10, pkg, h, len(content), name, dir)
	}
	m.setIndex(t, "main/source/Sources.xz", xzBytes(t, idx.String()))
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.got = append(m.got, r.URL.Path)
		m.mu.Unlock()
		b, ok := m.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// setIndex serves an index of suite bookworm and lists it in the Release
// file, which always also lists a binary-amd64 index that is not served.
func (m *mirror) setIndex(t *testing.T, rel string, data []byte) {
	t.Helper()
	m.indexes[rel] = data
	m.files["/debian/dists/bookworm/"+rel] = data
	var release strings.Builder
	release.WriteString("Origin: Debian\nSuite: stable\nMD5Sum:\n 0000 1 main/source/Sources.xz\nSHA256:\n")
	if _, ok := m.indexes["main/binary-amd64/Packages.xz"]; !ok {
		fmt.Fprintf(&release, " %s 10 main/binary-amd64/Packages.xz\n", strings.Repeat("f", 64))
	}
	rels := make([]string, 0, len(m.indexes))
	for r := range m.indexes {
		rels = append(rels, r)
	}
	sort.Strings(rels)
	for _, r := range rels {
		fmt.Fprintf(&release, " %s %d %s\n", sum(m.indexes[r]), len(m.indexes[r]), r)
	}
	m.files["/debian/dists/bookworm/Release"] = []byte(release.String())
}

// addDebs serves binary packages (file name → content) in the pool and
// lists them in the binary index of arch, with the hashes in listed where
// given.
func (m *mirror) addDebs(t *testing.T, arch string, debs, listed map[string]string) {
	t.Helper()
	var idx strings.Builder
	names := make([]string, 0, len(debs))
	for name := range debs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pkg := strings.SplitN(name, "_", 2)[0]
		file := "pool/main/" + pkg[:1] + "/" + pkg + "/" + name
		m.files["/debian/"+file] = []byte(debs[name])
		h := listed[name]
		if h == "" {
			h = sum([]byte(debs[name]))
		}
		fmt.Fprintf(&idx, "Package: %s\nVersion: 1.0-1\nArchitecture: %s\nDescription: test\n two lines\nFilename: %s\nSize: %d\nSHA256: %s\n\n",
			pkg, arch, file, len(debs[name]), h)
	}
	m.setIndex(t, "main/binary-"+arch+"/Packages.xz", xzBytes(t, idx.String()))
}

// aptDir writes an apt configuration pointing at m: a deb822 file with two
// suites, a disabled file naming a host that must never be contacted, and
// an archive on a server that is down.
func (m *mirror) aptDir(t *testing.T) string {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sources.list.d", "debian.sources"), fmt.Sprintf(
		"Types: deb\nURIs: %s/debian\nSuites: bookworm bookworm-updates\nComponents: main\n", m.srv.URL))
	write(t, filepath.Join(dir, "sources.list.d", "other.list.disabled"), "deb http://unreachable.invalid/x stable main\n")
	// An archive nobody answers for: skipped, not fatal.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	write(t, filepath.Join(dir, "sources.list.d", "z-down.list"), "deb "+down.URL+"/debian bookworm main\n")
	return dir
}

func TestSeedFromDebian(t *testing.T) {
	m := newMirror(t, map[string]string{"hello_1.0.orig.tar.gz": "hello source", "other_2.0.orig.tar.xz": "other"}, nil)
	cache := t.TempDir()
	var log bytes.Buffer
	wants := []Want{
		{File: "hello-1.0.tar.gz", SHA256: sum([]byte("hello source"))},
		{File: "absent-1.tar.gz", SHA256: sum([]byte("absent"))},
	}
	rep, err := Seed(context.Background(), Options{RepositoryCache: cache, FromDebian: true, AptDir: m.aptDir(t), Log: &log}, wants)
	if err != nil {
		t.Fatal(err)
	}
	wantFound := []Found{{wants[0], m.srv.URL + "/debian/pool/main/h/hello/hello_1.0.orig.tar.gz"}}
	if !reflect.DeepEqual(rep.Found, wantFound) || !reflect.DeepEqual(rep.Missing, []Want{wants[1]}) {
		t.Errorf("report = %+v", rep)
	}
	if got, _ := os.ReadFile(CachePath(cache, wants[0].SHA256)); string(got) != "hello source" {
		t.Errorf("cache holds %q", got)
	}
	if !strings.Contains(log.String(), "bookworm-updates: no index") ||
		!strings.Contains(log.String(), "connection refused") {
		t.Errorf("log does not warn about the suite without an index and the archive that is down:\n%s", log.String())
	}
	for _, p := range m.got {
		if strings.Contains(p, "other_2.0") {
			t.Errorf("downloaded an unwanted file: %s", p)
		}
	}
}

func TestSeedFromDebianErrors(t *testing.T) {
	wantHash := sum([]byte("the real tarball"))
	t.Run("mirror serves other bytes", func(t *testing.T) {
		m := newMirror(t, map[string]string{"hello_1.0.orig.tar.gz": "tampered"},
			map[string]string{"hello_1.0.orig.tar.gz": wantHash})
		cache := t.TempDir()
		_, err := Seed(context.Background(), Options{RepositoryCache: cache, FromDebian: true, AptDir: m.aptDir(t)},
			[]Want{{File: "hello-1.0.tar.gz", SHA256: wantHash}})
		var me *MismatchError
		if !errors.As(err, &me) || me.File != "hello-1.0.tar.gz" || me.Expected != wantHash || me.Actual != sum([]byte("tampered")) {
			t.Fatalf("err = %v, want a mismatch naming hello-1.0.tar.gz", err)
		}
		if _, err := os.Stat(CachePath(cache, wantHash)); !os.IsNotExist(err) {
			t.Errorf("a wrong file was placed: %v", err)
		}
	})
	t.Run("index does not match Release", func(t *testing.T) {
		// A mirror between updates: the index is used with a warning, and
		// the file it points to is still checked by its own hash.
		m := newMirror(t, map[string]string{"hello_1.0.orig.tar.gz": "the real tarball", "bad_1.0.orig.tar.gz": "tampered"},
			map[string]string{"bad_1.0.orig.tar.gz": sum([]byte("wanted"))})
		rel := "/debian/dists/bookworm/Release"
		m.files[rel] = []byte(strings.Replace(string(m.files[rel]), sum(m.indexes["main/source/Sources.xz"]), strings.Repeat("0", 64), 1))
		var log bytes.Buffer
		cache := t.TempDir()
		rep, err := Seed(context.Background(), Options{RepositoryCache: cache, FromDebian: true, AptDir: m.aptDir(t), Log: &log},
			[]Want{{SHA256: wantHash}})
		if err != nil || len(rep.Found) != 1 || len(rep.Missing) != 0 {
			t.Fatalf("Seed = %+v, %v; want the file found through the index", rep, err)
		}
		if !strings.Contains(log.String(), "Sources.xz: sha256 mismatch") {
			t.Errorf("log does not warn about the index:\n%s", log.String())
		}
		var me *MismatchError
		_, err = Seed(context.Background(), Options{RepositoryCache: cache, FromDebian: true, AptDir: m.aptDir(t)},
			[]Want{{File: "bad-1.0.tar.gz", SHA256: sum([]byte("wanted"))}})
		if !errors.As(err, &me) {
			t.Fatalf("err = %v, want the file's mismatch", err)
		}
	})
	t.Run("no archive has an index", func(t *testing.T) {
		m := newMirror(t, nil, nil)
		delete(m.files, "/debian/dists/bookworm/Release")
		_, err := Seed(context.Background(), Options{RepositoryCache: t.TempDir(), FromDebian: true, AptDir: m.aptDir(t)},
			[]Want{{SHA256: wantHash}})
		if err == nil || !strings.Contains(err.Error(), "none of the 3 archives") || !strings.Contains(err.Error(), "(source)") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad hash", func(t *testing.T) {
		_, err := Seed(context.Background(), Options{RepositoryCache: t.TempDir()}, []Want{{File: "f", SHA256: "xyz"}})
		if err == nil || !strings.Contains(err.Error(), `f: "xyz" is not a sha256`) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSeedDebsFromDebian(t *testing.T) {
	m := newMirror(t, map[string]string{"hello_1.0.orig.tar.gz": "hello source"}, nil)
	m.addDebs(t, "amd64", map[string]string{"boot-efi_1.0-1_amd64.deb": "amd64 deb", "unwanted_1.0-1_amd64.deb": "x"}, nil)
	m.addDebs(t, "all", map[string]string{"loader_1.0-1_all.deb": "all deb"}, nil)
	cache := t.TempDir()
	wants := []Want{
		{File: "boot-efi_1.0-1_amd64.deb", SHA256: sum([]byte("amd64 deb"))},
		{File: "loader_1.0-1_all.deb", SHA256: sum([]byte("all deb"))},
		// A .deb of an architecture the mirror has no index for.
		{File: "boot-efi_1.0-1_arm64.deb", SHA256: sum([]byte("arm64 deb"))},
	}
	var log bytes.Buffer
	rep, err := Seed(context.Background(), Options{RepositoryCache: cache, FromDebian: true, AptDir: m.aptDir(t), Log: &log}, wants)
	if err != nil {
		t.Fatal(err)
	}
	wantFound := []Found{
		{wants[0], m.srv.URL + "/debian/pool/main/b/boot-efi/boot-efi_1.0-1_amd64.deb"},
		{wants[1], m.srv.URL + "/debian/pool/main/l/loader/loader_1.0-1_all.deb"},
	}
	if !reflect.DeepEqual(rep.Found, wantFound) || !reflect.DeepEqual(rep.Missing, []Want{wants[2]}) {
		t.Errorf("report = %+v", rep)
	}
	for _, w := range wantFound {
		if got, _ := os.ReadFile(CachePath(cache, w.SHA256)); sum(got) != w.SHA256 {
			t.Errorf("cache holds %q for %s", got, w.File)
		}
	}
	if !strings.Contains(log.String(), "lists no main/binary-arm64/Packages.xz") {
		t.Errorf("log does not warn about the missing arm64 index:\n%s", log.String())
	}
	for _, p := range m.got {
		// Only .debs are wanted: the source index is not read.
		if strings.Contains(p, "Sources.xz") || strings.Contains(p, "unwanted") {
			t.Errorf("downloaded %s, which is not needed", p)
		}
	}

	t.Run("index does not match Release", func(t *testing.T) {
		m.files["/debian/dists/bookworm/main/binary-all/Packages.xz"] = xzBytes(t, "Package: x\n")
		var log bytes.Buffer
		rep, err := Seed(context.Background(), Options{RepositoryCache: t.TempDir(), FromDebian: true, AptDir: m.aptDir(t), Log: &log}, wants[1:2])
		if err != nil || len(rep.Missing) != 1 {
			t.Fatalf("Seed = %+v, %v; want the file missing (the index served lists nothing)", rep, err)
		}
		if !strings.Contains(log.String(), "binary-all/Packages.xz: sha256 mismatch") {
			t.Errorf("log does not warn about the binary-all index:\n%s", log.String())
		}
	})
}

func TestNeededIndexes(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{[]string{"a-1.tar.gz"}, "source"},
		{[]string{""}, "source"},
		{[]string{"x_1_amd64.deb", "y_2_all.deb", "z_3_amd64.deb"}, "binary-all, binary-amd64"},
		{[]string{"x_1_arm64.deb", "notes.deb", "a_b_c_d.deb"}, "source, binary-arm64"},
		{[]string{"dir/x_1_AMD64.deb"}, "source"},
	} {
		var wants []Want
		for _, f := range tc.files {
			wants = append(wants, Want{File: f})
		}
		if got := neededIndexes(wants).String(); got != tc.want {
			t.Errorf("neededIndexes(%q) = %q, want %q", tc.files, got, tc.want)
		}
	}
}
