package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/keel-build/keel/tools/rootfs"
)

// runRootfs assembles an image's root file system tar from RPMs:
//
//	keel rootfs --out ROOTFS.tar [--lock LOCK.json] [--report REPORT.json]
//	    [--install NAME]... [--epoch N] [--user name:uid:gid[:home[:shell]]]...
//	    [--group name:gid]... RPM... [@PARAMFILE]
//
// With --install, only the closure of those packages' Requires over the given
// RPMs is installed; without it, every given RPM is.
func runRootfs(args []string, stdout, stderr io.Writer) error {
	args, err := expandParamFiles(args)
	if err != nil {
		return err
	}
	var out rootfs.Files
	var install, users, groups, rpms listFlag
	fs := flag.NewFlagSet("rootfs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&out.Tar, "out", "", "root file system tar to write")
	fs.StringVar(&out.Lock, "lock", "", "lock file (JSON) of the resolved install set to write")
	fs.StringVar(&out.Report, "report", "", "report (JSON) to write: packages, skipped scriptlets, ghost files")
	fs.Var(&install, "install", "package (or 'name >= version') the image lists (repeatable)")
	fs.Var(&rpms, "rpm", "available RPM file (repeatable; positional arguments too)")
	fs.Var(&users, "user", "declared account name:uid:gid[:home[:shell]] (repeatable)")
	fs.Var(&groups, "group", "declared group name:gid (repeatable)")
	epoch := fs.Int64("epoch", -1, "clamp modification times to this time; default $SOURCE_DATE_EPOCH or 0")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rpms = append(rpms, fs.Args()...)
	opts, err := rootfsOptions(*epoch, users, groups)
	if err != nil {
		return err
	}
	rep, err := rootfs.Make(context.Background(), out, rpms, install, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d packages, %d entries\n", out.Tar, len(rep.Packages), rep.Entries)
	return nil
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
