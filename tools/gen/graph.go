package gen

import (
	"sort"

	"github.com/keel-build/keel/tools/gen/internal/scc"
)

// Why an in-cycle edge was cut (see the package doc's cycle policy).
const (
	CutToolchain = "toolchain"        // rule 1: the toolchain's copy is used
	CutOverride  = "bootstrap"        // rule 2: gen.overrides.json names the edge
	CutChosen    = "bootstrap-needed" // rule 3: chosen by gen; needs a bootstrap build
)

// edge is one spec's build dependency on another (or itself), over all
// arches.
type edge struct {
	from, to  int
	reasons   []edgeReason
	cut       string // "" while the edge stands
	toolchain bool   // every requirement behind it is also met by the toolchain
}

type edgeReason struct {
	arch string
	res  resolution
}

// graph is the BuildRequires graph of the tree, nodes in label order.
type graph struct {
	specs []*specInfo
	node  map[*specInfo]int
	edges map[[2]int]*edge
	out   [][]int // successors over standing edges, sorted
}

func newGraph(specs []*specInfo) *graph {
	g := &graph{specs: specs, node: map[*specInfo]int{}, edges: map[[2]int]*edge{}}
	for i, s := range specs {
		g.node[s] = i
	}
	return g
}

func (g *graph) add(from *specInfo, arch string, r resolution) {
	k := [2]int{g.node[from], g.node[r.To]}
	e := g.edges[k]
	if e == nil {
		e = &edge{from: k[0], to: k[1], toolchain: true}
		g.edges[k] = e
	}
	e.reasons = append(e.reasons, edgeReason{arch, r})
	e.toolchain = e.toolchain && r.Toolchain
}

// standing recomputes the successor lists from the edges not cut.
func (g *graph) standing() {
	g.out = make([][]int, len(g.specs))
	for k, e := range g.edges {
		if e.cut == "" {
			g.out[k[0]] = append(g.out[k[0]], k[1])
		}
	}
	for _, s := range g.out {
		sort.Ints(s)
	}
}

// cycles returns the components that hold a cycle (more than one node, or
// a node depending on itself), over standing edges.
func (g *graph) cycles() [][]int {
	g.standing()
	var out [][]int
	for _, c := range scc.Components(len(g.specs), func(v int) []int { return g.out[v] }) {
		if len(c) > 1 || g.hasStanding(c[0], c[0]) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func (g *graph) hasStanding(a, b int) bool {
	e := g.edges[[2]int{a, b}]
	return e != nil && e.cut == ""
}

// inComponent lists the standing edges between nodes of comp, in order.
func (g *graph) inComponent(comp []int) []*edge {
	in := map[int]bool{}
	for _, v := range comp {
		in[v] = true
	}
	var out []*edge
	for _, v := range comp {
		for _, w := range g.out[v] {
			if in[w] {
				out = append(out, g.edges[[2]int{v, w}])
			}
		}
	}
	return out
}

// breakCycles applies the cycle policy until the graph is acyclic and
// returns the cycles found first (each with its edges, before any cut).
func (g *graph) breakCycles(boot []BootstrapOverride) [][]*edge {
	var found [][]*edge
	for _, c := range g.cycles() {
		found = append(found, g.inComponent(c))
	}
	// Rule 1: cut in-cycle edges the toolchain can stand in for.
	for _, es := range found {
		for _, e := range es {
			if e.toolchain {
				e.cut = CutToolchain
			}
		}
	}
	// Rule 2: the bootstrap entries of the overrides file.
	for _, c := range g.cycles() {
		for _, e := range g.inComponent(c) {
			for _, b := range boot {
				if b.From == g.specs[e.from].Label && b.To == g.specs[e.to].Label {
					e.cut = CutOverride
				}
			}
		}
	}
	// Rule 3: into the spec most of the component depends on (ties: the
	// first label), cut every in-component edge; repeat until acyclic.
	for {
		cs := g.cycles()
		if len(cs) == 0 {
			return found
		}
		for _, c := range cs {
			es := g.inComponent(c)
			deps := map[int]int{}
			for _, e := range es {
				deps[e.to]++
			}
			target := -1
			for _, v := range c {
				if target < 0 || deps[v] > deps[target] {
					target = v
				}
			}
			for _, e := range es {
				if e.to == target {
					e.cut = CutChosen
				}
			}
		}
	}
}
