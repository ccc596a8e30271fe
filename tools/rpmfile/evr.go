package rpmfile

import (
	"strings"
)

// This file duplicates tools/spec/internal/rpmver on purpose: that package is
// internal to the spec stage, and the image stages must not import the spec
// engine. Both follow rpm 4.18's lib/rpmvercmp.c and lib/rpmver.c.

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
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// Vercmp compares two version (or release) strings like rpm's rpmvercmp and
// returns -1, 0 or 1: alphanumeric segments, numbers compared by value and
// newer than letters, '~' sorting before anything (even the end of the
// string), '^' sorting after the end but before any further segment.
func Vercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		if i < len(a) && a[i] == '~' || j < len(b) && b[j] == '~' {
			if i >= len(a) || a[i] != '~' {
				return 1
			}
			if j >= len(b) || b[j] != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if i < len(a) && a[i] == '^' || j < len(b) && b[j] == '^' {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if !(i < len(a) && j < len(b)) {
			break
		}
		si, sj := i, j
		numeric := isDigit(a[i])
		if numeric {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		s1, s2 := a[si:i], b[sj:j]
		if len(s2) == 0 {
			// Segments of different types: numeric is newer.
			if numeric {
				return 1
			}
			return -1
		}
		if numeric {
			s1 = strings.TrimLeft(s1, "0")
			s2 = strings.TrimLeft(s2, "0")
			if len(s1) != len(s2) {
				if len(s1) > len(s2) {
					return 1
				}
				return -1
			}
		}
		if c := strings.Compare(s1, s2); c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	default:
		return 1
	}
}

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
