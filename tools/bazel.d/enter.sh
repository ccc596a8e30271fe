#!/usr/bin/env bash
# enter.sh ROOT [--bind PATH]... -- COMMAND [ARGS...]
#
# Runs COMMAND chrooted in ROOT with /proc, /dev and /sys mounted, and each
# PATH (a directory or a file of the host) bind-mounted at the same path.
# tools/bazel.d/offline.sh starts it under `unshare --mount --propagation
# private`: every mount lives in that private mount namespace and disappears
# with its last process (the Bazel server included), so nothing is ever left
# mounted on the host and nothing needs unmounting.
set -euo pipefail

root=$1
shift
binds=()
while [[ $1 != -- ]]; do
  [[ $1 == --bind ]] || {
    echo "enter.sh: unexpected argument $1" >&2
    exit 2
  }
  binds+=("$2")
  shift 2
done
shift

mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
for path in "${binds[@]}"; do
  if [[ -d $path ]]; then
    mkdir -p "$root$path"
  else
    mkdir -p "$(dirname "$root$path")"
    [[ -e $root$path ]] || : >"$root$path"
  fi
  mount --bind "$path" "$root$path"
done

exec chroot "$root" "$@"
