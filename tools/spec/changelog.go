package spec

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // changelog dates may name any time zone
)

var (
	weekdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	months   = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	mdays    = []int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
)

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// parseChangelogDate parses "Mon Jun 6 2016" (noon UTC, as rpm stores it)
// or "Thu Oct  6 06:48:39 CEST 2016" like rpm's dateToTimet, from the
// fields f of s. words is the number of words the date used.
func parseChangelogDate(s string, f []string) (t time.Time, words int, err error) {
	bad := errBadDate(s)
	if len(f) < 4 {
		return t, 0, bad
	}
	if indexOf(weekdays, f[0]) < 0 {
		return t, 0, bad
	}
	mon := indexOf(months, f[1])
	if mon < 0 {
		return t, 0, bad
	}
	day, err := strconv.Atoi(f[2])
	if err != nil || day < 0 || day > mdays[mon] {
		return t, 0, bad
	}
	hour, min, sec := 12, 0, 0
	loc := time.UTC
	yi := 3
	words = 4
	if p := f[3]; len(p) > 1 && (p[1] == ':' || len(p) > 2 && p[2] == ':') {
		words = 6
		hms := strings.Split(p, ":")
		if len(hms) != 3 || len(f) < 6 {
			return t, 0, bad
		}
		var e1, e2, e3 error
		hour, e1 = strconv.Atoi(hms[0])
		min, e2 = strconv.Atoi(hms[1])
		sec, e3 = strconv.Atoi(hms[2])
		if e1 != nil || e2 != nil || e3 != nil || hour > 23 || min > 59 || sec > 59 || len(f[4]) > 8 {
			return t, 0, bad
		}
		if l, err := time.LoadLocation(f[4]); err == nil {
			loc = l
		}
		yi = 5
	}
	year, err := strconv.Atoi(f[yi])
	if err != nil || year < 1990 || year >= 3000 {
		return t, 0, bad
	}
	return time.Date(year, time.Month(mon+1), day, hour, min, sec, 0, loc).UTC(), words, nil
}

// errBadDate is parseChangelogDate's error. It is a type, not fmt.Errorf,
// so that a valid date (every entry of nearly every spec) costs no
// formatting.
type errBadDate string

func (e errBadDate) Error() string { return fmt.Sprintf("bad date in %%changelog: %s", string(e)) }

// parseChangelog reads %changelog and checks its entries as rpm does
// (each starts with '*', has a valid date, a name and text, and dates do
// not increase); the first entry's date is kept. As in rpm, a bad entry is
// reported (Spec.Warnings) but does not fail the parse.
func (p *parser) parseChangelog() (part, error) {
	// rpm only rejects a second %changelog if the first one added entries.
	if !p.spec.ChangelogTime.IsZero() {
		return 0, p.errorf("second %%changelog")
	}
	start := p.lineNum
	next, lines, err := p.parseLines(stripComments, true)
	if err != nil {
		return 0, err
	}
	if err := p.addChangelog(strings.Join(lines, ""), start); err != nil {
		p.spec.Warnings = append(p.spec.Warnings, err.Error())
	}
	return next, nil
}

func (p *parser) addChangelog(text string, start int) error {
	s := strings.TrimLeft(text, " \t\n\r\f\v")
	var last time.Time
	first := true
	cerr := func(msg string) error { return &Error{File: p.fileName, Line: start, Msg: msg} }
	for s != "" {
		if s[0] != '*' {
			return cerr("%changelog entries must start with *")
		}
		nl := strings.IndexByte(s, '\n')
		if nl < 0 {
			return cerr("incomplete %changelog entry")
		}
		head := s[1:nl]
		body := s[nl+1:]
		f := strings.Fields(head)
		t, words, err := parseChangelogDate(strings.TrimLeft(head, " \t"), f)
		if err != nil {
			return cerr(err.Error())
		}
		if len(f) <= words {
			return cerr("missing name in %changelog")
		}
		if !last.IsZero() && last.Before(t) {
			return cerr("%changelog not in descending chronological order")
		}
		last = t
		if first {
			p.spec.ChangelogTime = t
			first = false
		}
		body = strings.TrimLeft(body, " \t\n\r\f\v")
		if body == "" {
			return cerr("no description in %changelog")
		}
		// the next entry starts at a '*' at the beginning of a line
		i := 1
		for i < len(body) && !(body[i-1] == '\n' && body[i] == '*') {
			i++
		}
		s = body[i:]
	}
	return nil
}
