package rpmfile

import (
	"bufio"
	"compress/bzip2"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/cavaliergopher/cpio"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// Payload streams the files of a package's cpio payload in archive order.
//
//	pl, err := pkg.OpenPayload()
//	for { e, err := pl.Next(); if err == io.EOF { break }; io.Copy(dst, pl) }
type Payload struct {
	pkg    *Package
	f      io.Closer
	dec    io.Closer
	cr     *cpio.Reader
	byPath map[string]int
	cur    *Entry
	h      hash.Hash
	left   int64
}

// Entry is one payload member, tied to the header's file list.
type Entry struct {
	// Name is the member's path made absolute ("./usr/bin/x" → "/usr/bin/x").
	Name string
	// Index is the position of the matching File in Package.Files.
	Index int
	// Size is the number of content bytes Read will return. It is 0 for all
	// but one member of a hard link set (rpm stores the data once).
	Size int64
}

// OpenPayload opens the file p was read from and positions a reader at the
// first payload member. Close it when done.
func (p *Package) OpenPayload() (*Payload, error) {
	if p.Path == "" {
		return nil, errors.New("package was not opened from a file")
	}
	f, err := os.Open(p.Path)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(p.PayloadOffset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	pl, err := p.NewPayload(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening payload of %s: %w", p.Path, err)
	}
	pl.f = f
	return pl, nil
}

// NewPayload reads the payload of p from r, which must be positioned at the
// payload (as Read leaves it).
func (p *Package) NewPayload(r io.Reader) (*Payload, error) {
	if p.PayloadFormat != "cpio" {
		return nil, fmt.Errorf("unsupported payload format %q", p.PayloadFormat)
	}
	var dec io.Reader
	var closer io.Closer
	switch p.PayloadCompressor {
	case "gzip":
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		dec, closer = z, z
	case "zstd":
		z, _ := zstdDecoders.Get().(*zstd.Decoder)
		if z == nil {
			var err error
			if z, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30)); err != nil {
				return nil, err
			}
		}
		if err := z.Reset(r); err != nil {
			z.Close()
			return nil, err
		}
		dec, closer = z, closerFunc(func() {
			z.Reset(nil) // drops r
			zstdDecoders.Put(z)
		})
	case "xz":
		z, err := xz.NewReader(r)
		if err != nil {
			return nil, err
		}
		dec = z
	case "lzma":
		z, err := lzma.NewReader(r)
		if err != nil {
			return nil, err
		}
		dec = z
	case "bzip2":
		dec = bzip2.NewReader(r)
	case "identity", "none":
		dec = r
	default:
		return nil, fmt.Errorf("unsupported payload compressor %q", p.PayloadCompressor)
	}
	pl := &Payload{pkg: p, dec: closer, cr: cpio.NewReader(dec), byPath: make(map[string]int, len(p.Files))}
	for i, f := range p.Files {
		pl.byPath[f.Path] = i
	}
	return pl, nil
}

// zstdDecoders keeps decoders between payloads: a decoder allocates its
// window buffers (megabytes) once, and an image reads many payloads.
var zstdDecoders sync.Pool

type closerFunc func()

func (c closerFunc) Close() error { c(); return nil }

// Next advances to the next member. It returns io.EOF after the last one.
// A member that is not in the header's file list, or whose content does not
// match the header's digest, is an error.
func (pl *Payload) Next() (*Entry, error) {
	if err := pl.finish(); err != nil {
		return nil, err
	}
	h, err := pl.cr.Next()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		if errors.Is(err, cpio.ErrHeader) {
			return nil, fmt.Errorf("reading payload: %w (only the newc cpio format is supported; payloads with files over 4 GiB are not)", err)
		}
		return nil, fmt.Errorf("reading payload: %w", err)
	}
	name := h.Name
	switch {
	case strings.HasPrefix(name, "./"):
		name = name[1:]
	case !strings.HasPrefix(name, "/"):
		name = "/" + name
	}
	idx, ok := pl.byPath[name]
	if !ok {
		return nil, fmt.Errorf("payload member %q is not in the header's file list", h.Name)
	}
	f := &pl.pkg.Files[idx]
	e := &Entry{Name: name, Index: idx}
	if !f.IsRegular() && h.Size != 0 {
		return nil, fmt.Errorf("payload member %s is not a regular file but has %d bytes", name, h.Size)
	}
	if f.IsRegular() {
		e.Size = h.Size
		if e.Size != 0 && e.Size != f.Size {
			return nil, fmt.Errorf("payload member %s has %d bytes, header says %d", name, e.Size, f.Size)
		}
		pl.h = nil
		if e.Size != 0 && f.Digest != "" {
			pl.h = newDigest(len(f.Digest))
		}
	}
	pl.cur, pl.left = e, e.Size
	return e, nil
}

// newDigest picks the hash by the length of the hex digest: rpm records the
// algorithm in FILEDIGESTALGO, but the lengths are unambiguous.
func newDigest(hexLen int) hash.Hash {
	switch hexLen {
	case 32:
		return md5.New()
	case 40:
		return sha1.New()
	case 64:
		return sha256.New()
	case 128:
		return sha512.New()
	}
	return nil
}

// Read reads the content of the current member.
func (pl *Payload) Read(b []byte) (int, error) {
	if pl.cur == nil || pl.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > pl.left {
		b = b[:pl.left]
	}
	n, err := pl.cr.Read(b)
	pl.left -= int64(n)
	if pl.h != nil {
		pl.h.Write(b[:n])
	}
	if err == io.EOF && pl.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && pl.left == 0 {
		if verr := pl.verify(); verr != nil {
			return n, verr
		}
		err = io.EOF
	}
	return n, err
}

// finish drains the current member so that its digest is checked.
func (pl *Payload) finish() error {
	if pl.cur == nil || pl.left == 0 {
		return nil
	}
	_, err := io.Copy(io.Discard, pl)
	return err
}

func (pl *Payload) verify() error {
	if pl.h == nil {
		return nil
	}
	f := &pl.pkg.Files[pl.cur.Index]
	got := hex.EncodeToString(pl.h.Sum(nil))
	pl.h = nil
	if got != f.Digest {
		return fmt.Errorf("content of %s does not match its header digest", f.Path)
	}
	return nil
}

// Close releases the decompressor and the file.
func (pl *Payload) Close() error {
	if pl.dec != nil {
		pl.dec.Close()
		pl.dec = nil // a pooled decoder must go back once
	}
	if pl.f != nil {
		return pl.f.Close()
	}
	return nil
}
