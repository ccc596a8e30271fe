package buildroot

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Unpack extracts the zstd-compressed tarball src into the directory dir
// (made if missing), keeping modes, symbolic links, hard links and times.
// Owners are applied only when running as root; otherwise every file belongs
// to the caller, which a sandbox maps to root. Device nodes are skipped (the
// sandbox provides /dev). Every path is resolved inside dir: an entry can
// never write outside it, even through a symbolic link.
func Unpack(src, dir string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := zstd.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	defer zr.Close()
	if err := UnpackTar(zr, dir); err != nil {
		return fmt.Errorf("unpacking %s: %w", src, err)
	}
	return nil
}

// UnpackTar extracts an uncompressed tar stream into dir; see Unpack.
func UnpackTar(r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	chown := os.Geteuid() == 0
	type dirMeta struct {
		name  string
		mode  fs.FileMode
		mtime time.Time
	}
	var dirs []dirMeta // applied last: children change mtimes, modes may forbid writing
	tr := tar.NewReader(r)
	buf := make([]byte, 1<<20)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "/"))
		if name == "." {
			continue
		}
		if name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("entry %q leaves the root", h.Name)
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("making %s: %w", d, err)
			}
		}
		mode := h.FileInfo().Mode()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.Mkdir(name, 0o755); err != nil && !os.IsExist(err) {
				return fmt.Errorf("making %s: %w", name, err)
			}
			dirs = append(dirs, dirMeta{name, mode, h.ModTime})
		case tar.TypeReg:
			root.Remove(name)
			out, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("creating %s: %w", name, err)
			}
			_, err = io.CopyBuffer(out, tr, buf)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("writing %s: %w", name, err)
			}
		case tar.TypeSymlink:
			root.Remove(name)
			if err := root.Symlink(h.Linkname, name); err != nil {
				return fmt.Errorf("linking %s: %w", name, err)
			}
		case tar.TypeLink:
			target := path.Clean(strings.TrimPrefix(h.Linkname, "/"))
			root.Remove(name)
			if err := root.Link(target, name); err != nil {
				return fmt.Errorf("hard-linking %s to %s: %w", name, target, err)
			}
			continue // shares the target's metadata
		case tar.TypeFifo:
			// os.Root has no mkfifo; build roots hold none, so skip them
			// rather than resolve paths by hand.
			continue
		case tar.TypeChar, tar.TypeBlock:
			continue
		default:
			return fmt.Errorf("entry %s: unsupported tar type %q", name, h.Typeflag)
		}
		if chown {
			if err := root.Lchown(name, h.Uid, h.Gid); err != nil {
				return fmt.Errorf("chown %s: %w", name, err)
			}
		}
		if h.Typeflag == tar.TypeReg {
			// After chown, which clears set-id bits.
			if err := root.Chmod(name, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				return fmt.Errorf("chmod %s: %w", name, err)
			}
			if err := root.Chtimes(name, h.ModTime, h.ModTime); err != nil {
				return fmt.Errorf("setting times of %s: %w", name, err)
			}
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := root.Chmod(d.name, d.mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return fmt.Errorf("chmod %s: %w", d.name, err)
		}
		if err := root.Chtimes(d.name, d.mtime, d.mtime); err != nil {
			return fmt.Errorf("setting times of %s: %w", d.name, err)
		}
	}
	return nil
}

// RemoveAll removes a tree that Unpack or a sandbox wrote, first making
// every directory writable so that read-only directories do not stop it.
func RemoveAll(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	_ = fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = syscall.Chmod(dir+"/"+p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
