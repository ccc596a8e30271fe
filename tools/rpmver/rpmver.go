// Package rpmver compares RPM versions exactly as rpm 4.18's rpmvercmp
// (lib/rpmvercmp.c) and rpmVersionCompare do: alphanumeric segments, numeric
// segments compared by value and newer than alphabetic ones, '~' sorting
// before anything (even the end of the string) and '^' sorting after the end
// but before any further segment.
package rpmver

import "strings"

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// Vercmp compares two version (or release) strings and returns -1, 0 or 1.
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
		// Tilde separator: sorts before everything else.
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
		// Caret: like tilde, except the end of a string sorts before it.
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
			if len(s1) > len(s2) {
				return 1
			}
			if len(s2) > len(s1) {
				return -1
			}
		}
		if c := strings.Compare(s1, s2); c != 0 {
			return c
		}
	}
	if i >= len(a) && j >= len(b) {
		return 0
	}
	if i >= len(a) {
		return -1
	}
	return 1
}

// EVR is an epoch:version-release triple. An empty Epoch means none given.
type EVR struct{ Epoch, Version, Release string }

// ParseEVR splits "[E:]V[-R]" as rpm's rpmdsParseEVR does: the epoch is the
// digits before the first ':', the release what follows the last '-'.
func ParseEVR(s string) EVR {
	var e EVR
	rest := s
	if k := strings.IndexByte(s, ':'); k >= 0 {
		allDigits := true
		for x := 0; x < k; x++ {
			if !isDigit(s[x]) {
				allDigits = false
				break
			}
		}
		if allDigits {
			e.Epoch = s[:k]
			if e.Epoch == "" {
				e.Epoch = "0"
			}
			rest = s[k+1:]
		}
	}
	if k := strings.LastIndexByte(rest, '-'); k >= 0 {
		e.Version, e.Release = rest[:k], rest[k+1:]
	} else {
		e.Version = rest
	}
	return e
}

// CompareEVR compares two EVRs like rpmVersionCompare: a missing epoch is 0,
// and a release is only compared when both sides have one.
func CompareEVR(a, b EVR) int {
	ea, eb := a.Epoch, b.Epoch
	if ea == "" {
		ea = "0"
	}
	if eb == "" {
		eb = "0"
	}
	if c := Vercmp(ea, eb); c != 0 {
		return c
	}
	if c := Vercmp(a.Version, b.Version); c != 0 {
		return c
	}
	if a.Release == "" || b.Release == "" {
		return 0
	}
	return Vercmp(a.Release, b.Release)
}
