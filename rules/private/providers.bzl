"""Providers shared by Keel's rules: what one stage hands to the next."""

RpmInfo = provider(
    doc = "The RPMs a target contributes, and what rpm knows about them.",
    fields = {
        "rpms": "depset of File: the .rpm files this target produced (one package target: all its RPMs; a sub-package target: one).",
        "srpm": "File or None: the source RPM of an rpm_package.",
        "packages": "list of struct(name, epoch, version, release, arch, file): one per RPM in `rpms` produced by this target, its NEVRA as known at analysis time (epoch '' when none).",
        "metadata": "File or None: JSON `{\"packages\": [{\"file\", \"name\", \"epoch\", \"version\", \"release\", \"arch\", \"provides\", \"requires\", \"files\"}]}` read from the built RPMs' headers (provides and requires as `rpm -qp --provides/--requires` print them), one entry per RPM in `rpms`.",
        "transitive_rpms": "depset of File: `rpms` plus the RPMs of every target this one depends on at run time (what an image or a build root needs to install it).",
    },
)

RpmBuildRootInfo = provider(
    doc = "A pinned build root: the file system every rpmbuild action starts from.",
    fields = {
        "root": "File: the build root, a .tar.zst archive (or a directory artifact).",
        "sha256": "string: its content hash, as pinned.",
        "capabilities": "list of string: the package names and provides the root satisfies, so BuildRequires on them need no package target.",
        "defines": "list of string: 'NAME VALUE' macro definitions every build gets.",
    },
)

RootfsInfo = provider(
    doc = "A deterministic root file system tree, as a tar archive.",
    fields = {
        "tar": "File: the PAX tar of the tree.",
        "lock": "File: the JSON lock of the exact RPMs installed.",
        "arch": "string: the rpm architecture of the tree (x86_64, aarch64).",
    },
)
