package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keel-build/keel/tools/rpmfile/rpmfiletest"
)

// TestRepoAndRootfsVerbs runs both verbs as a Bazel action would, with a
// parameter file.
func TestRepoAndRootfsVerbs(t *testing.T) {
	dir := t.TempDir()
	rpms := rpmfiletest.WriteAll(t, dir,
		rpmfiletest.Spec{Name: "app", Version: "1", Release: "1", Requires: []string{"lib"}, Pre: "useradd app",
			Files: []rpmfiletest.File{{Path: "/srv/app", Dir: true, Owner: "app", Group: "app"}}},
		rpmfiletest.Spec{Name: "lib", Version: "1", Release: "1", Files: []rpmfiletest.File{{Path: "/usr/lib/x", Body: "x"}}},
		rpmfiletest.Spec{Name: "unused", Version: "1", Release: "1"},
	)
	hello, motd := filepath.Join(dir, "hello.sh"), filepath.Join(dir, "motd")
	if err := os.WriteFile(hello, []byte("echo hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(motd, []byte("welcome\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dir, "rootfs.params")
	lines := []string{"--out", filepath.Join(dir, "root.tar"), "--lock", filepath.Join(dir, "lock.json"),
		"--report", filepath.Join(dir, "report.json"), "--install", "app", "--epoch", "7",
		"--user", "app:500:500:/srv/app", "--group", "app:500", "--hostname", "core",
		"--file", "/usr/bin/hello=" + hello, "--file", "/etc/motd=" + motd}
	lines = append(lines, rpms...)
	if err := os.WriteFile(params, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"rootfs", "@" + params}, &stdout, &stderr); code != 0 {
		t.Fatalf("keel rootfs exited %d: %s", code, stderr.String())
	}
	var lock struct {
		Packages []struct {
			Name       string   `json:"name"`
			Scriptlets []string `json:"skipped_scriptlets"`
		} `json:"packages"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatal(err)
	}
	if len(lock.Packages) != 2 || lock.Packages[0].Name != "app" || lock.Packages[1].Name != "lib" ||
		strings.Join(lock.Packages[0].Scriptlets, ",") != "pre" {
		t.Errorf("lock = %s", b)
	}
	f, err := os.Open(filepath.Join(dir, "root.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	found := false
	extra := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "srv/app/" {
			found = h.Uid == 500 && h.Gid == 500 && h.ModTime.Unix() == 0
		}
		if h.Name == "etc/hostname" || h.Name == "etc/motd" || h.Name == "usr/bin/hello" {
			body, _ := io.ReadAll(tr)
			extra[h.Name] = fmt.Sprintf("%o %s", h.Mode, body)
		}
	}
	if !found {
		t.Error("srv/app/ missing or not owned by 500:500")
	}
	for name, want := range map[string]string{"etc/hostname": "644 core\n", "etc/motd": "644 welcome\n", "usr/bin/hello": "755 echo hi\n"} {
		if extra[name] != want {
			t.Errorf("%s = %q, want %q", name, extra[name], want)
		}
	}
	for _, bad := range [][]string{{"--file", "/etc/x"}, {"--file", "/etc/x=" + filepath.Join(dir, "gone")}, {"--hostname", "a b"}} {
		stderr.Reset()
		args := append([]string{"rootfs", "--out", filepath.Join(dir, "bad.tar")}, bad...)
		if code := run(append(args, rpms...), &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), bad[0]) {
			t.Errorf("keel rootfs %s: exit %d, stderr %q: want a failure naming %s", strings.Join(bad, " "), code, stderr.String(), bad[0])
		}
	}
	if code := run([]string{"repo", "--out", filepath.Join(dir, "repo"), "--epoch", "1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("keel repo with no RPMs exited %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"repo", "--out", filepath.Join(dir, "repo"), "--compress", "bz2", rpms[0]}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "bz2") {
		t.Errorf("bad compression accepted: %d %s", code, stderr.String())
	}
	if code := run([]string{"repo", "--out", filepath.Join(dir, "repo"), rpms[0], rpms[1]}, &stdout, &stderr); code != 0 {
		t.Fatalf("keel repo exited %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "repo", "repodata", "repomd.xml")); err != nil {
		t.Error(err)
	}
}
