package buildroot

import (
	"fmt"

	"github.com/keel-build/keel/tools/internal/apt"
)

// HostMirror returns the URI of the first apt source under aptDir (normally
// /etc/apt) that serves suite as a binary ("deb") repository. The mirror
// stays a property of the machine, never of the repository.
func HostMirror(aptDir, suite string) (string, error) {
	archives, err := apt.Archives(aptDir)
	if err != nil {
		return "", fmt.Errorf("reading apt sources under %s: %w", aptDir, err)
	}
	for _, a := range archives {
		if a.Suite == suite && a.Serves("deb") {
			return a.URI, nil
		}
	}
	return "", fmt.Errorf("no apt source for suite %q under %s: pass --mirror", suite, aptDir)
}
