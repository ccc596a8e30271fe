// Package buildroot makes and unpacks the pinned build root in which every
// package of a distribution is built: a Debian tree holding rpm, a compiler
// and make, written as a deterministic zstd tarball so that its sha256 can be
// pinned in the repository.
//
// The root's package list is data, not code: a text file such as
// debian-bookworm.txt in this directory, one Debian package per line (#
// comments allowed). A distro team that wants another toolchain edits that
// list (or points --packages-file at its own), runs `keel buildroot make`,
// and pins the printed digest; any other tarball with the same layout (for
// example one made from the distro's own RPMs) can be pinned the same way.
// See docs/buildroot.md.
//
// Make runs mmdebstrap (which needs no root with --mode=unshare) against the
// host's apt mirror with SOURCE_DATE_EPOCH set, then rewrites its tar stream:
// device nodes, apt caches and logs are dropped, times are clamped, owners
// are numeric only, and the result is compressed by a fixed zstd encoder.
// Two runs against the same archive state give the same bytes; pin a
// snapshot mirror (--mirror) to make that hold over time.
package buildroot

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Options describes one build root.
type Options struct {
	Suite    string   // Debian suite, e.g. "bookworm"
	Packages []string // packages on top of the variant
	// Variant is mmdebstrap's variant; "minbase" if empty.
	Variant string
	// Mirror is the archive URI; if empty, the host's apt sources are read.
	Mirror string
	// Mode is mmdebstrap's --mode; "auto" if empty (root mode as root,
	// unshare as an ordinary user with /etc/subuid ranges).
	Mode string
	// SourceDateEpoch clamps every time in the tree (seconds since 1970).
	SourceDateEpoch int64
	Out             string    // path of the .tar.zst to write
	Log             io.Writer // mmdebstrap's output; discarded if nil
}

// DefaultSourceDateEpoch is 2024-01-01T00:00:00Z, the time stamped on roots
// made without an explicit epoch.
const DefaultSourceDateEpoch = 1704067200

// Make builds the root described by o, writes it to o.Out atomically and
// returns its sha256 in hex.
func Make(ctx context.Context, o Options) (string, error) {
	if o.Suite == "" || o.Out == "" {
		return "", errors.New("suite and output path are required")
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", errors.New("mmdebstrap not found: install the Debian package mmdebstrap")
	}
	mirror := o.Mirror
	if mirror == "" {
		var err error
		if mirror, err = HostMirror("/etc/apt", o.Suite); err != nil {
			return "", err
		}
	}
	variant, mode := o.Variant, o.Mode
	if variant == "" {
		variant = "minbase"
	}
	if mode == "" {
		mode = "auto"
	}
	args := []string{"--quiet", "--mode=" + mode, "--variant=" + variant, "--format=tar"}
	if len(o.Packages) > 0 {
		args = append(args, "--include="+strings.Join(o.Packages, ","))
	}
	args = append(args, o.Suite, "-", fmt.Sprintf("deb %s %s main", mirror, o.Suite))
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", o.SourceDateEpoch))
	if o.Log != nil {
		cmd.Stderr = o.Log
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}

	tmp, err := os.CreateTemp(filepath.Dir(o.Out), "."+filepath.Base(o.Out)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("creating output: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting mmdebstrap: %w", err)
	}
	sum := sha256.New()
	nerr := Normalize(stdout, io.MultiWriter(tmp, sum), time.Unix(o.SourceDateEpoch, 0))
	if nerr != nil {
		io.Copy(io.Discard, stdout)
	}
	if err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("running mmdebstrap %s: %w", strings.Join(args, " "), err)
	}
	if nerr != nil {
		return "", fmt.Errorf("normalizing root tarball: %w", nerr)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", o.Out, err)
	}
	if err := os.Rename(tmp.Name(), o.Out); err != nil {
		return "", fmt.Errorf("renaming output: %w", err)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// dropped reports whether a path of the root (without "./") is left out of
// the tarball: things that differ between runs or that the sandbox provides.
func dropped(name string, typ byte) bool {
	switch {
	case typ == tar.TypeDir:
		return false // keep every directory, even if emptied
	case strings.HasPrefix(name, "dev/"):
		return true // device nodes: the sandbox mounts its own /dev
	case strings.HasPrefix(name, "var/lib/apt/lists/"),
		strings.HasPrefix(name, "var/cache/apt/"),
		strings.HasPrefix(name, "var/log/"),
		strings.HasPrefix(name, "tmp/"),
		name == "var/cache/ldconfig/aux-cache",
		strings.HasSuffix(name, "-old") && (strings.HasPrefix(name, "var/lib/dpkg/") || strings.HasPrefix(name, "var/cache/debconf/")):
		return true
	}
	return false
}

// Normalize copies the tar stream r into a zstd-compressed PAX tar on w, in
// the same entry order, without the dropped paths, with times clamped to
// epoch, numeric owners only and no extended headers but xattrs.
func Normalize(r io.Reader, w io.Writer, epoch time.Time) error {
	// One encoder goroutine and a fixed level: the bytes must not depend on
	// the machine.
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 1<<20)
	tw := tar.NewWriter(bw)
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if name == "" || name == "." {
			continue
		}
		if dropped(name, h.Typeflag) {
			continue
		}
		nh := &tar.Header{
			Typeflag: h.Typeflag,
			Name:     name,
			Linkname: h.Linkname,
			Size:     h.Size,
			Mode:     h.Mode,
			Uid:      h.Uid,
			Gid:      h.Gid,
			ModTime:  h.ModTime,
			Devmajor: h.Devmajor,
			Devminor: h.Devminor,
			Format:   tar.FormatPAX,
		}
		if h.Typeflag == tar.TypeLink {
			nh.Linkname = strings.TrimPrefix(h.Linkname, "./")
		}
		if nh.ModTime.After(epoch) {
			nh.ModTime = epoch
		}
		nh.ModTime = nh.ModTime.Truncate(time.Second)
		for k, v := range h.PAXRecords {
			if strings.HasPrefix(k, "SCHILY.xattr.") {
				if nh.PAXRecords == nil {
					nh.PAXRecords = map[string]string{}
				}
				nh.PAXRecords[k] = v
			}
		}
		if err := tw.WriteHeader(nh); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.Copy(tw, tr); err != nil {
				return fmt.Errorf("copying %s: %w", name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// ReadPackageList reads a package list file: one package per line, blank
// lines and # comments ignored.
func ReadPackageList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t,") {
			return nil, fmt.Errorf("%s:%d: one package name per line, got %q", path, i+1, line)
		}
		pkgs = append(pkgs, line)
	}
	return pkgs, nil
}
