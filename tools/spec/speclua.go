package spec

import (
	"strconv"
	"strings"
)

// rpm gives Lua code in a spec four global tables describing the sources
// and patches declared so far (build/speclua.c): sources/patches hold the
// %{_sourcedir} paths, source_nums/patch_nums their numbers. %autopatch
// reads them. They are set up through %{lua:} so that they live in the
// spec's own Lua state.

func (p *parser) luaInit() error {
	_, err := p.eng.Expand("%{lua: sources = {}; patches = {}; source_nums = {}; patch_nums = {}}")
	return err
}

func (p *parser) luaAddSource(path string, num uint32, patch bool) error {
	what, nums := "sources", "source_nums"
	if patch {
		what, nums = "patches", "patch_nums"
	}
	_, err := p.eng.Expand("%{lua: table.insert(" + what + ", " + luaQuote(path) + "); table.insert(" +
		nums + ", " + strconv.FormatUint(uint64(num), 10) + ")}")
	return err
}

// luaQuote renders s as a Lua string literal that contains only letters,
// digits and decimal escapes, so it is safe inside %{lua:...}.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || c == '/' || c == '.' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			// three digits, so a following digit cannot extend the escape
			b.WriteByte('\\')
			b.WriteString(pad3(int(c)))
		}
	}
	b.WriteByte('"')
	return b.String()
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}
