// Package corpus locates the Azure Linux 3.0 spec corpus (spec files, macro
// files and reference rpmspec output) that Keel's tests compare against.
// The corpus lives outside the repository; tests skip when it is absent.
package corpus

import (
	"os"
	"path/filepath"
)

// EnvVar names the environment variable that points at the folder of
// corpora (the one holding azurelinux-3.0/ and oracle.sh). tools/bazel sets
// it for tests when ../shared/corpus exists beside the checkout.
const EnvVar = "KEEL_CORPUS"

// name is the corpus Keel's tests compare against, inside that folder.
const name = "azurelinux-3.0"

// Dir returns the corpus directory (the one holding SPECS/, macros/ and
// expected/) and whether it exists: $KEEL_CORPUS/azurelinux-3.0, else
// ../shared/corpus/azurelinux-3.0 next to the repository root, found
// by walking up from the working directory to go.mod (under `bazel test`
// that is the runfiles symlink of //:go.mod, which leads back to the
// source tree).
func Dir() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		d = filepath.Join(d, name)
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
			c := filepath.Join(filepath.Dir(root), "shared", "corpus", name)
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
