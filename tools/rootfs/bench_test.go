package rootfs_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keel-build/keel/tools/rootfs"
	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

// genSet writes n packages of files files each (zstd payloads, like a
// distribution's), with mixed sizes and partly compressible content.
func genSet(tb testing.TB, dir string, n, files int) []string {
	rng := rand.New(rand.NewSource(1))
	var specs []rpmfiletest.Spec
	for i := 0; i < n; i++ {
		s := rpmfiletest.Spec{Name: fmt.Sprintf("pkg%03d", i), Version: "1.0", Release: "1", Compressor: "zstd"}
		s.Files = append(s.Files, rpmfiletest.File{Path: fmt.Sprintf("/usr/share/pkg%03d", i), Dir: true})
		for j := 0; j < files; j++ {
			size := 256 << rng.Intn(6) // 256 B .. 8 KiB
			body := make([]byte, size)
			rng.Read(body[:size/2])
			copy(body[size/2:], bytes.Repeat([]byte("keel "), size))
			f := rpmfiletest.File{Path: fmt.Sprintf("/usr/share/pkg%03d/f%04d", i, j), Body: string(body), MTime: 1000}
			if j%50 == 0 {
				f = rpmfiletest.File{Path: fmt.Sprintf("/usr/bin/pkg%03d-%d", i, j), Body: string(body), Mode: 0o755, MTime: 1000}
			}
			if j%40 == 1 {
				f = rpmfiletest.File{Path: fmt.Sprintf("/usr/share/pkg%03d/l%04d", i, j), Link: "f0000", MTime: 1000}
			}
			s.Files = append(s.Files, f)
		}
		specs = append(specs, s)
	}
	return rpmfiletest.WriteAll(tb, dir, specs...)
}

func rpmInstall(root string, rpms []string) error {
	args := append([]string{"-i", "--root", root, "--dbpath", "/var/lib/rpm", "--nodeps", "--noscripts", "--notriggers", "--nosignature", "--nodigest"}, rpms...)
	out, err := exec.Command("rpm", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("rpm -i: %v\n%s", err, out)
	}
	return nil
}

// BenchmarkRootfs assembles 50 RPMs of 200 files each. With rpm installed,
// every iteration also times `rpm -i --root` (extraction and its database,
// no scripts) on the same RPMs and reports both and their ratio.
func BenchmarkRootfs(b *testing.B) {
	dir := b.TempDir()
	rpms := genSet(b, dir, 50, 200)
	_, rpmErr := exec.LookPath("rpm")
	var keel, rpmT time.Duration
	var size int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cw := &countWriter{}
		st := time.Now()
		if _, err := rootfs.Build(context.Background(), cw, rpms, rootfs.WithTempDir(dir)); err != nil {
			b.Fatal(err)
		}
		keel += time.Since(st)
		size = cw.n
		if rpmErr == nil {
			root := filepath.Join(dir, fmt.Sprintf("root%d", i))
			st = time.Now()
			if err := rpmInstall(root, rpms); err != nil {
				b.Fatal(err)
			}
			rpmT += time.Since(st)
			b.StopTimer()
			os.RemoveAll(root)
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(keel.Milliseconds())/float64(b.N), "keel-ms/op")
	b.ReportMetric(float64(size)/(1<<20), "tar-MiB")
	if rpmErr == nil {
		b.ReportMetric(float64(rpmT.Milliseconds())/float64(b.N), "rpm-i-ms/op")
		b.ReportMetric(float64(rpmT)/float64(keel), "rpm/keel")
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestMatchesRpmInstall extracts the same RPMs with `rpm -i --root` and
// checks that every file, directory and symlink rpm created appears in
// Keel's tar with the same type, mode, size, content and link target.
func TestMatchesRpmInstall(t *testing.T) {
	if _, err := exec.LookPath("rpm"); err != nil {
		t.Skip("rpm is not installed (apt-get install rpm)")
	}
	if os.Geteuid() != 0 {
		t.Skip("rpm -i --root needs root to set owners")
	}
	dir := t.TempDir()
	rpms := append(genSet(t, dir, 3, 60), rpmfiletest.WriteHardlinks(t, dir))
	rpms = append(rpms, rpmfiletest.WriteAll(t, dir, app)...)
	root := filepath.Join(dir, "root")
	if err := rpmInstall(root, rpms); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := rootfs.Build(context.Background(), &buf, rpms, rootfs.WithUsers(rootfs.User{Name: "daemon", UID: 2, GID: 2}),
		rootfs.WithGroups(rootfs.Group{Name: "adm", GID: 4}, rootfs.Group{Name: "daemon", GID: 2})); err != nil {
		t.Fatal(err)
	}
	got := readTar(t, buf.Bytes())
	inodes := map[uint64]string{}
	checked := 0
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." || strings.HasPrefix(rel, "var/lib/rpm") || strings.HasPrefix(rel, "usr/lib/sysimage") ||
			rel == "var" || rel == "var/lib" || rel == "usr/lib" || rel == "etc/passwd" || rel == "etc/group" || rel == "etc/shadow" {
			return nil
		}
		name := rel
		if info.IsDir() {
			name += "/"
		}
		e, ok := got[name]
		if !ok {
			t.Errorf("rpm created %s, Keel did not", name)
			return nil
		}
		checked++
		if int64(info.Mode().Perm()|info.Mode()&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)) != goMode(e.Mode) {
			t.Errorf("%s: rpm mode %v, Keel %o", name, info.Mode(), e.Mode)
		}
		st := info.Sys().(*syscall.Stat_t)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			if e.Type != tar.TypeSymlink || e.Link != target {
				t.Errorf("%s: rpm symlink to %s, Keel %+v", name, target, e)
			}
		case info.Mode().IsRegular():
			body, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if first, linked := inodes[st.Ino]; linked {
				if e.Type != tar.TypeLink || e.Link != first {
					t.Errorf("%s: rpm hard link to %s, Keel %+v", name, first, e.Link)
				}
			} else {
				inodes[st.Ino] = rel
				if e.Type != tar.TypeReg || e.Body != string(body) {
					t.Errorf("%s: content differs from rpm's", name)
				}
			}
			if int(st.Uid) != e.Uid || int(st.Gid) != e.Gid {
				t.Errorf("%s: rpm owner %d:%d, Keel %d:%d", name, st.Uid, st.Gid, e.Uid, e.Gid)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 180 {
		t.Errorf("only %d entries compared", checked)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/bin/hl-ping")); err == nil {
		caps, err := exec.Command("getcap", filepath.Join(root, "usr/bin/hl-ping")).Output()
		if err == nil && !strings.Contains(string(caps), "cap_net_raw") {
			t.Errorf("rpm did not set the capability: %s", caps)
		}
	}
	_ = io.Discard
}

// goMode converts tar's mode bits to the os.FileMode bits compared above.
func goMode(m int64) int64 {
	out := m & 0o777
	if m&0o4000 != 0 {
		out |= int64(os.ModeSetuid)
	}
	if m&0o2000 != 0 {
		out |= int64(os.ModeSetgid)
	}
	if m&0o1000 != 0 {
		out |= int64(os.ModeSticky)
	}
	return out
}
