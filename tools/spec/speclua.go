package spec

// rpm gives Lua code in a spec four global tables describing the sources
// and patches declared so far (build/speclua.c): sources/patches hold the
// %{_sourcedir} paths, source_nums/patch_nums their numbers. %autopatch
// reads them. The engine queues these changes and makes them just before
// the next Lua chunk runs, so a spec that runs no Lua never starts an
// interpreter.

// luaTables are the tables, in rpm's order. Every interpreter of a spec
// engine starts with them (macro.Options.LuaTables).
var luaTables = []string{"sources", "patches", "source_nums", "patch_nums"}

// luaInit empties the tables, as rpm does when a spec is opened.
func (p *parser) luaInit() {
	p.eng.ResetLuaTables(luaTables...)
}

// luaAddSource appends a declared source or patch, as rpm's addLuaSource.
func (p *parser) luaAddSource(path string, num uint32, patch bool) {
	what, nums := "sources", "source_nums"
	if patch {
		what, nums = "patches", "patch_nums"
	}
	p.eng.AppendLuaTable(what, path)
	p.eng.AppendLuaTable(nums, num)
}
