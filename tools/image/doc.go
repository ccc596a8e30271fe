// Package image is the last stage of Keel: it turns a deterministic
// root-filesystem tar into artifacts a machine or a container runtime can
// start. Each output kind has its own package:
//
//   - oci: OCI image layouts, docker-loadable tarballs and multi-arch indexes
//     (go-containerregistry);
//   - initramfs: a rootfs tar as a gzip newc cpio the kernel unpacks;
//   - iso: a hybrid ISO 9660 image that boots under UEFI (systemd-boot) and
//     BIOS (isolinux);
//   - disk: a GPT disk with an EFI system partition and an ext4 root, as raw,
//     fixed VHD, dynamic VHDX and qcow2.
//
// Every builder is reproducible: the same inputs and epoch give the same
// bytes. Host tools (xorriso, mkfs.fat, mtools, mkfs.ext4, debugfs, sfdisk,
// qemu-img) run with fixed options and a fixed environment; formats whose
// host tools are not reproducible (VHD, VHDX) are written in Go. The boot
// loaders an image carries are inputs like the kernel: the builders default
// to Debian's install paths, and the Bazel rules pass the files of Debian
// packages pinned by sha256 (debs.lock.json beside this file).
package image
