package sources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LockFile is the name of a spec tree's sources lock file.
const LockFile = "sources.lock.json"

// ReadWants turns command-line arguments into wanted files. Each argument
// is one of:
//   - a sha256 (64 hex digits);
//   - a sources lock file: {"sources": [{file, sha256, urls, package}...]}
//     as keel gen writes it, or just the list;
//   - a *.signatures.json file as Azure Linux writes them:
//     {"Signatures": {"file": "sha256", ...}}; files present next to it are
//     local sources: their hashes are checked and they are not wanted;
//   - a directory, searched for *.signatures.json files and sources.lock.json.
func ReadWants(args []string) ([]Want, error) {
	var out []Want
	for _, a := range args {
		if isSHA256(strings.ToLower(a)) {
			if _, err := os.Stat(a); err != nil {
				out = append(out, Want{SHA256: strings.ToLower(a)})
				continue
			}
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("reading wanted sources: %w", err)
		}
		files := []string{a}
		if st.IsDir() {
			if files, err = findWantFiles(a); err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("%s: no *.signatures.json or %s in this folder", a, LockFile)
			}
		}
		for _, f := range files {
			ws, err := ReadWantFile(f)
			if err != nil {
				return nil, err
			}
			out = append(out, ws...)
		}
	}
	return out, nil
}

func findWantFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".signatures.json") || e.Name() == LockFile) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// ReadWantFile reads a sources lock file or a *.signatures.json file.
func ReadWantFile(path string) ([]Want, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading wanted sources: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	var out []Want
	switch {
	case bytes.HasPrefix(trimmed, []byte("[")):
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out); err != nil {
			return nil, fmt.Errorf("%s: reading lock file: %w", path, err)
		}
	case bytes.HasPrefix(trimmed, []byte("{")):
		var obj struct {
			Signatures map[string]string
			Sources    []Want `json:"sources"`
		}
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, fmt.Errorf("%s: reading JSON: %w", path, err)
		}
		if obj.Sources != nil {
			// A lock file as keel gen writes it: {"sources": [...]}.
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			var lock struct {
				Sources []Want `json:"sources"`
			}
			if err := dec.Decode(&lock); err != nil {
				return nil, fmt.Errorf("%s: reading lock file: %w", path, err)
			}
			out = lock.Sources
			break
		}
		if obj.Signatures == nil {
			return nil, fmt.Errorf("%s: no \"Signatures\" object and no \"sources\" list", path)
		}
		for f, s := range obj.Signatures {
			// A file next to the signatures is a local source, kept in
			// the tree: check it, but it needs no cache entry.
			local := filepath.Join(filepath.Dir(path), f)
			if got, err := hashFile(local); err == nil {
				if want := strings.ToLower(s); got != want {
					return nil, &MismatchError{File: local, Expected: want, Actual: got}
				}
				continue
			}
			out = append(out, Want{File: f, SHA256: s})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	default:
		return nil, fmt.Errorf("%s: want a JSON lock file or signatures object", path)
	}
	for i, w := range out {
		if !isSHA256(strings.ToLower(w.SHA256)) {
			return nil, fmt.Errorf("%s: entry %d (%s): %q is not a sha256", path, i+1, w.File, w.SHA256)
		}
		out[i].SHA256 = strings.ToLower(w.SHA256)
	}
	return out, nil
}
