// Package rpminstall unpacks the payloads of RPM files into a root, the way
// `rpm -i --nodeps --noscripts` would place files, without an rpm database.
//
// It is a minimal extractor for build dependencies: it runs inside the build
// sandbox, where "/" is the build root and symbolic links resolve as they
// will for the build. Scriptlets are not run, %ghost files are absent (they
// are not in payloads) and file capabilities are not applied. It is meant to
// be folded into Keel's RPM reading package (tools/rpmfile) once that exists.
package rpminstall

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/cavaliergopher/cpio"
	"github.com/cavaliergopher/rpm"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Install unpacks each RPM file into the directory root ("/" inside a
// sandbox), in order; later packages overwrite files of earlier ones.
func Install(root string, rpms []string) error {
	ids := loadIDs(root)
	for _, p := range rpms {
		if err := installOne(root, p, ids); err != nil {
			return fmt.Errorf("installing %s: %w", filepath.Base(p), err)
		}
	}
	return nil
}

type idTables struct{ users, groups map[string]int }

// loadIDs reads names to ids from the root's /etc/passwd and /etc/group;
// unknown names fall back to 0 (root).
func loadIDs(root string) idTables {
	read := func(p string) map[string]int {
		m := map[string]int{"root": 0}
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			return m
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(line, ":")
			if len(f) >= 3 {
				if id, err := strconv.Atoi(f[2]); err == nil {
					m[f[0]] = id
				}
			}
		}
		return m
	}
	return idTables{read("etc/passwd"), read("etc/group")}
}

func installOne(root, path string, ids idTables) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	pkg, err := rpm.Read(br)
	if err != nil {
		return fmt.Errorf("reading header: %w", err)
	}
	if pf := pkg.PayloadFormat(); pf != "cpio" {
		return fmt.Errorf("unsupported payload format %q", pf)
	}
	var payload io.Reader
	switch c := pkg.PayloadCompression(); c {
	case "zstd":
		zr, err := zstd.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		payload = zr
	case "xz", "lzma":
		xr, err := xz.NewReader(br)
		if err != nil {
			return err
		}
		payload = xr
	case "gzip":
		gr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		payload = gr
	case "", "none":
		payload = br
	default:
		return fmt.Errorf("unsupported payload compression %q", c)
	}
	meta := map[string]rpm.FileInfo{}
	for _, fi := range pkg.Files() {
		meta[fi.Name()] = fi
	}
	links := map[int64]string{} // inode -> first path, for hard links
	chown := true
	cr := cpio.NewReader(payload)
	for {
		h, err := cr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading payload: %w", err)
		}
		name := "/" + strings.TrimPrefix(strings.TrimPrefix(h.Name, "."), "/")
		dst := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(h.Mode.Perm())
		if h.Mode&cpio.ModeSetuid != 0 {
			mode |= os.ModeSetuid
		}
		if h.Mode&cpio.ModeSetgid != 0 {
			mode |= os.ModeSetgid
		}
		if h.Mode&cpio.ModeSticky != 0 {
			mode |= os.ModeSticky
		}
		switch h.Mode &^ (cpio.ModePerm | cpio.ModeSetuid | cpio.ModeSetgid | cpio.ModeSticky) {
		case cpio.TypeDir:
			if err := os.Mkdir(dst, 0o755); err != nil && !os.IsExist(err) {
				return err
			}
		case cpio.TypeSymlink:
			os.Remove(dst)
			if err := os.Symlink(h.Linkname, dst); err != nil {
				return err
			}
		case cpio.TypeReg:
			if first, ok := links[h.Inode]; ok && h.Links > 1 {
				os.Remove(dst)
				if err := os.Link(first, dst); err != nil {
					return err
				}
				if h.Size == 0 {
					continue
				}
				// The data comes with the last link: write through it.
				if err := writeFile(dst, cr, false); err != nil {
					return err
				}
			} else {
				if h.Links > 1 {
					links[h.Inode] = dst
				}
				if err := writeFile(dst, cr, true); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%s: unsupported file type %o", name, h.Mode)
		}
		fi, ok := meta[name]
		if chown && ok {
			err := os.Lchown(dst, ids.users[fi.Owner()], ids.groups[fi.Group()])
			if errors.Is(err, syscall.EINVAL) {
				chown = false // a single-id map: only root exists
			} else if err != nil {
				return err
			}
		}
		if h.Mode&^cpio.ModePerm != cpio.TypeSymlink {
			if err := os.Chmod(dst, mode); err != nil {
				return err
			}
			if ok {
				os.Chtimes(dst, fi.ModTime(), fi.ModTime())
			}
		}
	}
}

// writeFile writes r to dst. With replace, an existing dst (which may be a
// file of the root that is hard-linked or read-only) is removed first.
func writeFile(dst string, r io.Reader, replace bool) error {
	if replace {
		os.Remove(dst)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
