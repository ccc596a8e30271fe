// Package sandbox runs one command in a throw-away Linux container made only of
// namespaces: new user, mount, pid, network, uts and ipc namespaces, with a
// given directory as its root file system. It needs no privilege: as an
// ordinary user it maps the caller to root inside (and, when /etc/subuid and
// newuidmap allow it, a whole range of ids); as host root it maps ids 0-65535
// onto themselves.
//
// The container has no network: a fresh network namespace holds only a
// loopback device, which is brought up so that test suites may talk to
// 127.0.0.1 inside the sandbox; nothing outside is reachable.
//
// Go cannot mount between fork and exec, so Run re-executes the current binary
// (/proc/self/exe) with the argument InitVerb; that process becomes pid 1 of the
// new pid namespace, sets up the mounts, pivots into the root, runs the
// registered hooks and then the command, reaps orphans and exits with the
// command's status. Every binary that calls Run must therefore call MaybeInit
// (or dispatch InitVerb to InitMain) before doing anything else.
//
// Mounts made inside never reach the host: the mount namespace is made
// recursively private before anything is mounted.
package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// InitVerb is the first argument with which Run re-executes the current
// binary to make it the init process of the sandbox.
const InitVerb = "sandbox-init"

// A Bind mounts the host path Src at Dst inside the sandbox.
type Bind struct {
	Src, Dst string
	ReadOnly bool
}

// A Hook names a function registered with RegisterHook that init runs inside
// the sandbox (after pivoting into the root, before the command) as root.
type Hook struct {
	Name string
	Args []string
}

// Config describes one sandboxed command.
type Config struct {
	// Root is the host directory that becomes "/". Unless Overlay is set, the
	// command may write into it.
	Root string
	// Overlay keeps Root untouched: it becomes the lower layer of an overlay
	// whose upper layer lives in Scratch.
	Overlay bool
	// Scratch is a host directory for the overlay's upper and work layers.
	Scratch string
	Binds   []Bind
	// Tmpfs lists directories inside the sandbox that get a fresh tmpfs.
	Tmpfs []string
	// Dir is the working directory inside the sandbox; "/" if empty.
	Dir string
	// Env is the complete environment of the command: nothing is inherited.
	Env []string
	// Args is the command and its arguments; Args[0] is looked up in the
	// PATH of Env inside the sandbox unless it contains a slash.
	Args     []string
	Hostname string
	// NoLoopback leaves the loopback device down.
	NoLoopback bool
	Hooks      []Hook
	Stdout     io.Writer `json:"-"`
	Stderr     io.Writer `json:"-"`
	// Timeout kills the whole sandbox when it runs out; 0 means none.
	Timeout time.Duration
	// Warn receives warnings, such as falling back to a single-id map.
	Warn io.Writer `json:"-"`
}

// IDMapKind says how ids are mapped into the sandbox.
type IDMapKind string

const (
	// MapIdentity maps 0-65535 onto themselves (the caller is host root).
	MapIdentity IDMapKind = "identity"
	// MapSubordinate maps the caller to 0 and 1-65535 onto its /etc/subuid
	// and /etc/subgid ranges, written by newuidmap and newgidmap.
	MapSubordinate IDMapKind = "subordinate"
	// MapSingle maps only the caller to 0: chown to other ids fails inside.
	MapSingle IDMapKind = "single"
	// MapNone makes no user namespace: the caller is privileged (host root
	// with CAP_SYS_ADMIN) but may not make one, as in a chroot, so the
	// command runs with the host's ids in the other namespaces.
	MapNone IDMapKind = "none"
)

// Result reports a finished sandbox.
type Result struct {
	IDMap    IDMapKind
	Duration time.Duration
}

// ExitError is returned when the command ran but did not exit 0.
type ExitError struct {
	// Code is the exit status, or 128+signal when a signal ended it.
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("command exited with status %d", e.Code) }

// initConfig is what the parent hands to the init process.
type initConfig struct {
	Config
	Reexec bool
}

const (
	envStage  = "_KEEL_SANDBOX_STAGE"
	envConfig = "_KEEL_SANDBOX_CONFIG"
	idRange   = 65536
)

// Run runs the command described by c and waits for it. A command that exits
// non-zero gives an *ExitError; any other error means the sandbox itself
// could not be set up or was killed (timeout, ctx).
func Run(ctx context.Context, c *Config) (*Result, error) {
	if c.Root == "" || len(c.Args) == 0 {
		return nil, errors.New("sandbox: Root and Args are required")
	}
	if c.Overlay && c.Scratch == "" {
		return nil, errors.New("sandbox: Overlay needs Scratch")
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	start := time.Now()
	idm, err := chooseIDMap()
	if err != nil {
		return nil, err
	}
	if idm.kind == MapSingle && c.Warn != nil {
		fmt.Fprintf(c.Warn, "sandbox: warning: %s; mapping only uid %d to root, so chown to other users fails inside\n", idm.why, os.Getuid())
	}

	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making config pipe: %w", err)
	}
	defer cfgR.Close()
	defer cfgW.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making error pipe: %w", err)
	}
	defer errR.Close()
	defer errW.Close()

	// Pdeathsig follows the thread that started the child: keep it alive
	// until the child is gone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd, err := startInit(c, idm, cfgR, errW)
	if errors.Is(err, syscall.EPERM) && idm.kind == MapIdentity && privileged() {
		// Linux refuses new user namespaces to a chrooted process (its
		// root differs from its mount namespace's), and keel may run as
		// root in one: on a build host that chroots into its tools, or in
		// a Bazel server started before tools/bazel entered its
		// environment with pivot_root. A privileged caller needs no user
		// namespace: the other namespaces isolate it all the same, with
		// the host's ids, which for root are those of MapIdentity.
		idm = &idMap{kind: MapNone}
		if cmd, err = startInit(c, idm, cfgR, errW); err == nil && c.Warn != nil {
			fmt.Fprintf(c.Warn, "sandbox: warning: Linux refuses a user namespace here (in a chroot?); running as host root in the other namespaces\n")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("starting sandbox init: %w (are user namespaces enabled?)", err)
	}
	cfgR.Close()
	errW.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			cmd.Process.Kill()
		case <-done:
		}
	}()

	ic := initConfig{Config: *c}
	if idm.kind == MapSubordinate {
		if err := idm.apply(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, err
		}
		ic.Reexec = true
	}
	data, err := json.Marshal(&ic)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("encoding sandbox config: %w", err)
	}
	cfgW.Write(data)
	cfgW.Close()

	setupErr, _ := io.ReadAll(errR)
	werr := cmd.Wait()
	res := &Result{IDMap: idm.kind, Duration: time.Since(start)}
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && c.Timeout > 0 {
			return res, fmt.Errorf("sandbox killed after timeout of %s", c.Timeout)
		}
		return res, fmt.Errorf("sandbox killed: %w", ctx.Err())
	}
	if len(setupErr) > 0 {
		return res, fmt.Errorf("setting up sandbox: %s", bytes.TrimSpace(setupErr))
	}
	if werr != nil {
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return res, fmt.Errorf("sandbox init killed by %v", ws.Signal())
			}
			return res, &ExitError{Code: ee.ExitCode()}
		}
		return res, fmt.Errorf("waiting for sandbox: %w", werr)
	}
	return res, nil
}

// startInit starts the init process of the sandbox in fresh namespaces,
// with a user namespace mapped as idm says unless idm.kind is MapNone.
func startInit(c *Config, idm *idMap, cfgR, errW *os.File) (*exec.Cmd, error) {
	cmd := exec.Command("/proc/self/exe", InitVerb)
	cmd.Args[0] = "keel-sandbox"
	cmd.Env = []string{envStage + "=1"}
	cmd.Stdin = nil
	cmd.Stdout = orDiscard(c.Stdout)
	cmd.Stderr = orDiscard(c.Stderr)
	cmd.ExtraFiles = []*os.File{cfgR, errW} // fds 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID |
			syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Setsid:    true,
		Pdeathsig: syscall.SIGKILL,
	}
	if idm.kind != MapNone {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
	}
	switch idm.kind {
	case MapIdentity:
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: idRange}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: idRange}}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
	case MapSingle:
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// privileged reports whether the process holds CAP_SYS_ADMIN, enough to
// make the other namespaces without a user namespace.
func privileged() bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<21) != 0 // CAP_SYS_ADMIN
		}
	}
	return false
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// idMap is the chosen way to map ids, with what newuidmap needs.
type idMap struct {
	kind                 IDMapKind
	why                  string // why not MapSubordinate, for MapSingle
	uid, gid             int
	subuid, subgid       subRange
	newuidmap, newgidmap string
}

type subRange struct{ start, count int }

func chooseIDMap() (*idMap, error) {
	if os.Geteuid() == 0 {
		return &idMap{kind: MapIdentity}, nil
	}
	m := &idMap{kind: MapSingle, uid: os.Getuid(), gid: os.Getgid()}
	var names []string
	names = append(names, strconv.Itoa(m.uid))
	if u, err := user.LookupId(strconv.Itoa(m.uid)); err == nil {
		names = append(names, u.Username)
	}
	var err error
	if m.newuidmap, err = exec.LookPath("newuidmap"); err != nil {
		m.why = "newuidmap not found (Debian package uidmap)"
		return m, nil
	}
	if m.newgidmap, err = exec.LookPath("newgidmap"); err != nil {
		m.why = "newgidmap not found (Debian package uidmap)"
		return m, nil
	}
	su, ok := findSubRange("/etc/subuid", names)
	if !ok {
		m.why = "no range for this user in /etc/subuid"
		return m, nil
	}
	sg, ok := findSubRange("/etc/subgid", names)
	if !ok {
		m.why = "no range for this user in /etc/subgid"
		return m, nil
	}
	m.kind, m.subuid, m.subgid = MapSubordinate, su, sg
	return m, nil
}

// findSubRange returns the first range of at least 2 ids for any of names.
func findSubRange(path string, names []string) (subRange, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return subRange{}, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) != 3 {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || count < 1 {
			continue
		}
		for _, n := range names {
			if f[0] == n {
				return subRange{start, min(count, idRange-1)}, true
			}
		}
	}
	return subRange{}, false
}

func (m *idMap) apply(pid int) error {
	p := strconv.Itoa(pid)
	for _, x := range []struct {
		tool string
		self int
		r    subRange
	}{{m.newuidmap, m.uid, m.subuid}, {m.newgidmap, m.gid, m.subgid}} {
		args := []string{p, "0", strconv.Itoa(x.self), "1", "1", strconv.Itoa(x.r.start), strconv.Itoa(x.r.count)}
		out, err := exec.Command(x.tool, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("running %s %s: %v: %s", x.tool, strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// Available reports why sandboxes cannot run here, or nil if they can: it
// starts the current binary in fresh namespaces and lets it exit at once,
// without a user namespace where Run would do without one.
func Available() error {
	probe := func(flags uintptr) error {
		cmd := exec.Command("/proc/self/exe", InitVerb)
		cmd.Args[0] = "keel-sandbox-probe"
		cmd.Env = []string{envStage + "=probe"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags}
		return cmd.Run()
	}
	const others = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET
	err := probe(syscall.CLONE_NEWUSER | others)
	if errors.Is(err, syscall.EPERM) && os.Geteuid() == 0 && privileged() {
		err = probe(others)
	}
	if err != nil {
		return fmt.Errorf("creating namespaces: %w", err)
	}
	return nil
}
