// Package initramfs turns a root-filesystem tar into a gzip-compressed newc
// cpio archive, the format the Linux kernel unpacks into its initial root
// filesystem. The output depends only on the tar and the options: inode
// numbers are assigned in tar order, times are clamped to the epoch and the
// gzip header carries no name or time.
package initramfs

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/pgzip"

	"github.com/keel-build/keel/tools/image/internal/atomicfile"
	"github.com/keel-build/keel/tools/image/internal/cpio"
)

// gzipBlock is the parallel gzip block size; the output depends on it (and
// on nothing else about the compressor's scheduling).
const gzipBlock = 1 << 20

// Options tune the archive.
type Options struct {
	// Epoch clamps modification times: later times become Epoch. Zero keeps
	// the tar's times. Missing parent folders get this time.
	Epoch time.Time
	// Level is the gzip level; 0 means gzip.DefaultCompression. Compression
	// runs in parallel blocks (klauspost/pgzip), which the kernel's gzip
	// decompressor reads like any gzip stream.
	Level int
}

// WriteFile writes the initramfs of the tar at tarPath to out atomically.
func WriteFile(out, tarPath string, opts Options) error {
	return atomicfile.Write(out, 0o644, func(f *os.File) error {
		return Write(f, tarPath, opts)
	})
}

// Write writes the gzip-compressed newc archive of the tar at tarPath to w.
// Extended attributes are dropped: newc cannot carry them. Entries whose
// parent folder is not in the tar get a parent folder (0755, root) first.
func Write(w io.Writer, tarPath string, opts Options) error {
	links, err := countLinks(tarPath)
	if err != nil {
		return err
	}
	f, err := os.Open(tarPath)
	if err != nil {
		return fmt.Errorf("opening rootfs tar: %w", err)
	}
	defer f.Close()

	level := opts.Level
	if level == 0 {
		level = gzip.DefaultCompression
	}
	zw, err := pgzip.NewWriterLevel(w, level)
	if err == nil {
		err = zw.SetConcurrency(gzipBlock, runtime.GOMAXPROCS(0))
	}
	if err != nil {
		return fmt.Errorf("creating gzip writer: %w", err)
	}
	c := &converter{
		cw:      cpio.NewWriter(zw),
		epoch:   opts.Epoch,
		links:   links,
		targets: map[string]cpio.Header{},
		dirs:    map[string]bool{"": true},
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", tarPath, err)
		}
		if err := c.entry(h, tr); err != nil {
			return fmt.Errorf("converting %s entry %q: %w", tarPath, h.Name, err)
		}
	}
	if err := c.cw.Close(); err != nil {
		return fmt.Errorf("writing cpio trailer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finishing gzip stream: %w", err)
	}
	return nil
}

type converter struct {
	cw      *cpio.Writer
	epoch   time.Time
	links   map[string]uint32      // hard-link target → number of names
	targets map[string]cpio.Header // hard-link target → its header
	dirs    map[string]bool        // folders written so far
	nextIno uint32
}

// countLinks reads the tar once to learn how many names each hard-linked
// file has: newc needs the link count in the first header of the file.
func countLinks(tarPath string) (map[string]uint32, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, fmt.Errorf("opening rootfs tar: %w", err)
	}
	defer f.Close()
	links := map[string]uint32{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return links, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", tarPath, err)
		}
		if h.Typeflag == tar.TypeLink {
			t := clean(h.Linkname)
			if links[t] == 0 {
				links[t] = 1
			}
			links[t]++
		}
	}
}

func clean(name string) string {
	name = path.Clean("/" + name)
	return strings.TrimPrefix(name, "/")
}

func (c *converter) ino() uint32 {
	c.nextIno++
	return c.nextIno
}

func (c *converter) mtime(t time.Time) uint32 {
	if !c.epoch.IsZero() && t.After(c.epoch) {
		t = c.epoch
	}
	if t.Unix() < 0 {
		return 0
	}
	return uint32(t.Unix())
}

// parents writes any missing parent folders of name.
func (c *converter) parents(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		dir = ""
	}
	if c.dirs[dir] {
		return nil
	}
	if err := c.parents(dir); err != nil {
		return err
	}
	c.dirs[dir] = true
	return c.cw.WriteHeader(&cpio.Header{
		Name: dir, Ino: c.ino(), Mode: cpio.TypeDir | 0o755, Nlink: 2, Mtime: c.mtime(c.epoch),
	})
}

func (c *converter) entry(h *tar.Header, r io.Reader) error {
	name := clean(h.Name)
	if name == "" {
		return nil // the root folder itself
	}
	if err := c.parents(name); err != nil {
		return err
	}
	ch := &cpio.Header{
		Name:  name,
		Mode:  uint32(h.Mode) & 0o7777,
		UID:   uint32(h.Uid),
		GID:   uint32(h.Gid),
		Nlink: 1,
		Mtime: c.mtime(h.ModTime),
	}
	var data io.Reader
	switch h.Typeflag {
	case tar.TypeReg:
		if h.Size > 1<<32-1 {
			return fmt.Errorf("file of %d bytes is too large for newc cpio", h.Size)
		}
		ch.Mode |= cpio.TypeRegular
		ch.Size = uint32(h.Size)
		data = r
		if n := c.links[name]; n > 0 {
			ch.Ino, ch.Nlink = c.ino(), n
			c.targets[name] = *ch
		}
	case tar.TypeLink:
		// The kernel links later names to the first one it saw with the
		// same inode, so only the first name carries the data.
		target, ok := c.targets[clean(h.Linkname)]
		if !ok {
			return fmt.Errorf("hard link to %q, which is not an earlier regular file", h.Linkname)
		}
		target.Name, target.Size = name, 0
		*ch = target
	case tar.TypeDir:
		ch.Mode |= cpio.TypeDir
		ch.Nlink = 2
		c.dirs[name] = true
	case tar.TypeSymlink:
		ch.Mode = cpio.TypeSymlink | 0o777
		ch.Size = uint32(len(h.Linkname))
		data = strings.NewReader(h.Linkname)
	case tar.TypeChar:
		ch.Mode |= cpio.TypeChar
		ch.RdevMajor, ch.RdevMinor = uint32(h.Devmajor), uint32(h.Devminor)
	case tar.TypeBlock:
		ch.Mode |= cpio.TypeBlock
		ch.RdevMajor, ch.RdevMinor = uint32(h.Devmajor), uint32(h.Devminor)
	case tar.TypeFifo:
		ch.Mode |= cpio.TypeFifo
	default:
		return fmt.Errorf("unsupported tar entry type %q", h.Typeflag)
	}
	if ch.Ino == 0 {
		ch.Ino = c.ino()
	}
	if err := c.cw.WriteHeader(ch); err != nil {
		return err
	}
	if data != nil {
		n, err := io.Copy(c.cw, data)
		if err != nil {
			return fmt.Errorf("copying data: %w", err)
		}
		if n != int64(ch.Size) {
			return fmt.Errorf("copying data: got %d bytes, header says %d", n, ch.Size)
		}
	}
	return nil
}
