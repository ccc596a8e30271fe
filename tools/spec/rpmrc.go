package spec

import (
	"bufio"
	"fmt"
	"strings"
)

// rpmrc holds the parts of rpm's rpmrc files that affect spec evaluation:
// per-arch optflags (which become %{optflags}) and the build-arch
// compatibility table (which BuildArch values can be built for a target).
//
// rpm's rpmrc reader (lib/rpmrc.c) also sets up install-time tables Keel
// does not need; this small reader is hand-written because no Go library
// reads rpmrc.
type rpmrc struct {
	optflags    map[string]string
	buildCompat map[string][]string
}

// readRPMRC reads rpmrc text; include resolves "include:" lines.
func (rc *rpmrc) read(name, text string, include func(string) (string, error)) error {
	if rc.optflags == nil {
		rc.optflags = map[string]string{}
		rc.buildCompat = map[string][]string{}
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("%s:%d: missing ':' in %q", name, n, line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "include":
			t, err := include(val)
			if err != nil {
				return fmt.Errorf("%s:%d: including %s: %w", name, n, val, err)
			}
			if err := rc.read(val, t, include); err != nil {
				return err
			}
		case "optflags":
			arch, flags, _ := strings.Cut(val, " ")
			rc.optflags[arch] = strings.TrimSpace(flags)
		case "buildarch_compat":
			arch, rest, ok := strings.Cut(val, ":")
			if !ok {
				return fmt.Errorf("%s:%d: bad buildarch_compat line", name, n)
			}
			rc.buildCompat[strings.TrimSpace(arch)] = strings.Fields(rest)
		}
	}
	return sc.Err()
}

// canBuild reports whether a BuildArch value is compatible with target
// (rpmMachineScore on the build-arch table: the target itself or anything
// reachable through buildarch_compat).
func (rc *rpmrc) canBuild(target, arch string) bool {
	seen := map[string]bool{}
	todo := []string{target}
	for len(todo) > 0 {
		a := todo[0]
		todo = todo[1:]
		if seen[a] {
			continue
		}
		seen[a] = true
		if a == arch {
			return true
		}
		todo = append(todo, rc.buildCompat[a]...)
	}
	return false
}
