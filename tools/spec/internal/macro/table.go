package macro

// Entry flags, as rpm's ME_*.
const (
	meAuto    = 1 << iota // automatic macro (%1, %*, %-f, ...)
	meUsed                // looked up (only tracked for scoped entries)
	meLiteral             // body is never expanded
	meParse               // builtin parsing its own raw arguments
	meFunc                // builtin
)

// entry is one definition of a macro. Entries are immutable once pushed
// (except meUsed on scoped entries, which are never shared), so that clones
// can share them.
type entry struct {
	name       string
	opts       string
	parametric bool // rpm: opts != NULL
	body       string
	fn         builtinFunc
	nargs      int
	flags      int
	level      int
	prev       *entry
}

// table maps names to their stack of definitions. base is shared between
// clones and never written; over holds this engine's changes (a nil value
// hides a base entry).
type table struct {
	base map[string]*entry
	over map[string]*entry

	// watch, if watching, is a name whose look-ups are noted in seen
	// (see Engine.Watch).
	watch          string
	watching, seen bool
}

// lookup is the one way to a definition: every use of a name (expansion,
// %{?name}, %define's check and push, %undefine, Lua's macros and
// rpm.isdefined, ...) goes through it, which is what makes Engine.Watch
// complete.
func (t *table) lookup(name string) *entry {
	if t.watching && name == t.watch {
		t.seen = true
	}
	if t.over != nil {
		if e, ok := t.over[name]; ok {
			return e
		}
	}
	return t.base[name]
}

func (t *table) set(name string, e *entry) {
	if t.over == nil {
		t.over = make(map[string]*entry)
	}
	t.over[name] = e
}

func (t *table) push(e *entry) {
	e.prev = t.lookup(e.name)
	t.set(e.name, e)
}

// pop removes the top definition of name and returns the one below.
func (t *table) pop(name string) *entry {
	e := t.lookup(name)
	if e == nil {
		return nil
	}
	t.set(name, e.prev)
	return e.prev
}

// freeze merges a large overlay into a new shared base so that clones copy
// only a small map.
func (t *table) freeze() {
	if len(t.over) < 64 {
		return
	}
	nb := make(map[string]*entry, len(t.base)+len(t.over))
	for k, v := range t.base {
		nb[k] = v
	}
	for k, v := range t.over {
		if v == nil {
			delete(nb, k)
		} else {
			nb[k] = v
		}
	}
	t.base = nb
	t.over = nil
}

// names returns every defined name (for Lua's pairs over macros and %dump).
func (t *table) names() []string {
	t.seen = t.seen || t.watching // every name is seen
	seen := make(map[string]bool)
	var out []string
	for k, v := range t.over {
		seen[k] = true
		if v != nil {
			out = append(out, k)
		}
	}
	for k := range t.base {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

func (e *Engine) push(me *entry) {
	if me.level > 0 {
		e.scoped = append(e.scoped, me.name)
	}
	e.tab.push(me)
}
