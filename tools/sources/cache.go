package sources

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MismatchError reports a file whose content does not have the sha256 it
// was wanted by.
type MismatchError struct {
	File             string
	Expected, Actual string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: sha256 mismatch: expected %s, got %s", e.File, e.Expected, e.Actual)
}

// Place copies r into the repository cache at dir as the file with the
// given sha256, checking the hash on the way. The file appears under its
// final name only if the hash matches; otherwise Place returns a
// *MismatchError naming the file (name) and nothing is left behind.
func Place(dir, sum, name string, r io.Reader) error {
	dst := CachePath(dir, sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("making cache directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".file.tmp*")
	if err != nil {
		return fmt.Errorf("creating cache file for %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		return fmt.Errorf("copying %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return &MismatchError{File: name, Expected: sum, Actual: got}
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("placing %s: %w", name, err)
	}
	return nil
}

// cached reports whether the cache at dir holds a file with the right
// content for sum. A file there with other content is treated as absent
// (Seed replaces it).
func cached(dir, sum string) (bool, error) {
	got, err := hashFile(CachePath(dir, sum))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return got == sum, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
