package macro

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

const defaultPath = "/usr/sbin:/usr/bin:/sbin:/bin"

// ShellTimeout bounds one %(...) command run by DefaultShell.
const ShellTimeout = 30 * time.Second

// DefaultShell returns the Shell used when Options.Shell is nil: it runs
// `/bin/bash -c CMD` in dir with an empty stdin and a controlled
// environment (PATH, LC_ALL=C, TZ=UTC, HOME set to a fresh temporary
// directory), killed after ShellTimeout. Its output is bounded by maxOut.
func DefaultShell(dir string, maxOut int) func(cmd string) (string, error) {
	return func(cmd string) (string, error) {
		home, err := os.MkdirTemp("", "keel-macro-home-")
		if err != nil {
			return "", fmt.Errorf("creating HOME for %%(...): %w", err)
		}
		defer os.RemoveAll(home)
		ctx, cancel := context.WithTimeout(context.Background(), ShellTimeout)
		defer cancel()
		c := exec.CommandContext(ctx, "/bin/bash", "-c", cmd)
		c.Dir = dir
		c.Env = []string{"PATH=" + defaultPath, "LC_ALL=C", "TZ=UTC", "HOME=" + home}
		var out limitedBuffer
		out.max = maxOut
		c.Stdout = &out
		c.WaitDelay = time.Second
		err = c.Run()
		if ctx.Err() != nil {
			return "", fmt.Errorf("running %%(%s): timed out after %v", cmd, ShellTimeout)
		}
		if out.over {
			return "", fmt.Errorf("running %%(%s): output exceeds %d bytes", cmd, maxOut)
		}
		// Like popen, a failing command is not an error: its output counts.
		_ = err
		return out.String(), nil
	}
}

// ShellCache memoizes a Shell by command text. Commands in rpm's and
// Azure Linux's macros that run at parse time probe the build host
// (make --version, python3 -c ...), so their output is the same for every
// spec: a corpus run shares one ShellCache between all engines with the
// same Dir and avoids a fork per call. It is safe for concurrent use.
type ShellCache struct {
	run func(string) (string, error)
	mu  sync.Mutex
	m   map[string]shellResult
}

type shellResult struct {
	out string
	err error
}

// NewShellCache wraps run.
func NewShellCache(run func(cmd string) (string, error)) *ShellCache {
	return &ShellCache{run: run, m: make(map[string]shellResult)}
}

// Run returns the cached result of cmd, running it the first time.
func (c *ShellCache) Run(cmd string) (string, error) {
	c.mu.Lock()
	r, ok := c.m[cmd]
	c.mu.Unlock()
	if ok {
		return r.out, r.err
	}
	out, err := c.run(cmd)
	c.mu.Lock()
	c.m[cmd] = shellResult{out, err}
	c.mu.Unlock()
	return out, err
}

type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		b.over = true
		return 0, fmt.Errorf("output too large")
	}
	return b.Buffer.Write(p)
}

// doShellEscape runs %(cmd) (rpm's doShellEscape).
func (mb *mbuf) doShellEscape(cmd string) {
	buf, ok := mb.expandThis(cmd)
	if !ok {
		return
	}
	sh := mb.e.opts.Shell
	if sh == nil {
		sh = DefaultShell(mb.e.opts.Dir, mb.e.opts.MaxOutput)
	}
	out, err := sh(buf)
	if err != nil {
		mb.fail("Failed to open shell expansion pipe for command: %s: %v", buf, err)
		return
	}
	for len(out) > 0 && isEOL(out[len(out)-1]) {
		out = out[:len(out)-1]
	}
	mb.appendStr(out)
}
