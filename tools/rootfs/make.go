package rootfs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/keel-build/keel/tools/resolve"
)

// Files names the outputs of Make; empty names are not written.
type Files struct {
	Tar    string // the root file system tar (required)
	Lock   string // the resolve.Lock JSON of the install set
	Report string // the Report JSON
}

// Make is the image stage's whole rootfs action: when install is non-empty
// it resolves the install set of those names over rpms (else every RPM is
// installed), then writes the lock, the tar and the report. Each output is
// written to a temporary file and renamed, so a failure leaves none
// half-written.
func Make(ctx context.Context, out Files, rpms, install []string, opts ...Option) (*Report, error) {
	if out.Tar == "" {
		return nil, fmt.Errorf("no output tar given")
	}
	var res *resolve.Result
	var err error
	if len(install) > 0 {
		res, err = resolve.Files(ctx, rpms, install)
	} else {
		res, err = resolve.All(rpms)
	}
	if err != nil {
		return nil, fmt.Errorf("resolving the install set: %w", err)
	}
	chosen := make([]string, len(res.Packages))
	for i, p := range res.Packages {
		chosen[i] = p.Path
	}
	if out.Lock != "" {
		lock, err := res.Lock()
		if err != nil {
			return nil, err
		}
		if err := writeAtomic(out.Lock, lock.Write); err != nil {
			return nil, err
		}
	}
	var rep *Report
	err = writeAtomic(out.Tar, func(w io.Writer) error {
		rep, err = Build(ctx, w, chosen, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.Report != "" {
		err := writeAtomic(out.Report, func(w io.Writer) error {
			b, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				return err
			}
			_, err = w.Write(append(b, '\n'))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
