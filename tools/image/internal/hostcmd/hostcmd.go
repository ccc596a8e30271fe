// Package hostcmd runs the host tools the image builders need (xorriso,
// mkfs.fat, mtools, mkfs.ext4, debugfs, sfdisk, qemu-img) with a fixed,
// minimal environment, so that their output depends only on their inputs.
package hostcmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// packages names the Debian package that provides each tool, for errors.
var packages = map[string]string{
	"xorriso":   "xorriso",
	"mkfs.fat":  "dosfstools",
	"mmd":       "mtools",
	"mcopy":     "mtools",
	"mkfs.ext4": "e2fsprogs",
	"debugfs":   "e2fsprogs",
	"e2fsck":    "e2fsprogs",
	"sfdisk":    "fdisk",
	"qemu-img":  "qemu-utils",
}

// Cmd is one host tool invocation.
type Cmd struct {
	Name  string    // tool name, looked up on PATH
	Args  []string  // arguments
	Epoch time.Time // exported as SOURCE_DATE_EPOCH when not zero
	Env   []string  // extra KEY=VALUE pairs
	Stdin io.Reader // optional standard input
	Dir   string    // working directory, if not the current one
	// Stderr, if set, also receives the tool's standard error, for tools
	// that report failures there but exit 0.
	Stderr io.Writer
}

// Look reports an error naming the missing tool and its package.
func Look(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		if pkg, ok := packages[name]; ok {
			return "", fmt.Errorf("finding %s on PATH (Debian package %s): %w", name, pkg, err)
		}
		return "", fmt.Errorf("finding %s on PATH: %w", name, err)
	}
	return p, nil
}

// Run runs c and returns its standard output. A failure reports the command
// line and the tool's standard error.
func Run(ctx context.Context, c Cmd) ([]byte, error) {
	path, err := Look(c.Name)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path, c.Args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "TZ=UTC", "MTOOLS_SKIP_CHECK=1"}
	if !c.Epoch.IsZero() {
		cmd.Env = append(cmd.Env, "SOURCE_DATE_EPOCH="+strconv.FormatInt(c.Epoch.Unix(), 10))
	}
	cmd.Env = append(cmd.Env, c.Env...)
	cmd.Stdin = c.Stdin
	cmd.Dir = c.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, c.Stderr)
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		return nil, fmt.Errorf("running %s %s: %w: %s", c.Name, strings.Join(c.Args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}
