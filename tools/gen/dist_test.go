package gen

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDistDefines(t *testing.T) {
	for _, tc := range []struct {
		name, bzl string
		want      []string
		err       string // substring of the error; "" for none
	}{
		{
			name: "list with docstring and comments",
			bzl:  "\"\"\"Macros.\"\"\"\n\n# the dist tag\nDIST_DEFINES = [\n    \"dist .keel1\",  # tag\n    \"keel 1\",\n]\nOTHER = [1]\n",
			want: []string{"dist .keel1", "keel 1"},
		},
		{name: "empty list", bzl: "DIST_DEFINES = []\n", want: []string{}},
		{name: "value with spaces", bzl: "DIST_DEFINES = [\"vendor Keel Linux\"]\n", want: []string{"vendor Keel Linux"}},
		{name: "missing", bzl: "OTHER = []\n", err: "dist.bzl: no top-level DIST_DEFINES = [...]"},
		{name: "twice", bzl: "DIST_DEFINES = []\nDIST_DEFINES = []\n", err: "dist.bzl:2: DIST_DEFINES is assigned twice"},
		{name: "augmented", bzl: "DIST_DEFINES = []\nDIST_DEFINES += [\"a b\"]\n", err: "dist.bzl:2: DIST_DEFINES is assigned twice"},
		{name: "not a list", bzl: "DIST_DEFINES = OTHER + []\n", err: "dist.bzl:1: DIST_DEFINES is not a list literal"},
		{name: "computed element", bzl: "DIST_DEFINES = [\n    \"dist \" + TAG,\n]\n", err: "dist.bzl:2: DIST_DEFINES: \"dist \" + TAG is not a string literal"},
		{name: "no value", bzl: "DIST_DEFINES = [\n    \"dist\",\n]\n", err: "dist.bzl:2: DIST_DEFINES: \"dist\" is not \"NAME VALUE\""},
		{name: "blank value", bzl: "DIST_DEFINES = [\"dist  \"]\n", err: "is not \"NAME VALUE\""},
		{name: "leading space", bzl: "DIST_DEFINES = [\" dist .x\"]\n", err: "is not \"NAME VALUE\""},
		{name: "syntax error", bzl: "DIST_DEFINES = [\n", err: "parsing "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, DistFile), []byte(tc.bzl), 0o644); err != nil {
				t.Fatal(err)
			}
			got, found, err := DistDefines(root)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("DistDefines = %q, %v; want an error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil || !found || !slices.Equal(got, tc.want) {
				t.Errorf("DistDefines = %q, %v, %v; want %q, true, nil", got, found, err, tc.want)
			}
		})
	}
}

func TestDistDefinesAbsent(t *testing.T) {
	got, found, err := DistDefines(t.TempDir())
	if got != nil || found || err != nil {
		t.Errorf("DistDefines of a tree without %s = %q, %v, %v; want nil, false, nil", DistFile, got, found, err)
	}
}
