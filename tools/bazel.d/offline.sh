# shellcheck shell=bash
# The offline Bazel environment of tools/bazel (sourced by it; see there).
#
# Where no Bazel >= 7 is installed, Keel runs Debian's bazel-bootstrap 7.7.1.
# It needs a newer glibc than Debian stable's, so it lives in a Debian sid
# chroot, provisioned once, step by step, under $KEEL_CACHE:
#
#   bazel-7.7.1/root/     the chroot (debootstrap + packages.txt)
#   bazel-7.7.1/shared/   bind-mounted at the same path inside the chroot:
#     modules/            rules_go and gazelle (from the Go module proxy) and
#                         the stand-in modules of tools/bazel.d/modules
#     output/             Bazel's --output_user_root, so bazel-bin and built
#                         binaries work on the host
#     disk-cache/         Bazel's --disk_cache
#   repository-cache/     Bazel's --repository_cache (see tools/bazel),
#                         bind-mounted at the same path inside the chroot
#   bazel-7.7.1/stamps/   one file per finished step, holding the step's key
#
# A step runs again only when its key changes (e.g. the hash of
# packages.txt). Every command (provisioning steps and each Bazel run) enters
# the chroot through tools/bazel.d/enter.sh in a private mount namespace of
# its own, with pivot_root, so that user namespaces work inside (keel's build
# sandbox needs them). A Bazel run binds the checkout's parent directory, the
# host's Go SDK, the shared directory and the repository cache at their own
# paths; the Bazel server it starts keeps that namespace. Nothing is mounted
# on the host, so nothing is ever left mounted there.

readonly BAZEL_VERSION=7.7.1
readonly CACHE=${KEEL_CACHE:-/var/cache/keel}
readonly ENV_DIR=$CACHE/bazel-$BAZEL_VERSION
readonly ROOT=$ENV_DIR/root
readonly SHARED=$ENV_DIR/shared
readonly MODULES=$SHARED/modules
readonly STAMPS=$ENV_DIR/stamps
readonly HERE=$WORKSPACE/tools/bazel.d
# Free space the first provisioning needs, in KiB (the chroot is ~2.2 GB).
readonly NEEDED_KIB=$((4 * 1024 * 1024))

# ---------------------------------------------------------------- helpers

# step_key STEP: prints the key of STEP; the step reruns when it changes.
step_key() {
  case $1 in
    bootstrap) echo "sid minbase v1" ;;
    packages) package_list | sha256sum | cut -d' ' -f1 ;;
    certs) cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum | cut -d' ' -f1 ;;
    modules)
      {
        echo "modules v1 rules_go=$(module_version rules_go) gazelle=$(module_version gazelle)"
        (cd "$HERE/modules" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
      } | sha256sum | cut -d' ' -f1
      ;;
    rc) system_rc | sha256sum | cut -d' ' -f1 ;;
  esac
}

readonly STEPS=(bootstrap packages certs modules rc)

step_done() { [[ -f $STAMPS/$1 && $(<"$STAMPS/$1") == "$(step_key "$1")" ]]; }
mark_done() { step_key "$1" >"$STAMPS/$1"; }

all_done() {
  local step
  for step in "${STEPS[@]}"; do step_done "$step" || return 1; done
}

# package_list: the packages of packages.txt, without comments, sorted.
package_list() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$HERE/packages.txt" | sort -u; }

# module_version NAME: the version of bazel_dep NAME in MODULE.bazel.
module_version() {
  sed -n -E "s/^bazel_dep\(name = \"$1\", version = \"([^\"]+)\".*/\1/p" "$WORKSPACE/MODULE.bazel"
}

# host_goroot: the host's Go SDK, which Bazel uses through go_sdk.host().
host_goroot() {
  command -v go >/dev/null || die "Go is needed (the go command on PATH; Keel uses Go 1.26)"
  go env GOROOT
}

# debian_mirror: the Debian archive this host's apt uses for its own release
# (deb822 .sources files first, then sources.list), or $KEEL_DEBIAN_MIRROR.
debian_mirror() {
  if [[ -n ${KEEL_DEBIAN_MIRROR:-} ]]; then
    echo "$KEEL_DEBIAN_MIRROR"
    return
  fi
  local codename mirror
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  mirror=$(awk -v want="$codename" '
    BEGIN { RS = ""; FS = "\n" }                 # one deb822 stanza a record
    {
      types = ""; uris = ""; suites = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/)  types = $i
        if ($i ~ /^URIs:/)   uris = $i
        if ($i ~ /^Suites:/) suites = $i
      }
      if (types ~ /[ \t]deb([ \t]|$)/ && (" " suites " ") ~ ("[ \t]" want "[ \t]")) {
        split(uris, u, /[ \t]+/); print u[2]; exit
      }
    }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [[ -z $mirror && -f /etc/apt/sources.list ]]; then
    mirror=$(awk -v want="$codename" '
      $1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == want) { print $i; exit }
      }' /etc/apt/sources.list)
  fi
  [[ -n $mirror ]] || die "no Debian mirror for '$codename' in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set KEEL_DEBIAN_MIRROR)"
  echo "$mirror"
}

# in_root CMD...: runs CMD in the chroot, in a private mount namespace.
in_root() {
  unshare --mount --propagation private -- "$HERE/enter.sh" "$ROOT" \
    --bind /etc/resolv.conf -- \
    /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# remove_tree DIR: deletes DIR after making sure nothing is mounted inside
# it or on it.
remove_tree() {
  local dir=$1
  [[ -e $dir ]] || return 0
  local mounts
  mounts=$(findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r)
  if [[ -n $mounts ]]; then
    log "unmounting what is left mounted under $dir"
    xargs -r -n1 umount -l <<<"$mounts"
  fi
  rm -rf --one-file-system "$dir"
}

check_host() {
  ((EUID == 0)) || die "no Bazel >= 7 on PATH, and provisioning one needs root (run as root, or install Bazel/Bazelisk)"
  [[ -f /etc/debian_version ]] || die "no Bazel >= 7 on PATH, and provisioning one needs a Debian host (install Bazel/Bazelisk)"
  [[ $(uname -m) == x86_64 ]] || die "provisioning Bazel is only supported on x86_64 (install Bazel/Bazelisk)"
  local avail
  mkdir -p "$CACHE" || die "cannot create $CACHE (set KEEL_CACHE to a writable folder)"
  avail=$(df -Pk "$CACHE" | awk 'NR == 2 { print $4 }')
  if ! step_done packages && ((avail < NEEDED_KIB)); then
    die "not enough disk space in $CACHE: $((avail / 1024)) MiB free, $((NEEDED_KIB / 1024)) MiB needed"
  fi
}

# ------------------------------------------------------------------ steps

provision_bootstrap() {
  local mirror partial=$ROOT.partial
  mirror=$(debian_mirror)
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  remove_tree "$partial"
  remove_tree "$ROOT"
  log "creating a Debian sid chroot from $mirror (about a minute)"
  # debootstrap mounts /proc and /sys in the target: keep them private.
  unshare --mount --propagation private -- \
    debootstrap --variant=minbase sid "$partial" "$mirror" >"$ENV_DIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $ENV_DIR/debootstrap.log"
  # The archive may be a frozen snapshot whose Release file has expired.
  cat >"$partial/etc/apt/apt.conf.d/90keel" <<'APT'
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT
  mv "$partial" "$ROOT"
}

provision_packages() {
  local packages
  mapfile -t packages < <(package_list)
  log "installing ${#packages[@]} packages and their dependencies in the chroot (a minute or two)"
  in_root sh -c 'apt-get update -qq && apt-get install -y -qq "$@" && apt-get clean' sh "${packages[@]}" \
    >"$ENV_DIR/apt.log" 2>&1 || die "apt-get failed in the chroot; see $ENV_DIR/apt.log"
}

# Hosts that intercept TLS add their CA certificates here; the Go tool in
# the chroot needs them to reach the module proxy.
provision_certs() {
  log "installing the host's extra CA certificates in the chroot"
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  find "$ROOT/usr/local/share/ca-certificates" -name '*.crt' -delete
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  fi
  in_root update-ca-certificates --fresh >/dev/null
}

# go_module_dir MODULE@VERSION: downloads a Go module, prints its directory.
go_module_dir() {
  (cd / && GOFLAGS= go mod download -json "$1") | sed -n -E 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p'
}

# copy_module SRC DST: a writable copy of a Go module's files, with the
# executable bits that module zips drop put back on scripts.
copy_module() {
  remove_tree "$2"
  cp -r "$1" "$2"
  chmod -R u+w "$2"
  find "$2" -type f -exec sh -c 'for f; do [ "$(head -c2 "$f")" = "#!" ] && chmod +x "$f"; done; true' sh {} +
}

provision_modules() {
  local rules_go gazelle src v2 v2src
  rules_go=$(module_version rules_go)
  gazelle=$(module_version gazelle)
  [[ -n $rules_go && -n $gazelle ]] || die "MODULE.bazel lacks a bazel_dep on rules_go or gazelle"
  log "fetching rules_go $rules_go and gazelle $gazelle from the Go module proxy"
  mkdir -p "$MODULES"
  src=$(go_module_dir "github.com/bazelbuild/rules_go@v$rules_go")
  [[ -d $src ]] || die "cannot download rules_go v$rules_go"
  copy_module "$src" "$MODULES/rules_go"
  src=$(go_module_dir "github.com/bazelbuild/bazel-gazelle@v$gazelle")
  [[ -d $src ]] || die "cannot download gazelle v$gazelle"
  copy_module "$src" "$MODULES/gazelle"
  # gazelle builds its tools partly from its nested v2 module, which the
  # module zip leaves out: put it back where its go.work expects it.
  v2=$(awk '$1 == "github.com/bazel-contrib/bazel-gazelle/v2" { print $2 }' "$MODULES/gazelle/go.mod")
  if [[ -n $v2 ]]; then
    v2src=$(go_module_dir "github.com/bazel-contrib/bazel-gazelle/v2@$v2")
    [[ -d $v2src ]] || die "cannot download github.com/bazel-contrib/bazel-gazelle/v2@$v2"
    copy_module "$v2src" "$MODULES/gazelle/v2"
  fi
  local standin
  for standin in "$HERE"/modules/*/; do
    copy_module "$standin" "$MODULES/$(basename "$standin")"
  done
}

# system_rc: the chroot's /etc/bazel.bazelrc, which Debian's own rc imports.
system_rc() {
  cat <<RC
# Written by tools/bazel.d/offline.sh.
startup --output_user_root=$SHARED/output
# The builtin WORKSPACE suffix would fetch rules from the internet.
common --noenable_workspace
# MODULE.bazel downloads a Go SDK in a dev dependency; here the host's is used.
common --ignore_dev_dependency
# Module versions come from the overrides below, not from a registry.
common --lockfile_mode=off
common --override_module=rules_shell=/usr/share/bazel/rules/shell
common --override_module=rules_go=$MODULES/rules_go
common --override_module=gazelle=$MODULES/gazelle
common --override_module=apple_support=$MODULES/apple_support
common --override_module=buildozer=$MODULES/buildozer
common --override_module=protobuf=$MODULES/protobuf
common --override_module=zlib=$MODULES/zlib
common --override_module=package_metadata=$MODULES/package_metadata
common --disk_cache=$SHARED/disk-cache
build --nosandbox_debug
RC
}

provision_rc() {
  system_rc >"$ROOT/etc/bazel.bazelrc"
}

# provision: runs every step not done yet, under a lock.
provision() {
  check_host
  mkdir -p "$ENV_DIR" "$STAMPS" "$SHARED/output" "$SHARED/disk-cache"
  local lock
  exec {lock}>"$ENV_DIR/lock"
  if ! flock -n "$lock"; then
    log "waiting for another tools/bazel to finish provisioning"
    flock "$lock"
  fi
  local step start=$SECONDS
  for step in "${STEPS[@]}"; do
    step_done "$step" && continue
    # A new chroot needs every later step again.
    if [[ $step == bootstrap ]]; then rm -f "$STAMPS"/*; fi
    "provision_$step"
    mark_done "$step"
  done
  log "Bazel $BAZEL_VERSION environment ready in $ENV_DIR ($((SECONDS - start)) s)"
  exec {lock}>&-
}

# ------------------------------------------------------------------ run

offline_main() {
  all_done || provision
  local goroot parent cwd
  goroot=$(host_goroot)
  parent=$(dirname "$WORKSPACE")
  # Binding / over the chroot's / would hide the chroot: bind the checkout.
  [[ $parent == / ]] && parent=$WORKSPACE
  cwd=$PWD
  [[ $cwd == "$parent" || $cwd == "$parent"/* ]] || cwd=$WORKSPACE

  mkdir -p "$CACHE/repository-cache"
  local binds=() dir
  for dir in "$SHARED" "$goroot" "$parent" "$(cd "$CACHE/repository-cache" && pwd -P)" /etc/resolv.conf; do
    binds+=(--bind "$dir")
  done

  local env=(
    PATH="$goroot/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    HOME=/root USER=root LANG=C.UTF-8 TERM="${TERM:-dumb}"
  )
  local name value
  for name in CI http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    if [[ -n ${!name:-} ]]; then env+=("$name=${!name}"); fi
  done
  # The host's Go settings (its go env file included) apply to the Go tool
  # that gazelle's go_deps runs in the chroot.
  local go_vars=(GOPROXY GONOPROXY GOPRIVATE GONOSUMDB GOSUMDB GOINSECURE GOFLAGS GOTOOLCHAIN)
  while IFS='=' read -r name value; do
    if [[ -n $value ]]; then env+=("$name=$value"); fi
  done < <(paste -d= <(printf '%s\n' "${go_vars[@]}") <(go env "${go_vars[@]}"))

  exec unshare --mount --propagation private -- "$HERE/enter.sh" "$ROOT" "${binds[@]}" -- \
    /usr/bin/env -i "${env[@]}" /bin/sh -c 'cd "$1" && shift && exec bazel "$@"' sh "$cwd" "$@"
}
