package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each test below pins one rpm 4.18 behaviour; the expected values were
// checked against `rpmspec` 4.18.0 on the same input.

var evaluators = map[string]*Evaluator{}

func evaluator(t *testing.T, arch string) *Evaluator {
	t.Helper()
	if ev, ok := evaluators[arch]; ok {
		return ev
	}
	ev, err := NewEvaluator(Options{Arch: arch, Defines: DistroDefines})
	if err != nil {
		t.Fatal(err)
	}
	evaluators[arch] = ev
	return ev
}

// writeSpec writes text (and extra files) to a temporary directory.
func writeSpec(t *testing.T, text string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "t.spec")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func evalText(t *testing.T, arch, text string) *Spec {
	t.Helper()
	s, err := evaluator(t, arch).Evaluate(writeSpec(t, text, nil), 1)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return s
}

const header = "Name: t\nVersion: 1.0\nRelease: 1\nSummary: s\nLicense: MIT\n"

func depStrings(set DepSet, flags bool) []string {
	var out []string
	for _, d := range set {
		s := d.String()
		if flags {
			s += " [" + d.Flags.DepType() + "]"
		}
		out = append(out, s)
	}
	return out
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestSourceNumbering(t *testing.T) {
	// Unnumbered tags get (highest number so far)+1, from 0; %{SOURCEn}
	// is the file under %_sourcedir, %{SOURCEURLn} the tag value.
	s := evalText(t, "x86_64", header+`Source: a.tar.gz
Source5: http://x/y/b.tar.gz
Source: c
Patch: p0.patch
Patch3: p3.patch
Provides: %{basename:%{SOURCE5}} %{SOURCEURL5}
%description
d
`)
	var got []string
	for _, src := range append(s.Sources, s.Patches...) {
		got = append(got, src.Tag+"="+uitoa(src.Num)+":"+src.Value)
	}
	eq(t, "sources", got, []string{"Source=0:a.tar.gz", "Source5=5:http://x/y/b.tar.gz", "Source=6:c", "Patch=0:p0.patch", "Patch3=3:p3.patch"})
	eq(t, "provides", depStrings(s.Packages[0].Provides, false), []string{"b.tar.gz", "http://x/y/b.tar.gz", "t = 1.0-1", "t(x86-64) = 1.0-1"})
}

func TestNoSourceOrder(t *testing.T) {
	// rpm keeps sources in a prepended list: NOSOURCE comes out in reverse
	// declaration order. A NoSource list with several numbers is an error
	// in rpm 4.18 (parseUnsignedNum sees the rest of the field).
	s := evalText(t, "x86_64", header+"Source0: a\nSource5: b\nPatch3: p\nPatch0: q\nNoSource: 5\nNoSource: 0\nNoPatch: 3\nNoPatch: 0\n%description\nd\n")
	if len(s.NoSource) != 2 || s.NoSource[0] != 5 || s.NoSource[1] != 0 {
		t.Errorf("NoSource = %v, want [5 0] (Source5 was declared after Source0)", s.NoSource)
	}
	if len(s.NoPatch) != 2 || s.NoPatch[0] != 0 || s.NoPatch[1] != 3 {
		t.Errorf("NoPatch = %v, want [0 3] (Patch0 was declared after Patch3)", s.NoPatch)
	}
	_, err := evaluator(t, "x86_64").Evaluate(writeSpec(t, header+"Source0: a\nSource1: b\nNoSource: 0 1\n%description\nd\n", nil), 1)
	if err == nil || !strings.Contains(err.Error(), "t.spec:8:") {
		t.Errorf("NoSource: 0 1: got error %v, want one at t.spec:8", err)
	}
}

func TestDependencies(t *testing.T) {
	// Deps are kept sorted by name, then EVR (bytewise), then flags, with
	// duplicates merged; rich deps are normalized to single spaces; PreReq
	// is Requires(pre,preun).
	s := evalText(t, "x86_64", header+`PreReq: foo
Requires(post,preun): bar >= 1
Requires: (a   or  b >=  2), zed, aa = 1, aa, aa < 3, zed
Requires(pre): /usr/sbin/useradd
BuildRequires: z, a > 1, /usr/bin/x
BuildConflicts: old < 2
Obsoletes: t-old < 1.0
Recommends: r1
%description
d
`)
	eq(t, "requires", depStrings(s.Packages[0].Requires, true), []string{
		"(a or b >= 2) [manual]", "/usr/sbin/useradd [pre]", "aa [manual]", "aa = 1 [manual]", "aa < 3 [manual]",
		"bar >= 1 [post,preun]", "foo [pre,preun]", "zed [manual]"})
	eq(t, "buildrequires", depStrings(s.BuildRequires, true), []string{"/usr/bin/x [manual]", "a > 1 [manual]", "z [manual]"})
	eq(t, "buildconflicts", depStrings(s.BuildConflicts, false), []string{"old < 2"})
	eq(t, "obsoletes", depStrings(s.Packages[0].Obsoletes, false), []string{"t-old < 1.0"})
	eq(t, "recommends", depStrings(s.Packages[0].Recommends, false), []string{"r1"})
}

func TestBadDependencies(t *testing.T) {
	for _, line := range []string{
		"Requires: -foo",            // must start with alnum, _ or /
		"Requires: /bin/sh >= 1",    // versioned file dep
		"Requires: (a or)",          // missing operand
		"Requires: (a if b or c)",   // mixed ops
		"Provides: (a or b)",        // no rich provides
		"Requires: foo >=",          // version required
		"Requires(bogus): foo",      // unknown qualifier
		"Obsoletes: Foo!bar",        // not a package name
		"Provides: rpmlib(Foo) = 1", // rpmlib() may not be provided
	} {
		_, err := evaluator(t, "x86_64").Evaluate(writeSpec(t, header+line+"\n%description\nd\n", nil), 1)
		if err == nil || !strings.Contains(err.Error(), "t.spec:6:") {
			t.Errorf("%q: got error %v, want one at t.spec:6", line, err)
		}
	}
}

func TestScriptletDeps(t *testing.T) {
	// Every scriptlet requires its interpreter with the scriptlet's
	// qualifier plus "interp"; <lua> needs rpmlib(BuiltinLuaScripts);
	// triggers give a plain "interp" require.
	s := evalText(t, "x86_64", header+`%description
d
%package -n other
Summary: o
BuildArch: noarch
%description -n other
o
%post -p /sbin/ldconfig
%postun
echo
%pretrans -p <lua>
print("x")
%triggerin -- foo
echo
%pre -n other
echo
%posttrans -n other -p /usr/bin/bash -e
echo
%files
%files -n other
`)
	eq(t, "main requires", depStrings(s.Packages[0].Requires, true), []string{
		"/bin/sh [interp]", "/bin/sh [postun,interp]", "/sbin/ldconfig [post,interp]",
		"rpmlib(BuiltinLuaScripts) <= 4.2.2-1 [rpmlib]"})
	eq(t, "other requires", depStrings(s.Packages[1].Requires, true), []string{
		"/bin/sh [pre,interp]", "/usr/bin/bash [interp,posttrans]", "rpmlib(ScriptletExpansion) <= 4.9.0-1 [rpmlib]"})
}

func TestPackages(t *testing.T) {
	// Subpackages inherit epoch, version, release and license, not summary;
	// "BuildArch: noarch" makes a subpackage noarch (no name(isa) provide);
	// a package is built when it has %files.
	s := evalText(t, "aarch64", "Name: t\nEpoch: 2\nVersion: 1.0\nRelease: 1%{?dist}\nSummary: s\nLicense: MIT\n"+`%description
d
%package devel
Summary: dev
License: BSD
Version: 2.0
%description devel
d
%package -n other
Summary: o
BuildArch: noarch
%description -n other
o
%files devel
%files -n other
`)
	var got []string
	for _, p := range s.Packages {
		got = append(got, p.Name+" "+p.EVR()+" "+p.Arch+" "+p.Summary+" "+p.License+" built="+map[bool]string{true: "y", false: "n"}[p.Built]+
			" "+strings.Join(depStrings(p.Provides, false), ","))
	}
	eq(t, "packages", got, []string{
		"t 2:1.0-1.azl3 aarch64 s MIT built=n t = 2:1.0-1.azl3,t(aarch-64) = 2:1.0-1.azl3",
		"t-devel 2:2.0-1.azl3 aarch64 dev BSD built=y t-devel = 2:2.0-1.azl3,t-devel(aarch-64) = 2:2.0-1.azl3",
		"other 2:1.0-1.azl3 noarch o MIT built=y other = 2:1.0-1.azl3",
	})
	_, err := evaluator(t, "x86_64").Evaluate(writeSpec(t, header+"%description\nd\n%package x\nLicense: GPL\n%description x\nd\n", nil), 1)
	if err == nil || !strings.Contains(err.Error(), "Summary field must be present in package: t-x") {
		t.Errorf("subpackage without Summary: got %v", err)
	}
}

func TestBuildArchNoarchReparses(t *testing.T) {
	// BuildArch in the main package makes rpm parse the spec again with
	// %_target_cpu = noarch: %ifarch noarch holds and no package gets an
	// arch-specific provide.
	s := evalText(t, "x86_64", header+`BuildArch: noarch
%ifarch noarch
Requires: seen-noarch
%endif
%ifarch x86_64
Requires: seen-x86_64
%endif
%description
d
`)
	eq(t, "requires", depStrings(s.Packages[0].Requires, false), []string{"seen-noarch"})
	eq(t, "provides", depStrings(s.Packages[0].Provides, false), []string{"t = 1.0-1"})
	eq(t, "buildarchs", s.BuildArchs, []string{"noarch"})
	if s.Packages[0].Arch != "noarch" {
		t.Errorf("arch = %s, want noarch", s.Packages[0].Arch)
	}
}

func TestConditionals(t *testing.T) {
	// %if/%elif/%else with rpm expressions, %ifarch/%elifarch/%ifnarch
	// against %_target_cpu, and nothing in a false branch is expanded
	// (its %(...) never runs, its %check does not count).
	text := `%bcond_with foo
%bcond_without bar
%global g1 %{?with_foo:yes}%{!?with_foo:no}
%define d1 %{with bar}
%undefine d1
` + header + `URL: http://e.org/%{name}
%if 0%{?azl} >= 3 && "%{_arch}" == "x86_64"
Requires: if-true
%elif 1
Requires: elif-taken
%else
Requires: else-taken
%endif
%ifarch aarch64
Requires: on-arm
%elifarch x86_64 %{ix86}
Requires: on-x86
%endif
%ifnarch x86_64
Requires: not-x86
%endif
%if 0
%check
Requires: %(echo never)
%endif
Requires: g1-%{g1}, d1-%{?d1}x, bar-%{with bar}
%description
d
`
	for arch, want := range map[string][]string{
		"x86_64":  {"bar-1", "d1-x", "g1-no", "if-true", "on-x86"},
		"aarch64": {"bar-1", "d1-x", "elif-taken", "g1-no", "not-x86", "on-arm"},
	} {
		s := evalText(t, arch, text)
		eq(t, arch+" requires", depStrings(s.Packages[0].Requires, false), want)
		if s.HasCheck {
			t.Errorf("%s: %%check in a false %%if counted", arch)
		}
		if s.URL != "http://e.org/t" {
			t.Errorf("URL = %q", s.URL)
		}
	}
}

func TestConditionalErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{header + "%else\n%description\nd\n", "t.spec:6: %else with no %if"},
		{header + "%if 1\n%else\n%else\n%endif\n%description\nd\n", "t.spec:8: %else after %else"},
		{header + "%if 1\n%description\nd\n", "t.spec:6: unclosed %if"},
		{header + "%if 1 +\n%endif\n%description\nd\n", "t.spec:6: bad %if condition"},
		{header + "%ifarch \n%endif\n%description\nd\n", "t.spec:6: argument expected"},
		// "%ifarch" with nothing after it is no conditional (rpm wants a
		// blank after the keyword), so it is an unknown preamble tag.
		{header + "%ifarch\n%endif\n%description\nd\n", "t.spec:6: unknown tag: %ifarch"},
		{header + "Bogus: x\n%description\nd\n", "t.spec:6: unknown tag"},
		{header + "%description\nd\n%files foo\n", "t.spec:8: %files foo: package t-foo does not exist"},
	} {
		_, err := evaluator(t, "x86_64").Evaluate(writeSpec(t, c.text, nil), 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got error %v, want %q", err, c.want)
		}
	}
}

func TestContinuationsAndInclude(t *testing.T) {
	// A line with an unclosed %{ is joined with the next before expansion;
	// a conditional continues over a backslash-newline; %include reads a
	// file; a %check produced by a macro counts.
	path := writeSpec(t, `%include inc.spec
`+header+`Requires: %{shrink:
 x }
%if 1 && \
    0
Requires: not-taken
%endif
Requires: %{incdep}
%description
d
%define mcheck %%check
%mcheck
echo
`, map[string]string{"inc.spec": "%global incdep from-include\n"})
	s, err := evaluator(t, "x86_64").Evaluate(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "requires", depStrings(s.Packages[0].Requires, false), []string{"from-include", "x"})
	if !s.HasCheck {
		t.Error("a check line produced by a macro was not counted")
	}
}

func TestShell(t *testing.T) {
	// %(...) runs bash in an empty directory (files next to the spec are
	// reached through %{_sourcedir}); perl -V:version answers
	// Azure Linux 3.0's perl version.
	path := writeSpec(t, header+`Requires: sh-%(echo hi | tr a-z A-Z), dir-%(cat %{_sourcedir}/local.txt)-%(ls | wc -l), perl-%(eval "`+"`perl -V:version`"+`"; echo $version)
%description
d
`, map[string]string{"local.txt": "here\n"})
	s, err := evaluator(t, "x86_64").Evaluate(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "requires", depStrings(s.Packages[0].Requires, false), []string{"dir-here-0", "perl-5.38.2", "sh-HI"})
}

func TestWithCheck(t *testing.T) {
	// %with_check is defined per evaluation.
	path := writeSpec(t, header+"%if %{with_check}\nBuildRequires: check-dep\n%endif\n%description\nd\n", nil)
	for wc, want := range map[int][]string{1: {"check-dep"}, 0: nil} {
		s, err := evaluator(t, "x86_64").Evaluate(path, wc)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "buildrequires", depStrings(s.BuildRequires, false), want)
	}
}

func TestChangelog(t *testing.T) {
	// The first entry's date is kept (noon UTC for the short form); a bad
	// date is reported but, as in rpm, does not fail the parse.
	s := evalText(t, "x86_64", header+`%description
d
%changelog
* Tue Feb 13 2024 A <a@b> - 1
- x
* Mon Jan 01 2024 A <a@b> - 1
- x
`)
	if want := time.Date(2024, 2, 13, 12, 0, 0, 0, time.UTC); !s.ChangelogTime.Equal(want) {
		t.Errorf("changelog time = %v, want %v", s.ChangelogTime, want)
	}
	s = evalText(t, "x86_64", header+"%description\nd\n%changelog\n* Tue July 30 2024 A <a@b> - 1\n- x\n")
	if len(s.Warnings) != 1 || !s.ChangelogTime.IsZero() {
		t.Errorf("bad date: warnings %q, time %v", s.Warnings, s.ChangelogTime)
	}
	s = evalText(t, "x86_64", header+"%description\nd\n%changelog\n* Thu Oct  6 06:48:39 UTC 2016 A <a@b> - 1\n- x\n")
	if want := time.Date(2016, 10, 6, 6, 48, 39, 0, time.UTC); !s.ChangelogTime.Equal(want) {
		t.Errorf("long date: %v, want %v", s.ChangelogTime, want)
	}
}

func TestDepType(t *testing.T) {
	for _, c := range []struct {
		f    Sense
		want string
	}{
		{0, "manual"},
		{SenseScriptPost | SenseInterp, "post,interp"},
		{SenseInterp | SensePosttrans, "interp,posttrans"},
		{SenseRPMLib | SenseLess | SenseEqual, "rpmlib"},
		{SenseMeta, "meta"},
		{SenseScriptPost | SenseScriptPostun, "post,postun"},
	} {
		if got := c.f.DepType(); got != c.want {
			t.Errorf("%#x: got %q, want %q", c.f, got, c.want)
		}
	}
}

func TestMarshalJSONLikePython(t *testing.T) {
	// json.dump(indent=1, sort_keys=True, ensure_ascii=False)
	got := string(MarshalJSON(map[string]any{
		"b": []any{}, "a": "é\"\\\n\t\x01\u2028<&>", "c": map[string]any{}, "d": []any{int64(1), nil, true},
	}))
	want := "{\n \"a\": \"é\\\"\\\\\\n\\t\\u0001\u2028<&>\",\n \"b\": [],\n \"c\": {},\n \"d\": [\n  1,\n  null,\n  true\n ]\n}\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReportDeterministic(t *testing.T) {
	path := writeSpec(t, header+"Requires: b, a, c\nSource: x\n%description\nd\n%files\n", nil)
	ev := evaluator(t, "x86_64")
	var first []byte
	for i := 0; i < 3; i++ {
		doc, err := ev.EvaluateReport(path, 1)
		if err != nil {
			t.Fatal(err)
		}
		b := MarshalJSON(doc)
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("report differs between runs:\n%s\n%s", first, b)
		}
	}
}

func TestParseFilesBatch(t *testing.T) {
	// One bad spec does not stop the others; its report says ok false.
	dir := t.TempDir()
	good := writeSpec(t, header+"%description\nd\n%files\n", nil)
	bad := filepath.Join(dir, "bad.spec")
	if err := os.WriteFile(bad, []byte(header+"%if 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	err := ParseFiles(BatchOptions{Options: Options{Arch: "x86_64", Defines: DistroDefines}, WithCheck: 1, OutDir: out}, []string{bad, good})
	if err == nil || !strings.Contains(err.Error(), "bad.spec:6: unclosed %if") {
		t.Errorf("ParseFiles error = %v", err)
	}
	b, rerr := os.ReadFile(filepath.Join(out, "t.json"))
	if rerr != nil || !strings.Contains(string(b), `"ok": true`) {
		t.Errorf("good spec report: %v\n%s", rerr, b)
	}
	b, rerr = os.ReadFile(filepath.Join(out, "bad.json"))
	if rerr != nil || !strings.Contains(string(b), `"ok": false`) {
		t.Errorf("bad spec report: %v\n%s", rerr, b)
	}
}

func TestDuplicateTags(t *testing.T) {
	// A second Summary only warns (the last wins); a second License,
	// Version, URL or Epoch fails the package.
	s := evalText(t, "x86_64", header+"Summary: second\n%description\nd\n")
	if s.Summary != "second" {
		t.Errorf("summary = %q, want the last one", s.Summary)
	}
	for _, line := range []string{"License: B", "Version: 2", "URL: a\nURL: b", "Epoch: 1\nEpoch: 2"} {
		_, err := evaluator(t, "x86_64").Evaluate(writeSpec(t, header+line+"\n%description\nd\n", nil), 1)
		if err == nil || !strings.Contains(err.Error(), "Duplicate") {
			t.Errorf("%q: got %v, want a Duplicate error", line, err)
		}
	}
}

func TestLuaSourceTables(t *testing.T) {
	// rpm's spec Lua globals sources/patches/source_nums/patch_nums list
	// what has been declared so far; %autopatch applies patches from them.
	s := evalText(t, "x86_64", header+`Source0: a.tar.gz
Patch0: zero.patch
Patch7: seven.patch
Provides: n-%{lua: print(#patches .. "-" .. patch_nums[2] .. "-" .. source_nums[1])}
%description
d
%prep
%autopatch
`)
	eq(t, "provides", depStrings(s.Packages[0].Provides, false), []string{"n-2-7-0", "t = 1.0-1", "t(x86-64) = 1.0-1"})
	if !strings.Contains(s.Parsed, "seven.patch") {
		t.Errorf("%%autopatch did not apply seven.patch:\n%s", s.Parsed)
	}
}

func TestLuaSourceTablesThroughMacro(t *testing.T) {
	// A macro defined outside the spec that wraps %autopatch still sees
	// every patch.
	ev, err := NewEvaluator(Options{Arch: "x86_64", Defines: []string{"apply_all %{autopatch -p1}"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ev.Evaluate(writeSpec(t, header+"Patch0: zero.patch\nPatch1: one.patch\n%description\nd\n%prep\n%apply_all\n", nil), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Parsed, "zero.patch") || !strings.Contains(s.Parsed, "one.patch") {
		t.Errorf("patches not applied:\n%s", s.Parsed)
	}
}

func TestConditionExpandedOnce(t *testing.T) {
	// rpm expands an %if line once, then evaluates it without expanding
	// again: "%%{x}" becomes the text "%{x}", which is not "%{z}".
	s := evalText(t, "x86_64", "%global x 1\n%global z 1\n"+header+`%if "%%{x}" == "%%{z}"
Requires: expanded-twice
%else
Requires: expanded-once
%endif
%description
d
`)
	eq(t, "requires", depStrings(s.Packages[0].Requires, false), []string{"expanded-once"})
}

// TestRenderReport checks the report RenderReport writes: in
// MarshalJSON's canonical form (keys sorted, Python's layout), with the
// values of the Spec.
func TestRenderReport(t *testing.T) {
	s := evalText(t, "x86_64", "Name: r\nEpoch: 2\nVersion: 1.0\nRelease: 1\nSummary: s \"q\"\nLicense: MIT\nURL: https://x\n"+
		"Source0: https://x/r-1.0.tar.gz\nSource3: extra\nNoSource: 3\nPatch1: fix.patch\nBuildRequires: gcc >= 12, make\n"+
		"BuildConflicts: bad\nExclusiveArch: x86_64 aarch64\nRequires: lib(x) = 1\nRequires(post): sh\nProvides: p\n"+
		"%description\nd\n%package sub\nSummary: sub\nObsoletes: old < 2\nRecommends: r\n%description sub\nd\n%files\n%files sub\n%check\n")
	doc := RenderReport(s, s, "x86_64")
	got, err := decodeJSON(doc)
	if err != nil {
		t.Fatalf("decoding: %v\n%s", err, doc)
	}
	if canon := MarshalJSON(got); string(canon) != string(doc) {
		t.Errorf("not in canonical form:\n%s", lineDiff(doc, canon))
	}
	for key, want := range map[string]any{
		"name": "r", "epoch": int64(2), "url": "https://x", "summary": `s "q"`, "has_check_section": true,
		"exclusivearch": []any{"x86_64", "aarch64"}, "nosource": []any{int64(3)}, "buildconflicts": []any{"bad"},
	} {
		if g := MarshalJSON(got[key]); string(g) != string(MarshalJSON(want)) {
			t.Errorf("%s = %s, want %s", key, g, MarshalJSON(want))
		}
	}
	pkgs, _ := got["packages"].([]any)
	if len(pkgs) != 2 {
		t.Fatalf("packages: %d, want 2", len(pkgs))
	}
	sub, _ := pkgs[1].(map[string]any)
	if string(MarshalJSON(sub["obsoletes"])) != string(MarshalJSON([]any{"old < 2"})) || sub["summary"] != "sub" {
		t.Errorf("sub package: %s", MarshalJSON(sub))
	}
}

// TestWithCheckShortcut checks that a spec is evaluated a second time,
// with with_check 0, exactly when the first evaluation looked at
// %with_check, however indirectly, and that the reports agree with two
// evaluations made regardless.
func TestWithCheckShortcut(t *testing.T) {
	ev := evaluator(t, "x86_64")
	for _, c := range []struct {
		body string
		uses bool
	}{
		{"BuildRequires: a\n", false},
		{"%if 0%{?with_check}\nBuildRequires: check\n%endif\n", true},
		{"%global wc %{expand:%%{with_check}}\n%if %{wc}\nBuildRequires: check\n%endif\n", true},
		{"BuildRequires: %{lua: if rpm.expand('%{with_check}') == '1' then print('check') else print('none') end}\n", true},
		{"%define with_check 1\nBuildRequires: x\n", true},
		{"%{!?with_checks:%global z 1}\nBuildRequires: with_check\n", false},
	} {
		path := writeSpec(t, header+c.body+"%description\nd\n", nil)
		text, err := readSpec(path)
		if err != nil {
			t.Fatal(err)
		}
		_, used, err := ev.evaluateWatched(path, text, 1, nil)
		if err != nil {
			t.Fatalf("%q: %v", c.body, err)
		}
		if used != c.uses {
			t.Errorf("%q: looked at %%with_check: %v, want %v", c.body, used, c.uses)
		}
		s1, nc1, err1 := ev.evaluatePair(path, 1, false, nil)
		s2, nc2, err2 := ev.evaluatePair(path, 1, true, nil)
		if err1 != nil || err2 != nil {
			t.Fatalf("%q: %v, %v", c.body, err1, err2)
		}
		if a, b := RenderReport(s1, nc1, "x86_64"), RenderReport(s2, nc2, "x86_64"); string(a) != string(b) {
			t.Errorf("%q: the shortcut changes the report:\n%s", c.body, lineDiff(a, b))
		}
	}
}
