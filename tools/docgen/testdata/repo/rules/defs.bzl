"""The public API of the demo rules."""

load("//rules/private:macros.bzl", _bundle = "bundle", _helped = "helped", _undocumented = "undocumented", _wrapper = "wrapper")
load("//rules/private:rules.bzl", _GizmoInfo = "GizmoInfo", _LegacyInfo = "LegacyInfo", _gizmo = "gizmo", _runner = "runner_rule")

GizmoInfo = _GizmoInfo
LegacyInfo = _LegacyInfo
gizmo = _gizmo
runner = _runner
bundle = _bundle
wrapper = _wrapper
helped = _helped
undocumented = _undocumented
VERSION = "1.2"
_private = _gizmo
