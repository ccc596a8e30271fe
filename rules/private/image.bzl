"""Image rules: OCI image and index, bootable ISO, GPT disk image.

Each takes a rootfs target (RootfsInfo) and runs one `keel image` verb.
"""

load(":providers.bzl", "RootfsInfo", "RpmInfo")
load(":rootfs.bzl", "DEFAULT_EPOCH")

OciLayoutInfo = provider(
    doc = "An OCI image layout made by oci_image.",
    fields = {
        "layout": "File: the OCI layout directory.",
        "arch": "string: the rpm architecture of the image.",
    },
)

_OCI_ARCH = {"aarch64": "arm64", "x86_64": "amd64"}

_KEEL = attr.label(
    doc = "The keel tool.",
    default = "//tools/cmd/keel",
    executable = True,
    cfg = "exec",
)

_ROOTFS = attr.label(
    doc = "The rootfs target (RootfsInfo) the image is made of.",
    providers = [RootfsInfo],
    mandatory = True,
)

_EPOCH = attr.int(
    doc = "Unix time of every date in the image (SOURCE_DATE_EPOCH).",
    default = DEFAULT_EPOCH,
)

# The boot loaders put on images, from Debian packages pinned by sha256
# (tools/image/debs.lock.json, the `debs` extension of MODULE.bazel).
_SYSTEMD_BOOT = {
    "aarch64": "@debian_systemd_boot_efi_arm64//:usr/lib/systemd/boot/efi/systemd-bootaa64.efi",
    "x86_64": "@debian_systemd_boot_efi_amd64//:usr/lib/systemd/boot/efi/systemd-bootx64.efi",
}

_EFI_LOADER_ATTRS = {
    "efi_loader": attr.label(
        doc = "The UEFI boot loader, systemd-boot's EFI binary for the rootfs's architecture. " +
              "Default: Debian's systemd-boot-efi, pinned in tools/image/debs.lock.json.",
        allow_single_file = True,
    ),
    "_efi_loader_aarch64": attr.label(default = _SYSTEMD_BOOT["aarch64"], allow_single_file = True),
    "_efi_loader_x86_64": attr.label(default = _SYSTEMD_BOOT["x86_64"], allow_single_file = True),
}

def _efi_loader(ctx, arch):
    """The systemd-boot binary for arch: the efi_loader attribute, else the pinned one."""
    if ctx.file.efi_loader:
        return ctx.file.efi_loader
    if arch == "aarch64":
        return ctx.file._efi_loader_aarch64
    if arch == "x86_64":
        return ctx.file._efi_loader_x86_64
    fail("%s: no UEFI boot loader for architecture %r; set efi_loader" % (ctx.label, arch))

# The host tools the image verbs run (mkfs.fat, mkfs.ext4, sfdisk, ...)
# live in sbin, which Bazel's default action PATH leaves out.
_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

def _params(ctx):
    args = ctx.actions.args()
    args.use_param_file("@%s", use_always = True)
    args.set_param_file_format("multiline")
    return args

def _oci_image_impl(ctx):
    rootfs = ctx.attr.rootfs[RootfsInfo]
    layout = ctx.actions.declare_directory(ctx.label.name)
    tarball = ctx.actions.declare_file(ctx.label.name + ".tar")
    tag = ctx.attr.tag or "keel/%s:latest" % ctx.label.name
    args = ctx.actions.args()
    args.add("image")
    args.add("oci")
    params = _params(ctx)
    params.add("--layer", rootfs.tar)
    params.add("--arch", _OCI_ARCH[rootfs.arch])
    params.add_all(ctx.attr.entrypoint, before_each = "--entrypoint")
    params.add_all(ctx.attr.cmd, before_each = "--cmd")
    params.add_all(["%s=%s" % (k, ctx.attr.env[k]) for k in sorted(ctx.attr.env)], before_each = "--env")
    params.add_all(["%s=%s" % (k, ctx.attr.labels[k]) for k in sorted(ctx.attr.labels)], before_each = "--label")
    if ctx.attr.workdir:
        params.add("--workdir", ctx.attr.workdir)
    if ctx.attr.user:
        params.add("--user", ctx.attr.user)
    params.add("--created", str(ctx.attr.epoch))
    params.add("--tag", tag)
    params.add("--out-layout", layout.path)
    params.add("--out-tarball", tarball)
    ctx.actions.run(
        executable = ctx.executable._keel,
        arguments = [args, params],
        inputs = [rootfs.tar],
        outputs = [layout, tarball],
        mnemonic = "KeelOciImage",
        progress_message = "Writing OCI image %{label}",
    )
    return [
        DefaultInfo(files = depset([layout, tarball])),
        OutputGroupInfo(layout = depset([layout]), tarball = depset([tarball])),
        OciLayoutInfo(layout = layout, arch = rootfs.arch),
    ]

oci_image = rule(
    implementation = _oci_image_impl,
    doc = """An OCI image with the rootfs as its one layer: an OCI layout
directory named after the target, and `NAME.tar`, a tarball that
`docker load` and `podman load` read.""",
    attrs = {
        "rootfs": _ROOTFS,
        "entrypoint": attr.string_list(doc = "The image's entrypoint, argument by argument."),
        "cmd": attr.string_list(doc = "The image's default command (arguments of the entrypoint)."),
        "env": attr.string_dict(doc = "Environment variables."),
        "labels": attr.string_dict(doc = "Image labels (org.opencontainers.image.*, ...)."),
        "workdir": attr.string(doc = "Working directory of the container."),
        "user": attr.string(doc = "User the container runs as."),
        "tag": attr.string(doc = "Image name repo:tag, in the layout's index and the tarball; default keel/NAME:latest."),
        "epoch": _EPOCH,
        "_keel": _KEEL,
    },
)

_PLATFORMS = "//command_line_option:platforms"

def _platforms_split_impl(settings, attr):
    if not attr.platforms:
        return {"": {_PLATFORMS: settings[_PLATFORMS]}}
    return {str(p): {_PLATFORMS: [str(p)]} for p in attr.platforms}

# oci_image_index's `images`, built once for each of its `platforms`.
_platforms_split = transition(
    implementation = _platforms_split_impl,
    inputs = [_PLATFORMS],
    outputs = [_PLATFORMS],
)

def _oci_image_index_impl(ctx):
    layout = ctx.actions.declare_directory(ctx.label.name)
    arches = {}
    params = _params(ctx)
    for image in ctx.attr.images:
        info = image[OciLayoutInfo]
        if info.arch in arches:
            fail("oci_image_index %s: images: %s and %s are both %s; give one image per architecture" % (ctx.label, arches[info.arch], image.label, info.arch))
        arches[info.arch] = image.label
        params.add("--image", info.layout.path)
    if ctx.attr.tag:
        params.add("--tag", ctx.attr.tag)
    params.add("--out-layout", layout.path)
    ctx.actions.run(
        executable = ctx.executable._keel,
        arguments = [ctx.actions.args().add("image").add("oci-index"), params],
        inputs = [image[OciLayoutInfo].layout for image in ctx.attr.images],
        outputs = [layout],
        # go-containerregistry refuses layout blobs that are symlinks, which
        # is how a sandbox presents a tree artifact's files.
        execution_requirements = {"no-sandbox": "1"},
        mnemonic = "KeelOciIndex",
        progress_message = "Writing multi-arch OCI index %{label}",
    )
    return [DefaultInfo(files = depset([layout]))]

oci_image_index = rule(
    implementation = _oci_image_index_impl,
    doc = """A multi-architecture OCI image index over oci_image targets, as an OCI
layout directory named after the target. With `platforms`, each image is
built for each platform (one build makes every architecture).""",
    attrs = {
        "images": attr.label_list(
            doc = "oci_image targets: one per architecture, or with `platforms`, " +
                  "the images to build for each platform.",
            providers = [OciLayoutInfo],
            mandatory = True,
            cfg = _platforms_split,
        ),
        "platforms": attr.label_list(
            doc = "Target platforms (e.g. //platforms:x86_64, //platforms:aarch64) " +
                  "to build `images` for; empty: the current one.",
        ),
        "tag": attr.string(doc = "Ref name of the index in the layout."),
        "_keel": _KEEL,
    },
)

def _kernel_args(ctx, args):
    """Adds the kernel flags; returns the kernel file input, or None."""
    kernel = ctx.attr.kernel
    if kernel == None or RpmInfo in kernel:
        args.add("--kernel-from-rootfs", ctx.attr.kernel_path)
        return None
    files = kernel.files.to_list()
    if len(files) != 1:
        fail("%s: kernel: %s gives %d files; give one kernel file, or a kernel package (RpmInfo) installed in the rootfs" % (ctx.label, kernel.label, len(files)))
    args.add("--kernel", files[0])
    return files[0]

def _iso_image_impl(ctx):
    rootfs = ctx.attr.rootfs[RootfsInfo]
    out = ctx.actions.declare_file(ctx.label.name + ".iso")
    params = _params(ctx)
    params.add("--rootfs", rootfs.tar)
    inputs = [rootfs.tar]
    kernel = _kernel_args(ctx, params)
    if kernel:
        inputs.append(kernel)
    params.add("--cmdline", ctx.attr.cmdline)
    params.add("--arch", _OCI_ARCH[rootfs.arch])
    if ctx.attr.volume_id:
        params.add("--volume-id", ctx.attr.volume_id)
    loader = _efi_loader(ctx, rootfs.arch)
    params.add("--efi-loader", loader)
    inputs.append(loader)
    if ctx.attr.bios and rootfs.arch == "x86_64":
        for flag, f in [
            ("--isolinux", ctx.file.isolinux),
            ("--isohybrid-mbr", ctx.file.isohybrid_mbr),
            ("--ldlinux", ctx.file.ldlinux),
        ]:
            params.add(flag, f)
            inputs.append(f)
    else:
        params.add("--no-bios")
    params.add("--epoch", str(ctx.attr.epoch))
    params.add("--out", out)
    ctx.actions.run(
        executable = ctx.executable._keel,
        arguments = [ctx.actions.args().add("image").add("iso"), params],
        inputs = inputs,
        outputs = [out],
        env = _ENV,
        mnemonic = "KeelIso",
        progress_message = "Writing ISO image %{label}",
    )
    return [DefaultInfo(files = depset([out]))]

_KERNEL_ATTRS = {
    "kernel": attr.label(
        doc = "The kernel: a file (bzImage with the EFI stub), or a kernel package (RpmInfo) that the rootfs installs, " +
              "found in the rootfs at kernel_path. Unset: found in the rootfs at kernel_path.",
        allow_files = True,
    ),
    "kernel_path": attr.string(
        doc = "Pattern of the kernel's path in the rootfs (exactly one file must match).",
        default = "boot/vmlinuz-*",
    ),
    "cmdline": attr.string(
        doc = "Kernel command line.",
        default = "console=tty0 console=ttyS0",
    ),
}

iso_image = rule(
    implementation = _iso_image_impl,
    doc = """A hybrid ISO (NAME.iso) that boots the rootfs as an initramfs under
UEFI (systemd-boot) and, on x86_64, BIOS (isolinux). Every file on it is a
declared input: the boot loaders default to Debian's, pinned by sha256.
Reproducible: the same inputs and epoch give the same bytes.""",
    attrs = dict(_KERNEL_ATTRS, **dict(_EFI_LOADER_ATTRS, **{
        "rootfs": _ROOTFS,
        "volume_id": attr.string(doc = "ISO volume label, at most 32 characters; default KEEL."),
        "bios": attr.bool(doc = "Also boot under BIOS (isolinux; x86_64 only).", default = True),
        "isolinux": attr.label(
            doc = "isolinux.bin, the El Torito BIOS boot loader. Default: Debian's isolinux, pinned in tools/image/debs.lock.json.",
            default = "@debian_isolinux//:usr/lib/ISOLINUX/isolinux.bin",
            allow_single_file = True,
        ),
        "isohybrid_mbr": attr.label(
            doc = "isohdpfx.bin, the MBR that boots the ISO from a disk under BIOS. Default: Debian's isolinux.",
            default = "@debian_isolinux//:usr/lib/ISOLINUX/isohdpfx.bin",
            allow_single_file = True,
        ),
        "ldlinux": attr.label(
            doc = "ldlinux.c32, the isolinux core module of the same syslinux version as isolinux. " +
                  "Default: Debian's syslinux-common, pinned in tools/image/debs.lock.json.",
            default = "@debian_syslinux_common//:usr/lib/syslinux/modules/bios/ldlinux.c32",
            allow_single_file = True,
        ),
        "epoch": _EPOCH,
        "_keel": _KEEL,
    })),
)

_DISK_FORMATS = {"qcow2": "--out-qcow2", "raw": "--out-raw", "vhd": "--out-vhd", "vhdx": "--out-vhdx"}

def _disk_image_impl(ctx):
    rootfs = ctx.attr.rootfs[RootfsInfo]
    if not ctx.attr.formats:
        fail("disk_image %s: formats is empty; give at least one of %s" % (ctx.label, sorted(_DISK_FORMATS)))
    params = _params(ctx)
    params.add("--rootfs", rootfs.tar)
    inputs = [rootfs.tar]
    kernel = _kernel_args(ctx, params)
    if kernel:
        inputs.append(kernel)
    if ctx.file.initrd:
        params.add("--initrd", ctx.file.initrd)
        inputs.append(ctx.file.initrd)
    params.add("--cmdline", ctx.attr.cmdline)
    params.add("--arch", _OCI_ARCH[rootfs.arch])
    loader = _efi_loader(ctx, rootfs.arch)
    params.add("--efi-loader", loader)
    inputs.append(loader)
    if ctx.attr.root_size:
        params.add("--root-size", ctx.attr.root_size)
    if ctx.attr.esp_size:
        params.add("--esp-size", ctx.attr.esp_size)
    params.add("--epoch", str(ctx.attr.epoch))
    outs = []
    for f in ctx.attr.formats:
        if f not in _DISK_FORMATS:
            fail("disk_image %s: formats: %r is not a format; use %s" % (ctx.label, f, sorted(_DISK_FORMATS)))
        out = ctx.actions.declare_file("%s.%s" % (ctx.label.name, f))
        params.add(_DISK_FORMATS[f], out)
        outs.append(out)
    ctx.actions.run(
        executable = ctx.executable._keel,
        arguments = [ctx.actions.args().add("image").add("disk"), params],
        inputs = inputs,
        outputs = outs,
        env = _ENV,
        mnemonic = "KeelDisk",
        progress_message = "Writing disk image %{label}",
    )
    return [
        DefaultInfo(files = depset(outs)),
        OutputGroupInfo(**{f: depset([o]) for f, o in zip(ctx.attr.formats, outs)}),
    ]

disk_image = rule(
    implementation = _disk_image_impl,
    doc = """A GPT disk that boots under UEFI: an EFI system partition
(systemd-boot, the kernel, the optional initrd) and an ext4 root partition
made from the rootfs; written as NAME.raw, NAME.vhd (fixed), NAME.vhdx
(dynamic) and NAME.qcow2, as `formats` asks. root=PARTUUID=... is added to
the command line unless it has root=.""",
    attrs = dict(_KERNEL_ATTRS, **dict(_EFI_LOADER_ATTRS, **{
        "rootfs": _ROOTFS,
        "initrd": attr.label(
            doc = "An initramfs that mounts the root partition; unset for a kernel with the disk and ext4 drivers built in.",
            allow_single_file = True,
        ),
        "formats": attr.string_list(
            doc = "Output formats: raw, vhd, vhdx, qcow2.",
            default = ["raw", "vhd", "vhdx", "qcow2"],
        ),
        # Not "size": Bazel reserves that name for tests' sizes.
        "root_size": attr.string(doc = "Root partition size, e.g. \"512M\" or \"2G\"; empty: fit the rootfs."),
        "esp_size": attr.string(doc = "EFI system partition size, e.g. \"128M\"; empty: fit the files (at least 64M)."),
        "epoch": _EPOCH,
        "_keel": _KEEL,
    })),
)
