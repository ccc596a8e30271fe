package ext4

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

func needTools(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "debugfs", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (Debian package e2fsprogs)", tool)
		}
	}
}

var cfg = Config{UUID: "3b0c1b1e-8a5e-4c62-9a53-7f4a1d1f2c3d", Label: "root", Epoch: imagetest.Epoch}

func build(t *testing.T, tarPath string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "root.ext4")
	if _, err := Build(context.Background(), out, tarPath, cfg); err != nil {
		t.Fatal(err)
	}
	return out
}

func debugfs(t *testing.T, img, req string) string {
	t.Helper()
	out, err := exec.Command("debugfs", "-R", req, img).CombinedOutput()
	if err != nil {
		t.Fatalf("debugfs %s: %v\n%s", req, err, out)
	}
	return string(out)
}

func TestMetadata(t *testing.T) {
	needTools(t)
	img := build(t, imagetest.WriteTar(t, imagetest.SmallRootfs()))
	for _, tc := range []struct {
		path, typ, mode, owner string
	}{
		{"/etc/shadow", "regular", "0600", "User:     0   Group:     0"},
		{"/usr/bin/hello", "regular", "04755", "User:     0   Group:     0"},
		{"/home/user", "directory", "0700", "User:  1000   Group:  1000"},
		{"/home/user/notes.txt", "regular", "0644", "User:  1000   Group:  1000"},
		{"/dev/console", "character special", "0600", "User:     0   Group:     0"},
		{"/dev/sda", "block special", "0660", "User:     0   Group:     6"},
		{"/run/initctl", "FIFO", "0600", "User:     0   Group:     0"},
		{"/bin", "symlink", "0777", "User:     0   Group:     0"},
	} {
		st := debugfs(t, img, "stat "+tc.path)
		if !strings.Contains(st, "Type: "+tc.typ) || !strings.Contains(st, "Mode:  "+tc.mode) || !strings.Contains(st, tc.owner) {
			t.Errorf("%s: want type %s mode %s %s; got\n%s", tc.path, tc.typ, tc.mode, tc.owner, firstLines(st, 3))
		}
		want := fmt.Sprintf("0x%08x:00000000", imagetest.Epoch.Add(-time.Hour).Unix()) // the tar's mtime
		for _, f := range []string{"ctime", "atime", "mtime", "crtime"} {
			if !strings.Contains(st, f+": "+want) {
				t.Errorf("%s: %s is not %s:\n%s", tc.path, f, want, st)
			}
		}
	}
	if st := debugfs(t, img, "stat /dev/sda"); !strings.Contains(st, "Device major/minor number: 08:00") {
		t.Errorf("/dev/sda device number:\n%s", st)
	}
	if got := debugfs(t, img, "cat /etc/os-release"); !strings.Contains(got, "NAME=Keel\nID=keel\n") {
		t.Errorf("/etc/os-release content: %q", got)
	}
	a, b := debugfs(t, img, "stat /usr/bin/hello"), debugfs(t, img, "stat /usr/bin/hello2")
	ino := regexp.MustCompile(`Inode: (\d+)`)
	if ino.FindString(a) != ino.FindString(b) || !strings.Contains(a, "Links: 2") {
		t.Errorf("hard link: %s / %s", firstLines(a, 1), firstLines(b, 1))
	}
	if got := debugfs(t, img, "ea_list /usr/bin/ping"); !strings.Contains(got, "security.capability") {
		t.Errorf("security.capability missing: %s", got)
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}

func TestReproducible(t *testing.T) {
	needTools(t)
	tarPath := imagetest.WriteTar(t, imagetest.SmallRootfs())
	a, err := os.ReadFile(build(t, tarPath))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	b, err := os.ReadFile(build(t, tarPath))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same tar differ")
	}
}

func TestBadInput(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	notTar := filepath.Join(dir, "notes.txt")
	os.WriteFile(notTar, bytes.Repeat([]byte("not a tar "), 200), 0o644)
	quoted := imagetest.WriteTar(t, []imagetest.Entry{{Name: `a"b`}})
	for _, tc := range []struct{ name, tar, want string }{
		{"missing", filepath.Join(dir, "gone.tar"), "gone.tar"},
		{"not a tar", notTar, "notes.txt"},
		{"quote in name", quoted, `a\"b`},
	} {
		_, err := Build(context.Background(), filepath.Join(dir, "out.ext4"), tc.tar, cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %s", tc.name, err, tc.want)
		}
	}
}
