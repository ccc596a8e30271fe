package filelist

import (
	"reflect"
	"testing"
)

func TestScan(t *testing.T) {
	text := `Name: foo
%description
The %files keyword only counts at a line start.
%files
%license COPYING
%doc README /usr/share/doc/foo/extra.txt
%defattr(-,root,root)
%attr(0755,root,root) /usr/bin/foo
%config(noreplace) %{_sysconfdir}/foo.conf
%config(noreplace) /etc/foo.conf
%verify(not md5 size mtime) /var/lib/foo/state
%lang(de) /usr/share/locale/de/foo.mo
%caps(cap_net_raw=ep) /usr/sbin/ping-foo
%ghost /run/foo.pid
%dir /usr/lib64/foo
%exclude /usr/lib64/foo/unwanted
/usr/lib64/libfoo.so.1*   /usr/lib64/libbar.so.2
# a comment /usr/bin/not-a-file

%files devel -f devel.list
/usr/include/foo.h

%files -n python3-foo -f %{pyproject_files}
/usr/lib/python3.12/site-packages/foo/

%post
/usr/bin/not-listed
%files -f foo.lang
%changelog
`
	got := Scan(text, "foo")
	want := map[string]*List{
		"foo": {
			Paths: []string{"/etc/foo.conf", "/run/foo.pid", "/usr/bin/foo", "/usr/lib64/libbar.so.2", "/usr/lib64/libfoo.so.1*",
				"/usr/sbin/ping-foo", "/usr/share/doc/foo/extra.txt", "/usr/share/locale/de/foo.mo", "/var/lib/foo/state"},
			Dirs:      []string{"/usr/lib64/foo"},
			FileLists: []string{"foo.lang"},
		},
		"foo-devel":   {Paths: []string{"/usr/include/foo.h"}, FileLists: []string{"devel.list"}},
		"python3-foo": {Paths: []string{"/usr/lib/python3.12/site-packages/foo/"}, FileLists: []string{"%{pyproject_files}"}},
	}
	if !reflect.DeepEqual(got, want) {
		for k, v := range got {
			t.Logf("%s: %+v", k, *v)
		}
		t.Errorf("Scan mismatch")
	}
}
