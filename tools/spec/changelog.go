package spec

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // changelog dates may name any time zone
	"unsafe"
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
		if l, err := loadLocation(f[4]); err == nil {
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

// locations caches time.LoadLocation, which reads the zone database
// each time: changelog entries name the same few zones.
var locations sync.Map // name -> locationResult

type locationResult struct {
	loc *time.Location
	err error
}

func loadLocation(name string) (*time.Location, error) {
	if r, ok := locations.Load(name); ok {
		return r.(locationResult).loc, r.(locationResult).err
	}
	name = strings.Clone(name) // kept: it may be part of a larger text
	loc, err := time.LoadLocation(name)
	locations.Store(name, locationResult{loc, err})
	return loc, err
}

// fieldsUpTo appends to f the blank-separated words of s, as
// strings.Fields finds them, until f is full.
func fieldsUpTo(f []string, s string) []string {
	n := len(f)
	for i := 0; i < len(s) && len(f) < cap(f); {
		for i < len(s) && asciiSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !asciiSpace(s[j]) {
			if s[j] >= 0x80 { // strings.Fields also splits at Unicode spaces
				return append(f[:n], strings.Fields(s)...)
			}
			j++
		}
		if j > i {
			f = append(f, s[i:j])
		}
		i = j
	}
	return f
}

// asciiSpace is strings.Fields's test for an ASCII byte.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
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
	// With stripComments, readLine adds each line as it is to the parsed
	// text: the section's text is the part of it the lines made. It is
	// read in place: addChangelog keeps nothing of it (its messages are
	// formatted copies), and nothing writes to the parsed text meanwhile.
	from := len(p.parsed)
	to := from
	next, err := p.parseSection(stripComments, func(string) { to = len(p.parsed) })
	if err != nil {
		return 0, err
	}
	text := p.parsed[from:to]
	if err := p.addChangelog(unsafe.String(unsafe.SliceData(text), len(text)), start); err != nil {
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
		// The date takes at most 6 words; a 7th says a name follows.
		var fields [7]string
		f := fieldsUpTo(fields[:0], head)
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
