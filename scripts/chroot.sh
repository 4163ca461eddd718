# shellcheck shell=bash
# Debootstrapped Debian chroots for scripts/matrix.sh and scripts/deb-test.sh
# (sourced, not run). Needs root, debootstrap and network access to the
# Debian mirror.
#
# Every mount made here is recorded in CHROOT_MOUNTS and undone by
# chroot_umount_all, which the sourcing script must call from its EXIT trap:
# the chroot's proc, sys, dev, dev/pts and (for builds) a read-only bind
# mount of the host's rustup toolchains. chroot_umount_all first ends the
# processes still running inside our chroots (left behind by an interrupted
# run; found by their /proc/PID/root), then unmounts innermost first, and
# checks with findmnt that nothing is left.
#
# Environment:
#   MATRIX_MIRROR   Debian mirror (default http://deb.debian.org/debian)

CHROOT_MIRROR=${MATRIX_MIRROR:-http://deb.debian.org/debian}
# root's home inside the Debian chroots (their /etc/passwd).
CHROOT_HOME=/root
CHROOT_MOUNTS=()
CHROOT_DIRS=()

chroot_log() { printf '== %s\n' "$*"; }

# chroot_base CACHE SUITE: a pristine minbase Debian SUITE in
# CACHE/base-SUITE/tree, made once (CACHE/base-SUITE/debootstrap.ok marks a
# finished one; a half-made one is started over) and never changed: the
# targets of one suite copy it (chroot_bootstrap) instead of each running
# debootstrap (1-5 min each). Locked while it is made, so parallel runs
# wait for one debootstrap instead of racing.
chroot_base() {
  local cache=$1 suite=$2 dir t0 fd
  dir=$cache/base-$suite
  mkdir -p "$dir"
  exec {fd}>"$dir.lock"
  flock "$fd"
  if [[ -f $dir/debootstrap.ok && -x $dir/tree/bin/bash ]]; then
    exec {fd}>&-
    return 0
  fi
  rm -rf -- "$dir/tree"
  t0=$SECONDS
  chroot_log "debootstrap --variant=minbase $suite $dir/tree"
  if ! debootstrap --variant=minbase "$suite" "$dir/tree" "$CHROOT_MIRROR" >"$dir/debootstrap.log" 2>&1; then
    tail -n 20 "$dir/debootstrap.log" >&2
    echo "chroot: debootstrap of $suite failed (log: $dir/debootstrap.log)" >&2
    exec {fd}>&-
    return 1
  fi
  touch "$dir/debootstrap.ok"
  exec {fd}>&-
  chroot_log "debootstrap $suite: $((SECONDS - t0)) s"
}

# chroot_bootstrap CACHE DIR SUITE: DIR/tree, a copy of the pristine SUITE
# base (chroot_base), made once (DIR/debootstrap.ok marks a finished one; a
# half-made one is started over).
chroot_bootstrap() {
  local cache=$1 dir=$2 suite=$3
  if [[ -f $dir/debootstrap.ok && -x $dir/tree/bin/bash ]]; then
    return 0
  fi
  chroot_base "$cache" "$suite" || return 1
  rm -rf -- "$dir/tree"
  mkdir -p "$dir"
  cp -a "$cache/base-$suite/tree" "$dir/tree" || return 1
  touch "$dir/debootstrap.ok"
}

# chroot_apt_setup ROOT SOURCES_LIST_TEXT: sources.list, an apt setting that
# accepts expired Release files (sid's and experimental's on some mirrors are),
# a policy-rc.d that keeps packages from starting daemons, resolv.conf and
# /etc/hosts.
chroot_apt_setup() {
  local root=$1 sources=$2
  printf '%s\n' "$sources" >"$root/etc/apt/sources.list"
  printf 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n' \
    >"$root/etc/apt/apt.conf.d/90rsmemcache"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  # A minbase chroot has no /etc/hosts; mariadb-install-db refuses to run
  # when neither the host name nor localhost resolves.
  [[ -s $root/etc/hosts ]] \
    || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
}

_chroot_mount() {
  local target=$1
  shift
  mkdir -p "$target"
  mount "$@" "$target" || return 1
  CHROOT_MOUNTS+=("$target")
}

# chroot_mount ROOT [RUSTUP_HOME]: proc, sys, dev, dev/pts; with RUSTUP_HOME
# also that directory read-only on .rustup in root's home in the chroot.
chroot_mount() {
  local root=$1 rustup=${2:-}
  CHROOT_DIRS+=("$root")
  _chroot_mount "$root/proc" -t proc proc || return 1
  _chroot_mount "$root/sys" -t sysfs sysfs || return 1
  _chroot_mount "$root/dev" --bind /dev || return 1
  _chroot_mount "$root/dev/pts" --bind /dev/pts || return 1
  if [[ -n $rustup ]]; then
    _chroot_mount "$root$CHROOT_HOME/.rustup" --bind "$rustup" || return 1
    mount -o remount,bind,ro "$root$CHROOT_HOME/.rustup" || return 1
  fi
}

# The mount points at or under $1, as findmnt lists them.
chroot_mounts_under() {
  findmnt -rn -o TARGET | awk -v p="$1" '$0 == p || index($0, p "/") == 1'
}

# Ends processes whose root directory is ROOT (left by an interrupted run).
chroot_kill_inside() {
  local root pid link sig
  root=$(readlink -f "$1")
  for sig in TERM KILL; do
    for link in /proc/[0-9]*/root; do
      pid=${link#/proc/}
      pid=${pid%/root}
      [[ $(readlink "$link" 2>/dev/null) == "$root" ]] || continue
      kill "-$sig" "$pid" 2>/dev/null || true
    done
    if [[ $sig == TERM ]]; then sleep 1; fi
  done
  return 0
}

# Unmounts everything chroot_mount mounted (innermost first) and verifies it.
chroot_umount_all() {
  local i m root left=0
  # (Safe under set -e: an EXIT trap that stopped here would leave mounts.)
  for root in "${CHROOT_DIRS[@]}"; do
    if [[ -d $root ]]; then chroot_kill_inside "$root" || true; fi
  done
  for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    m=${CHROOT_MOUNTS[i]}
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  CHROOT_MOUNTS=()
  for root in "${CHROOT_DIRS[@]}"; do
    while read -r m; do
      [[ -n $m ]] || continue
      echo "chroot: $m is still mounted" >&2
      left=1
    done < <(chroot_mounts_under "$root")
  done
  CHROOT_DIRS=()
  return "$left"
}

# chroot_run ROOT [VAR=value ...] -- COMMAND...: runs COMMAND in ROOT with a
# clean environment (HOME=$CHROOT_HOME, cargo's bin on PATH) plus the given variables.
chroot_run() {
  local root=$1
  shift
  local vars=()
  while (($#)) && [[ $1 != -- ]]; do
    vars+=("$1")
    shift
  done
  shift
  chroot "$root" /usr/bin/env -i HOME="$CHROOT_HOME" LANG=C.UTF-8 TERM=dumb \
    PATH="$CHROOT_HOME/.cargo/bin":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive "${vars[@]}" "$@"
}
