package apt

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestArchives(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []Archive
	}{
		{
			name: "one-line",
			files: map[string]string{"sources.list": "# comment\n" +
				"deb [arch=amd64 signed-by=/k.gpg] http://m.invalid/debian bookworm main contrib\n" +
				"deb-src http://m.invalid/debian bookworm main non-free\n" +
				"deb http://m.invalid/debian-security bookworm-security main # trailing\n"},
			want: []Archive{
				{URI: "http://m.invalid/debian", Suite: "bookworm", Components: []string{"main", "contrib", "non-free"}, Types: []string{"deb", "deb-src"}},
				{URI: "http://m.invalid/debian-security", Suite: "bookworm-security", Components: []string{"main"}, Types: []string{"deb"}},
			},
		},
		{
			name: "deb822 with disabled stanza and disabled file",
			files: map[string]string{
				"sources.list.d/a.sources": "Types: deb\n# note\nURIs: http://m.invalid/debian\nSuites: bookworm\n bookworm-updates\nComponents: main\n\n" +
					"Enabled: no\nTypes: deb\nURIs: http://off.invalid/\nSuites: x\nComponents: main\n",
				"sources.list.d/b.list.disabled": "deb http://off.invalid/ y main\n",
			},
			want: []Archive{
				{URI: "http://m.invalid/debian", Suite: "bookworm", Components: []string{"main"}, Types: []string{"deb"}},
				{URI: "http://m.invalid/debian", Suite: "bookworm-updates", Components: []string{"main"}, Types: []string{"deb"}},
			},
		},
		{name: "nothing", files: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for p, c := range tc.files {
				path := filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Archives(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
