"""Stand-in for package_metadata: the rule accepts its attributes and does nothing."""

def _package_metadata_impl(_ctx):
    return []

_package_metadata = rule(
    implementation = _package_metadata_impl,
    attrs = {
        "attributes": attr.label_list(),
        "purl": attr.string(),
    },
)

def package_metadata(name, purl, attributes = [], visibility = None, **kwargs):
    """Declares a package_metadata target that carries no information.

    Args:
      name: the target's name.
      purl: the package URL, accepted and kept.
      attributes: accepted and kept.
      visibility: the target's visibility.
      **kwargs: other common attributes.
    """

    # Without applicable_licenses = [], the repository's default package
    # metadata (this very target) would apply to itself: a cycle.
    _package_metadata(
        name = name,
        purl = purl,
        attributes = attributes,
        visibility = visibility,
        applicable_licenses = [],
        **kwargs
    )
