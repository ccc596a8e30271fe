// Package rootfs turns a set of RPM files into one deterministic root file
// system tar, straight from the RPM payloads: no root privileges, no rpm tool,
// no scriptlets.
//
// The tar is PAX, entries sorted by path, owners mapped to ids, modification
// times clamped to a given epoch (SOURCE_DATE_EPOCH), no atime or ctime,
// file capabilities in SCHILY.xattr.security.capability, hard link sets as tar
// hard links, and every parent directory present (implied ones 0755
// root:root). The same RPMs, in any order, give the same bytes.
//
// Policies (see docs/rootfs.md):
//   - Scriptlets are never run. Accounts that %pre scriptlets would create
//     with useradd are declared instead (WithUsers, WithGroups) and written to
//     /etc/passwd, /etc/group and /etc/shadow; the Report lists the
//     scriptlets each package carried so that nothing is skipped silently.
//   - %ghost files are not created (rpm creates nothing for them either);
//     the Report lists them. %config files are ordinary files.
//   - A path that leaves the root (a ".." component, a non-absolute path, or
//     a path below a symlink or a regular file of the tree) is an error naming
//     the package and the path.
//   - Two packages may ship the same path only if it is a directory (the
//     first package in NEVRA order sets its metadata) or if both entries are
//     identical (type, mode, owner, group, digest, link target, capabilities).
//   - Owner names map to ids through the /etc/passwd and /etc/group that the
//     set ships plus the declared accounts; without them only root (0) is
//     known. Every unknown owner is reported in one error.
package rootfs

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/keel-build/keel/tools/rpmfile"
)

// Option configures Build.
type Option func(*config)

type config struct {
	epoch   int64
	users   []User
	groups  []Group
	files   []ExtraFile
	tempDir string
}

// ExtraFile is a regular file, owned by root, that the image definition
// adds to the tree or puts in place of a packaged one (the host name, a
// configuration file).
type ExtraFile struct {
	Path string // absolute path in the tree
	Data []byte
	Mode int64 // permission bits
}

// WithFiles adds files after the packages' payloads and the declared
// accounts, replacing any packaged file at the same path.
func WithFiles(f ...ExtraFile) Option { return func(c *config) { c.files = append(c.files, f...) } }

// WithEpoch sets the SOURCE_DATE_EPOCH (seconds) that all modification times
// are clamped to. The default is 0.
func WithEpoch(sec int64) Option { return func(c *config) { c.epoch = sec } }

// WithUsers declares accounts to write to /etc/passwd and /etc/shadow.
func WithUsers(u ...User) Option { return func(c *config) { c.users = append(c.users, u...) } }

// WithGroups declares groups to write to /etc/group.
func WithGroups(g ...Group) Option { return func(c *config) { c.groups = append(c.groups, g...) } }

// WithTempDir sets where file contents are spooled while the tar is sorted
// (default os.TempDir()).
func WithTempDir(dir string) Option { return func(c *config) { c.tempDir = dir } }

// Report says what went into the tree and what was left out.
type Report struct {
	Packages []PackageReport `json:"packages"`
	// Entries is the number of tar entries written.
	Entries int `json:"entries"`
	// Ghosts lists %ghost files, which are not created: "path (NEVRA)".
	Ghosts []string `json:"ghost_files,omitempty"`
}

// PackageReport describes one package of the tree.
type PackageReport struct {
	NEVRA string `json:"nevra"`
	File  string `json:"file"`
	// SkippedScriptlets names the scriptlets the package carries, none of
	// which ran ("pre", "post", "posttrans", ...).
	SkippedScriptlets []string `json:"skipped_scriptlets,omitempty"`
}

type pkgState struct {
	p     *rpmfile.Package
	links map[[2]uint32][]string // hard link sets: (device, inode) → paths
}

func (ps *pkgState) String() string { return ps.p.NEVRA() }

type node struct {
	path         string
	kind         byte // tar type flag
	mode         int64
	owner, group string
	mtime        int64
	linkTo       string
	digest       string
	size         int64
	caps         []byte
	rdev         uint32
	pkg          *pkgState // nil for implied and generated entries
	index        int       // into pkg.p.Files
	off          int64     // content offset in the spool, -1 if none
	content      []byte    // generated content
}

// Build writes the root file system made of the RPM files rpms to w.
func Build(ctx context.Context, w io.Writer, rpms []string, opts ...Option) (*Report, error) {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	pkgs, err := openAll(rpms)
	if err != nil {
		return nil, err
	}
	t := &tree{nodes: map[string]*node{}, cfg: cfg}
	rep := &Report{}
	for _, ps := range pkgs {
		pr := PackageReport{NEVRA: ps.p.NEVRA(), File: ps.p.Path}
		for _, s := range ps.p.Scriptlets {
			pr.SkippedScriptlets = append(pr.SkippedScriptlets, s.Kind)
		}
		rep.Packages = append(rep.Packages, pr)
		ghosts, err := t.addPackage(ps)
		if err != nil {
			return nil, err
		}
		rep.Ghosts = append(rep.Ghosts, ghosts...)
	}
	if err := t.checkStructure(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(cfg.tempDir, "keel-rootfs-*")
	if err != nil {
		return nil, fmt.Errorf("creating spool file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	t.spool = &spool{f: f}
	if err := t.readPayloads(ctx, pkgs); err != nil {
		return nil, err
	}
	if err := t.writeAccounts(); err != nil {
		return nil, err
	}
	for _, f := range cfg.files {
		if err := t.addExtra(f); err != nil {
			return nil, err
		}
	}
	if err := t.checkStructure(); err != nil {
		return nil, err
	}
	ids, err := t.resolveOwners()
	if err != nil {
		return nil, err
	}
	n, err := t.writeTar(ctx, w, ids)
	if err != nil {
		return nil, err
	}
	rep.Entries = n
	return rep, nil
}

func openAll(rpms []string) ([]*pkgState, error) {
	var pkgs []*pkgState
	for _, f := range rpms {
		p, err := rpmfile.Open(f)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, &pkgState{p: p, links: map[[2]uint32][]string{}})
	}
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := pkgs[i].p, pkgs[j].p
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if c := rpmfile.CompareEVR(a.EVR(), b.EVR()); c != 0 {
			return c < 0
		}
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		return a.Path < b.Path
	})
	for i := 1; i < len(pkgs); i++ {
		if pkgs[i].p.NEVRA() == pkgs[i-1].p.NEVRA() {
			return nil, fmt.Errorf("package %s given twice: %s and %s", pkgs[i].p.NEVRA(), pkgs[i-1].p.Path, pkgs[i].p.Path)
		}
	}
	return pkgs, nil
}

type tree struct {
	nodes map[string]*node
	cfg   config
	spool *spool
	acct  *accounts
}

// checkPath rejects paths that could land outside the root when extracted.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") || p == "/" {
		return errors.New("not an absolute path below /")
	}
	for _, c := range strings.Split(p[1:], "/") {
		if c == ".." {
			return errors.New("has a '..' component")
		}
		if c == "" || c == "." {
			return errors.New("is not clean")
		}
	}
	return nil
}

func (t *tree) addPackage(ps *pkgState) (ghosts []string, err error) {
	for i := range ps.p.Files {
		f := &ps.p.Files[i]
		if err := checkPath(f.Path); err != nil {
			return nil, fmt.Errorf("%s (%s): path %q escapes the root: %v", ps, ps.p.Path, f.Path, err)
		}
		if f.IsGhost() {
			ghosts = append(ghosts, fmt.Sprintf("%s (%s)", f.Path, ps))
			continue
		}
		n := &node{path: f.Path, mode: int64(f.Mode & 0o7777), owner: f.Owner, group: f.Group,
			mtime: min(f.MTime, t.cfg.epoch), digest: f.Digest, pkg: ps, index: i, off: -1}
		switch f.Mode & rpmfile.ModeType {
		case rpmfile.ModeDir:
			n.kind = tar.TypeDir
		case rpmfile.ModeRegular:
			n.kind, n.size = tar.TypeReg, f.Size
			if f.Caps != "" {
				if n.caps, err = encodeCaps(f.Caps); err != nil {
					return nil, fmt.Errorf("%s: capabilities of %s: %w", ps, f.Path, err)
				}
			}
		case rpmfile.ModeSymlink:
			n.kind, n.linkTo = tar.TypeSymlink, f.LinkTo
		case 0o020000:
			n.kind, n.rdev = tar.TypeChar, f.RDev
		case 0o060000:
			n.kind, n.rdev = tar.TypeBlock, f.RDev
		case 0o010000:
			n.kind = tar.TypeFifo
		default:
			return nil, fmt.Errorf("%s: %s has unsupported file type %o", ps, f.Path, f.Mode&rpmfile.ModeType)
		}
		if old, ok := t.nodes[f.Path]; ok {
			if old.kind == tar.TypeDir && n.kind == tar.TypeDir {
				continue
			}
			if !sameEntry(old, n) {
				return nil, fmt.Errorf("conflicting file %s: shipped differently by %s and %s", f.Path, old.pkg, ps)
			}
			continue // identical: the first package provides it
		}
		t.nodes[f.Path] = n
		if n.kind == tar.TypeReg {
			key := [2]uint32{f.Device, f.Inode}
			ps.links[key] = append(ps.links[key], f.Path)
		}
	}
	return ghosts, nil
}

func sameEntry(a, b *node) bool {
	return a.kind == b.kind && a.mode == b.mode && a.owner == b.owner && a.group == b.group &&
		a.digest == b.digest && a.size == b.size && a.linkTo == b.linkTo && a.rdev == b.rdev &&
		string(a.caps) == string(b.caps)
}

// checkStructure rejects entries below a symlink or a non-directory, and adds
// missing parent directories.
func (t *tree) checkStructure() error {
	paths := make([]string, 0, len(t.nodes))
	for p := range t.nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		n := t.nodes[p]
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			parent, ok := t.nodes[dir]
			if !ok {
				t.nodes[dir] = &node{path: dir, kind: tar.TypeDir, mode: 0o755, owner: "root", group: "root",
					mtime: t.cfg.epoch, off: -1}
				continue
			}
			if parent.kind == tar.TypeSymlink {
				return fmt.Errorf("%s: path %q escapes the root: it lies below the symlink %s -> %s (from %s)",
					n.pkg, p, dir, parent.linkTo, parent.pkg)
			}
			if parent.kind != tar.TypeDir {
				return fmt.Errorf("%s: path %q lies below %s, which is not a directory (from %s)", n.pkg, p, dir, parent.pkg)
			}
		}
	}
	return nil
}

// readPayloads reads the packages' payloads into the spool, several
// packages at a time (one per CPU). Each reader touches only its own
// package's nodes. When several fail, the error of the first package in
// order is returned, whatever the timing.
func (t *tree) readPayloads(ctx context.Context, pkgs []*pkgState) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(pkgs))
	var flushErr error
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pkgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := t.spool.writer()
			for i := range next {
				if errs[i] = ctx.Err(); errs[i] == nil {
					errs[i] = t.readPayload(w, pkgs[i])
				}
				if errs[i] != nil {
					cancel()
				}
			}
			if err := w.flush(); err != nil {
				mu.Lock()
				flushErr = err
				mu.Unlock()
			}
		}()
	}
	for i := range pkgs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return flushErr
}

// readPayload copies the content of the package's regular files into the
// spool and turns its hard link sets into tar hard links.
func (t *tree) readPayload(w *spoolWriter, ps *pkgState) error {
	pl, err := ps.p.OpenPayload()
	if err != nil {
		return err
	}
	defer pl.Close()
	for {
		e, err := pl.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading payload of %s: %w", ps.p.Path, err)
		}
		n := t.nodes[e.Name]
		if n == nil || n.pkg != ps || n.index != e.Index || n.kind != tar.TypeReg || e.Size == 0 {
			continue
		}
		off, err := w.add(pl, e.Size)
		if err != nil {
			return fmt.Errorf("reading %s from %s: %w", e.Name, ps.p.Path, err)
		}
		n.off = off
	}
	for _, set := range ps.links {
		var members []*node
		var data *node
		for _, p := range set {
			if n := t.nodes[p]; n.pkg == ps {
				members = append(members, n)
				if n.off >= 0 {
					data = n
				}
			}
		}
		sort.Slice(members, func(i, j int) bool { return members[i].path < members[j].path })
		if data == nil && members[0].size > 0 {
			return fmt.Errorf("payload of %s lacks the content of %s", ps.p.Path, members[0].path)
		}
		if data != nil {
			members[0].off = data.off
		}
		for _, m := range members[1:] {
			m.kind, m.linkTo, m.off = tar.TypeLink, members[0].path, -1
		}
	}
	return nil
}

// writeAccounts loads the account files the packages ship and adds the
// declared users and groups.
func (t *tree) writeAccounts() error {
	t.acct = newAccounts()
	files := []string{"/etc/passwd", "/etc/group", "/etc/shadow"}
	for _, f := range files {
		n, ok := t.nodes[f]
		if !ok || n.kind != tar.TypeReg {
			continue
		}
		b, err := t.content(n)
		if err != nil {
			return err
		}
		if err := t.acct.load(f, b); err != nil {
			return fmt.Errorf("reading %s from %s: %w", f, n.pkg, err)
		}
	}
	if len(t.cfg.users) == 0 && len(t.cfg.groups) == 0 {
		return nil
	}
	if err := t.acct.declare(t.cfg.users, t.cfg.groups); err != nil {
		return err
	}
	for _, f := range files {
		b := t.acct.file(f)
		if b == nil {
			continue
		}
		n, ok := t.nodes[f]
		if !ok || n.kind != tar.TypeReg {
			mode := int64(0o644)
			if f == "/etc/shadow" {
				mode = 0
			}
			n = &node{path: f, kind: tar.TypeReg, mode: mode, owner: "root", group: "root", mtime: t.cfg.epoch}
			t.nodes[f] = n
		}
		n.off, n.content, n.size, n.digest = -1, b, int64(len(b)), ""
	}
	return nil
}

// addExtra puts an ExtraFile in the tree, in place of a packaged regular
// file or symlink at its path.
func (t *tree) addExtra(f ExtraFile) error {
	if err := checkPath(f.Path); err != nil {
		return fmt.Errorf("adding extra file %q: %w", f.Path, err)
	}
	if f.Mode&^0o7777 != 0 {
		return fmt.Errorf("adding extra file %s: mode %o is not permission bits", f.Path, f.Mode)
	}
	if old, ok := t.nodes[f.Path]; ok && old.kind == tar.TypeDir {
		return fmt.Errorf("adding extra file %s: %s installs a directory there", f.Path, old.pkg)
	}
	for dir := path.Dir(f.Path); dir != "/"; dir = path.Dir(dir) {
		if n, ok := t.nodes[dir]; ok && n.kind != tar.TypeDir {
			return fmt.Errorf("adding extra file %s: %s is not a directory (from %s); give the path without links", f.Path, dir, n.pkg)
		}
	}
	t.nodes[f.Path] = &node{path: f.Path, kind: tar.TypeReg, mode: f.Mode, owner: "root", group: "root",
		mtime: t.cfg.epoch, off: -1, content: f.Data, size: int64(len(f.Data))}
	return nil
}

func (t *tree) content(n *node) ([]byte, error) {
	if n.content != nil || n.off < 0 {
		return n.content, nil
	}
	b := make([]byte, n.size)
	if _, err := t.spool.f.ReadAt(b, n.off); err != nil {
		return nil, fmt.Errorf("reading spooled %s: %w", n.path, err)
	}
	return b, nil
}

type ids struct{ uid, gid map[string]int }

func (t *tree) resolveOwners() (ids, error) {
	r := ids{uid: map[string]int{}, gid: map[string]int{}}
	unknown := map[string]string{}
	for _, n := range t.nodes {
		if id, ok := t.acct.lookupUser(n.owner); ok {
			r.uid[n.owner] = id
		} else if ex, seen := unknown["user "+n.owner]; !seen || n.path < ex {
			unknown["user "+n.owner] = n.path
		}
		if id, ok := t.acct.lookupGroup(n.group); ok {
			r.gid[n.group] = id
		} else if ex, seen := unknown["group "+n.group]; !seen || n.path < ex {
			unknown["group "+n.group] = n.path
		}
	}
	if len(unknown) == 0 {
		return r, nil
	}
	var msgs []string
	for k, p := range unknown {
		msgs = append(msgs, fmt.Sprintf("%s (owns %s in %s)", k, p, t.nodes[p].pkg))
	}
	sort.Strings(msgs)
	return r, fmt.Errorf("unknown owners, declare them (--user/--group) or ship /etc/passwd and /etc/group: %s",
		strings.Join(msgs, "; "))
}

func (t *tree) writeTar(ctx context.Context, w io.Writer, id ids) (int, error) {
	paths := make([]string, 0, len(t.nodes))
	for p := range t.nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	// Buffered: a tar of many small files is otherwise three writes each.
	bw := bufio.NewWriterSize(w, copyBuf)
	tw := tar.NewWriter(bw)
	buf := make([]byte, copyBuf)
	for i, p := range paths {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		n := t.nodes[p]
		h := &tar.Header{
			Typeflag: n.kind,
			Name:     p[1:],
			Mode:     n.mode,
			Uid:      id.uid[n.owner],
			Gid:      id.gid[n.group],
			Uname:    n.owner,
			Gname:    n.group,
			ModTime:  time.Unix(n.mtime, 0),
			Format:   tar.FormatPAX,
		}
		switch n.kind {
		case tar.TypeDir:
			h.Name += "/"
		case tar.TypeReg:
			h.Size = n.size
		case tar.TypeSymlink:
			h.Linkname = n.linkTo
		case tar.TypeLink:
			h.Linkname = n.linkTo[1:]
		case tar.TypeChar, tar.TypeBlock:
			h.Devmajor = int64(n.rdev>>8) & 0xfff
			h.Devminor = int64(n.rdev&0xff) | int64(n.rdev>>12)&0xfff00
		}
		if n.caps != nil {
			h.PAXRecords = map[string]string{capXattrName: string(n.caps)}
		}
		if err := tw.WriteHeader(h); err != nil {
			return 0, fmt.Errorf("writing %s: %w", p, err)
		}
		if n.kind != tar.TypeReg || n.size == 0 {
			continue
		}
		var src io.Reader
		switch {
		case n.content != nil:
			src = strings.NewReader(string(n.content))
		case n.off >= 0:
			src = io.NewSectionReader(t.spool.f, n.off, n.size)
		default:
			return 0, fmt.Errorf("payload of %s lacks the content of %s", n.pkg, p)
		}
		if _, err := io.CopyBuffer(tw, onlyReader{src}, buf); err != nil {
			return 0, fmt.Errorf("writing %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	return len(paths), nil
}
