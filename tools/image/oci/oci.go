// Package oci builds single-layer OCI container images from a rootfs tar and
// multi-arch image indexes from them, with go-containerregistry.
//
// Output is reproducible: the layer is compressed once with a fixed gzip
// level (in parallel blocks with klauspost/pgzip, whose output depends only
// on the block size, never on timing), and every date in the config is the
// given creation time.
package oci

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/pgzip"

	"github.com/keel-build/keel/tools/image/internal/atomicfile"
)

// RefNameAnnotation names an image inside an OCI layout.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// DefaultLevel is the gzip level of layers when Options.Level is zero.
const DefaultLevel = 6

// pgzipBlock is the parallel gzip block size. It is part of the output
// format: changing it changes every layer digest.
const pgzipBlock = 1 << 20

// Options describe the image config.
type Options struct {
	Arch       string // GOARCH-style: amd64, arm64
	Entrypoint []string
	Cmd        []string
	Env        []string // KEY=VALUE
	WorkingDir string
	User       string
	Labels     map[string]string
	Created    time.Time // creation time of the image and its history entry
	Level      int       // gzip level 1..9; 0 means DefaultLevel
	// Serial compresses with compress/gzip on one core instead of pgzip.
	// The digest differs between the two.
	Serial bool
}

// Image is a built image whose compressed layer lives in a temporary file
// until Close.
type Image struct {
	v1.Image
	layerFile string
}

// Close removes the compressed layer file.
func (i *Image) Close() error { return os.Remove(i.layerFile) }

// Build makes an image of the uncompressed tar at layerPath. The tar is
// checked entry by entry while it is compressed.
func Build(layerPath string, o Options) (*Image, error) {
	platform, err := platformOf(o.Arch)
	if err != nil {
		return nil, err
	}
	level := o.Level
	if level == 0 {
		level = DefaultLevel
	}
	if level < 1 || level > 9 {
		return nil, fmt.Errorf("gzip level %d out of range 1..9", level)
	}
	if o.Created.IsZero() {
		return nil, fmt.Errorf("no creation time given: set SOURCE_DATE_EPOCH")
	}
	for _, e := range o.Env {
		if !strings.Contains(e, "=") {
			return nil, fmt.Errorf("environment entry %q is not KEY=VALUE", e)
		}
	}
	gz, err := compressLayer(layerPath, level, o.Serial)
	if err != nil {
		return nil, err
	}
	img, err := assemble(gz, platform, o)
	if err != nil {
		os.Remove(gz)
		return nil, err
	}
	return &Image{Image: img, layerFile: gz}, nil
}

func platformOf(arch string) (v1.Platform, error) {
	switch arch {
	case "amd64":
		return v1.Platform{OS: "linux", Architecture: "amd64"}, nil
	case "arm64":
		return v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, nil
	}
	return v1.Platform{}, fmt.Errorf("unsupported architecture %q (want amd64 or arm64)", arch)
}

// compressLayer gzips the tar into a temporary file, reading it through a
// tar reader on the way so that a file that is not a tar fails with its name.
func compressLayer(layerPath string, level int, serial bool) (string, error) {
	in, err := os.Open(layerPath)
	if err != nil {
		return "", fmt.Errorf("opening layer: %w", err)
	}
	defer in.Close()
	br := bufio.NewReaderSize(in, 1<<20)
	if magic, _ := br.Peek(4); bytes.HasPrefix(magic, []byte{0x1f, 0x8b}) || bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return "", fmt.Errorf("reading layer %s: compressed; give the uncompressed tar", layerPath)
	}
	out, err := os.CreateTemp("", "keel-layer-*.tar.gz")
	if err != nil {
		return "", fmt.Errorf("creating temporary layer file: %w", err)
	}
	ok := false
	defer func() {
		out.Close()
		if !ok {
			os.Remove(out.Name())
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	var zw io.WriteCloser
	if serial {
		zw, err = gzip.NewWriterLevel(bw, level)
	} else {
		var pw *pgzip.Writer
		if pw, err = pgzip.NewWriterLevel(bw, level); err == nil {
			err = pw.SetConcurrency(pgzipBlock, runtime.GOMAXPROCS(0))
			zw = pw
		}
	}
	if err != nil {
		return "", fmt.Errorf("creating gzip writer: %w", err)
	}
	tee := io.TeeReader(br, zw)
	tr := tar.NewReader(tee)
	entries := 0
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading layer %s as a tar: %w", layerPath, err)
		}
		entries++
	}
	if entries == 0 {
		return "", fmt.Errorf("reading layer %s as a tar: no entries", layerPath)
	}
	// The tar reader stops at the end-of-archive marker; keep the padding
	// after it so the layer is the input byte for byte.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return "", fmt.Errorf("reading layer %s: %w", layerPath, err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compressing layer %s: %w", layerPath, err)
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("writing compressed layer: %w", err)
	}
	ok = true
	return out.Name(), nil
}

func assemble(gzPath string, platform v1.Platform, o Options) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(gzPath, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("reading compressed layer: %w", err)
	}
	created := v1.Time{Time: o.Created.UTC()}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg := &v1.ConfigFile{
		Architecture: platform.Architecture,
		Variant:      platform.Variant,
		OS:           platform.OS,
		Created:      created,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: o.Entrypoint,
			Cmd:        o.Cmd,
			Env:        o.Env,
			WorkingDir: o.WorkingDir,
			User:       o.User,
			Labels:     o.Labels,
		},
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting image config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: created, CreatedBy: "keel image oci", Comment: "rootfs"},
	})
	if err != nil {
		return nil, fmt.Errorf("adding layer: %w", err)
	}
	return img, nil
}

// WriteLayout writes img as the only image of a new OCI layout folder dir,
// named refName (may be empty). An existing dir is replaced.
func WriteLayout(dir string, img v1.Image, refName string) error {
	return writeLayout(dir, func(p layout.Path) error {
		return p.AppendImage(plainImage{img}, layout.WithAnnotations(annotations(refName)))
	})
}

// WriteIndexLayout writes idx (and all its images) as a new OCI layout dir.
func WriteIndexLayout(dir string, idx v1.ImageIndex, refName string) error {
	return writeLayout(dir, func(p layout.Path) error {
		return p.AppendIndex(idx, layout.WithAnnotations(annotations(refName)))
	})
}

func annotations(refName string) map[string]string {
	if refName == "" {
		return nil
	}
	return map[string]string{RefNameAnnotation: refName}
}

func writeLayout(dir string, add func(layout.Path) error) error {
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating temporary layout folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("creating layout %s: %w", dir, err)
	}
	if err := add(p); err != nil {
		return fmt.Errorf("writing layout %s: %w", dir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp, err)
	}
	return atomicfile.ReplaceDir(tmp, dir)
}

// Index makes a multi-arch image index of the single images in the OCI
// layouts dirs. Platforms come from each image's config; entries are sorted
// by platform so argument order does not matter, and a platform may appear
// only once.
func Index(dirs []string) (v1.ImageIndex, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no images given")
	}
	type entry struct {
		key string
		add mutate.IndexAddendum
	}
	var entries []entry
	seen := map[string]string{}
	for _, dir := range dirs {
		img, err := singleImage(dir)
		if err != nil {
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of the image in %s: %w", dir, err)
		}
		p := cf.Platform()
		if p == nil || p.Architecture == "" || p.OS == "" {
			return nil, fmt.Errorf("image in %s has no os/architecture in its config", dir)
		}
		key := p.String()
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("images in %s and %s are both for %s", prev, dir, key)
		}
		seen[key] = dir
		entries = append(entries, entry{key, mutate.IndexAddendum{Add: plainImage{img}, Descriptor: v1.Descriptor{Platform: p}}})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, e := range entries {
		idx = mutate.AppendManifests(idx, e.add)
	}
	return idx, nil
}

// plainImage leaves artifactType out of the image's descriptors:
// go-containerregistry otherwise fills it with the config media type, which
// marks an ordinary image like an OCI artifact.
type plainImage struct{ v1.Image }

func (plainImage) ArtifactType() (string, error) { return "", nil }

func singleImage(dir string) (v1.Image, error) {
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	m, err := ii.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index.json of %s: %w", dir, err)
	}
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsImage() {
		return nil, fmt.Errorf("OCI layout %s holds %d manifests; want exactly one image", dir, len(m.Manifests))
	}
	img, err := ii.Image(m.Manifests[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("reading image of %s: %w", dir, err)
	}
	return img, nil
}
