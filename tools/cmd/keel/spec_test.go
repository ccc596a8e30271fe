package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecParseVerb runs `keel spec parse` on a good and a bad spec: the
// good one's report is written, the bad one is reported with file:line and
// the exit status is non-zero.
func TestSpecParseVerb(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.spec")
	bad := filepath.Join(dir, "bad.spec")
	const head = "Name: good\nVersion: 1\nRelease: 1%{?dist}\nSummary: s\nLicense: MIT\n"
	if err := os.WriteFile(good, []byte(head+"%if %{with_check}\nBuildRequires: checker\n%endif\n%description\nd\n%files\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(head+"%endif\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := run([]string{"spec", "parse", "--arch", "aarch64", "--define", "dist .test", "--out-dir", out, bad, good}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "bad.spec:6: %endif with no %if") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "good.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"release": "1.test"`, `"arch": "aarch64"`, `"dep": "checker"`, `"buildrequires_nocheck": []`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %s:\n%s", want, b)
		}
	}
	if code := run([]string{"spec", "parse", "--with-check", "2", "--out-dir", out, good}, &stdout, &stderr); code == 0 {
		t.Error("--with-check 2 accepted")
	}
}
