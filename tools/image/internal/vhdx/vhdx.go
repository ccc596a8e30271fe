// Package vhdx writes dynamic VHDX images ([MS-VHDX] v6) from a raw disk.
//
// It is hand-written because qemu-img's VHDX output holds random GUIDs. The
// layout is the simplest the specification allows and the one qemu-img
// creates: file identifier, two headers, two region tables, a 1 MiB empty
// log, a metadata region and the block allocation table (BAT), then payload
// blocks in disk order. Blocks that are all zero are not stored (BAT state
// PAYLOAD_BLOCK_NOT_PRESENT, which reads as zeros without a parent), so the
// file holds only the data. All GUIDs come from the caller.
package vhdx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"unicode/utf16"

	"github.com/keel-build/keel/tools/image/internal/atomicfile"
	"github.com/keel-build/keel/tools/image/internal/detuuid"
	"github.com/keel-build/keel/tools/image/internal/sparse"
)

const (
	kib = 1 << 10
	mib = 1 << 20

	logicalSector  = 512
	physicalSector = 4096

	logOffset      = 1 * mib
	logLength      = 1 * mib
	metadataOffset = 2 * mib
	metadataLength = 1 * mib
	batOffset      = 3 * mib

	batNotPresent   = 0 // PAYLOAD_BLOCK_NOT_PRESENT
	batFullyPresent = 6 // PAYLOAD_BLOCK_FULLY_PRESENT
)

// GUIDs fixed by the specification, in their string form.
var (
	batRegion      = mustGUID("2DC27766-F623-4200-9D64-115E9BFD4A08")
	metadataRegion = mustGUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
	fileParameters = mustGUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
	virtualSize    = mustGUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
	page83Data     = mustGUID("BECA12AB-B2E6-4523-93EF-C309E000C746")
	logicalSize    = mustGUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
	physicalSize   = mustGUID("CDA348C7-445D-4471-9CC9-E9885251C556")
)

// IDs are the identifiers written into the file. The caller derives them
// from content so that rebuilding gives the same file. All are in the
// on-disk (mixed-endian) GUID layout.
type IDs struct {
	FileWrite, DataWrite, VirtualDisk [16]byte
}

// BlockSize picks the payload block size as qemu-img does for a disk size.
func BlockSize(size int64) uint32 {
	switch {
	case size > 100<<30:
		return 32 * mib
	case size > 1<<30:
		return 16 * mib
	}
	return 8 * mib
}

// WriteFile writes the VHDX of the raw disk at rawPath to out atomically.
func WriteFile(out, rawPath string, ids IDs) error {
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
	if size == 0 || size%logicalSector != 0 {
		return fmt.Errorf("raw disk %s is %d bytes, not a positive multiple of %d", rawPath, size, logicalSector)
	}
	return atomicfile.Write(out, 0o644, func(f *os.File) error {
		return write(f, in, size, ids)
	})
}

func write(f *os.File, in io.ReaderAt, size int64, ids IDs) error {
	le := binary.LittleEndian
	bs := int64(BlockSize(size))
	chunkRatio := int64(1<<23) * logicalSector / bs
	blocks := (size + bs - 1) / bs
	batEntries := blocks + (blocks-1)/chunkRatio
	batLength := (batEntries*8 + mib - 1) &^ (mib - 1)

	// Payload blocks: copy the non-zero ones after the BAT, in order.
	bat := make([]byte, batLength)
	next := int64(batOffset) + batLength
	buf := make([]byte, bs)
	for i := int64(0); i < blocks; i++ {
		n := min(bs, size-i*bs)
		clear(buf)
		if _, err := in.ReadAt(buf[:n], i*bs); err != nil && err != io.EOF {
			return fmt.Errorf("reading raw disk at %d: %w", i*bs, err)
		}
		entry := uint64(batNotPresent)
		if !sparse.IsZero(buf[:n]) {
			if _, err := sparse.CopyAt(f, next, bytes.NewReader(buf)); err != nil {
				return err
			}
			entry = batFullyPresent | uint64(next/mib)<<20
			next += bs
		}
		le.PutUint64(bat[(i+i/chunkRatio)*8:], entry)
	}
	if err := f.Truncate(next); err != nil {
		return fmt.Errorf("sizing %s: %w", f.Name(), err)
	}

	// File type identifier.
	ident := make([]byte, 64*kib)
	copy(ident, "vhdxfile")
	for i, c := range utf16.Encode([]rune("keel")) {
		le.PutUint16(ident[8+2*i:], c)
	}

	// Two headers; the one with the higher sequence number is current.
	header := func(seq uint64) []byte {
		h := make([]byte, 4*kib)
		copy(h, "head")
		le.PutUint64(h[8:], seq)
		copy(h[16:], ids.FileWrite[:])
		copy(h[32:], ids.DataWrite[:])
		// LogGuid (48..64) stays zero: the log is empty.
		le.PutUint16(h[64:], 0) // log version
		le.PutUint16(h[66:], 1) // version
		le.PutUint32(h[68:], logLength)
		le.PutUint64(h[72:], logOffset)
		le.PutUint32(h[4:], crc32c(h))
		return h
	}

	region := make([]byte, 64*kib)
	copy(region, "regi")
	le.PutUint32(region[8:], 2)
	for i, r := range []struct {
		id     [16]byte
		off    int64
		length int64
	}{{batRegion, batOffset, batLength}, {metadataRegion, metadataOffset, metadataLength}} {
		e := region[16+32*i:]
		copy(e, r.id[:])
		le.PutUint64(e[16:], uint64(r.off))
		le.PutUint32(e[24:], uint32(r.length))
		le.PutUint32(e[28:], 1) // required
	}
	le.PutUint32(region[4:], crc32c(region))

	meta := metadata(size, uint32(bs), ids.VirtualDisk)

	for _, part := range []struct {
		off  int64
		data []byte
	}{
		{0, ident},
		{64 * kib, header(1)},
		{128 * kib, header(2)},
		{192 * kib, region},
		{256 * kib, region},
		{metadataOffset, meta},
		{batOffset, bat},
	} {
		if _, err := sparse.CopyAt(f, part.off, bytes.NewReader(part.data)); err != nil {
			return err
		}
	}
	return nil
}

// metadata builds the metadata region: a table of five items and their
// values, which start 64 KiB into the region.
func metadata(size int64, blockSize uint32, diskID [16]byte) []byte {
	le := binary.LittleEndian
	m := make([]byte, metadataLength)
	copy(m, "metadata")
	const (
		isVirtualDisk = 2
		isRequired    = 4
	)
	items := []struct {
		id    [16]byte
		flags uint32
		value []byte
	}{
		{fileParameters, isRequired, le.AppendUint32(le.AppendUint32(nil, blockSize), 0)},
		{virtualSize, isVirtualDisk | isRequired, le.AppendUint64(nil, uint64(size))},
		{page83Data, isVirtualDisk | isRequired, diskID[:]},
		{logicalSize, isVirtualDisk | isRequired, le.AppendUint32(nil, logicalSector)},
		{physicalSize, isVirtualDisk | isRequired, le.AppendUint32(nil, physicalSector)},
	}
	le.PutUint16(m[10:], uint16(len(items)))
	off := 64 * kib
	for i, it := range items {
		e := m[32+32*i:]
		copy(e, it.id[:])
		le.PutUint32(e[16:], uint32(off))
		le.PutUint32(e[20:], uint32(len(it.value)))
		le.PutUint32(e[24:], it.flags)
		copy(m[off:], it.value)
		off += 4 * kib
	}
	return m
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c checksums b, whose checksum field (bytes 4..8) must still be zero.
func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// mustGUID parses a GUID string into the on-disk mixed-endian layout.
func mustGUID(s string) [16]byte {
	u, err := detuuid.Parse(s)
	if err != nil {
		panic(err)
	}
	return u.MixedEndian()
}
