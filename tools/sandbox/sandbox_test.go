package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/sandbox/sandboxtest"
)

// envChroot makes the test binary chroot itself into the directory it
// names and run the TestRunInChroot probe there.
const envChroot = "KEEL_SANDBOX_TEST_CHROOT"

func TestMain(m *testing.M) {
	MaybeInit()
	if dir := os.Getenv(envChroot); dir != "" {
		os.Exit(chrootChild(dir))
	}
	os.Exit(m.Run())
}

// chrootChild binds the host's / on dir in its private mount namespace,
// chroots there (so Linux refuses it new user namespaces), then runs a
// sandbox and prints its id map kind and what the command printed.
func chrootChild(dir string) int {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := syscall.Mount("/", dir, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := syscall.Chroot(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	os.Chdir("/")
	root, err := os.MkdirTemp("", "chroot-sandbox-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(root)
	for _, l := range []string{"bin", "lib", "lib64", "sbin"} {
		os.Symlink("usr/"+l, filepath.Join(root, l))
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), &Config{
		Root:   root,
		Binds:  []Bind{{Src: "/usr", Dst: "/usr", ReadOnly: true}},
		Env:    []string{"PATH=/usr/bin:/usr/sbin"},
		Args:   []string{"sh", "-c", "id -u; grep -c : /proc/net/dev; set -- /proc/[0-9]*; echo $#"},
		Stdout: &out, Stderr: os.Stderr, Warn: os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s\n%s", res.IDMap, out.String())
	return 0
}

func init() {
	RegisterHook("test-write", func(args []string) error {
		return os.WriteFile(args[0], []byte(args[1]), 0o644)
	})
}

// hostRoot makes a root that borrows the host's /usr read-only, enough for
// /bin/sh and coreutils on a merged-/usr system.
func hostRoot(t *testing.T) *Config {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("user namespaces unavailable: %v", err)
	}
	if fi, err := os.Lstat("/bin"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Skip("host has no merged /usr; this test borrows the host's /usr as its root")
	}
	root := t.TempDir()
	for _, l := range []string{"bin", "lib", "lib64", "sbin"} {
		if _, err := os.Stat("/" + l); err == nil {
			if err := os.Symlink("usr/"+l, filepath.Join(root, l)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &Config{
		Root:  root,
		Binds: []Bind{{Src: "/usr", Dst: "/usr", ReadOnly: true}},
		Tmpfs: []string{"/tmp"},
		Env:   []string{"PATH=/usr/bin:/usr/sbin", "HOME=/", "LANG=C.UTF-8"},
	}
}

func runSh(t *testing.T, c *Config, script string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	c.Args = []string{"sh", "-c", script}
	c.Stdout, c.Stderr = &out, &errb
	_, err := Run(context.Background(), c)
	if errb.Len() > 0 {
		t.Logf("stderr: %s", errb.String())
	}
	return out.String(), err
}

func TestRunSeesItsOwnWorld(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"root inside", "id -u; id -g", "0\n0\n"},
		{"host name", "cat /proc/sys/kernel/hostname", "keel\n"},
		{"environment is only Env", "env | sort", "HOME=/\nLANG=C.UTF-8\nPATH=/usr/bin:/usr/sbin\nPWD=/\n"},
		// init and sh: nothing of the host (the glob runs in sh itself).
		{"own pid namespace", "set -- /proc/[0-9]*; echo $#", "2\n"},
		{"usr is read-only", "touch /usr/x 2>/dev/null && echo writable || echo read-only", "read-only\n"},
		{"root is writable", "echo hi > /f && cat /f", "hi\n"},
		{"loopback is up", "cat /sys/class/net/lo/operstate 2>/dev/null || grep -c lo /proc/net/dev", "1\n"},
		{"no other interface", "grep -c : /proc/net/dev", "1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runSh(t, hostRoot(t), tt.script)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if out != tt.want {
				t.Errorf("output %q, want %q", out, tt.want)
			}
		})
	}
}

func TestRunHasNoNetwork(t *testing.T) {
	// The host reaches the port on 127.0.0.1 (sandboxtest checks it), so a
	// refusal means the sandbox has no network.
	port, _ := sandboxtest.Listen(t)
	out, err := runSh(t, hostRoot(t), fmt.Sprintf("bash -c 'exec 3<>/dev/tcp/127.0.0.1/%s' 2>/dev/null && echo connected || echo refused", port))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out != "refused\n" {
		t.Errorf("sandbox reached a host port: %q", out)
	}
}

// TestRunInChroot runs a sandbox from a chrooted process, as Bazel's
// actions run under tools/bazel's offline environment: the user namespace
// is refused there, and a privileged caller does without one.
func TestRunInChroot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: chroot and bind mounts")
	}
	if fi, err := os.Lstat("/bin"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Skip("host has no merged /usr; this test borrows the host's /usr as its root")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envChroot+"="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chrooted child: %v\n%s", err, stderr.String())
	}
	// Map kind, uid, network interfaces (lo only), processes (init, sh).
	if want := string(MapNone) + "\n0\n1\n2\n"; string(out) != want {
		t.Errorf("chrooted sandbox printed %q, want %q", out, want)
	}
	if !strings.Contains(stderr.String(), "refuses a user namespace") {
		t.Errorf("no warning about the missing user namespace: %q", stderr.String())
	}
}

func TestRunExitStatus(t *testing.T) {
	for _, code := range []int{1, 7, 42} {
		_, err := runSh(t, hostRoot(t), fmt.Sprintf("exit %d", code))
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != code {
			t.Errorf("exit %d: got %v", code, err)
		}
	}
	_, err := runSh(t, hostRoot(t), "kill -9 $$")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 128+9 {
		t.Errorf("killed by 9: got %v", err)
	}
}

func TestRunTimeout(t *testing.T) {
	c := hostRoot(t)
	c.Timeout = 300 * time.Millisecond
	start := time.Now()
	// A background child must die with the sandbox too.
	_, err := runSh(t, c, "sleep 30 & sleep 30")
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("got %v, want a timeout error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("timeout took %s", d)
	}
}

func TestRunChown(t *testing.T) {
	c := hostRoot(t)
	out, err := runSh(t, c, "touch /f && chown 123:456 /f && stat -c %u:%g /f")
	idm, _ := chooseIDMap()
	if idm.kind == MapSingle {
		if err == nil {
			t.Errorf("chown to another id worked with a single-id map: %q", out)
		}
		return
	}
	if err != nil || out != "123:456\n" {
		t.Fatalf("chown inside: %q, %v", out, err)
	}
}

func TestRunHooksAndNoMountLeak(t *testing.T) {
	before, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	c := hostRoot(t)
	c.Hooks = []Hook{{Name: "test-write", Args: []string{"/hooked", "yes"}}}
	out, err := runSh(t, c, "cat /hooked")
	if err != nil || out != "yes" {
		t.Fatalf("hook output %q, %v", out, err)
	}
	after, _ := os.ReadFile("/proc/self/mountinfo")
	if !bytes.Equal(before, after) {
		t.Errorf("mounts changed on the host:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	c.Hooks = []Hook{{Name: "no-such-hook"}}
	if _, err := runSh(t, c, "true"); err == nil || !strings.Contains(err.Error(), "no-such-hook") {
		t.Errorf("unknown hook: got %v", err)
	}
}

func TestRunOverlayKeepsRoot(t *testing.T) {
	c := hostRoot(t)
	c.Overlay = true
	c.Scratch = t.TempDir()
	out, err := runSh(t, c, "echo hi > /new && cat /new")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out != "hi\n" {
		t.Errorf("output %q", out)
	}
	if _, err := os.Stat(filepath.Join(c.Root, "new")); !os.IsNotExist(err) {
		t.Errorf("overlay wrote into the lower root: %v", err)
	}
}

func TestFindSubRange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(p, []byte("alice:100000:65536\nbob:x:1\n1000:200000:1000\ncarol:300000:0\n"), 0o644)
	tests := []struct {
		names []string
		want  subRange
		ok    bool
	}{
		{[]string{"alice"}, subRange{100000, 65535}, true},
		{[]string{"1000", "dave"}, subRange{200000, 1000}, true},
		{[]string{"bob"}, subRange{}, false},
		{[]string{"carol"}, subRange{}, false},
	}
	for _, tt := range tests {
		got, ok := findSubRange(p, tt.names)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%v: got %v %v, want %v %v", tt.names, got, ok, tt.want, tt.ok)
		}
	}
}
