package rpmbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/buildroot"
	"github.com/keel-build/keel/tools/buildroot/buildroottest"
	"github.com/keel-build/keel/tools/sandbox"
	"github.com/keel-build/keel/tools/sandbox/sandboxtest"
)

// envChild makes the test binary run one Build from JSON options and exit:
// the way a test runs a build as another user.
const envChild = "KEEL_RPMBUILD_TEST_CHILD"

func TestMain(m *testing.M) {
	sandbox.MaybeInit()
	if js := os.Getenv(envChild); js != "" {
		var o Options
		if err := json.Unmarshal([]byte(js), &o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		o.Stderr = os.Stderr
		if _, err := Build(context.Background(), o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if sharedRoot.dir != "" {
		buildroot.RemoveAll(filepath.Dir(sharedRoot.dir))
	}
	os.Exit(code)
}

// sharedRoot is the build root unpacked once for the tests that do not
// need the tarball itself: each build overlays it instead of unpacking
// 450 MB again.
var sharedRoot struct {
	once sync.Once
	dir  string
	err  error
}

// needDirRoot is needSandbox with the root as a shared directory.
func needDirRoot(t *testing.T) string {
	t.Helper()
	root := needSandbox(t)
	sharedRoot.once.Do(func() {
		tmp, err := os.MkdirTemp("", "keel-rpmbuild-test-root-")
		if err != nil {
			sharedRoot.err = err
			return
		}
		sharedRoot.dir = filepath.Join(tmp, "root")
		sharedRoot.err = buildroot.Unpack(root, sharedRoot.dir)
	})
	if sharedRoot.err != nil {
		t.Fatalf("unpacking the shared build root: %v", sharedRoot.err)
	}
	return sharedRoot.dir
}

func needSandbox(t *testing.T) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("the expected RPM names are for x86_64")
	}
	if testing.Short() {
		t.Skip("long test: builds RPMs in a sandbox")
	}
	if err := sandbox.Available(); err != nil {
		t.Skipf("user namespaces unavailable: %v", err)
	}
	return buildroottest.Root(t)
}

func helloOptions(root, out string) Options {
	return Options{
		Root:            root,
		Spec:            "testdata/hello.spec",
		Sources:         []string{"testdata/hello.c"},
		OutDir:          out,
		SourceDateEpoch: -1,
		Expect:          []string{"hello-1.0-1.src.rpm", "hello-1.0-1.x86_64.rpm", "hello-data-1.0-1.noarch.rpm"},
	}
}

// readJSON decodes the JSON file at path into v and returns its bytes.
func readJSON(t *testing.T, path string, v any) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return data
}

// digests maps each file of dir to its sha256.
func digests(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		m[e.Name()] = hex.EncodeToString(s[:])
	}
	return m
}

func sameDigests(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) == 0 {
		t.Fatalf("%s: no outputs", what)
	}
	for n, d := range a {
		if b[n] != d {
			t.Errorf("%s: %s differs: %s vs %s", what, n, d, b[n])
		}
	}
	if len(a) != len(b) {
		t.Errorf("%s: output sets differ: %v vs %v", what, a, b)
	}
}

func TestBuildIsReproducible(t *testing.T) {
	root := needSandbox(t)
	// The second build uses the root unpacked in a directory (an overlay
	// lower layer) instead of the tarball: same bytes either way.
	dirRoot := needDirRoot(t)
	var sums []map[string]string
	for i, r := range []string{root, dirRoot} {
		out := filepath.Join(t.TempDir(), "out")
		o := helloOptions(r, out)
		o.TmpDir = t.TempDir() // a different work path each time
		o.Log = filepath.Join(t.TempDir(), "build.log")
		res, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("build %d: prepare %s, sandbox %s, total %s", i, res.Prepare, res.Sandbox, res.Total)
		log, err := os.ReadFile(o.Log)
		if err != nil || !bytes.Contains(log, []byte("Wrote: "+Topdir+"/RPMS/x86_64/hello-1.0-1.x86_64.rpm")) {
			t.Errorf("log lacks the Wrote: line (%v)", err)
		}
		sums = append(sums, digests(t, out))
	}
	sameDigests(t, "two builds", sums[0], sums[1])
}

// TestBuildAsOtherUser builds as root and as an unprivileged user with a
// subordinate id range (newuidmap path); the RPMs must be identical.
func TestBuildAsOtherUser(t *testing.T) {
	root := needSandbox(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a second build as another user")
	}
	u := subuidUser(t)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	out := filepath.Join(t.TempDir(), "out")
	if _, err := Build(context.Background(), helloOptions(root, out)); err != nil {
		t.Fatal(err)
	}

	// Everything the other user touches lives in a directory it owns.
	// (t.TempDir's parent is private to root.)
	home, err := os.MkdirTemp("", "keel-rpmbuild-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	os.Chmod(home, 0o755)
	priv := filepath.Join(home, "u")
	os.Mkdir(priv, 0o755)
	for _, f := range []string{"testdata/hello.spec", "testdata/hello.c", root, os.Args[0]} {
		dst := filepath.Join(priv, filepath.Base(f))
		if err := os.Link(f, dst); err != nil {
			if err := copyFile(f, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	os.Chmod(filepath.Join(priv, filepath.Base(os.Args[0])), 0o755)
	if err := os.Chown(priv, uid, gid); err != nil {
		t.Fatal(err)
	}
	o := helloOptions(filepath.Join(priv, filepath.Base(root)), filepath.Join(priv, "out"))
	o.Spec, o.Sources = filepath.Join(priv, "hello.spec"), []string{filepath.Join(priv, "hello.c")}
	o.TmpDir = priv
	js, _ := json.Marshal(o)
	cmd := exec.Command(filepath.Join(priv, filepath.Base(os.Args[0])))
	cmd.Dir = priv
	cmd.Env = []string{envChild + "=" + string(js), "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + priv}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build as %s: %v\n%s", u.Username, err, stderr.String())
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("unexpected warning: %s", stderr.String())
	}
	sameDigests(t, "root vs "+u.Username, digests(t, out), digests(t, filepath.Join(priv, "out")))
}

// subuidUser returns a user that has ranges in /etc/subuid and /etc/subgid.
func subuidUser(t *testing.T) *user.User {
	t.Helper()
	if _, err := exec.LookPath("newuidmap"); err != nil {
		t.Skip("newuidmap not installed (Debian package uidmap)")
	}
	data, _ := os.ReadFile("/etc/subuid")
	gdata, _ := os.ReadFile("/etc/subgid")
	for _, line := range strings.Split(string(data), "\n") {
		name, _, ok := strings.Cut(line, ":")
		if !ok || !strings.Contains(string(gdata), name+":") {
			continue
		}
		if u, err := user.Lookup(name); err == nil && u.Uid != "0" {
			return u
		}
	}
	t.Skip("no user with /etc/subuid and /etc/subgid ranges (useradd makes them)")
	return nil
}

// TestBuildInstallsDependencies builds usehello, which BuildRequires
// hello-data, from the two RPMs of hello: only hello-data is installed, and
// the log and the lock say so.
func TestBuildInstallsDependencies(t *testing.T) {
	root := needDirRoot(t)
	deps := filepath.Join(t.TempDir(), "deps")
	if _, err := Build(context.Background(), helloOptions(root, deps)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	o := Options{
		Root: root, Spec: "testdata/usehello.spec", OutDir: out, SourceDateEpoch: -1,
		CandidateRPMs: []string{filepath.Join(deps, "hello-1.0-1.x86_64.rpm"), filepath.Join(deps, "hello-data-1.0-1.noarch.rpm")},
		Log:           filepath.Join(dir, "build.log"),
		Lock:          filepath.Join(dir, "lock.json"),
	}
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(digests(t, out))); !slices.Equal(got, []string{"usehello-1.0-1.noarch.rpm", "usehello-1.0-1.src.rpm"}) {
		t.Errorf("outputs %q", got)
	}
	var lock BuildLock
	data := readJSON(t, o.Lock, &lock)
	if !slices.Equal(lock.BuildRequires, []string{"hello-data"}) || len(lock.Packages) != 1 ||
		lock.Packages[0].File != "hello-data-1.0-1.noarch.rpm" || len(lock.Packages[0].SHA256) != 64 {
		t.Errorf("lock:\n%s", data)
	}
	log, _ := os.ReadFile(o.Log)
	if !bytes.Contains(log, []byte("keel rpmbuild:   hello-data-1.0-1.noarch (hello-data-1.0-1.noarch.rpm)")) ||
		bytes.Contains(log, []byte("hello-1.0-1.x86_64 (")) {
		t.Errorf("the log does not name exactly the installed RPM:\n%s", log)
	}
	// Without the dependency the same build fails before it starts, naming
	// the BuildRequires.
	o.CandidateRPMs, o.OutDir = o.CandidateRPMs[:1], filepath.Join(dir, "out2")
	_, err := Build(context.Background(), o)
	var unsat *UnsatisfiedError
	if !errors.As(err, &unsat) || !slices.Equal(unsat.Missing, []string{"hello-data"}) || !strings.Contains(err.Error(), "usehello.spec") {
		t.Errorf("build without its BuildRequires: got %v, want an UnsatisfiedError naming hello-data", err)
	}
	if _, err := os.Stat(o.OutDir); !os.IsNotExist(err) {
		t.Errorf("the failed build made its output directory (%v)", err)
	}
}

// TestCommentKeepsBinaryRPMs builds hello, then hello with comments added
// (at the top and in %build): the binary RPMs must not change, so that
// nothing that depends on them rebuilds. The source RPM holds the spec and
// changes.
func TestCommentKeepsBinaryRPMs(t *testing.T) {
	root := needDirRoot(t)
	spec, err := os.ReadFile("testdata/hello.spec")
	if err != nil {
		t.Fatal(err)
	}
	commented := "# A comment: the spec changes, its binary RPMs do not.\n" +
		strings.Replace(string(spec), "%build\n", "%build\n# A comment in the build script.\n", 1)
	if commented == string(spec) {
		t.Fatalf("hello.spec has no %%build line to comment")
	}
	dir := t.TempDir()
	edited := filepath.Join(dir, "hello.spec")
	if err := os.WriteFile(edited, []byte(commented), 0o644); err != nil {
		t.Fatal(err)
	}
	var sums []map[string]string
	for i, sp := range []string{"testdata/hello.spec", edited} {
		o := helloOptions(root, filepath.Join(dir, fmt.Sprint("out", i)))
		o.Spec = sp
		if _, err := Build(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, digests(t, o.OutDir))
	}
	for _, n := range []string{"hello-1.0-1.x86_64.rpm", "hello-data-1.0-1.noarch.rpm"} {
		if sums[0][n] == "" || sums[0][n] != sums[1][n] {
			t.Errorf("%s changed with a comment in the spec: %s vs %s", n, sums[0][n], sums[1][n])
		}
	}
	if sums[0]["hello-1.0-1.src.rpm"] == sums[1]["hello-1.0-1.src.rpm"] {
		t.Error("the source RPM did not change with the spec")
	}
}

func TestBuildChecksSourceSHA256(t *testing.T) {
	data, err := os.ReadFile("testdata/hello.c")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	right := hex.EncodeToString(sum[:])
	wrong := strings.Repeat("0", 64)
	tests := []struct {
		name string
		sums map[string]string
		want string // in the error; "" for none
	}{
		{"wrong", map[string]string{"hello.c": wrong}, "testdata/hello.c: sha256 mismatch: expected " + wrong + ", got " + right},
		{"unlisted", map[string]string{"other.c": wrong}, ""},
		// Right: checking passes, and the build fails later at the root.
		{"right", map[string]string{"hello.c": strings.ToUpper(right)}, "noroot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			o := helloOptions(filepath.Join(t.TempDir(), "noroot"), out)
			o.SourceSHA256 = tt.sums
			_, err := Build(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output directory made (%v)", err)
			}
		})
	}
}

func TestReadSignatures(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.signatures.json")
	os.WriteFile(good, []byte(`{"Signatures": {"a.tar.gz": "abc"}}`), 0o644)
	bad := filepath.Join(dir, "bad.signatures.json")
	os.WriteFile(bad, []byte(`{"Other": {}}`), 0o644)
	if m, err := ReadSignatures(good); err != nil || m["a.tar.gz"] != "abc" || len(m) != 1 {
		t.Errorf("good: %v, %v", m, err)
	}
	if _, err := ReadSignatures(bad); err == nil || !strings.Contains(err.Error(), "bad.signatures.json") {
		t.Errorf("bad: %v", err)
	}
	if _, err := ReadSignatures(filepath.Join(dir, "none.json")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestBuildHasNoNetwork builds a spec that connects to a port the host can
// reach; inside the sandbox the connection must fail, and so the build.
func TestBuildHasNoNetwork(t *testing.T) {
	root := needDirRoot(t)
	port, hosts := sandboxtest.Listen(t)
	for _, h := range hosts {
		t.Run(h, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			o := Options{
				Root: root, Spec: "testdata/netprobe.spec", OutDir: out, SourceDateEpoch: -1,
				Defines: []string{"probe_host " + h, "probe_port " + port},
				Log:     filepath.Join(dir, "build.log"),
			}
			_, err := Build(context.Background(), o)
			if err == nil {
				t.Fatal("a build that opens a network connection succeeded")
			}
			if !strings.Contains(err.Error(), "testdata/netprobe.spec") || !strings.Contains(err.Error(), "/dev/tcp/"+h) {
				t.Errorf("error lacks the spec path or the log tail:\n%v", err)
			}
			if _, serr := os.Stat(out); !os.IsNotExist(serr) {
				ents, _ := os.ReadDir(out)
				if len(ents) > 0 {
					t.Errorf("failed build left outputs: %v", ents)
				}
			}
			if log, err := os.ReadFile(o.Log); err != nil || !bytes.Contains(log, []byte("%build")) {
				t.Errorf("full log not written: %v", err)
			}
		})
	}
}

func TestBuildRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const head = "Name: x\nVersion: 1\nRelease: 1\nSummary: x\nLicense: MIT\n%description\nx\n%files\n"
	nochangelog := write("x.spec", head)
	// rpm would take SOURCE_DATE_EPOCH from the clock for these two.
	emptychangelog := write("empty/x.spec", head+"%changelog\n")
	skippedchangelog := write("skipped/x.spec", head+"%if 0\n%changelog\n* Mon Jan 06 2025 K <k@example.org> - 1-1\n- x\n%endif\n")
	sameAsSpec := []string{write("a/hello.spec", ""), write("b/hello.spec", "")}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"missing spec", Options{Root: "r", Spec: filepath.Join(dir, "none.spec"), OutDir: dir, SourceDateEpoch: -1}, "none.spec"},
		{"no changelog", Options{Root: dir, Spec: nochangelog, OutDir: dir, SourceDateEpoch: -1}, "x.spec: no %changelog"},
		{"empty changelog", Options{Root: dir, Spec: emptychangelog, OutDir: dir, SourceDateEpoch: -1}, "x.spec: no %changelog"},
		{"changelog in %if 0", Options{Root: dir, Spec: skippedchangelog, OutDir: dir, SourceDateEpoch: -1}, "x.spec: no %changelog"},
		{"two sources named like the spec", Options{Root: "r", Spec: "testdata/hello.spec", Sources: sameAsSpec, OutDir: dir, SourceDateEpoch: -1}, "same name"},
		{"changelog not needed with epoch", Options{Root: filepath.Join(dir, "noroot"), Spec: nochangelog, OutDir: dir, SourceDateEpoch: 5}, "noroot"},
		{"missing source", Options{Root: "r", Spec: "testdata/hello.spec", Sources: []string{"testdata/nope.c"}, OutDir: dir, SourceDateEpoch: -1}, "nope.c"},
		{"duplicate source", Options{Root: "r", Spec: "testdata/hello.spec", Sources: []string{"testdata/hello.c", "testdata/../testdata/hello.c"}, OutDir: dir, SourceDateEpoch: -1}, "same name"},
		{"bad define", Options{Root: "r", Spec: "testdata/hello.spec", Defines: []string{"novalue"}, OutDir: dir, SourceDateEpoch: -1}, "NAME VALUE"},
		{"missing flags", Options{Spec: "testdata/hello.spec"}, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(context.Background(), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLastLines(t *testing.T) {
	var b bytes.Buffer
	tl := &tail{buf: &b}
	for i := range 100000 {
		fmt.Fprintf(tl, "line %d\n", i)
	}
	got := lastLines(b.String(), 3)
	if got != "line 99997\nline 99998\nline 99999" {
		t.Errorf("got %q", got)
	}
	if b.Len() > 128<<10 {
		t.Errorf("tail kept %d bytes", b.Len())
	}
	io.WriteString(tl, "")
}

// BenchmarkBuildHello measures one hello build from the root tarball (which
// is unpacked per build) and from an unpacked directory (overlay).
func BenchmarkBuildHello(b *testing.B) {
	src := os.Getenv("KEEL_TEST_BUILDROOT")
	if src == "" {
		b.Skip("set KEEL_TEST_BUILDROOT to a root tarball")
	}
	dirRoot := filepath.Join(b.TempDir(), "root")
	if err := buildroot.Unpack(src, dirRoot); err != nil {
		b.Fatal(err)
	}
	defer buildroot.RemoveAll(dirRoot)
	for _, bc := range []struct{ name, root string }{{"tarball", src}, {"directory", dirRoot}} {
		b.Run(bc.name, func(b *testing.B) {
			var prep, sb time.Duration
			for b.Loop() {
				res, err := Build(context.Background(), helloOptions(bc.root, filepath.Join(b.TempDir(), "out")))
				if err != nil {
					b.Fatal(err)
				}
				prep += res.Prepare
				sb += res.Sandbox
			}
			b.ReportMetric(float64(prep.Milliseconds())/float64(b.N), "prepare-ms/op")
			b.ReportMetric(float64(sb.Milliseconds())/float64(b.N), "sandbox-ms/op")
		})
	}
}

// srpmOptions are helloOptions with every output in dir: the binary RPMs
// in dir/out, the source RPM at a path of its own, the metadata.
func srpmOptions(root, dir string) Options {
	o := helloOptions(root, filepath.Join(dir, "out"))
	o.Expect = []string{"hello-1.0-1.x86_64.rpm", "hello-data-1.0-1.noarch.rpm"}
	o.SRPM = filepath.Join(dir, "srpm", "hello.src.rpm")
	o.Metadata = filepath.Join(dir, "meta.json")
	return o
}

// TestFailedOutputLeavesNone builds successfully but cannot write the last
// output, the lock (its folder is a file): the build fails naming it, and
// none of the RPMs, source RPM or metadata written before it remain.
func TestFailedOutputLeavesNone(t *testing.T) {
	dir := t.TempDir()
	o := srpmOptions(needDirRoot(t), dir)
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o.Lock = filepath.Join(dir, "file", "lock.json")
	_, err := Build(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), o.Lock) {
		t.Fatalf("got %v, want an error naming %s", err, o.Lock)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && p != filepath.Join(dir, "file") {
			left = append(left, p)
		}
		return nil
	})
	if left != nil {
		t.Errorf("the failed build left %q", left)
	}
}

// TestBuildSRPMAndMetadata writes the source RPM to a path of its own and
// describes the binary RPMs as their headers say.
func TestBuildSRPMAndMetadata(t *testing.T) {
	o := srpmOptions(needDirRoot(t), t.TempDir())
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(digests(t, o.OutDir))); !slices.Equal(got, o.Expect) {
		t.Errorf("out dir holds %q, want %q", got, o.Expect)
	}
	if out, err := exec.Command("rpm", "-qp", "--qf", "%{NAME} %{SOURCERPM}", o.SRPM).Output(); err == nil && string(out) != "hello (none)" {
		t.Errorf("SRPM header: %q", out)
	}
	var m Metadata
	data := readJSON(t, o.Metadata, &m)
	if len(m.Packages) != 2 {
		t.Fatalf("metadata of %d packages, want 2:\n%s", len(m.Packages), data)
	}
	hello, hdata := m.Packages[0], m.Packages[1]
	if hello.File != "hello-1.0-1.x86_64.rpm" || hello.Name != "hello" || hello.Version != "1.0" || hello.Release != "1" || hello.Arch != "x86_64" {
		t.Errorf("hello NEVRA: %+v", hello)
	}
	if !slices.Contains(hello.Provides, "hello = 1.0-1") || !slices.Contains(hello.Provides, "hello(x86-64) = 1.0-1") {
		t.Errorf("hello provides %q", hello.Provides)
	}
	if !slices.Contains(hello.Files, "/usr/bin/hello") {
		t.Errorf("hello files %q", hello.Files)
	}
	if hdata.Arch != "noarch" || !slices.Contains(hdata.Files, "/usr/share/hello/greeting") {
		t.Errorf("hello-data: %+v", hdata)
	}
	// rpm itself must agree, where it is installed.
	if out, err := exec.Command("rpm", "-qp", "--provides", filepath.Join(o.OutDir, hello.File)).Output(); err == nil {
		want := strings.Join(hello.Provides, "\n") + "\n"
		if string(out) != want {
			t.Errorf("rpm --provides says %q, metadata %q", out, want)
		}
	}
}
