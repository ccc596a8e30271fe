"""The test tree's distro macros."""

DIST_DEFINES = [
    "dist .keel1",
    "vendor_tag keel",
]
