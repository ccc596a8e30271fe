package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/keel-build/keel/tools/buildroot"
)

// runBuildroot makes or unpacks a build root:
//
//	keel buildroot make --suite bookworm --packages-file tools/buildroot/debian-bookworm.txt --out root.tar.zst
//	keel buildroot unpack --root root.tar.zst --dir DIR
func runBuildroot(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: keel buildroot make|unpack [FLAGS]")
	}
	switch args[0] {
	case "make":
		return buildrootMake(args[1:], stdout, stderr)
	case "unpack":
		fs := flag.NewFlagSet("buildroot unpack", flag.ContinueOnError)
		fs.SetOutput(stderr)
		src := fs.String("root", "", "root tarball (.tar.zst)")
		dir := fs.String("dir", "", "directory to unpack into")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *src == "" || *dir == "" {
			return errors.New("--root and --dir are required")
		}
		return buildroot.Unpack(*src, *dir)
	}
	return fmt.Errorf("unknown subcommand %q: want make or unpack", args[0])
}

func buildrootMake(args []string, stdout, stderr io.Writer) error {
	var o buildroot.Options
	var pkgs, pkgFile string
	fs := flag.NewFlagSet("buildroot make", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Suite, "suite", "bookworm", "Debian suite")
	fs.StringVar(&pkgs, "packages", "", "comma-separated packages to include")
	fs.StringVar(&pkgFile, "packages-file", "", "file listing packages to include, one per line")
	fs.StringVar(&o.Variant, "variant", "minbase", "mmdebstrap variant")
	fs.StringVar(&o.Mirror, "mirror", "", "archive URI (default: the host's apt source for the suite)")
	fs.StringVar(&o.Mode, "mode", "auto", "mmdebstrap mode (auto, root, unshare, ...)")
	fs.Int64Var(&o.SourceDateEpoch, "source-date-epoch", buildroot.DefaultSourceDateEpoch, "time stamp of every file")
	fs.StringVar(&o.Out, "out", "", "output .tar.zst")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if pkgFile != "" {
		list, err := buildroot.ReadPackageList(pkgFile)
		if err != nil {
			return err
		}
		o.Packages = append(o.Packages, list...)
	}
	if pkgs != "" {
		o.Packages = append(o.Packages, strings.Split(pkgs, ",")...)
	}
	o.Log = stderr
	start := time.Now()
	sum, err := buildroot.Make(context.Background(), o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s  %s\n", sum, o.Out)
	fmt.Fprintf(stderr, "made in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
