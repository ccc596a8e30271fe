package rpmfile

import (
	"strings"

	"github.com/keel-build/keel/tools/rpmver"
)

// EVR is an epoch:version-release triple. An empty Epoch means the epoch is
// absent (which compares like 0); an empty Release means "any release" when
// the EVR is the version of a dependency.
type EVR struct {
	Epoch   string
	Version string
	Release string
}

// ParseEVR splits "[epoch:]version[-release]" the way rpm's rpmverParse does:
// the epoch is everything before the first ':' if it is all digits, the
// release everything after the last '-'.
func ParseEVR(s string) EVR {
	var e EVR
	if i := strings.IndexByte(s, ':'); i >= 0 && isDigits(s[:i]) {
		e.Epoch, s = s[:i], s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		e.Version, e.Release = s[:i], s[i+1:]
	} else {
		e.Version = s
	}
	return e
}

// String renders the EVR as "[E:]V[-R]".
func (e EVR) String() string {
	s := e.Version
	if e.Epoch != "" {
		s = e.Epoch + ":" + s
	}
	if e.Release != "" {
		s += "-" + e.Release
	}
	return s
}

// IsZero reports whether the EVR has no version at all.
func (e EVR) IsZero() bool { return e == EVR{} }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Vercmp compares two version (or release) strings like rpm's rpmvercmp and
// returns -1, 0 or 1 (see package rpmver).
func Vercmp(a, b string) int { return rpmver.Vercmp(a, b) }

// CompareEVR orders two EVRs like rpm's rpmVersionCompare: epoch (absent is
// 0), then version, then release.
func CompareEVR(a, b EVR) int {
	if c := compareEpoch(a.Epoch, b.Epoch); c != 0 {
		return c
	}
	if c := Vercmp(a.Version, b.Version); c != 0 {
		return c
	}
	return Vercmp(a.Release, b.Release)
}

func compareEpoch(a, b string) int {
	if a == "" {
		a = "0"
	}
	if b == "" {
		b = "0"
	}
	return Vercmp(a, b)
}

// Overlaps reports whether two versioned ranges intersect, exactly like
// rpm 4.18's rpmdsCompare/rpmverOverlap: a side without a comparison operator
// or without a version matches anything; an absent epoch on one side only
// counts as 0; a release missing on one side is ignored.
func Overlaps(a EVR, af DepFlags, b EVR, bf DepFlags) bool {
	if af&SenseMask == 0 || bf&SenseMask == 0 || a.IsZero() || b.IsZero() {
		return true
	}
	sense := 0
	switch {
	case a.Epoch != "" && b.Epoch != "":
		sense = Vercmp(a.Epoch, b.Epoch)
	case a.Epoch != "" && strings.TrimLeft(a.Epoch, "0") != "":
		sense = 1
	case b.Epoch != "" && strings.TrimLeft(b.Epoch, "0") != "":
		sense = -1
	}
	if sense == 0 {
		sense = Vercmp(a.Version, b.Version)
		if sense == 0 {
			if a.Release != "" && b.Release != "" {
				sense = Vercmp(a.Release, b.Release)
			} else if a.Release != "" && bf&SenseEqual != 0 || b.Release != "" && af&SenseEqual != 0 {
				return true
			}
		}
	}
	switch {
	case sense < 0:
		return af&SenseGreater != 0 || bf&SenseLess != 0
	case sense > 0:
		return af&SenseLess != 0 || bf&SenseGreater != 0
	default:
		return af&SenseEqual != 0 && bf&SenseEqual != 0 ||
			af&SenseLess != 0 && bf&SenseLess != 0 ||
			af&SenseGreater != 0 && bf&SenseGreater != 0
	}
}
