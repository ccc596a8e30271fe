// Package macro implements rpm 4.18's macro language in pure Go, mirroring
// rpmio/macro.c, rpmio/expression.c and rpmio/rpmlua.c:
//
//   - expansion of %name, %{name}, %{?name}, %{!?name:x}, %{name:arg},
//     %{name args} and "%name args to end of line" calls, %%, %(shell),
//     %[expression], with rpm's rules for unknown macros (left as is);
//   - parametric macros with GNU getopt options (%0, %#, %*, %**, %1...,
//     %{-f}, %{-f*}), scoped %define inside a call (popped on return, with
//     rpm's "defined but not used within scope" warning) and %global;
//   - rpm 4.18's builtins table: define global undefine dnl expand quote
//     lua echo warn error verbose load basename dirname suffix exists shrink
//     getenv getconfdir getncpus url2path u2p uncompress S P macrobody
//     shescape expr dump trace (4.18 has no F, upper, len, sub, ...);
//   - macro files (rdcl line joining, \ continuations, %{...} bodies over
//     several lines), with errors reported and skipped as rpm does;
//   - the expression language of %if and %[...] (EvalBool, EvalExpr);
//   - Lua through gopher-lua (see lua.go for the choice): print buffers,
//     rpm.expand/define/undefine/isdefined/vercmp/..., posix.*, the macros
//     table, opt and arg in parametric macros, require from Options.LuaPath.
//
// Expansion is bounded (recursion depth, output size, number of steps, Lua
// run time, %(...) time and output), so runaway definitions end in an
// *Error instead of a hang. Engines are cheap to Clone: definitions live in
// a shared immutable base map plus a per-engine overlay, and the Lua state
// is created only when a Lua macro runs, or taken from the interpreters
// other engines released, reset to the state of a new one (luapool.go). Host facts (%getenv, %getncpus,
// posix.uname, the %(...) environment) come from Options, so that the same
// inputs give the same output on any machine.
package macro
