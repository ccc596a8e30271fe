package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/keel-build/keel/tools/rootfs"
)

// runRootfs assembles an image's root file system tar from RPMs:
//
//	keel rootfs --out ROOTFS.tar [--lock LOCK.json] [--report REPORT.json]
//	    [--install NAME]... [--epoch N] [--user name:uid:gid[:home[:shell]]]...
//	    [--group name:gid]... [--hostname NAME] [--file /DEST=SRC]... RPM... [@PARAMFILE]
//
// With --install, only the closure of those packages' Requires over the given
// RPMs is installed; without it, every given RPM is.
func runRootfs(args []string, stdout, stderr io.Writer) error {
	args, err := expandParamFiles(args)
	if err != nil {
		return err
	}
	var out rootfs.Files
	var install, users, groups, files, rpms listFlag
	fs := flag.NewFlagSet("rootfs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&out.Tar, "out", "", "root file system tar to write")
	fs.StringVar(&out.Lock, "lock", "", "lock file (JSON) of the resolved install set to write")
	fs.StringVar(&out.Report, "report", "", "report (JSON) to write: packages, skipped scriptlets, ghost files")
	fs.Var(&install, "install", "package (or 'name >= version') the image lists (repeatable)")
	fs.Var(&rpms, "rpm", "available RPM file (repeatable; positional arguments too)")
	fs.Var(&users, "user", "declared account name:uid:gid[:home[:shell]] (repeatable)")
	fs.Var(&groups, "group", "declared group name:gid (repeatable)")
	fs.Var(&files, "file", "extra file /DEST=SRC: the host file SRC at /DEST, mode 0755 if SRC is executable, else 0644 (repeatable)")
	hostname := fs.String("hostname", "", "write /etc/hostname with this name")
	epoch := fs.Int64("epoch", -1, "clamp modification times to this time; default $SOURCE_DATE_EPOCH or 0")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rpms = append(rpms, fs.Args()...)
	opts, err := rootfsOptions(*epoch, users, groups)
	if err != nil {
		return err
	}
	extra, err := extraFiles(files, *hostname)
	if err != nil {
		return err
	}
	opts = append(opts, rootfs.WithFiles(extra...))
	rep, err := rootfs.Make(context.Background(), out, rpms, install, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d packages, %d entries\n", out.Tar, len(rep.Packages), rep.Entries)
	return nil
}

// extraFiles reads the --file sources and makes the --hostname file.
func extraFiles(files []string, hostname string) ([]rootfs.ExtraFile, error) {
	var out []rootfs.ExtraFile
	for _, f := range files {
		dest, src, ok := strings.Cut(f, "=")
		if !ok || dest == "" || src == "" {
			return nil, fmt.Errorf("--file %q is not /DEST=SRC", f)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("reading --file %s: %w", dest, err)
		}
		fi, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("reading --file %s: %w", dest, err)
		}
		mode := int64(0o644)
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		out = append(out, rootfs.ExtraFile{Path: dest, Data: data, Mode: mode})
	}
	if hostname != "" {
		if strings.ContainsAny(hostname, " \t\n/") || len(hostname) > 64 {
			return nil, fmt.Errorf("--hostname %q is not a host name (at most 64 characters, no spaces or slashes)", hostname)
		}
		out = append(out, rootfs.ExtraFile{Path: "/etc/hostname", Data: []byte(hostname + "\n"), Mode: 0o644})
	}
	return out, nil
}

func rootfsOptions(epoch int64, users, groups []string) ([]rootfs.Option, error) {
	if epoch < 0 {
		epoch = 0
		if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("parsing SOURCE_DATE_EPOCH %q: %w", s, err)
			}
			epoch = v
		}
	}
	opts := []rootfs.Option{rootfs.WithEpoch(epoch)}
	for _, s := range users {
		u, err := rootfs.ParseUser(s)
		if err != nil {
			return nil, err
		}
		opts = append(opts, rootfs.WithUsers(u))
	}
	for _, s := range groups {
		g, err := rootfs.ParseGroup(s)
		if err != nil {
			return nil, err
		}
		opts = append(opts, rootfs.WithGroups(g))
	}
	return opts, nil
}
