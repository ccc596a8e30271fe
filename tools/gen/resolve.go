package gen

import (
	"fmt"
	"strings"
)

// What a requirement resolved to.
const (
	kindSpec       = "spec"
	kindToolchain  = "toolchain"
	kindIgnore     = "ignore"
	kindUnresolved = "unresolved"
	kindSelf       = "self" // only the requiring spec provides it
)

// resolution is the outcome for one BuildRequires entry (a leaf of a rich
// dependency counts as its own entry) on one arch.
type resolution struct {
	Req       string // as rendered by rpm
	Kind      string
	To        *specInfo
	RPM       string // the binary package that satisfies it (kindSpec, kindSelf)
	Via       string // tier name, or "override: REASON"
	Toolchain bool   // the toolchain satisfies it too
}

// resolver resolves requirements against one arch's index.
type resolver struct {
	ix      *index
	cfg     *config
	byLabel map[string]*specInfo
}

func (rs *resolver) toolchainSatisfies(r dep) bool {
	for _, t := range rs.cfg.toolchain {
		if t.satisfies(r) {
			return true
		}
	}
	return false
}

// resolveAll resolves the BuildRequires of s on the resolver's arch.
func (rs *resolver) resolveAll(s *specInfo, reqs []dep) []resolution {
	var out []resolution
	for _, r := range reqs {
		if strings.HasPrefix(r.Name, "(") {
			rich, err := parseRich(r.Name)
			if err != nil {
				out = append(out, resolution{Req: r.String(), Kind: kindUnresolved, Via: err.Error()})
				continue
			}
			out = append(out, rs.resolveRich(s, rich)...)
			continue
		}
		out = append(out, rs.resolve(s, r))
	}
	return out
}

// resolveRich resolves a boolean dependency: "or" takes its first operand
// that resolves, the others need every operand that may be needed (both
// branches of if/else, since the condition is about the build root).
func (rs *resolver) resolveRich(s *specInfo, r *rich) []resolution {
	if r.op == "" {
		return []resolution{rs.resolve(s, r.leaf)}
	}
	switch r.op {
	case "or":
		var first []resolution
		for i, a := range r.args {
			res := rs.resolveRich(s, a)
			if i == 0 {
				first = res
			}
			if allResolved(res) {
				return res
			}
		}
		return first
	case "if", "unless":
		out := rs.resolveRich(s, r.args[0])
		if len(r.args) == 3 {
			out = append(out, rs.resolveRich(s, r.args[2])...)
		}
		return out
	case "without":
		return rs.resolveRich(s, r.args[0])
	}
	var out []resolution // and, with
	for _, a := range r.args {
		out = append(out, rs.resolveRich(s, a)...)
	}
	return out
}

func allResolved(rs []resolution) bool {
	for _, r := range rs {
		if r.Kind == kindUnresolved {
			return false
		}
	}
	return true
}

// resolve applies, in order: an override, a provider in the tree other than
// s itself, the toolchain, s itself; else the requirement is unresolved.
func (rs *resolver) resolve(s *specInfo, r dep) resolution {
	res := resolution{Req: r.String(), Toolchain: rs.toolchainSatisfies(r)}
	if o := rs.override(s, r); o != nil {
		res.Via = "override: " + o.Reason
		switch o.Resolve {
		case ResolveToolchain:
			res.Kind = kindToolchain
		case ResolveIgnore:
			res.Kind = kindIgnore
		default:
			to := rs.byLabel[o.Resolve]
			if to == nil {
				res.Kind = kindUnresolved
				res.Via = fmt.Sprintf("override names %s, which is not a package of the tree", o.Resolve)
				return res
			}
			res.Kind, res.To = kindSpec, to
		}
		return res
	}
	m := rs.ix.lookup(r)
	if weakTier(m.tier) {
		m.providers = closest(r.Name, m.providers)
	}
	var best *provider
	self := false
	for i := range m.providers {
		p := &m.providers[i]
		if p.spec == s {
			self = true
			continue
		}
		if best == nil || p.spec.Label < best.spec.Label || p.spec == best.spec && p.pkg < best.pkg {
			best = p
		}
	}
	switch {
	case best != nil:
		res.Kind, res.To, res.RPM, res.Via = kindSpec, best.spec, best.pkg, tierNames[m.tier]
	case res.Toolchain:
		res.Kind, res.Via = kindToolchain, "toolchain"
	case self:
		res.Kind, res.To, res.Via = kindSelf, s, tierNames[m.tier]
		for _, p := range m.providers {
			if res.RPM == "" || p.pkg < res.RPM {
				res.RPM = p.pkg
			}
		}
	default:
		res.Kind, res.Via = kindUnresolved, "no package of the tree or the toolchain provides it"
	}
	return res
}

func (rs *resolver) override(s *specInfo, r dep) *RequireOverride {
	var global *RequireOverride
	for i := range rs.cfg.overrides.Requires {
		o := &rs.cfg.overrides.Requires[i]
		if o.Requirement != r.Name {
			continue
		}
		if o.Spec == s.Label {
			return o
		}
		if o.Spec == "" && global == nil {
			global = o
		}
	}
	return global
}
