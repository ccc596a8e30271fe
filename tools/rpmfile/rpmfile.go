// Package rpmfile reads built RPM package files: header fields, dependencies
// with their flags, the file list (modes, owners, digests, %config, %ghost,
// %doc, capabilities), scriptlets, and a streaming reader for the payload.
//
// Header tags are decoded by github.com/cavaliergopher/rpm. Before handing it
// the bytes, this package frames and bounds-checks the lead and both headers
// itself, because that library trusts value counts from the file (a corrupt
// count makes it allocate gigabytes) and reads with short reads; it also
// renders version strings wrongly, so every field is taken from raw tags here.
package rpmfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cavaliergopher/rpm"
)

// Package is the header of one RPM file.
type Package struct {
	// Path is the file the package was opened from ("" for Read).
	Path string

	Name, Version, Release, Arch string
	// Epoch is "" when the package has no Epoch tag.
	Epoch string

	Summary, Description, License, URL, Vendor, Packager, Group string
	BuildHost, SourceRPM                                        string
	BuildTime                                                   int64
	// InstalledSize is the sum of the file sizes (RPMTAG_SIZE/LONGSIZE).
	InstalledSize int64
	// ArchiveSize is the uncompressed payload size, when the header says.
	ArchiveSize int64

	Requires, Provides, Conflicts, Obsoletes    []Dep
	Recommends, Suggests, Supplements, Enhances []Dep

	Files      []File
	Scriptlets []Scriptlet
	Changelog  []ChangelogEntry

	PayloadFormat, PayloadCompressor string

	// HeaderStart and HeaderEnd are the byte offsets of the main header
	// (createrepo's rpm:header-range); PayloadOffset is where the payload
	// starts, and FileSize the size of the whole file (0 for Read).
	HeaderStart, HeaderEnd, PayloadOffset, FileSize int64

	sha256 string
}

// NEVRA renders name-[epoch:]version-release.arch.
func (p *Package) NEVRA() string {
	return p.Name + "-" + p.EVR().String() + "." + p.Arch
}

// EVR returns the package's epoch:version-release.
func (p *Package) EVR() EVR { return EVR{Epoch: p.Epoch, Version: p.Version, Release: p.Release} }

// ChangelogEntry is one %changelog entry.
type ChangelogEntry struct {
	Time   int64
	Author string
	Text   string
}

// Scriptlet is one install/erase-time script the package carries. Keel never
// runs them; it reports them.
type Scriptlet struct {
	// Kind is "pretrans", "pre", "post", "preun", "postun", "posttrans",
	// "verify", "trigger", "filetrigger" or "transfiletrigger".
	Kind string
	Prog []string
	Body string
}

// ErrNotRPM is returned for input that does not start with an RPM lead.
var ErrNotRPM = errors.New("not an RPM file (bad lead magic)")

// Open reads the headers of the RPM file at path.
func Open(path string) (*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	p, err := Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	p.Path = path
	p.FileSize = st.Size()
	return p, nil
}

// SHA256 returns the hex sha256 of the whole file p was opened from; it is
// computed on first use.
func (p *Package) SHA256() (string, error) {
	if p.sha256 != "" {
		return p.sha256, nil
	}
	if p.Path == "" {
		return "", errors.New("package was not opened from a file")
	}
	f, err := os.Open(p.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", p.Path, err)
	}
	p.sha256 = hex.EncodeToString(h.Sum(nil))
	return p.sha256, nil
}

// Read reads the lead and headers from r, leaving r at the payload.
func Read(r io.Reader) (*Package, error) {
	var raw bytes.Buffer
	lead := make([]byte, 96)
	if _, err := io.ReadFull(r, lead); err != nil {
		return nil, fmt.Errorf("reading lead: %w", err)
	}
	if !bytes.Equal(lead[:4], []byte{0xed, 0xab, 0xee, 0xdb}) {
		return nil, ErrNotRPM
	}
	raw.Write(lead)
	if err := copyHeader(&raw, r, true); err != nil {
		return nil, fmt.Errorf("reading signature header: %w", err)
	}
	hdrStart := int64(raw.Len())
	if err := copyHeader(&raw, r, false); err != nil {
		return nil, fmt.Errorf("reading main header: %w", err)
	}
	hdrEnd := int64(raw.Len())
	pkg, err := rpm.Read(bytes.NewReader(raw.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("decoding headers: %w", err)
	}
	p, err := fromHeader(&pkg.Header, &pkg.Signature)
	if err != nil {
		return nil, err
	}
	p.HeaderStart, p.HeaderEnd, p.PayloadOffset = hdrStart, hdrEnd, hdrEnd
	return p, nil
}

// maxHeader bounds one header's data store, like rpm's HEADER_DATA_MAX.
const maxHeader = 256 << 20

var headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}

// copyHeader copies one header structure from r to w after checking that
// every index entry lies inside the data store and that its value count fits
// the bytes it claims, so that the decoder never over-allocates.
func copyHeader(w *bytes.Buffer, r io.Reader, pad bool) error {
	intro := make([]byte, 16)
	if _, err := io.ReadFull(r, intro); err != nil {
		return err
	}
	if !bytes.Equal(intro[:4], headerMagic) {
		return errors.New("bad header magic")
	}
	nindex := int64(binary.BigEndian.Uint32(intro[8:12]))
	dsize := int64(binary.BigEndian.Uint32(intro[12:16]))
	if nindex < 1 || nindex*16 > maxHeader || dsize > maxHeader {
		return fmt.Errorf("header of %d entries and %d bytes is out of bounds", nindex, dsize)
	}
	index, err := readN(r, nindex*16)
	if err != nil {
		return err
	}
	store, err := readN(r, dsize)
	if err != nil {
		return err
	}
	for i := int64(0); i < nindex; i++ {
		e := index[i*16 : i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := int64(binary.BigEndian.Uint32(e[8:12]))
		count := int64(binary.BigEndian.Uint32(e[12:16]))
		var size int64
		switch rpm.TagType(typ) {
		case rpm.TagTypeNull:
			size = 0
		case rpm.TagTypeChar, rpm.TagTypeInt8, rpm.TagTypeBinary:
			size = count
		case rpm.TagTypeString, rpm.TagTypeStringArray, rpm.TagTypeI18NString:
			// count NUL-terminated strings must end inside the store.
			end := off
			for n := int64(0); n < count && end <= dsize; n++ {
				k := bytes.IndexByte(store[min(end, dsize):], 0)
				if k < 0 {
					end = dsize + 1
					break
				}
				end += int64(k) + 1
			}
			size = end - off
		case rpm.TagTypeInt16:
			size = 2 * count
		case rpm.TagTypeInt32:
			size = 4 * count
		case rpm.TagTypeInt64:
			size = 8 * count
		default:
			return fmt.Errorf("index entry %d (tag %d) has unknown type %d", i, tag, typ)
		}
		if count < 1 || off > dsize || off+size > dsize {
			return fmt.Errorf("index entry %d (tag %d) lies outside the %d-byte store", i, tag, dsize)
		}
	}
	w.Write(intro)
	w.Write(index)
	w.Write(store)
	if pad {
		if n := (8 - dsize%8) % 8; n > 0 {
			if _, err := io.CopyN(w, r, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// readN reads exactly n bytes, growing the buffer as data arrives so that a
// corrupt size in a short file costs no large allocation.
func readN(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) < n {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}
