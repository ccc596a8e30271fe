package oci

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/keel-build/keel/tools/image/internal/atomicfile"
)

// ParseTag checks a repo:tag image name for a docker-loadable tarball. The
// repository must not name a registry host: the tarball is loaded locally.
func ParseTag(s string) (name.Tag, error) {
	if !strings.Contains(s[strings.LastIndex(s, "/")+1:], ":") {
		return name.Tag{}, fmt.Errorf("image name %q has no tag; give repo:tag", s)
	}
	tag, err := name.NewTag(s)
	if err != nil {
		return name.Tag{}, fmt.Errorf("parsing image name %q (want repo:tag): %w", s, err)
	}
	if tag.RegistryStr() != name.DefaultRegistry || s != tag.RepositoryStr()+":"+tag.TagStr() {
		return name.Tag{}, fmt.Errorf("image name %q names a registry host; give repo:tag only", s)
	}
	return tag, nil
}

// WriteTarball writes img as a `docker load`-able tarball at path, tagged
// tag (see ParseTag).
func WriteTarball(path string, img v1.Image, tag string) error {
	t, err := ParseTag(tag)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(f *os.File) error {
		if err := tarball.Write(t, img, f); err != nil {
			return fmt.Errorf("writing tarball %s: %w", path, err)
		}
		return nil
	})
}
