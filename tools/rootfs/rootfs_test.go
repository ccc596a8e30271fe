package rootfs_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/rpmpack"
	"github.com/keel-build/keel/tools/rootfs"
	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

type entry struct {
	Name, Link, Uname, Gname, Body string
	Type                           byte
	Mode                           int64
	Uid, Gid                       int
	MTime                          int64
	PAX                            map[string]string
}

func readTar(t *testing.T, b []byte) map[string]entry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	out := map[string]entry{}
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Format != tar.FormatPAX && h.Format != tar.FormatUSTAR {
			t.Errorf("%s: format %v", h.Name, h.Format)
		}
		if !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s has atime/ctime", h.Name)
		}
		out[h.Name] = entry{Name: h.Name, Link: h.Linkname, Uname: h.Uname, Gname: h.Gname, Body: string(body),
			Type: h.Typeflag, Mode: h.Mode, Uid: h.Uid, Gid: h.Gid, MTime: h.ModTime.Unix(), PAX: h.PAXRecords}
		names = append(names, h.Name)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("entries are not sorted: %v", names)
	}
	return out
}

func build(t *testing.T, rpms []string, opts ...rootfs.Option) ([]byte, *rootfs.Report) {
	t.Helper()
	var buf bytes.Buffer
	rep, err := rootfs.Build(context.Background(), &buf, rpms, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), rep
}

var base = rpmfiletest.Spec{
	Name: "base", Version: "1", Release: "1",
	Files: []rpmfiletest.File{
		{Path: "/etc/passwd", Body: "root:x:0:0:root:/root:/bin/sh\ndaemon:x:2:2::/:/sbin/nologin\n", MTime: 5000},
		{Path: "/etc/group", Body: "root:x:0:\ndaemon:x:2:\nadm:x:4:\n", MTime: 5000},
		{Path: "/usr/bin", Dir: true, MTime: 5000},
	},
}

var app = rpmfiletest.Spec{
	Name: "app", Version: "2.0", Release: "3",
	Files: []rpmfiletest.File{
		{Path: "/etc/app.conf", Body: "a=1\n", Flags: rpmpack.ConfigFile, MTime: 100},
		{Path: "/usr/bin/app", Body: "#!/bin/sh\n", Mode: 0o4755, MTime: 100},
		{Path: "/usr/bin/app-ping", Body: "ping", Mode: 0o755, Caps: "cap_net_raw=ep", MTime: 100},
		{Path: "/usr/bin/app-link", Link: "app", MTime: 100},
		{Path: "/var/lib/app", Dir: true, Mode: 0o750, Owner: "daemon", Group: "adm", MTime: 100},
		{Path: "/var/log/app.log", Flags: rpmpack.GhostFile, MTime: 100},
	},
	Pre:  "useradd app",
	Post: "true",
}

func TestBuild(t *testing.T) {
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), base, app)
	b, rep := build(t, rpms, rootfs.WithEpoch(1000))
	got := readTar(t, b)
	want := []struct {
		name  string
		typ   byte
		mode  int64
		uid   int
		gid   int
		body  string
		link  string
		mtime int64
	}{
		{"etc/", tar.TypeDir, 0o755, 0, 0, "", "", 1000},
		{"etc/app.conf", tar.TypeReg, 0o644, 0, 0, "a=1\n", "", 100},
		{"etc/passwd", tar.TypeReg, 0o644, 0, 0, base.Files[0].Body, "", 1000},
		{"usr/", tar.TypeDir, 0o755, 0, 0, "", "", 1000},
		{"usr/bin/", tar.TypeDir, 0o755, 0, 0, "", "", 1000},
		{"usr/bin/app", tar.TypeReg, 0o4755, 0, 0, "#!/bin/sh\n", "", 100},
		{"usr/bin/app-link", tar.TypeSymlink, 0o777, 0, 0, "", "app", 100},
		{"var/lib/app/", tar.TypeDir, 0o750, 2, 4, "", "", 100},
	}
	for _, w := range want {
		e, ok := got[w.name]
		if !ok {
			t.Errorf("missing %s", w.name)
			continue
		}
		if e.Type != w.typ || e.Mode != w.mode || e.Uid != w.uid || e.Gid != w.gid || e.Body != w.body || e.Link != w.link || e.MTime != w.mtime {
			t.Errorf("%s = %+v, want %+v", w.name, e, w)
		}
	}
	if e := got["var/lib/app/"]; e.Uname != "daemon" || e.Gname != "adm" {
		t.Errorf("var/lib/app names = %s:%s", e.Uname, e.Gname)
	}
	if _, ok := got["var/log/app.log"]; ok {
		t.Error("ghost file was created")
	}
	caps := got["usr/bin/app-ping"].PAX["SCHILY.xattr.security.capability"]
	if len(caps) != 20 || binary.LittleEndian.Uint32([]byte(caps)) != 0x02000001 ||
		binary.LittleEndian.Uint32([]byte(caps[4:])) != 1<<13 {
		t.Errorf("capability xattr = %x", caps)
	}
	if len(rep.Ghosts) != 1 || !strings.HasPrefix(rep.Ghosts[0], "/var/log/app.log (app-2.0-3") {
		t.Errorf("ghosts = %v", rep.Ghosts)
	}
	var scripts []string
	for _, p := range rep.Packages {
		scripts = append(scripts, p.NEVRA+":"+strings.Join(p.SkippedScriptlets, ","))
	}
	if got, want := strings.Join(scripts, " "), "app-2.0-3.x86_64:pre,post base-1-1.x86_64:"; got != want {
		t.Errorf("scriptlets report = %q, want %q", got, want)
	}
	if rep.Entries != len(got) {
		t.Errorf("report says %d entries, tar has %d", rep.Entries, len(got))
	}
}

// TestReproducible builds the same set twice, in two input orders, with the
// same epoch: the bytes must not differ. A different epoch must change them
// (so the test can fail).
func TestReproducible(t *testing.T) {
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), base, app)
	a, _ := build(t, rpms, rootfs.WithEpoch(1000))
	b, _ := build(t, []string{rpms[1], rpms[0]}, rootfs.WithEpoch(1000))
	if !bytes.Equal(a, b) {
		t.Error("input order changed the tar")
	}
	c, _ := build(t, rpms, rootfs.WithEpoch(1000))
	if !bytes.Equal(a, c) {
		t.Error("two builds differ")
	}
	d, _ := build(t, rpms, rootfs.WithEpoch(2000))
	if bytes.Equal(a, d) {
		t.Error("the epoch has no effect")
	}
}

func TestRpmbuildHardlinksAndCaps(t *testing.T) {
	b, _ := build(t, []string{rpmfiletest.WriteHardlinks(t, t.TempDir())}, rootfs.WithEpoch(1700000000))
	got := readTar(t, b)
	if e := got["usr/bin/hl-a"]; e.Type != tar.TypeReg || e.Body != "hello\n" || e.Mode != 0o755 {
		t.Errorf("hl-a = %+v", e)
	}
	for _, n := range []string{"usr/bin/hl-b", "usr/bin/hl-c"} {
		if e := got[n]; e.Type != tar.TypeLink || e.Link != "usr/bin/hl-a" {
			t.Errorf("%s = %+v, want a hard link to usr/bin/hl-a", n, e)
		}
	}
	want := []byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if caps := got["usr/bin/hl-ping"].PAX["SCHILY.xattr.security.capability"]; caps != string(want) {
		t.Errorf("hl-ping caps = %x, want %x", caps, want)
	}
	if _, ok := got["var/lib/hl/state"]; ok {
		t.Error("ghost created")
	}
	if e := got["etc/hl.conf"]; e.Body != "x=1\n" {
		t.Errorf("config = %+v", e)
	}
}

func TestRejects(t *testing.T) {
	for _, c := range []struct {
		name  string
		specs []rpmfiletest.Spec
		want  []string
	}{
		{"dotdot", []rpmfiletest.Spec{{Name: "evil", Version: "1", Release: "1",
			Files: []rpmfiletest.File{{Path: "../etc/passwd", Body: "x"}}}},
			[]string{"evil-1-1.x86_64", `"../etc/passwd"`, "escapes the root"}},
		{"dotdot inside", []rpmfiletest.Spec{{Name: "evil", Version: "1", Release: "1",
			Files: []rpmfiletest.File{{Path: "/usr/../../etc/x", Body: "x"}}}},
			[]string{"evil-1-1.x86_64", `"/usr/../../etc/x"`}},
		{"symlink then file below", []rpmfiletest.Spec{{Name: "evil", Version: "1", Release: "1",
			Files: []rpmfiletest.File{{Path: "/a", Link: "/"}, {Path: "/a/etc/x", Body: "x"}}}},
			[]string{"evil-1-1.x86_64", `"/a/etc/x"`, "symlink /a -> /"}},
		{"symlink across packages", []rpmfiletest.Spec{
			{Name: "one", Version: "1", Release: "1", Files: []rpmfiletest.File{{Path: "/opt", Link: "/etc"}}},
			{Name: "two", Version: "1", Release: "1", Files: []rpmfiletest.File{{Path: "/opt/x", Body: "x"}}}},
			[]string{"two-1-1.x86_64", `"/opt/x"`, "from one-1-1.x86_64"}},
		{"conflict", []rpmfiletest.Spec{
			{Name: "one", Version: "1", Release: "1", Files: []rpmfiletest.File{{Path: "/etc/x", Body: "1"}}},
			{Name: "two", Version: "1", Release: "1", Files: []rpmfiletest.File{{Path: "/etc/x", Body: "2"}}}},
			[]string{"/etc/x", "one-1-1.x86_64", "two-1-1.x86_64"}},
		{"unknown owners", []rpmfiletest.Spec{{Name: "own", Version: "1", Release: "1",
			Files: []rpmfiletest.File{{Path: "/srv/a", Body: "x", Owner: "www", Group: "web"}, {Path: "/srv/b", Body: "y", Owner: "db"}}}},
			[]string{"user www", "group web", "user db", "/srv/b", "own-1-1.x86_64"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rpms := rpmfiletest.WriteAll(t, t.TempDir(), c.specs...)
			var buf bytes.Buffer
			_, err := rootfs.Build(context.Background(), &buf, rpms)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestSharedPaths(t *testing.T) {
	one := rpmfiletest.Spec{Name: "one", Version: "1", Release: "1", Files: []rpmfiletest.File{
		{Path: "/usr/share/licenses", Dir: true}, {Path: "/etc/shared", Body: "same"}}}
	two := rpmfiletest.Spec{Name: "two", Version: "1", Release: "1", Files: []rpmfiletest.File{
		{Path: "/usr/share/licenses", Dir: true, Mode: 0o700}, {Path: "/etc/shared", Body: "same"}}}
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), one, two)
	b, _ := build(t, rpms)
	got := readTar(t, b)
	if e := got["usr/share/licenses/"]; e.Mode != 0o755 {
		t.Errorf("shared directory mode %o, want the first package's 0755", e.Mode)
	}
	if e := got["etc/shared"]; e.Body != "same" {
		t.Errorf("shared file = %+v", e)
	}
}

func TestDeclaredAccounts(t *testing.T) {
	own := rpmfiletest.Spec{Name: "svc", Version: "1", Release: "1", Files: []rpmfiletest.File{
		{Path: "/srv/svc", Dir: true, Owner: "svc", Group: "svc"}}}
	users := []rootfs.User{{Name: "svc", UID: 990, GID: 990, Home: "/srv/svc", Shell: "/sbin/nologin"}}
	groups := []rootfs.Group{{Name: "svc", GID: 990}}
	t.Run("no shipped files", func(t *testing.T) {
		rpms := rpmfiletest.WriteAll(t, t.TempDir(), own)
		b, _ := build(t, rpms, rootfs.WithUsers(users...), rootfs.WithGroups(groups...))
		got := readTar(t, b)
		if e := got["srv/svc/"]; e.Uid != 990 || e.Gid != 990 {
			t.Errorf("srv/svc ids = %d:%d", e.Uid, e.Gid)
		}
		if g, w := got["etc/passwd"].Body, "root:x:0:0:root:/root:/bin/sh\nsvc:x:990:990::/srv/svc:/sbin/nologin\n"; g != w {
			t.Errorf("passwd = %q, want %q", g, w)
		}
		if g, w := got["etc/group"].Body, "root:x:0:\nsvc:x:990:\n"; g != w {
			t.Errorf("group = %q, want %q", g, w)
		}
		if e := got["etc/shadow"]; e.Mode != 0 || !strings.Contains(e.Body, "svc:!:") {
			t.Errorf("shadow = %+v", e)
		}
	})
	t.Run("appended to shipped files", func(t *testing.T) {
		rpms := rpmfiletest.WriteAll(t, t.TempDir(), base, own)
		b, _ := build(t, rpms, rootfs.WithUsers(users...), rootfs.WithGroups(groups...))
		got := readTar(t, b)
		if g, w := got["etc/passwd"].Body, base.Files[0].Body+"svc:x:990:990::/srv/svc:/sbin/nologin\n"; g != w {
			t.Errorf("passwd = %q, want %q", g, w)
		}
	})
	t.Run("conflicting id", func(t *testing.T) {
		rpms := rpmfiletest.WriteAll(t, t.TempDir(), base, own)
		var buf bytes.Buffer
		_, err := rootfs.Build(context.Background(), &buf, rpms, rootfs.WithGroups(rootfs.Group{Name: "daemon", GID: 7}))
		if err == nil || !strings.Contains(err.Error(), "daemon:7") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestParseAccounts(t *testing.T) {
	u, err := rootfs.ParseUser("svc:990:991:/srv:/bin/sh")
	if err != nil || u != (rootfs.User{Name: "svc", UID: 990, GID: 991, Home: "/srv", Shell: "/bin/sh"}) {
		t.Errorf("ParseUser = %+v, %v", u, err)
	}
	u, err = rootfs.ParseUser("svc:990:991")
	if err != nil || u.Home != "/" || u.Shell != "/sbin/nologin" {
		t.Errorf("ParseUser defaults = %+v, %v", u, err)
	}
	for _, bad := range []string{"svc", "svc:x:1", ":1:1", "a:1:2:3:4:5"} {
		if _, err := rootfs.ParseUser(bad); err == nil {
			t.Errorf("ParseUser(%q) succeeded", bad)
		}
	}
	g, err := rootfs.ParseGroup("wheel:10")
	if err != nil || g != (rootfs.Group{Name: "wheel", GID: 10}) {
		t.Errorf("ParseGroup = %+v, %v", g, err)
	}
	for _, bad := range []string{"wheel", "wheel:-1", "wheel:1:2"} {
		if _, err := rootfs.ParseGroup(bad); err == nil {
			t.Errorf("ParseGroup(%q) succeeded", bad)
		}
	}
}

// TestMakeLeavesNothingOnError: a failed resolution writes no output.
func TestMakeLeavesNothingOnError(t *testing.T) {
	dir := t.TempDir()
	rpms := rpmfiletest.WriteAll(t, dir, rpmfiletest.Spec{Name: "a", Version: "1", Release: "1", Requires: []string{"missing"}})
	out := rootfs.Files{Tar: dir + "/root.tar", Lock: dir + "/lock.json", Report: dir + "/report.json"}
	_, err := rootfs.Make(context.Background(), out, rpms, []string{"a"})
	if err == nil || !strings.Contains(err.Error(), "nothing provides missing, needed by a-1-1.x86_64") {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".rpm") {
			t.Errorf("left %s behind", e.Name())
		}
	}
}

func TestExtraFiles(t *testing.T) {
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), base, app,
		rpmfiletest.Spec{Name: "merged", Version: "1", Release: "1", Files: []rpmfiletest.File{{Path: "/bin", Link: "usr/bin"}}})
	b, _ := build(t, rpms, rootfs.WithEpoch(7000), rootfs.WithFiles(
		rootfs.ExtraFile{Path: "/etc/hostname", Data: []byte("core\n"), Mode: 0o644},
		rootfs.ExtraFile{Path: "/etc/app.conf", Data: []byte("a=2\n"), Mode: 0o600},
		rootfs.ExtraFile{Path: "/opt/new/run.sh", Data: []byte("#!/bin/sh\n"), Mode: 0o755},
	))
	got := readTar(t, b)
	for _, want := range []entry{
		{Name: "etc/hostname", Body: "core\n", Mode: 0o644},
		{Name: "etc/app.conf", Body: "a=2\n", Mode: 0o600},
		{Name: "opt/new/run.sh", Body: "#!/bin/sh\n", Mode: 0o755},
	} {
		e := got[want.Name]
		if e.Body != want.Body || e.Mode != want.Mode || e.Type != tar.TypeReg || e.Uname != "root" || e.MTime != 7000 {
			t.Errorf("%s = %+v, want body %q mode %o, root-owned, mtime 7000", want.Name, e, want.Body, want.Mode)
		}
	}
	if _, ok := got["opt/new/"]; !ok {
		t.Errorf("parent folder opt/new/ of an extra file is missing")
	}
	for _, tc := range []struct {
		f    rootfs.ExtraFile
		want string
	}{
		{rootfs.ExtraFile{Path: "etc/relative", Mode: 0o644}, "not an absolute path"},
		{rootfs.ExtraFile{Path: "/usr/bin", Mode: 0o644}, "installs a directory there"},
		{rootfs.ExtraFile{Path: "/bin/tool", Mode: 0o755}, "/bin is not a directory"},
		{rootfs.ExtraFile{Path: "/etc/x", Mode: 0o100644}, "not permission bits"},
	} {
		var buf bytes.Buffer
		_, err := rootfs.Build(context.Background(), &buf, rpms, rootfs.WithFiles(tc.f))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("extra file %q: error %v, want one containing %q", tc.f.Path, err, tc.want)
		}
	}
}
