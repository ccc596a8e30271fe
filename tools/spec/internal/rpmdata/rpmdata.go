// Package rpmdata embeds the rpm 4.18 configuration files (macros, rpmrc,
// platform macros, fileattrs) that spec evaluation reads, plus Keel's pinned
// Azure Linux 3.0 host macros. See README.md for their origin and license.
package rpmdata

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

//go:embed macros rpmrc platform fileattrs azl3-host.macros
var files embed.FS

// FS returns the embedded files, laid out as under /usr/lib/rpm.
func FS() fs.FS { return files }

// Read returns one embedded file by its path (e.g. "platform/x86_64-linux/macros").
func Read(name string) ([]byte, error) { return files.ReadFile(name) }

// FileAttrs lists the fileattrs/*.attr files in sorted (glob) order.
func FileAttrs() []string {
	ents, _ := fs.ReadDir(files, "fileattrs")
	var out []string
	for _, e := range ents {
		if path.Ext(e.Name()) == ".attr" {
			out = append(out, "fileattrs/"+e.Name())
		}
	}
	sort.Strings(out)
	return out
}
