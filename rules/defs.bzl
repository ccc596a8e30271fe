"""Keel's public Starlark API.

BUILD files load Keel's rules from this file only. It re-exports them from
//rules/private, whose contents may change at any time.
"""

load("//rules/private:buildroot.bzl", _rpm_buildroot = "rpm_buildroot")
load(
    "//rules/private:image.bzl",
    _OciLayoutInfo = "OciLayoutInfo",
    _disk_image = "disk_image",
    _iso_image = "iso_image",
    _oci_image = "oci_image",
    _oci_image_index = "oci_image_index",
)
load("//rules/private:providers.bzl", _RootfsInfo = "RootfsInfo", _RpmBuildRootInfo = "RpmBuildRootInfo", _RpmInfo = "RpmInfo")
load("//rules/private:repo.bzl", _rpm_repo = "rpm_repo")
load("//rules/private:rootfs.bzl", _rootfs = "rootfs")
load("//rules/private:rpm_package.bzl", _rpm_package = "rpm_package")
load("//rules/private:toolchain.bzl", _platform_filegroup = "platform_filegroup", _rpm_toolchain = "rpm_toolchain")

RpmInfo = _RpmInfo
RpmBuildRootInfo = _RpmBuildRootInfo
rpm_buildroot = _rpm_buildroot
rpm_package = _rpm_package
rpm_toolchain = _rpm_toolchain
RootfsInfo = _RootfsInfo
OciLayoutInfo = _OciLayoutInfo
rpm_repo = _rpm_repo
rootfs = _rootfs
oci_image = _oci_image
oci_image_index = _oci_image_index
iso_image = _iso_image
disk_image = _disk_image
platform_filegroup = _platform_filegroup
