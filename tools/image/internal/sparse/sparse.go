// Package sparse copies disk data into files without writing runs of zero
// bytes, so multi-gigabyte images of mostly empty filesystems stay small on
// the build machine. The bytes read back are the same either way.
package sparse

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

const chunk = 64 << 10

var zeros = make([]byte, chunk)

// CopyAt copies all of src into dst starting at offset off, seeking over
// 64 KiB chunks that are all zero (dst must read as zeros there: a new or
// truncated-up file). It returns the number of bytes copied.
func CopyAt(dst *os.File, off int64, src io.Reader) (int64, error) {
	buf := make([]byte, chunk)
	var n int64
	for {
		m, err := io.ReadFull(src, buf)
		if m > 0 {
			if !bytes.Equal(buf[:m], zeros[:m]) {
				if _, werr := dst.WriteAt(buf[:m], off+n); werr != nil {
					return n, fmt.Errorf("writing %s: %w", dst.Name(), werr)
				}
			}
			n += int64(m)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// IsZero reports whether b holds only zero bytes.
func IsZero(b []byte) bool {
	for len(b) > 0 {
		k := min(len(b), chunk)
		if !bytes.Equal(b[:k], zeros[:k]) {
			return false
		}
		b = b[k:]
	}
	return true
}
