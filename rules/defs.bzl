"""Keel's public Starlark API.

BUILD files load Keel's rules from this file only. It re-exports them from
//rules/private, whose contents may change at any time.
"""
