// Package ext4 makes a reproducible ext4 filesystem image from a rootfs tar
// without privileges.
//
// mkfs.ext4 -d copies a folder (e2fsprogs 1.47.0 reads it in sorted order),
// so the tar is unpacked into a temporary folder as the current user with
// permissive modes, leaving out device nodes and FIFOs. A debugfs script then
// applies what an unprivileged unpack cannot: owners, exact modes, times,
// extended attributes and special files. That is why no user namespace is
// needed and device nodes work. Every time stamp, the UUID and the directory
// hash seed are fixed, and E2FSPROGS_FAKE_TIME pins the superblock times.
package ext4

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/image/internal/hostcmd"
)

// mke2fsConf replaces the host's /etc/mke2fs.conf, so that the feature set
// does not depend on the build machine. It is Debian 12's ext4 default.
const mke2fsConf = `[defaults]
	base_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
`

// Config describes one filesystem.
type Config struct {
	UUID  string    // filesystem UUID, also the directory hash seed
	Label string    // volume label
	Epoch time.Time // superblock times; file times are clamped to it
	Size  int64     // bytes, a multiple of 1 MiB; zero sizes to fit
}

// Stats summarise a tar for sizing.
type Stats struct {
	Entries int
	Bytes   int64 // data bytes rounded up to 4 KiB blocks
}

// Build writes the filesystem image of the tar at tarPath to out, which the
// caller renames into place. It returns the image size.
func Build(ctx context.Context, out, tarPath string, cfg Config) (int64, error) {
	out, err := filepath.Abs(out) // debugfs runs in the work folder
	if err != nil {
		return 0, fmt.Errorf("resolving %s: %w", out, err)
	}
	work, err := os.MkdirTemp("", "keel-ext4-")
	if err != nil {
		return 0, fmt.Errorf("creating work folder: %w", err)
	}
	defer removeAll(work)
	root := filepath.Join(work, "root")
	script, stats, err := unpack(tarPath, root, cfg.Epoch)
	if err != nil {
		return 0, err
	}
	size := cfg.Size
	if size == 0 {
		size = FitSize(stats)
	}
	if size%(1<<20) != 0 {
		return 0, fmt.Errorf("ext4 size %d is not a multiple of 1 MiB", size)
	}
	conf := filepath.Join(work, "mke2fs.conf")
	if err := os.WriteFile(conf, []byte(mke2fsConf), 0o644); err != nil {
		return 0, fmt.Errorf("writing mke2fs.conf: %w", err)
	}
	fake := []string{"E2FSPROGS_FAKE_TIME=" + strconv.FormatInt(cfg.Epoch.Unix(), 10), "MKE2FS_CONFIG=" + conf}
	args := []string{"-q", "-F", "-t", "ext4", "-T", "default", "-b", "4096", "-I", "256",
		"-U", cfg.UUID, "-E", "hash_seed=" + cfg.UUID + ",root_owner=0:0,lazy_itable_init=0",
		"-d", root}
	if need := int64(stats.Entries) + int64(stats.Entries)/4 + 256; need > size/16384 {
		args = append(args, "-N", strconv.FormatInt(need, 10))
	}
	if cfg.Label != "" {
		args = append(args, "-L", cfg.Label)
	}
	args = append(args, out, strconv.FormatInt(size/1024, 10)+"k")
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "mkfs.ext4", Args: args, Env: fake}); err != nil {
		return 0, err
	}
	scriptPath := filepath.Join(work, "debugfs.cmd")
	if err := os.WriteFile(scriptPath, []byte(script.String()), 0o644); err != nil {
		return 0, fmt.Errorf("writing debugfs script: %w", err)
	}
	for _, v := range script.values {
		if err := os.WriteFile(filepath.Join(work, v[0]), []byte(v[1]), 0o644); err != nil {
			return 0, fmt.Errorf("writing extended attribute value: %w", err)
		}
	}
	// debugfs reports a failed command on stderr but exits 0, so any
	// output on stderr beyond its banner is an error.
	var stderr bytes.Buffer
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "debugfs", Args: []string{"-w", "-f", scriptPath, out},
		Env: fake, Dir: work, Stderr: &stderr}); err != nil {
		return 0, err
	}
	if msg := debugfsErrors(stderr.String()); msg != "" {
		return 0, fmt.Errorf("applying owners and modes with debugfs: %s", msg)
	}
	if _, err := hostcmd.Run(ctx, hostcmd.Cmd{Name: "e2fsck", Args: []string{"-fn", out}, Env: fake}); err != nil {
		return 0, fmt.Errorf("checking the new filesystem: %w", err)
	}
	return size, nil
}

// debugfsErrors picks error lines from debugfs's standard error, which
// also carries its version banner.
func debugfsErrors(out string) string {
	var errs []string
	for _, l := range strings.Split(out, "\n") {
		if l == "" || strings.HasPrefix(l, "debugfs ") || strings.HasPrefix(l, "debugfs: ") {
			continue
		}
		errs = append(errs, l)
	}
	if len(errs) > 5 {
		errs = append(errs[:5], "...")
	}
	return strings.Join(errs, "; ")
}

// FitSize returns a filesystem size in bytes (a multiple of 1 MiB) with room
// for the data, inodes, journal and a quarter spare.
func FitSize(s Stats) int64 {
	n := s.Bytes + s.Bytes/4 + int64(s.Entries)*(256+64) + 24<<20
	if n < 64<<20 {
		n = 64 << 20
	}
	return (n + 1<<20 - 1) &^ (1<<20 - 1)
}

func removeAll(dir string) {
	// Unpacked folders may have had write permission removed by the tar;
	// they are always created 0755 here, so RemoveAll suffices.
	os.RemoveAll(dir)
}

// unpack extracts the tar into root and returns the debugfs script that
// gives every entry its metadata.
func unpack(tarPath, root string, epoch time.Time) (*scriptBuilder, Stats, error) {
	var st Stats
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, st, fmt.Errorf("opening rootfs tar: %w", err)
	}
	defer f.Close()
	if err := os.Mkdir(root, 0o755); err != nil {
		return nil, st, fmt.Errorf("creating %s: %w", root, err)
	}
	var sb scriptBuilder
	sb.epoch = epoch.Unix()
	seenDirs := map[string]bool{"/": true}
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, st, fmt.Errorf("reading %s: %w", tarPath, err)
		}
		name := path.Clean("/" + h.Name)
		if strings.ContainsAny(name, "\"\n\\") {
			return nil, st, fmt.Errorf("reading %s: entry %q: quote, backslash or newline in a name is not supported", tarPath, h.Name)
		}
		if err := ensureParents(root, name, seenDirs, &sb); err != nil {
			return nil, st, err
		}
		st.Entries++
		host := filepath.Join(root, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if name != "/" {
				if err := os.Mkdir(host, 0o755); err != nil && !os.IsExist(err) {
					return nil, st, fmt.Errorf("unpacking %s: %w", name, err)
				}
			}
			seenDirs[name] = true
			st.Bytes += 4096
		case tar.TypeReg:
			if err := writeFile(host, tr, h.Mode); err != nil {
				return nil, st, fmt.Errorf("unpacking %s: %w", name, err)
			}
			st.Bytes += (h.Size + 4095) &^ 4095
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, host); err != nil {
				return nil, st, fmt.Errorf("unpacking %s: %w", name, err)
			}
			if len(h.Linkname) >= 60 {
				st.Bytes += 4096
			}
		case tar.TypeLink:
			target := filepath.Join(root, filepath.FromSlash(path.Clean("/"+h.Linkname)))
			if err := os.Link(target, host); err != nil {
				return nil, st, fmt.Errorf("unpacking hard link %s to %s: %w", name, h.Linkname, err)
			}
			continue // metadata belongs to the target, already set
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			kind := map[byte]string{tar.TypeChar: "c", tar.TypeBlock: "b", tar.TypeFifo: "p"}[h.Typeflag]
			// debugfs 1.47.0 mknod mislinks a name with a folder part, so
			// change into the folder first.
			sb.cmd("cd", path.Dir(name))
			if kind == "p" {
				sb.cmd("mknod", path.Base(name), "p")
			} else {
				sb.cmd("mknod", path.Base(name), kind, strconv.FormatInt(h.Devmajor, 10), strconv.FormatInt(h.Devminor, 10))
			}
			sb.cmd("cd", "/")
		default:
			return nil, st, fmt.Errorf("reading %s: entry %q: unsupported type %q", tarPath, h.Name, h.Typeflag)
		}
		sb.meta(name, h)
		for _, x := range xattrNames(h) {
			sb.xattr(name, x, h.PAXRecords["SCHILY.xattr."+x])
		}
	}
	if st.Entries == 0 {
		return nil, st, fmt.Errorf("reading %s: no entries", tarPath)
	}
	return &sb, st, nil
}

// ensureParents creates folders the tar uses before listing them.
func ensureParents(root, name string, seen map[string]bool, sb *scriptBuilder) error {
	dir := path.Dir(name)
	if seen[dir] {
		return nil
	}
	if err := ensureParents(root, dir, seen, sb); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(root, filepath.FromSlash(dir)), 0o755); err != nil && !os.IsExist(err) {
		return fmt.Errorf("unpacking %s: %w", dir, err)
	}
	seen[dir] = true
	sb.meta(dir, &tar.Header{Typeflag: tar.TypeDir, Mode: 0o755})
	return nil
}

func writeFile(host string, r io.Reader, mode int64) error {
	perm := os.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	f, err := os.OpenFile(host, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func xattrNames(h *tar.Header) []string {
	var names []string
	for k := range h.PAXRecords {
		if n, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// scriptBuilder collects debugfs commands.
type scriptBuilder struct {
	strings.Builder
	epoch  int64
	n      int         // xattr value files named
	values [][2]string // xattr value file name, value
}

func (b *scriptBuilder) cmd(args ...string) {
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if strings.ContainsAny(a, " \t") {
			a = `"` + a + `"`
		}
		b.WriteString(a)
	}
	b.WriteByte('\n')
}

var typeBits = map[byte]int64{
	tar.TypeReg: 0o100000, tar.TypeDir: 0o040000, tar.TypeSymlink: 0o120000,
	tar.TypeChar: 0o020000, tar.TypeBlock: 0o060000, tar.TypeFifo: 0o010000,
}

// meta sets owner, mode and all four times of name. Times are clamped to
// the epoch; nanosecond fields are zeroed (mke2fs copies the host's).
func (b *scriptBuilder) meta(name string, h *tar.Header) {
	mode := typeBits[h.Typeflag] | h.Mode&0o7777
	if h.Typeflag == tar.TypeSymlink {
		mode = typeBits[h.Typeflag] | 0o777
	}
	t := h.ModTime.Unix()
	if h.ModTime.IsZero() || t > b.epoch {
		t = b.epoch
	}
	at := "@" + strconv.FormatInt(t, 10)
	b.cmd("sif", name, "uid", strconv.Itoa(h.Uid))
	b.cmd("sif", name, "gid", strconv.Itoa(h.Gid))
	b.cmd("sif", name, "mode", "0"+strconv.FormatInt(mode, 8))
	for _, f := range []string{"atime", "mtime", "ctime", "crtime"} {
		b.cmd("sif", name, f, at)
		b.cmd("sif", name, f+"_extra", "0")
	}
}

// xattr sets one extended attribute through a value file, since values are
// binary (security.capability).
func (b *scriptBuilder) xattr(name, attr, value string) {
	b.n++
	// The value files live next to the script; Build writes them.
	file := fmt.Sprintf("xattr-%d", b.n)
	b.cmd("ea_set", "-f", file, name, attr)
	b.values = append(b.values, [2]string{file, value})
}
