// Package kernel finds the kernel an image boots inside its root file
// system tar, so that a kernel installed by an RPM (/boot/vmlinuz-VERSION)
// can be put on the image's boot partition.
package kernel

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/keel-build/keel/tools/image/internal/atomicfile"
)

// DefaultPattern matches the kernels that RPM kernel packages install.
const DefaultPattern = "boot/vmlinuz-*"

// Extract copies the one regular file of the tar rootfs whose path matches
// pattern (path.Match syntax, relative to the root: "boot/vmlinuz-*") to
// out, atomically, and returns its path in the tar. It fails when no file or
// more than one file matches, naming them.
func Extract(rootfs, pattern, out string) (string, error) {
	pattern = strings.TrimPrefix(pattern, "/")
	if _, err := path.Match(pattern, ""); err != nil {
		return "", fmt.Errorf("parsing kernel pattern %q: %w", pattern, err)
	}
	f, err := os.Open(rootfs)
	if err != nil {
		return "", fmt.Errorf("opening rootfs: %w", err)
	}
	defer f.Close()
	var matches, others []string
	var data []byte
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", rootfs, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path.Clean("/"+h.Name), "/"), "/")
		if ok, _ := path.Match(pattern, name); !ok {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			others = append(others, name)
			continue
		}
		matches = append(matches, name)
		if len(matches) == 1 {
			if data, err = io.ReadAll(tr); err != nil {
				return "", fmt.Errorf("reading %s from %s: %w", name, rootfs, err)
			}
		}
	}
	switch {
	case len(matches) == 0 && len(others) > 0:
		return "", fmt.Errorf("finding the kernel in %s: %q matches no regular file, only %s", rootfs, pattern, strings.Join(others, ", "))
	case len(matches) == 0:
		return "", fmt.Errorf("finding the kernel in %s: no file matches %q (is the kernel package installed?)", rootfs, pattern)
	case len(matches) > 1:
		sort.Strings(matches)
		return "", fmt.Errorf("finding the kernel in %s: %q matches %d files (%s): give a narrower pattern", rootfs, pattern, len(matches), strings.Join(matches, ", "))
	}
	// A kernel is a few MiB: held in memory until the scan has proved that
	// it is the only match.
	err = atomicfile.Write(out, 0o644, func(w *os.File) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("writing kernel %s: %w", out, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return matches[0], nil
}
