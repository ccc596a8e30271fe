// Package vhd writes fixed-size VHD images: the raw disk followed by a
// 512-byte footer (Virtual Hard Disk Image Format Specification, 2006).
//
// It is hand-written because qemu-img's VHD footer carries the current time
// and a random UUID; here both come from the caller.
package vhd

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/keel-build/keel/tools/image/internal/atomicfile"
	"github.com/keel-build/keel/tools/image/internal/sparse"
)

// FooterSize is the size of the VHD footer.
const FooterSize = 512

// vhdEpoch is the zero of VHD time stamps.
var vhdEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Footer returns the footer of a fixed VHD of size bytes.
//
// The creator application is "win ": readers such as QEMU then take the
// disk size from the current-size field, as Hyper-V and Azure do, rather
// than from the CHS geometry, which cannot express every 1 MiB multiple.
func Footer(size int64, id [16]byte, t time.Time) [FooterSize]byte {
	var f [FooterSize]byte
	be := binary.BigEndian
	copy(f[0:8], "conectix")
	be.PutUint32(f[8:], 2)           // features: reserved bit always set
	be.PutUint32(f[12:], 0x00010000) // format version 1.0
	be.PutUint64(f[16:], ^uint64(0)) // data offset: none for fixed disks
	ts := t.Sub(vhdEpoch) / time.Second
	if ts < 0 {
		ts = 0
	}
	be.PutUint32(f[24:], uint32(ts))
	copy(f[28:32], "win ")
	be.PutUint32(f[32:], 0x000a0000) // creator version 10.0
	copy(f[36:40], "Wi2k")           // creator host OS
	be.PutUint64(f[40:], uint64(size))
	be.PutUint64(f[48:], uint64(size))
	c, h, s := Geometry(size)
	be.PutUint16(f[56:], c)
	f[58], f[59] = h, s
	be.PutUint32(f[60:], 2) // disk type: fixed
	copy(f[68:84], id[:])
	var sum uint32
	for _, b := range f {
		sum += uint32(b)
	}
	be.PutUint32(f[64:], ^sum)
	return f
}

// Geometry computes cylinders, heads and sectors per track as the VHD
// specification's appendix prescribes.
func Geometry(size int64) (cyl uint16, heads, spt uint8) {
	total := size / 512
	if total > 65535*16*255 {
		total = 65535 * 16 * 255
	}
	var h, s, cth int64
	if total >= 65535*16*63 {
		s, h = 255, 16
		cth = total / s
	} else {
		s = 17
		cth = total / s
		h = max((cth+1023)/1024, 4)
		if cth >= h*1024 || h > 16 {
			s, h = 31, 16
			cth = total / s
		}
		if cth >= h*1024 {
			s, h = 63, 16
			cth = total / s
		}
	}
	return uint16(cth / h), uint8(h), uint8(s)
}

// WriteFile writes the fixed VHD of the raw disk at rawPath to out
// atomically. The raw size must be a multiple of 1 MiB (Azure requires it).
func WriteFile(out, rawPath string, id [16]byte, t time.Time) error {
	in, err := os.Open(rawPath)
	if err != nil {
		return fmt.Errorf("opening raw disk: %w", err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("reading size of %s: %w", rawPath, err)
	}
	size := fi.Size()
	if size == 0 || size%(1<<20) != 0 {
		return fmt.Errorf("raw disk %s is %d bytes, not a positive multiple of 1 MiB", rawPath, size)
	}
	return atomicfile.Write(out, 0o644, func(f *os.File) error {
		if err := f.Truncate(size); err != nil {
			return fmt.Errorf("sizing %s: %w", f.Name(), err)
		}
		if _, err := sparse.CopyAt(f, 0, io.LimitReader(in, size)); err != nil {
			return fmt.Errorf("copying %s: %w", rawPath, err)
		}
		footer := Footer(size, id, t)
		if _, err := f.WriteAt(footer[:], size); err != nil {
			return fmt.Errorf("writing VHD footer: %w", err)
		}
		return nil
	})
}
