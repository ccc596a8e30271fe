// Package atomicfile writes outputs so that a reader sees either nothing or
// the whole file: data goes to a temporary file in the destination folder,
// which is renamed over the destination only on success.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write creates path by calling fill on a temporary file next to it and
// renaming it into place when fill and the final sync succeed. On any error
// the temporary file is removed and path is left untouched.
func Write(path string, mode os.FileMode, fill func(f *os.File) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp, path, err)
	}
	return nil
}

// Rename moves the finished file src to dst, for outputs produced by a host
// tool into a temporary path. src must be in the same folder as dst.
func Rename(src, dst string) error {
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", src, dst, err)
	}
	return nil
}

// TempPath returns an unused path next to dst for a host tool to write to.
// The caller renames it with Rename or removes it.
func TempPath(dst string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("creating temporary file for %s: %w", dst, err)
	}
	name := f.Name()
	f.Close()
	return name, nil
}

// ReplaceDir moves the finished directory src to dst, removing an older dst
// first. src must be on the same filesystem as dst.
func ReplaceDir(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("removing old %s: %w", dst, err)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", src, dst, err)
	}
	return nil
}
