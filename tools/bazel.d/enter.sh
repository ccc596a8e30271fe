#!/usr/bin/env bash
# enter.sh ROOT [--bind PATH]... -- COMMAND [ARGS...]
#
# Runs COMMAND with ROOT as its root file system: /proc, /dev and /sys
# mounted, and each PATH (a directory or a file of the host) bind-mounted at
# the same path. tools/bazel.d/offline.sh starts it under `unshare --mount
# --propagation private`: every mount lives in that private mount namespace
# and disappears with its last process (the Bazel server included), so
# nothing is ever left mounted on the host and nothing needs unmounting.
#
# It switches root with pivot_root, not chroot: the namespace's root then is
# ROOT itself, and Linux lets its processes make user namespaces (it refuses
# them to a chrooted process, whose root differs from its namespace's), so
# keel's build sandbox runs as it does on a host, privileged or not.
set -euo pipefail

usage() {
  echo "enter.sh: $*; usage: enter.sh ROOT [--bind PATH]... -- COMMAND [ARGS...]" >&2
  exit 2
}
(($#)) || usage "no ROOT"
root=$(realpath -e -- "$1") || usage "ROOT $1 does not exist"
shift
binds=()
while (($#)) && [[ $1 != -- ]]; do
  [[ $1 == --bind ]] || usage "unexpected argument $1"
  (($# >= 2)) || usage "--bind without a PATH"
  [[ $2 == /* ]] || usage "--bind $2: want an absolute path"
  binds+=("$2")
  shift 2
done
(($# >= 2)) || usage "no -- COMMAND"
shift

# A bind's mount point must be inside ROOT: a symbolic link on its way
# (ROOT/var/run -> /run) would put the mount on the host instead.
for path in "${binds[@]}"; do
  target=$(realpath -m -- "$root$path")
  [[ $target == "$root"/* ]] || {
    echo "enter.sh: --bind $path: $root$path leads to $target, outside $root" >&2
    exit 2
  }
done

# A fresh, non-recursive bind of the tree: ROOT as a mount point of its own
# (pivot_root needs one), without whatever the host has mounted inside it.
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
for path in "${binds[@]}"; do
  if [[ -d $path ]]; then
    mkdir -p "$root$path"
  else
    mkdir -p "$(dirname "$root$path")"
    [[ -e $root$path || -L $root$path ]] || : >"$root$path"
  fi
  mount --bind "$path" "$root$path"
done

# The host's tree goes to ROOT/mnt (an empty folder of every Debian root)
# and is then detached: nothing of it stays reachable.
cd "$root"
pivot_root . mnt
cd /
umount -l /mnt
exec "$@"
