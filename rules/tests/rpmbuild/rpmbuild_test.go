// Package rpmbuild_test runs the keel binary's rpmbuild verb, as the
// RpmBuild action does, on purpose-built inputs: a build that tries the
// network and a source with the wrong sha256 must fail, saying why and
// leaving no outputs; a build as root and one as an unprivileged user must
// give the same bytes.
//
// Under Bazel, KEEL_BINARY and KEEL_TEST_BUILDROOT name the keel binary and
// the pinned build root in the runfiles. The tests run outside Bazel's
// sandbox (tag no-sandbox): keel makes its own namespaces, and the second
// build needs a real unprivileged user.
package rpmbuild_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/keel-build/keel/tools/buildroot/buildroottest"
	"github.com/keel-build/keel/tools/sandbox"
	"github.com/keel-build/keel/tools/sandbox/sandboxtest"
)

// envProbe makes the test binary report, as the uid it runs as, whether
// sandboxes can run.
const envProbe = "KEEL_RPMBUILD_TEST_PROBE"

func TestMain(m *testing.M) {
	sandbox.MaybeInit()
	if os.Getenv(envProbe) != "" {
		if err := sandbox.Available(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// keel returns the keel binary and the build root.
func keel(t *testing.T) (bin, root string) {
	t.Helper()
	bin = os.Getenv("KEEL_BINARY")
	if bin == "" {
		t.Skip("KEEL_BINARY is not set: tools/bazel test //rules/tests/rpmbuild sets it")
	}
	if dir := os.Getenv("TEST_SRCDIR"); dir != "" && !filepath.IsAbs(bin) {
		bin = filepath.Join(dir, bin)
	}
	if err := sandbox.Available(); err != nil {
		t.Skipf("sandboxes cannot run here: %v", err)
	}
	return bin, buildroottest.Root(t)
}

// run runs keel with args as cred (the caller when nil) and returns its
// stderr and error.
func run(t *testing.T, bin string, cred *syscall.Credential, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"rpmbuild"}, args...)...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err := cmd.Run()
	return stderr.String(), err
}

// outputs lists the files under dir (relative paths), nil if none.
func outputs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// outArgs are the output flags of a build into dir/out, as rpm_package
// passes them.
func outArgs(dir string) []string {
	out := filepath.Join(dir, "out")
	return []string{
		"--out-dir", filepath.Join(out, "rpms"), "--srpm", filepath.Join(out, "src.rpm"),
		"--metadata", filepath.Join(out, "rpms.json"), "--lock", filepath.Join(out, "lock.json"),
	}
}

// TestNoNetwork builds a spec whose %build connects to a port that the
// host reaches: in the sandbox the connection fails, and so the build,
// with the spec's path and the end of the build log in the error, and no
// output but the log.
func TestNoNetwork(t *testing.T) {
	bin, root := keel(t)
	port, hosts := sandboxtest.Listen(t)
	spec, err := filepath.Abs("testdata/netprobe.spec")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		t.Run(h, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "build.log")
			stderr, err := run(t, bin, nil, dir, append([]string{"--root", root, "--spec", spec,
				"--define", "probe_host " + h, "--define", "probe_port " + port, "--log", log}, outArgs(dir)...)...)
			if err == nil {
				t.Fatalf("a build that opens a network connection succeeded:\n%s", stderr)
			}
			for _, want := range []string{"building " + spec, "last 40 lines of the build log", "/dev/tcp/" + h + "/" + port} {
				if !strings.Contains(stderr, want) {
					t.Errorf("the error lacks %q:\n%s", want, stderr)
				}
			}
			if got := outputs(t, filepath.Join(dir, "out")); got != nil {
				t.Errorf("the failed build left outputs: %q", got)
			}
			if data, err := os.ReadFile(log); err != nil || !bytes.Contains(data, []byte("%build")) {
				t.Errorf("the full log was not written (%v)", err)
			}
		})
	}
}

// TestWrongSHA256 gives keel a source whose sha256 is not the one pinned,
// on the command line and in a signatures file: the build fails before it
// starts, naming the file, the expected and the actual sha256, and writes
// nothing.
func TestWrongSHA256(t *testing.T) {
	bin, root := keel(t)
	src, err := filepath.Abs("testdata/small.c")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	actual := hex.EncodeToString(sum[:])
	wrong := strings.Repeat("ab", 32)
	sigs := filepath.Join(t.TempDir(), "small.signatures.json")
	if err := os.WriteFile(sigs, []byte(`{"Signatures": {"small.c": "`+wrong+`"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, flags := range map[string][]string{
		"flag":       {"--sha256", "small.c=" + wrong},
		"signatures": {"--signatures", sigs},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--root", root, "--spec", "testdata/small.spec", "--source", src,
				"--log", filepath.Join(dir, "out", "build.log")}, flags...)
			stderr, err := run(t, bin, nil, mustAbs(t, "."), append(args, outArgs(dir)...)...)
			if err == nil {
				t.Fatalf("a build with a wrong sha256 succeeded:\n%s", stderr)
			}
			want := fmt.Sprintf("%s: sha256 mismatch: expected %s, got %s", src, wrong, actual)
			if !strings.Contains(stderr, want) {
				t.Errorf("the error lacks %q:\n%s", want, stderr)
			}
			if got := outputs(t, filepath.Join(dir, "out")); got != nil {
				t.Errorf("the failed build left outputs: %q", got)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// unprivileged is the uid and gid of the second build: nobody, which has
// no /etc/subuid range, so keel maps it alone to root in the sandbox.
const unprivileged = 65534

// TestRootAndUnprivilegedSameBytes builds the same package as root and as
// an unprivileged user, each in a folder of its own: every output but the
// log must be byte for byte the same.
func TestRootAndUnprivilegedSameBytes(t *testing.T) {
	bin, root := keel(t)
	if os.Geteuid() != 0 {
		t.Skip("runs as root, to build once as root and once as uid 65534")
	}
	// The probe is this test binary, run as the user from a folder it can
	// reach.
	self := filepath.Join(openDir(t), "probe")
	if err := shareFile(os.Args[0], self); err != nil {
		t.Fatal(err)
	}
	probe := exec.Command(self)
	probe.Env = []string{envProbe + "=1"}
	probe.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: unprivileged, Gid: unprivileged}}
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("an unprivileged user cannot make the sandbox's namespaces here (%v): %s", err, out)
	}

	var sums []map[string]string
	for _, cred := range []*syscall.Credential{nil, {Uid: unprivileged, Gid: unprivileged}} {
		who := "root"
		if cred != nil {
			who = "uid " + strconv.Itoa(unprivileged)
		}
		// Everything the build reads, linked (or copied) into a folder
		// the user owns: the runfiles' folders need not be open to it.
		dir := openDir(t)
		in := filepath.Join(dir, "in")
		if err := os.Mkdir(in, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"testdata/small.spec", "testdata/small.c", root, bin} {
			if err := shareFile(f, filepath.Join(in, filepath.Base(f))); err != nil {
				t.Fatal(err)
			}
		}
		if cred != nil {
			if err := chownTree(dir, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
		src := filepath.Join(in, "small.c")
		data, _ := os.ReadFile(src)
		sum := sha256.Sum256(data)
		args := append([]string{"--root", filepath.Join(in, filepath.Base(root)), "--spec", filepath.Join(in, "small.spec"),
			"--source", src, "--sha256", "small.c=" + hex.EncodeToString(sum[:]),
			"--log", filepath.Join(dir, "build.log"),
			"--expect", "small-1.0-1.x86_64.rpm", "--expect", "small-data-1.0-1.noarch.rpm"}, outArgs(dir)...)
		stderr, err := run(t, filepath.Join(in, filepath.Base(bin)), cred, dir, args...)
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "build.log"))
			t.Fatalf("build as %s: %v\n%s\n%s", who, err, stderr, log)
		}
		if strings.Contains(stderr, "refuses a user namespace") {
			t.Errorf("build as %s ran without a user namespace: %s", who, stderr)
		}
		t.Logf("build as %s: %s", who, strings.TrimSpace(stderr))
		sums = append(sums, hashTree(t, filepath.Join(dir, "out")))
	}
	if len(sums[0]) != 5 {
		t.Fatalf("the root build wrote %d outputs, want 5 (2 RPMs, the source RPM, metadata, lock): %v", len(sums[0]), sums[0])
	}
	for name, sum := range sums[0] {
		if sums[1][name] != sum {
			t.Errorf("%s differs: %s as root, %s as uid %d", name, sum, sums[1][name], unprivileged)
		}
	}
	if len(sums[1]) != len(sums[0]) {
		t.Errorf("output sets differ: %v vs %v", sums[0], sums[1])
	}
}

// openDir makes a folder that every user can reach (t.TempDir's parent is
// private to the test's user), removed when the test ends.
func openDir(t *testing.T) string {
	t.Helper()
	for _, base := range []string{os.Getenv("TEST_TMPDIR"), os.TempDir(), "/tmp"} {
		if base == "" || !reachable(base) {
			continue
		}
		dir, err := os.MkdirTemp(base, "keel-rpmbuild-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t.Skip("no temporary folder that other users can reach")
	return ""
}

// reachable reports whether every folder from / to dir lets others in.
func reachable(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		st, err := os.Stat(dir)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == "/" {
			return true
		}
		dir = filepath.Dir(dir)
	}
}

// shareFile puts src at dst for every user to read, and to run if its
// owner may: a hard link when src's mode already allows that, else a copy.
// (An output Bazel takes from its disk cache may be r-xr--r--.)
func shareFile(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	mode := st.Mode().Perm() | 0o444
	if mode&0o100 != 0 {
		mode |= 0o111
	}
	if mode == st.Mode().Perm() && os.Link(src, dst) == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // whatever the umask
}

// chownTree gives dir and the folders in it to uid:gid; files keep their
// owner (their folder's owner decides what the user may do).
func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.Chown(p, uid, gid)
		}
		return nil
	})
}

// hashTree maps each file under dir (relative path) to its sha256.
func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, rel := range outputs(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		m[rel] = hex.EncodeToString(s[:])
	}
	return m
}
