package gen

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// evalCache remembers spec evaluations between runs, keyed by everything
// the evaluation reads (cacheKey). It lives outside the spec tree (it is
// not an input): a run with an unchanged tree then evaluates nothing.
type evalCache struct {
	path string

	mu      sync.Mutex
	old     map[string]*archInfo
	used    map[string]*archInfo
	changed bool
}

func openCache(dir string) *evalCache {
	c := &evalCache{old: map[string]*archInfo{}, used: map[string]*archInfo{}}
	if dir == "" {
		return c
	}
	c.path = filepath.Join(dir, "gen-eval.gob")
	b, err := os.ReadFile(c.path)
	if err != nil {
		return c
	}
	// A cache that does not decode is ignored: it is rebuilt.
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&c.old); err != nil {
		c.old = map[string]*archInfo{}
	}
	return c
}

func (c *evalCache) get(key string) *archInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.old[key]
	if a != nil {
		c.used[key] = a
	}
	return a
}

func (c *evalCache) put(key string, a *archInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used[key] = a
	c.changed = true
}

// save writes the entries used by this run, if any was new or any old one
// went unused.
func (c *evalCache) save() error {
	if c.path == "" || (!c.changed && len(c.used) == len(c.old)) {
		return nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c.used); err != nil {
		return fmt.Errorf("encoding the evaluation cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("creating the cache dir: %w", err)
	}
	return writeFileAtomic(c.path, buf.Bytes())
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it over path, so that readers never see a half-written file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
