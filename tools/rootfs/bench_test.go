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

// bazeldnf returns the path of a bazeldnf binary (github.com/rmohr/bazeldnf,
// whose rpm2tar command turns RPMs into one tar) from $KEEL_BAZELDNF or
// PATH, or "".
func bazeldnf() string {
	if p := os.Getenv("KEEL_BAZELDNF"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	p, _ := exec.LookPath("bazeldnf")
	return p
}

func bazeldnfRpm2tar(bin, out string, rpms []string) error {
	args := []string{"rpm2tar", "-o", out}
	for _, r := range rpms {
		args = append(args, "-i", r)
	}
	if msg, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("bazeldnf rpm2tar: %v\n%s", err, msg)
	}
	return nil
}

// benchSets are the RPM sets BenchmarkRootfs assembles: synthetic sets
// (zstd payloads, like a distribution's; mixed sizes, symlinks) and, when
// $KEEL_BENCH_RPMS names a folder, every binary RPM under it (for
// example the distribution's RPMs from bazel-bin/specs).
func benchSets(b *testing.B) []struct {
	name string
	rpms func(dir string) []string
} {
	sets := []struct {
		name string
		rpms func(dir string) []string
	}{
		{"synthetic-50x200", func(dir string) []string { return genSet(b, dir, 50, 200) }},
		{"synthetic-200x250", func(dir string) []string { return genSet(b, dir, 200, 250) }},
	}
	if root := os.Getenv("KEEL_BENCH_RPMS"); root != "" {
		sets = append(sets, struct {
			name string
			rpms func(dir string) []string
		}{"dir", func(string) []string {
			var rpms []string
			err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() && strings.HasSuffix(p, ".rpm") && !strings.HasSuffix(p, ".src.rpm") {
					rpms = append(rpms, p)
				}
				return err
			})
			if err != nil || len(rpms) == 0 {
				b.Fatalf("KEEL_BENCH_RPMS=%s: no binary RPMs (%v)", root, err)
			}
			return rpms
		}})
	}
	return sets
}

// BenchmarkRootfs assembles the same RPM sets into a root file system
// three ways, side by side in each iteration: Keel (rootfs.Build, a tar
// file), `rpm -i --root --nodeps --noscripts` (a tree and its database),
// and bazeldnf's `rpm2tar` (a tar file; $KEEL_BAZELDNF or bazeldnf on
// PATH). It reports each one's time per operation and the ratios to Keel;
// a tool that is missing is left out with a message. Build bazeldnf
// outside the repository, from its own module (its go.mod replaces a
// dependency, so `go install` of it does not build):
//
//	go mod download -json github.com/rmohr/bazeldnf@v0.99.1   # prints Dir
//	cp -r DIR /tmp/bazeldnf && chmod -R u+w /tmp/bazeldnf
//	cd /tmp/bazeldnf && go build -o /tmp/bazeldnf/bazeldnf ./cmd/
//	KEEL_BAZELDNF=/tmp/bazeldnf/bazeldnf go test ./tools/rootfs -run '^$' -bench Rootfs -benchtime 3x
func BenchmarkRootfs(b *testing.B) {
	_, rpmErr := exec.LookPath("rpm")
	if rpmErr != nil {
		b.Log("rpm not found (apt-get install rpm): rpm -i left out")
	}
	dnf := bazeldnf()
	if dnf == "" {
		b.Log("bazeldnf not found: set KEEL_BAZELDNF to a bazeldnf binary (see the comment of BenchmarkRootfs); rpm2tar left out")
	}
	for _, set := range benchSets(b) {
		b.Run(set.name, func(b *testing.B) {
			dir := b.TempDir()
			rpms := set.rpms(dir)
			var keel, rpmT, dnfT time.Duration
			var size, dnfSize int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out := filepath.Join(dir, "keel.tar")
				st := time.Now()
				f, err := os.Create(out)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := rootfs.Build(context.Background(), f, rpms, rootfs.WithTempDir(dir)); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				keel += time.Since(st)
				size = fileSize(out)
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
				if dnf != "" {
					out := filepath.Join(dir, "bazeldnf.tar")
					st = time.Now()
					if err := bazeldnfRpm2tar(dnf, out, rpms); err != nil {
						b.Fatal(err)
					}
					dnfT += time.Since(st)
					dnfSize = fileSize(out)
				}
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(float64(len(rpms)), "rpms")
			b.ReportMetric(ms(keel), "keel-ms/op")
			b.ReportMetric(float64(size)/(1<<20), "keel-tar-MiB")
			if rpmErr == nil {
				b.ReportMetric(ms(rpmT), "rpm-i-ms/op")
				b.ReportMetric(float64(rpmT)/float64(keel), "rpm/keel")
			}
			if dnf != "" {
				b.ReportMetric(ms(dnfT), "bazeldnf-ms/op")
				b.ReportMetric(float64(dnfSize)/(1<<20), "bazeldnf-tar-MiB")
				b.ReportMetric(float64(dnfT)/float64(keel), "bazeldnf/keel")
			}
		})
	}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

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
