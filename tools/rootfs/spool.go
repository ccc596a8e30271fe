package rootfs

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// The spool holds the content of every regular file while the tree is
// sorted by path: payloads arrive in archive order, package by package, and
// the tar is written in path order. Several packages are read at once, each
// through its own spoolWriter, which gathers small files in a chunk buffer
// and writes whole chunks at offsets reserved up front, so one file serves
// every reader without seeks or locks around the writes.
const (
	// spoolChunk is the size of a spoolWriter's buffer.
	spoolChunk = 1 << 20
	// spoolDirect is the size from which a file bypasses the buffer.
	spoolDirect = spoolChunk / 4
	// copyBuf is the size of the buffers files are copied through.
	copyBuf = 256 << 10
)

type spool struct {
	f   *os.File
	mu  sync.Mutex
	end int64
}

// reserve returns the offset of n fresh bytes of the spool.
func (s *spool) reserve(n int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	off := s.end
	s.end += n
	return off
}

// spoolWriter adds files to the spool for one reader goroutine.
type spoolWriter struct {
	s    *spool
	buf  []byte // the current chunk's content
	base int64  // the chunk's offset in the spool
	copy []byte // buffer for files that bypass the chunk
}

func (s *spool) writer() *spoolWriter { return &spoolWriter{s: s} }

// add copies exactly size bytes of r into the spool and returns their
// offset.
func (w *spoolWriter) add(r io.Reader, size int64) (int64, error) {
	if size >= spoolDirect {
		off := w.s.reserve(size)
		if w.copy == nil {
			w.copy = make([]byte, copyBuf)
		}
		// onlyReader hides r's WriterTo, so the buffer above is used.
		n, err := io.CopyBuffer(io.NewOffsetWriter(w.s.f, off), onlyReader{r}, w.copy)
		if err == nil && n != size {
			err = fmt.Errorf("got %d of %d bytes", n, size)
		}
		return off, err
	}
	if w.buf == nil || int64(len(w.buf))+size > spoolChunk {
		if err := w.flush(); err != nil {
			return 0, err
		}
		if w.buf == nil {
			w.buf = make([]byte, 0, spoolChunk)
		}
		w.base = w.s.reserve(spoolChunk)
	}
	start := len(w.buf)
	w.buf = w.buf[:start+int(size)]
	if _, err := io.ReadFull(r, w.buf[start:]); err != nil {
		w.buf = w.buf[:start]
		return 0, err
	}
	return w.base + int64(start), nil
}

// flush writes the current chunk. Its unused tail stays a hole.
func (w *spoolWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.s.f.WriteAt(w.buf, w.base); err != nil {
		return fmt.Errorf("writing spool file: %w", err)
	}
	w.buf = w.buf[:0]
	return nil
}

type onlyReader struct{ io.Reader }
