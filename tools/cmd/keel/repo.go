package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/keel-build/keel/tools/repo"
)

// runRepo writes an RPM repository (Packages/ and repodata/) that dnf
// installs from:
//
//	keel repo --out DIR [--compress gzip|zstd] [--epoch N] RPM... [@PARAMFILE]
func runRepo(args []string, stdout, stderr io.Writer) error {
	args, err := expandParamFiles(args)
	if err != nil {
		return err
	}
	var rpms listFlag
	fs := flag.NewFlagSet("repo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "repository folder to write")
	comp := fs.String("compress", "gzip", "metadata compression: gzip or zstd")
	epoch := fs.Int64("epoch", -1, "repository revision and timestamps; default the newest build time")
	fs.Var(&rpms, "rpm", "RPM file (repeatable; positional arguments too)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	rpms = append(rpms, fs.Args()...)
	opts := []repo.Option{repo.WithCompression(*comp)}
	if *epoch >= 0 {
		opts = append(opts, repo.WithEpoch(*epoch))
	}
	res, err := repo.Write(context.Background(), *out, rpms, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d packages\n", *out, len(res.Packages))
	return nil
}
