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

//
// Creating a Lua state costs more than evaluating most specs, so the
// tables are created only before the first expansion of text that can
// reach them (see mayReadSourceTables); after that, queued additions are sent in
// one %{lua:} call before each expansion.

type luaSource struct {
	path  string
	num   uint32
	patch bool
}

type specLua struct {
	inited  bool
	pending []luaSource
}

func (p *parser) luaAddSource(path string, num uint32, patch bool) {
	p.lua.pending = append(p.lua.pending, luaSource{path, num, patch})
}

// sourceTableWords are the macros that read the tables: Lua itself, and
// rpm's %autopatch (also via %autosetup), %sources and %patches.
var sourceTableWords = map[string]bool{"lua": true, "autopatch": true, "autosetup": true, "sources": true, "patches": true}

// mayReadSourceTables reports whether expanding text can reach the tables:
// it (or, transitively, the body of a macro it names) names one of
// sourceTableWords. Text that builds macro names at expansion time ("%%")
// or nests too deeply counts as reaching them. Results for macro bodies
// are remembered in memo (keyed by the body text, so redefinitions are
// safe).
func (p *parser) mayReadSourceTables(text string, depth int) bool {
	if depth > 16 || strings.Contains(text, "%%") {
		return true
	}
	for i := strings.IndexByte(text, '%'); i >= 0; {
		j := i + 1
		for j < len(text) && (text[j] == '{' || text[j] == '?' || text[j] == '!') {
			j++
		}
		k := j
		for k < len(text) && (isAlnum(text[k]) || text[k] == '_') {
			k++
		}
		if name := text[j:k]; name != "" {
			if sourceTableWords[name] {
				return true
			}
			if body, ok := p.eng.Body(name); ok && strings.IndexByte(body, '%') >= 0 {
				v, ok := p.memo.Load(body)
				if !ok {
					v = p.mayReadSourceTables(body, depth+1)
					p.memo.Store(body, v)
				}
				if v.(bool) {
					return true
				}
			}
		}
		next := strings.IndexByte(text[k:], '%')
		if next < 0 {
			break
		}
		i = k + next
	}
	return false
}

// luaSync brings the Lua tables up to date before text is expanded.
func (p *parser) luaSync(text string) error {
	if p.lua.inited && len(p.lua.pending) == 0 {
		return nil
	}
	if !p.lua.inited && !p.mayReadSourceTables(text, 0) {
		return nil
	}
	var b strings.Builder
	b.WriteString("%{lua:")
	if !p.lua.inited {
		b.WriteString(" sources = {}; patches = {}; source_nums = {}; patch_nums = {};")
		p.lua.inited = true
	}
	for _, s := range p.lua.pending {
		what, nums := "sources", "source_nums"
		if s.patch {
			what, nums = "patches", "patch_nums"
		}
		b.WriteString(" table.insert(" + what + ", " + luaQuote(s.path) + "); table.insert(" +
			nums + ", " + strconv.FormatUint(uint64(s.num), 10) + ");")
	}
	b.WriteString("}")
	p.lua.pending = p.lua.pending[:0]
	_, err := p.eng.Expand(b.String())
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
