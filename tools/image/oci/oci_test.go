package oci

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/keel-build/keel/tools/image/internal/imagetest"
)

func options(arch string) Options {
	return Options{
		Arch:       arch,
		Entrypoint: []string{"/usr/bin/hello"},
		Cmd:        []string{"--greeting", "hi"},
		Env:        []string{"PATH=/usr/bin:/bin"},
		WorkingDir: "/home/user",
		Labels:     map[string]string{"org.opencontainers.image.title": "keel-test"},
		Created:    imagetest.Epoch,
	}
}

func build(t *testing.T, layerTar string, o Options) *Image {
	t.Helper()
	img, err := Build(layerTar, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

// readTree maps every file of a folder to its contents.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestImageReproducibleAndValid(t *testing.T) {
	layerTar := imagetest.WriteTar(t, imagetest.SmallRootfs())
	for _, serial := range []bool{false, true} {
		var digests [2]v1.Hash
		var layouts [2]map[string]string
		var tarballs [2][]byte
		for i := range 2 {
			o := options("amd64")
			o.Serial = serial
			img := build(t, layerTar, o)
			var err error
			if digests[i], err = img.Digest(); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "layout")
			if err := WriteLayout(dir, img, "keel/test:1"); err != nil {
				t.Fatal(err)
			}
			layouts[i] = readTree(t, dir)
			// Validate what consumers read: the image as stored.
			stored, err := singleImage(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate.Image(stored); err != nil {
				t.Fatalf("validate.Image: %v", err)
			}
			tb := filepath.Join(t.TempDir(), "image.tar")
			if err := WriteTarball(tb, img, "keel/test:1"); err != nil {
				t.Fatal(err)
			}
			if tarballs[i], err = os.ReadFile(tb); err != nil {
				t.Fatal(err)
			}
		}
		if digests[0] != digests[1] {
			t.Errorf("serial=%v: manifest digests differ: %s %s", serial, digests[0], digests[1])
		}
		if len(layouts[0]) < 4 || !mapsEqual(layouts[0], layouts[1]) {
			t.Errorf("serial=%v: layouts differ or are incomplete (%d files)", serial, len(layouts[0]))
		}
		if !bytes.Equal(tarballs[0], tarballs[1]) {
			t.Errorf("serial=%v: tarballs differ", serial)
		}
		t.Logf("serial=%v: manifest %s", serial, digests[0])
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestImageContent reads the image back from the layout and checks the
// config and that the layer holds the input tar unchanged.
func TestImageContent(t *testing.T) {
	layerTar := imagetest.WriteTar(t, imagetest.SmallRootfs())
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, build(t, layerTar, options("arm64")), "keel/test:1"); err != nil {
		t.Fatal(err)
	}
	img, err := singleImage(dir)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || cf.Variant != "v8" || cf.OS != "linux" {
		t.Errorf("platform %s/%s/%s, want linux/arm64/v8", cf.OS, cf.Architecture, cf.Variant)
	}
	if !cf.Created.Time.Equal(imagetest.Epoch) || len(cf.History) != 1 || !cf.History[0].Created.Time.Equal(imagetest.Epoch) {
		t.Errorf("created %v, history %+v: want the epoch everywhere", cf.Created, cf.History)
	}
	if got := strings.Join(cf.Config.Entrypoint, " ") + "|" + strings.Join(cf.Config.Cmd, " ") + "|" + cf.Config.WorkingDir; got != "/usr/bin/hello|--greeting hi|/home/user" {
		t.Errorf("config %q", got)
	}
	if cf.Config.Labels["org.opencontainers.image.title"] != "keel-test" {
		t.Errorf("labels %v", cf.Config.Labels)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	want, _ := os.ReadFile(layerTar)
	if !bytes.Equal(got, want) {
		t.Errorf("layer content (%d bytes) differs from the input tar (%d bytes)", len(got), len(want))
	}
	ii, _ := layout.ImageIndexFromPath(dir)
	m, _ := ii.IndexManifest()
	if m.Manifests[0].ArtifactType != "" {
		t.Errorf("index.json entry has artifactType %q", m.Manifests[0].ArtifactType)
	}
	if m.Manifests[0].Annotations[RefNameAnnotation] != "keel/test:1" {
		t.Errorf("index.json annotations %v", m.Manifests[0].Annotations)
	}
}

func TestTarballLoads(t *testing.T) {
	layerTar := imagetest.WriteTar(t, imagetest.SmallRootfs())
	img := build(t, layerTar, options("amd64"))
	tb := filepath.Join(t.TempDir(), "image.tar")
	if err := WriteTarball(tb, img, "keel/test:1"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(tb)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no manifest.json in tarball: %v", err)
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m []struct{ RepoTags []string }
		if err := json.NewDecoder(tr).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != "keel/test:1" {
			t.Errorf("RepoTags %+v, want [keel/test:1]", m)
		}
		break
	}
	loaded, err := tarball.ImageFromPath(tb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(loaded); err != nil {
		t.Errorf("validate.Image of the tarball: %v", err)
	}
	// A docker tarball has no manifest of its own (the reader makes a
	// Docker one), so compare the config it carries.
	c1, _ := img.ConfigName()
	c2, _ := loaded.ConfigName()
	if c1 != c2 {
		t.Errorf("tarball config %s, built %s", c2, c1)
	}
}

func TestIndex(t *testing.T) {
	layerTar := imagetest.WriteTar(t, imagetest.SmallRootfs())
	var dirs []string
	for _, arch := range []string{"arm64", "amd64"} {
		dir := filepath.Join(t.TempDir(), arch)
		if err := WriteLayout(dir, build(t, layerTar, options(arch)), ""); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	var digests []v1.Hash
	for _, order := range [][]string{dirs, {dirs[1], dirs[0]}} {
		idx, err := Index(order)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Index(idx); err != nil {
			t.Fatalf("validate.Index: %v", err)
		}
		out := filepath.Join(t.TempDir(), "index")
		if err := WriteIndexLayout(out, idx, "keel/test:1"); err != nil {
			t.Fatal(err)
		}
		ii, err := layout.ImageIndexFromPath(out)
		if err != nil {
			t.Fatal(err)
		}
		top, _ := ii.IndexManifest()
		inner, err := ii.ImageIndex(top.Manifests[0].Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := inner.IndexManifest()
		var plats []string
		for _, d := range m.Manifests {
			plats = append(plats, d.Platform.String())
			if d.ArtifactType != "" {
				t.Errorf("index entry %s has artifactType %q", d.Platform, d.ArtifactType)
			}
		}
		if got := strings.Join(plats, " "); got != "linux/amd64 linux/arm64/v8" {
			t.Errorf("index platforms %q", got)
		}
		d, _ := idx.Digest()
		digests = append(digests, d)
	}
	if digests[0] != digests[1] {
		t.Errorf("index digest depends on argument order: %v", digests)
	}
	if _, err := Index([]string{dirs[0], dirs[0]}); err == nil || !strings.Contains(err.Error(), "both for linux/arm64/v8") {
		t.Errorf("duplicate platform: error %v", err)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	layerTar := imagetest.WriteTar(t, imagetest.SmallRootfs())
	notTar := filepath.Join(dir, "notes.txt")
	os.WriteFile(notTar, bytes.Repeat([]byte("not a tar "), 200), 0o644)
	gz := filepath.Join(dir, "layer.tar.gz")
	os.WriteFile(gz, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, 0o644)
	for _, tc := range []struct {
		name  string
		layer string
		edit  func(*Options)
		want  string
	}{
		{"missing layer", filepath.Join(dir, "gone.tar"), nil, "gone.tar"},
		{"not a tar", notTar, nil, "notes.txt"},
		{"compressed", gz, nil, "layer.tar.gz: compressed"},
		{"bad arch", layerTar, func(o *Options) { o.Arch = "sparc" }, `"sparc"`},
		{"bad env", layerTar, func(o *Options) { o.Env = []string{"NOEQUALS"} }, `"NOEQUALS"`},
		{"no created time", layerTar, func(o *Options) { o.Created = time.Time{} }, "SOURCE_DATE_EPOCH"},
		{"bad level", layerTar, func(o *Options) { o.Level = 12 }, "level 12"},
	} {
		o := options("amd64")
		if tc.edit != nil {
			tc.edit(&o)
		}
		img, err := Build(tc.layer, o)
		if err == nil {
			img.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %s", tc.name, err, tc.want)
		}
	}
	img := build(t, layerTar, options("amd64"))
	for _, tag := range []string{"registry.example:5000/keel/test:1", "docker.io/keel/test:1", "keel/test", "Keel/Test:1"} {
		out := filepath.Join(dir, "image.tar")
		if err := WriteTarball(out, img, tag); err == nil || !strings.Contains(err.Error(), tag) {
			t.Errorf("tag %q: error %v, want one naming it", tag, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("tag %q: tarball written despite the error", tag)
		}
	}
	if _, err := Index([]string{filepath.Join(dir, "no-layout")}); err == nil || !strings.Contains(err.Error(), "no-layout") {
		t.Errorf("index of a missing layout: error %v", err)
	}
}

// TestExternalTools checks the layout with skopeo and umoci, independent
// OCI implementations, when they are installed.
func TestExternalTools(t *testing.T) {
	layerTar := imagetest.WriteTar(t, imagetest.SmallRootfs())
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, build(t, layerTar, options("amd64")), "test"); err != nil {
		t.Fatal(err)
	}
	t.Run("skopeo", func(t *testing.T) {
		if _, err := exec.LookPath("skopeo"); err != nil {
			t.Skip("skopeo not installed")
		}
		out, err := exec.Command("skopeo", "inspect", "--config", "oci:"+dir+":test").CombinedOutput()
		if err != nil {
			t.Fatalf("skopeo inspect: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte(`"/usr/bin/hello"`)) {
			t.Errorf("skopeo sees no entrypoint:\n%s", out)
		}
		copyDir := filepath.Join(t.TempDir(), "copy")
		if out, err := exec.Command("skopeo", "copy", "oci:"+dir+":test", "dir:"+copyDir).CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy (verifies digests): %v\n%s", err, out)
		}
	})
	t.Run("umoci", func(t *testing.T) {
		if _, err := exec.LookPath("umoci"); err != nil {
			t.Skip("umoci not installed")
		}
		bundle := filepath.Join(t.TempDir(), "bundle")
		if out, err := exec.Command("umoci", "unpack", "--rootless", "--image", dir+":test", bundle).CombinedOutput(); err != nil {
			t.Fatalf("umoci unpack: %v\n%s", err, out)
		}
		got, err := os.ReadFile(filepath.Join(bundle, "rootfs/etc/os-release"))
		if err != nil || string(got) != "NAME=Keel\nID=keel\n" {
			t.Errorf("unpacked /etc/os-release: %q, %v", got, err)
		}
		if target, err := os.Readlink(filepath.Join(bundle, "rootfs/bin")); err != nil || target != "usr/bin" {
			t.Errorf("unpacked /bin: %q, %v", target, err)
		}
	})
}
