// Package corpus locates the Azure Linux 3.0 spec corpus (spec files, macro
// files and reference rpmspec output) that Keel's tests compare against.
// The corpus lives outside the repository; tests skip when it is absent.
package corpus

import (
	"os"
	"path/filepath"
)

// EnvVar names the environment variable that points at the corpus
// directory (the one holding SPECS/, macros/ and expected/).
const EnvVar = "KEEL_SPEC_CORPUS"

// Dir returns the corpus directory and whether it exists: $KEEL_SPEC_CORPUS,
// else ../shared/corpus/azurelinux-3.0 next to the repository root, found
// by walking up from the working directory to go.mod (under `bazel test`
// that is the runfiles symlink of //:go.mod, which leads back to the
// source tree).
func Dir() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		return d, isCorpus(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			root := d
			if real, err := filepath.EvalSymlinks(filepath.Join(d, "go.mod")); err == nil {
				root = filepath.Dir(real)
			}
			c := filepath.Join(filepath.Dir(root), "shared", "corpus", "azurelinux-3.0")
			return c, isCorpus(c)
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

func isCorpus(d string) bool {
	for _, sub := range []string{"SPECS", "macros", "expected"} {
		if fi, err := os.Stat(filepath.Join(d, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Specs lists every SPECS/<dir>/<name>.spec file of the corpus, sorted.
func Specs(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "SPECS", "*", "*.spec"))
}
