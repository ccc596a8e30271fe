package rootfs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// User is a declared account: the image definition's replacement for the
// useradd calls of %pre scriptlets.
type User struct {
	Name     string
	UID, GID int
	Home     string
	Shell    string
}

// Group is a declared group.
type Group struct {
	Name string
	GID  int
}

// ParseUser parses "name:uid:gid:home:shell" (home and shell may be empty:
// "/" and "/sbin/nologin").
func ParseUser(s string) (User, error) {
	f := strings.Split(s, ":")
	if len(f) < 3 || len(f) > 5 {
		return User{}, fmt.Errorf("user %q: want name:uid:gid[:home[:shell]]", s)
	}
	u := User{Name: f[0], Home: "/", Shell: "/sbin/nologin"}
	if err := checkAccountName(u.Name); err != nil {
		return User{}, fmt.Errorf("user %q: %w", s, err)
	}
	var err error
	if u.UID, err = parseID(f[1]); err != nil {
		return User{}, fmt.Errorf("user %q: uid: %w", s, err)
	}
	if u.GID, err = parseID(f[2]); err != nil {
		return User{}, fmt.Errorf("user %q: gid: %w", s, err)
	}
	if len(f) > 3 && f[3] != "" {
		u.Home = f[3]
	}
	if len(f) > 4 && f[4] != "" {
		u.Shell = f[4]
	}
	return u, nil
}

// ParseGroup parses "name:gid".
func ParseGroup(s string) (Group, error) {
	f := strings.Split(s, ":")
	if len(f) != 2 {
		return Group{}, fmt.Errorf("group %q: want name:gid", s)
	}
	if err := checkAccountName(f[0]); err != nil {
		return Group{}, fmt.Errorf("group %q: %w", s, err)
	}
	gid, err := parseID(f[1])
	if err != nil {
		return Group{}, fmt.Errorf("group %q: gid: %w", s, err)
	}
	return Group{Name: f[0], GID: gid}, nil
}

func parseID(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	return int(n), err
}

func checkAccountName(n string) error {
	if n == "" || strings.ContainsAny(n, ": \t\n") {
		return fmt.Errorf("bad account name %q", n)
	}
	return nil
}

// accounts is the image's account database: the lines of /etc/passwd,
// /etc/group and /etc/shadow shipped by the packages, plus declared entries.
type accounts struct {
	passwd, group, shadow []string // lines, in file order
	uid, gid              map[string]int
	shipped               map[string]bool // which of the three files a package shipped
}

func newAccounts() *accounts {
	return &accounts{uid: map[string]int{}, gid: map[string]int{}, shipped: map[string]bool{}}
}

// load parses a shipped /etc/passwd or /etc/group.
func (a *accounts) load(path string, data []byte) error {
	a.shipped[path] = true
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(data) == 0 {
		lines = nil
	}
	for i, l := range lines {
		switch path {
		case "/etc/passwd", "/etc/group":
			f := strings.Split(l, ":")
			if l == "" || strings.HasPrefix(l, "#") {
				break
			}
			if len(f) < 3 {
				return fmt.Errorf("%s:%d: malformed line %q", path, i+1, l)
			}
			id, err := parseID(f[2])
			if err != nil {
				return fmt.Errorf("%s:%d: bad id %q", path, i+1, f[2])
			}
			if path == "/etc/passwd" {
				a.uid[f[0]] = id
			} else {
				a.gid[f[0]] = id
			}
		}
	}
	switch path {
	case "/etc/passwd":
		a.passwd = lines
	case "/etc/group":
		a.group = lines
	case "/etc/shadow":
		a.shadow = lines
	}
	return nil
}

// declare adds the declared groups and users. A name already present with
// the same id is kept as is; with another id it is an error.
func (a *accounts) declare(users []User, groups []Group) error {
	groups = append([]Group(nil), groups...)
	sort.Slice(groups, func(i, j int) bool {
		return groups[i].GID < groups[j].GID || groups[i].GID == groups[j].GID && groups[i].Name < groups[j].Name
	})
	users = append([]User(nil), users...)
	sort.Slice(users, func(i, j int) bool {
		return users[i].UID < users[j].UID || users[i].UID == users[j].UID && users[i].Name < users[j].Name
	})
	if len(a.passwd) == 0 && len(users) > 0 {
		if _, ok := a.uid["root"]; !ok {
			a.passwd = append(a.passwd, "root:x:0:0:root:/root:/bin/sh")
			a.shadow = append(a.shadow, "root:!::0:99999:7:::")
			a.uid["root"] = 0
		}
	}
	if len(a.group) == 0 && (len(groups) > 0 || len(users) > 0) {
		if _, ok := a.gid["root"]; !ok {
			a.group = append(a.group, "root:x:0:")
			a.gid["root"] = 0
		}
	}
	for _, g := range groups {
		if id, ok := a.gid[g.Name]; ok {
			if id != g.GID {
				return fmt.Errorf("declared group %s:%d conflicts with gid %d in /etc/group", g.Name, g.GID, id)
			}
			continue
		}
		a.gid[g.Name] = g.GID
		a.group = append(a.group, fmt.Sprintf("%s:x:%d:", g.Name, g.GID))
	}
	for _, u := range users {
		if id, ok := a.uid[u.Name]; ok {
			if id != u.UID {
				return fmt.Errorf("declared user %s:%d conflicts with uid %d in /etc/passwd", u.Name, u.UID, id)
			}
			continue
		}
		a.uid[u.Name] = u.UID
		a.passwd = append(a.passwd, fmt.Sprintf("%s:x:%d:%d::%s:%s", u.Name, u.UID, u.GID, u.Home, u.Shell))
		// Locked password, no aging date: nothing time-dependent.
		a.shadow = append(a.shadow, u.Name+":!::0:99999:7:::")
	}
	return nil
}

// file renders one of the three files.
func (a *accounts) file(path string) []byte {
	var lines []string
	switch path {
	case "/etc/passwd":
		lines = a.passwd
	case "/etc/group":
		lines = a.group
	case "/etc/shadow":
		lines = a.shadow
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// lookupUser maps an owner name to a uid: the account database, then the
// built-in table (root only).
func (a *accounts) lookupUser(name string) (int, bool) {
	if id, ok := a.uid[name]; ok {
		return id, true
	}
	if name == "root" {
		return 0, true
	}
	return 0, false
}

func (a *accounts) lookupGroup(name string) (int, bool) {
	if id, ok := a.gid[name]; ok {
		return id, true
	}
	if name == "root" {
		return 0, true
	}
	return 0, false
}
