// Package cpio writes the SVR4 "newc" cpio format that the Linux kernel
// unpacks as an initramfs.
//
// It is hand-written because the kernel needs fields that
// github.com/cavaliergopher/cpio does not let a caller set (inode numbers for
// hard links, device numbers of character and block devices), and because
// every field must be chosen by the caller for reproducible output.
package cpio

import (
	"fmt"
	"io"
)

// File type bits of Header.Mode.
const (
	TypeFifo    = 0o010000
	TypeChar    = 0o020000
	TypeDir     = 0o040000
	TypeBlock   = 0o060000
	TypeRegular = 0o100000
	TypeSymlink = 0o120000
)

// Header is one newc entry. Mode holds the file type bits and permissions.
type Header struct {
	Name                 string
	Ino                  uint32
	Mode                 uint32
	UID, GID             uint32
	Nlink                uint32
	Mtime                uint32
	Size                 uint32 // bytes of data that follow
	RdevMajor, RdevMinor uint32
}

// Writer writes newc entries. It keeps no state beyond padding, so the
// output depends only on the headers and data given.
type Writer struct {
	w       io.Writer
	remain  int64 // data bytes still expected for the current entry
	pad     int   // padding owed after the current entry's data
	written int64
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteHeader starts a new entry; exactly h.Size data bytes must follow.
func (cw *Writer) WriteHeader(h *Header) error {
	if cw.remain != 0 {
		return fmt.Errorf("writing cpio header for %s: %d data bytes of the previous entry missing", h.Name, cw.remain)
	}
	if err := cw.flushPad(); err != nil {
		return err
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		h.Ino, h.Mode, h.UID, h.GID, h.Nlink, h.Mtime, h.Size,
		0, 0, h.RdevMajor, h.RdevMinor, len(h.Name)+1, 0)
	buf := append([]byte(hdr), h.Name...)
	buf = append(buf, 0)
	buf = append(buf, make([]byte, pad4(len(buf)))...)
	if err := cw.write(buf); err != nil {
		return fmt.Errorf("writing cpio header for %s: %w", h.Name, err)
	}
	cw.remain = int64(h.Size)
	cw.pad = pad4(int(h.Size))
	return nil
}

// Write writes data of the current entry.
func (cw *Writer) Write(p []byte) (int, error) {
	if int64(len(p)) > cw.remain {
		return 0, fmt.Errorf("writing cpio data: %d bytes more than the header's size", int64(len(p))-cw.remain)
	}
	if err := cw.write(p); err != nil {
		return 0, err
	}
	cw.remain -= int64(len(p))
	return len(p), nil
}

// Close writes the trailer entry. It does not close the underlying writer.
func (cw *Writer) Close() error {
	if err := cw.WriteHeader(&Header{Name: "TRAILER!!!", Nlink: 1}); err != nil {
		return err
	}
	return cw.flushPad()
}

func (cw *Writer) flushPad() error {
	if cw.pad == 0 {
		return nil
	}
	n := cw.pad
	cw.pad = 0
	return cw.write(make([]byte, n))
}

func (cw *Writer) write(p []byte) error {
	n, err := cw.w.Write(p)
	cw.written += int64(n)
	return err
}

func pad4(n int) int { return (4 - n%4) % 4 }
