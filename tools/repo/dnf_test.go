package repo_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/repo"
	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

// TestDnfInstall installs from a Keel repository with dnf into an empty
// install root, offline, for each metadata compression.
func TestDnfInstall(t *testing.T) {
	dnf, err := exec.LookPath("dnf")
	if err != nil {
		t.Skip("dnf is not installed (apt-get install dnf)")
	}
	if testing.Short() {
		t.Skip("dnf runs take seconds")
	}
	rpms := rpmfiletest.WriteAll(t, t.TempDir(), specs...)
	for _, comp := range []string{"gzip", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			work := t.TempDir()
			dir, root := filepath.Join(work, "repo"), filepath.Join(work, "root")
			if _, err := repo.Write(context.Background(), dir, rpms, repo.WithCompression(comp)); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(dnf, "-y", "-q", "--installroot="+root, "--releasever=1",
				"--setopt=reposdir=/dev/null", "--setopt=cachedir="+filepath.Join(work, "cache"),
				"--setopt=keepcache=0", "--disableplugin=*", "--setopt=gpgcheck=0",
				"--repofrompath=keel,file://"+dir, "--repo=keel", "install", "hello")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("dnf install: %v\n%s", err, out)
			}
			for _, f := range []string{"usr/bin/hello", "usr/bin/greet-sh", "usr/lib64/libgreet.so.2", "etc/greet.conf"} {
				if _, err := os.Stat(filepath.Join(root, f)); err != nil {
					t.Errorf("dnf did not install %s: %v\n%s", f, err, out)
				}
			}
			q, err := exec.Command("rpm", "--root", root, "-qa", "--qf", "%{NEVRA}\n").Output()
			if err == nil {
				got := strings.Fields(string(q))
				if len(got) != 3 {
					t.Errorf("rpm -qa in the root: %v", got)
				}
			}
		})
	}
}
