package macro

import (
	"strings"
	"testing"
)

// benchText is a spec-like text using the macros real specs use most.
const benchText = `Name:           python-foo
Version:        1.2.3
Release:        4%{?dist}
Source0:        %{pypi_source foo %{version}}
BuildRequires:  python3-devel %{py3_dist setuptools wheel}
%{?python_provide:%python_provide python3-foo}
%if %{with_check}
BuildRequires:  %{py3_dist pytest}
%endif
%build
%{set_build_flags}
%configure --libdir=%{_libdir} --with-foo=%{?with_foo:yes}%{!?with_foo:no}
%make_build
%install
%make_install DESTDIR=%{buildroot}
install -d %{buildroot}%{_bindir} %{buildroot}%{_datadir}/%{name} %{buildroot}%{_mandir}/man1
%files
%license LICENSE
%{python3_sitelib}/foo-%{version}-py%{python3_version}.egg-info
%{_bindir}/foo
%{_libdir}/libfoo.so.*
`

func BenchmarkCloneExpand(b *testing.B) {
	base := loadAZL(b, nil)
	lines := strings.Split(benchText, "\n")
	// Shell results are cached across specs, as a corpus run would.
	cached := NewShellCache(DefaultShell("/", DefaultMaxOutput)).Run
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := base.Clone()
		e.opts.Shell = cached
		e.Push("name", "", "python-foo", LevelSpec)
		e.Push("version", "", "1.2.3", LevelSpec)
		for _, l := range lines {
			if _, err := e.Expand(l); err != nil {
				b.Fatal(err)
			}
		}
		e.Release()
	}
}

func BenchmarkClone(b *testing.B) {
	base := loadAZL(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := base.Clone()
		e.Push("name", "", "x", LevelSpec)
	}
}

func BenchmarkLoadMacros(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		loadAZL(b, nil)
	}
}

// BenchmarkLuaStart measures what the first %{lua:} of a spec would cost
// with a new interpreter: about two thirds of the corpus's evaluations run
// Lua (%autosetup's %autopatch, the Python macros). The libraries a chunk
// does not name are not opened (see lualibs.go); the interpreter is not
// released, so each run makes one (compare BenchmarkLuaReuse).
func BenchmarkLuaStart(b *testing.B) {
	base := New(Options{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := base.Clone()
		if _, err := e.Expand("%{lua: x = 1}"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLuaReuse is BenchmarkLuaStart with the interpreter released
// after each use: what the first %{lua:} of a spec costs with the pool.
func BenchmarkLuaReuse(b *testing.B) {
	base := New(Options{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := base.Clone()
		if _, err := e.Expand("%{lua: x = 1}"); err != nil {
			b.Fatal(err)
		}
		e.Release()
	}
}
