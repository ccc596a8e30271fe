#!/usr/bin/env bash
# rootfs_test.sh FILE... REPO: FILE... are the rootfs target's files (the
# .tar and the .lock.json, in any order): checks what the rootfs rule put in the tree
# (resolved packages, host name, declared account, extra file) and that the
# rpm_repo's metadata lists the packages with sha256 checksums.
set -euo pipefail
tar= lock=
while (($# > 1)); do
  case $1 in
    *.tar) tar=$1 ;;
    *.lock.json) lock=$1 ;;
  esac
  shift
done
repo=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n $tar && -n $lock ]] || fail "want the rootfs .tar and .lock.json among the arguments"
for p in keeltest-filesystem keeltest-busybox keeltest-init; do
  grep -q "\"$p\"" "$lock" || fail "lock $lock lacks $p (resolved from keeltest-init's Requires)"
done
[[ $(tar -xOf "$tar" etc/hostname) == keeltest ]] || fail "etc/hostname is not keeltest"
tar -xOf "$tar" etc/passwd | grep -qx 'app:x:1000:1000::/home/app:/bin/sh' ||
  fail "etc/passwd lacks the declared user: $(tar -xOf "$tar" etc/passwd)"
tar -xOf "$tar" etc/group | grep -qx 'app:x:1000:' || fail "etc/group lacks the declared group"
[[ $(tar -xOf "$tar" etc/motd) == "Welcome to the Keel image test." ]] || fail "etc/motd is not the extra file"
listing=$(tar -tvf "$tar")
grep -q '^-rwxr-xr-x root/root .* init$' <<<"$listing" || fail "init missing or not root-owned 0755"

repomd=$repo/repodata/repomd.xml
[[ -f $repomd ]] || fail "no $repomd"
for t in primary filelists other; do
  grep -q "<data type=\"$t\">" "$repomd" || fail "repomd.xml lacks $t"
done
grep -q '<checksum type="sha256">' "$repomd" || fail "repomd.xml has no sha256 checksums"
primary=$(ls "$repo"/repodata/*-primary.xml.gz)
for p in keeltest-filesystem keeltest-busybox keeltest-init; do
  zcat "$primary" | grep -q "<name>$p</name>" || fail "primary.xml lacks $p"
  ls "$repo"/Packages/"$p"-1.0-1.*.rpm >/dev/null || fail "Packages/ lacks $p"
done
echo "PASS: rootfs and repository"
