package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

var (
	hooksMu sync.Mutex
	hooks   = map[string]func(args []string) error{}
)

// RegisterHook makes fn runnable inside sandboxes under name (see Config.Hooks).
// Call it from an init function so that the re-executed binary knows it too.
func RegisterHook(name string, fn func(args []string) error) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	if _, dup := hooks[name]; dup {
		panic("sandbox: hook registered twice: " + name)
	}
	hooks[name] = fn
}

// MaybeInit turns the process into a sandbox init and never returns if it was
// started as one by Run; otherwise it returns at once. Call it first thing in
// main and in TestMain of packages whose tests run sandboxes.
func MaybeInit() {
	if len(os.Args) > 1 && os.Args[1] == InitVerb && os.Getenv(envStage) != "" {
		InitMain()
	}
}

// InitMain is the body of the init process; it never returns.
func InitMain() {
	var data []byte
	switch os.Getenv(envStage) {
	case "probe":
		os.Exit(0)
	case "1":
		f := os.NewFile(3, "config")
		var err error
		if data, err = io.ReadAll(f); err != nil {
			initFail("reading config: %v", err)
		}
		f.Close()
	case "2":
		data = []byte(os.Getenv(envConfig))
	default:
		fmt.Fprintln(os.Stderr, "sandbox-init: internal verb of keel, run by keel itself")
		os.Exit(2)
	}
	var c initConfig
	if err := json.Unmarshal(data, &c); err != nil {
		initFail("decoding config: %v", err)
	}
	if c.Reexec && os.Getenv(envStage) == "1" {
		// The ids were mapped by newuidmap after this process was exec'd
		// without capabilities; exec'ing again as the now-mapped root
		// grants the full set inside the namespace.
		env := []string{envStage + "=2", envConfig + "=" + string(data)}
		err := syscall.Exec("/proc/self/exe", []string{"keel-sandbox", InitVerb}, env)
		initFail("re-executing init: %v", err)
	}
	syscall.CloseOnExec(4)
	// Gaining capabilities on exec clears the parent-death signal: set it again.
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	if err := setup(&c.Config); err != nil {
		initFail("%v", err)
	}
	os.Exit(runCommand(&c.Config))
}

// initFail reports a setup error to the parent on fd 4 and exits.
func initFail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if _, err := syscall.Write(4, []byte(msg)); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox-init:", msg)
	}
	os.Exit(125)
}

// setup builds the file system view and enters it. The root is trusted
// (a build root Keel made): paths inside it are joined without resolving
// its symbolic links against the new root.
func setup(c *Config) error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		if err == syscall.EINVAL {
			return fmt.Errorf("making mounts private: %w (in a chroot, its root must be a mount point: mount --rbind DIR DIR before chroot DIR)", err)
		}
		return fmt.Errorf("making mounts private: %w", err)
	}
	root := c.Root
	if c.Overlay {
		upper, work, merged := filepath.Join(c.Scratch, "upper"), filepath.Join(c.Scratch, "work"), filepath.Join(c.Scratch, "merged")
		for _, d := range []string{upper, work, merged} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", c.Root, upper, work)
		if err := syscall.Mount("overlay", merged, "overlay", 0, opts); err != nil {
			return fmt.Errorf("mounting overlay on %s: %w", c.Root, err)
		}
		root = merged
	} else if err := syscall.Mount(root, root, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("binding root %s: %w", root, err)
	}
	in := func(p string) string { return filepath.Join(root, p) }

	if err := mkdirMount("proc", in("/proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return err
	}
	if err := mkdirMount("tmpfs", in("/dev"), "tmpfs", syscall.MS_NOSUID|syscall.MS_NOEXEC, "mode=0755"); err != nil {
		return err
	}
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		if err := bindMount("/dev/"+n, in("/dev/"+n), false); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"} {
		if err := os.Symlink(target, in("/dev/"+name)); err != nil {
			return fmt.Errorf("making /dev/%s: %w", name, err)
		}
	}
	if err := mkdirMount("shm", in("/dev/shm"), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=1777"); err != nil {
		return err
	}
	for _, t := range c.Tmpfs {
		if err := mkdirMount("tmpfs", in(t), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=1777"); err != nil {
			return err
		}
	}
	for _, b := range c.Binds {
		if err := bindMount(b.Src, in(b.Dst), b.ReadOnly); err != nil {
			return err
		}
	}
	host := c.Hostname
	if host == "" {
		host = "keel"
	}
	if err := syscall.Sethostname([]byte(host)); err != nil {
		return fmt.Errorf("setting host name: %w", err)
	}
	if !c.NoLoopback {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	if err := enterRoot(root); err != nil {
		return err
	}
	for _, h := range c.Hooks {
		hooksMu.Lock()
		fn := hooks[h.Name]
		hooksMu.Unlock()
		if fn == nil {
			return fmt.Errorf("unknown hook %q", h.Name)
		}
		if err := fn(h.Args); err != nil {
			return fmt.Errorf("hook %s: %w", h.Name, err)
		}
	}
	return nil
}

func mkdirMount(src, dst, fstype string, flags uintptr, data string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount(src, dst, fstype, flags, data); err != nil {
		return fmt.Errorf("mounting %s on %s: %w", fstype, dst, err)
	}
	return nil
}

// bindMount binds src onto dst, making dst (a file or a directory, like src)
// if needed, and makes it read-only if asked.
func bindMount(src, dst string, ro bool) error {
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("binding %s: %w", src, err)
	}
	if st.IsDir() {
		err = os.MkdirAll(dst, 0o755)
	} else {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			var f *os.File
			if f, err = os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				f.Close()
			}
		}
	}
	if err != nil {
		return fmt.Errorf("making mount point %s: %w", dst, err)
	}
	if err := syscall.Mount(src, dst, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s on %s: %w", src, dst, err)
	}
	if !ro {
		return nil
	}
	// A remount inside a user namespace must keep the flags that the
	// source mount has locked (nosuid, nodev, noexec, atime flags).
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(dst, &sfs); err != nil {
		return fmt.Errorf("reading mount flags of %s: %w", dst, err)
	}
	flags := uintptr(syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY)
	for st, ms := range map[int64]uintptr{
		0x2: syscall.MS_NOSUID, 0x4: syscall.MS_NODEV, 0x8: syscall.MS_NOEXEC,
		0x400: syscall.MS_NOATIME, 0x800: syscall.MS_NODIRATIME, 0x1000: syscall.MS_RELATIME,
	} {
		if sfs.Flags&st != 0 {
			flags |= ms
		}
	}
	if err := syscall.Mount("", dst, "", flags, ""); err != nil {
		return fmt.Errorf("making %s read-only: %w", dst, err)
	}
	return nil
}

// enterRoot makes root the "/" of the mount namespace. pivot_root leaves
// no way back to the host tree; where it is refused (the current root is
// not a mount point, as in some chroots) a move mount and chroot do.
func enterRoot(root string) error {
	if err := os.Chdir(root); err != nil {
		return err
	}
	if err := syscall.PivotRoot(".", "."); err == nil {
		if err := syscall.Unmount(".", syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("detaching old root: %w", err)
		}
	} else {
		if err := syscall.Mount(root, "/", "", syscall.MS_MOVE, ""); err != nil {
			return fmt.Errorf("moving root (pivot_root failed: %v): %w", err, err)
		}
		if err := syscall.Chroot("."); err != nil {
			return fmt.Errorf("chroot into %s: %w", root, err)
		}
	}
	return os.Chdir("/")
}

// loopbackUp sets IFF_UP on "lo"; the standard library has no helper for it.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening socket for lo: %w", err)
	}
	defer syscall.Close(fd)
	var ifr [40]byte // struct ifreq: name[16], then short flags
	copy(ifr[:], "lo")
	ioctl := func(req uintptr) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
			return e
		}
		return nil
	}
	if err := ioctl(syscall.SIOCGIFFLAGS); err != nil {
		return fmt.Errorf("reading flags of lo: %w", err)
	}
	flags := *(*uint16)(unsafe.Pointer(&ifr[16])) | syscall.IFF_UP
	*(*uint16)(unsafe.Pointer(&ifr[16])) = flags
	if err := ioctl(syscall.SIOCSIFFLAGS); err != nil {
		return fmt.Errorf("bringing lo up: %w", err)
	}
	return nil
}

// runCommand starts the command, reaps every process that ends up as a child
// of init, and returns the command's exit status.
func runCommand(c *Config) int {
	path, err := lookPath(c.Args[0], c.Env)
	if err != nil {
		initFail("%v", err)
	}
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	null, err := os.Open("/dev/null")
	if err != nil {
		initFail("opening /dev/null: %v", err)
	}
	p, err := os.StartProcess(path, c.Args, &os.ProcAttr{
		Dir:   dir,
		Env:   c.Env,
		Files: []*os.File{null, os.Stdout, os.Stderr},
	})
	if err != nil {
		initFail("starting %s: %v", c.Args[0], err)
	}
	null.Close()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			initFail("waiting for %s: %v", c.Args[0], err)
		}
		if pid != p.Pid {
			continue
		}
		switch {
		case ws.Exited():
			return ws.ExitStatus()
		case ws.Signaled():
			return 128 + int(ws.Signal())
		}
	}
}

// lookPath finds file in the PATH of env, inside the sandbox.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, file)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH %q inside the sandbox", file, path)
}
