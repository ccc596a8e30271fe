package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/keel-build/keel/tools/sources"
)

// runSources fills Bazel's repository cache with source files:
//
//	keel sources seed --repository-cache DIR [--from-dir D]... [--from-debian]
//	    [--apt-dir /etc/apt] SHA256|LOCKFILE|SIGNATURES.json|SPECDIR...
func runSources(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "seed" {
		return errors.New("usage: keel sources seed --repository-cache DIR [--from-dir D]... [--from-debian] SHA256|FILE|DIR...")
	}
	var o sources.Options
	var dirs listFlag
	fs := flag.NewFlagSet("sources seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.RepositoryCache, "repository-cache", "", "Bazel repository cache directory (--repository_cache)")
	fs.Var(&dirs, "from-dir", "folder searched for files by content (repeatable)")
	fs.BoolVar(&o.FromDebian, "from-debian", false, "look files up in the indexes of the Debian archives apt uses (NAME_VERSION_ARCH.deb in binary-ARCH, others in source)")
	fs.StringVar(&o.AptDir, "apt-dir", "/etc/apt", "apt configuration directory")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if o.RepositoryCache == "" || fs.NArg() == 0 {
		return errors.New("--repository-cache and at least one SHA256, lock file, signatures file or spec folder are required")
	}
	wants, err := sources.ReadWants(fs.Args())
	if err != nil {
		return err
	}
	o.FromDirs, o.Log = dirs, stderr
	rep, err := sources.Seed(context.Background(), o, wants)
	if err != nil {
		return err
	}
	for _, f := range rep.Found {
		fmt.Fprintf(stdout, "found   %s  %s  from %s\n", f.SHA256, f.File, f.From)
	}
	for _, m := range rep.Missing {
		fmt.Fprintf(stdout, "missing %s  %s\n", m.SHA256, m.File)
	}
	if len(rep.Missing) > 0 {
		return fmt.Errorf("%d of %d sources missing", len(rep.Missing), len(rep.Missing)+len(rep.Found))
	}
	return nil
}
