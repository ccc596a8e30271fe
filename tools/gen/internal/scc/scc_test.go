package scc

import (
	"reflect"
	"testing"
)

func TestComponents(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		edges [][2]int
		want  [][]int
	}{
		{"empty", 0, nil, nil},
		{"chain", 3, [][2]int{{0, 1}, {1, 2}}, [][]int{{2}, {1}, {0}}},
		{"self loop", 2, [][2]int{{0, 0}, {0, 1}}, [][]int{{1}, {0}}},
		{"two cycles joined", 6, [][2]int{{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 3}, {5, 5}},
			[][]int{{3, 4}, {0, 1, 2}, {5}}},
		{"diamond", 4, [][2]int{{0, 1}, {0, 2}, {1, 3}, {2, 3}}, [][]int{{3}, {1}, {2}, {0}}},
		{"big cycle", 5, [][2]int{{4, 3}, {3, 2}, {2, 1}, {1, 0}, {0, 4}}, [][]int{{0, 1, 2, 3, 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			adj := make([][]int, tc.n)
			for _, e := range tc.edges {
				adj[e[0]] = append(adj[e[0]], e[1])
			}
			got := Components(tc.n, func(v int) []int { return adj[v] })
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Components = %v, want %v", got, tc.want)
			}
		})
	}
}

// A long chain must not need a deep call stack.
func TestComponentsLongChain(t *testing.T) {
	const n = 200000
	got := Components(n, func(v int) []int {
		if v+1 < n {
			return []int{v + 1}
		}
		return []int{0}
	})
	if len(got) != 1 || len(got[0]) != n {
		t.Fatalf("got %d components, want one of %d nodes", len(got), n)
	}
}
