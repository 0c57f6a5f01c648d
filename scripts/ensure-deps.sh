#!/usr/bin/env bash
# Make this machine able to build, test and run the lab: node_modules in sync
# with package-lock.json, and the Debian packages the interop tests and the lab
# use (BIRD 2, GoBGP, FRR, ExaBGP, tshark, iproute2, ping). Idempotent: does
# only what is missing and says what it does. Non-zero exit on failure.
#
#   scripts/ensure-deps.sh            # everything
#   scripts/ensure-deps.sh --node     # npm part only
#   scripts/ensure-deps.sh --system   # Debian packages only
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
want_node=1
want_system=1
case "${1:-}" in
  --node) want_system=0 ;;
  --system) want_node=0 ;;
  "") ;;
  *) echo "usage: $0 [--node|--system]" >&2; exit 2 ;;
esac

say() { echo "ensure-deps: $*"; }

# --------------------------------------------------------------- node_modules
if [ "$want_node" = 1 ]; then
  stamp="$ROOT/node_modules/.package-lock.sha256"
  want_hash=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
  have_hash=$(cat "$stamp" 2>/dev/null || true)
  stale=""
  if [ ! -d "$ROOT/node_modules" ]; then
    stale="node_modules missing"
  elif [ -n "$have_hash" ] && [ "$want_hash" != "$have_hash" ]; then
    stale="package-lock.json changed since the last npm ci here"
  elif [ -z "$have_hash" ] && [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    # No stamp yet (installed by hand): npm's own hidden lockfile is written by
    # every install; older than package-lock.json means an install is due.
    stale="package-lock.json newer than the last install"
  fi
  if [ -n "$stale" ]; then
    say "$stale: npm ci"
    npm ci --no-audit --no-fund
    echo "$want_hash" > "$stamp"
  else
    say "node_modules matches package-lock.json"
    [ -n "$have_hash" ] || echo "$want_hash" > "$stamp"
  fi
fi

# ------------------------------------------------------------ Debian packages
if [ "$want_system" = 1 ]; then
  if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    say "not a Debian system (no dpkg/apt-get): install bird2 gobgpd frr exabgp tshark iproute2 iputils-ping yourself" >&2
    exit 1
  fi
  pkgs=(bird2 gobgpd frr exabgp tshark iproute2 iputils-ping procps python3 systemd)
  missing=()
  for p in "${pkgs[@]}"; do
    # "install ok installed" only: a removed package leaves "deinstall ok config-files".
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then missing+=("$p"); fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      say "missing packages ${missing[*]} and not root: run as root" >&2
      exit 1
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; the default (no) is fine.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -q
    # Without systemd as init (containers, CI), Debian's maintainer scripts start
    # bird/frr through invoke-rc.d; a policy-rc.d that says "no" (exit 101)
    # keeps them from starting at all. Only ours, only for this install.
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [ ! -d /run/systemd/system ] && [ ! -e "$policy" ]; then
      printf '#!/bin/sh\n# added by bgp-sidecar scripts/ensure-deps.sh during apt-get install\nexit 101\n' > "$policy"
      chmod +x "$policy"
      added_policy=1
    fi
    rc=0
    apt-get install -y -q --no-install-recommends "${missing[@]}" || rc=$?
    if [ "$added_policy" = 1 ]; then rm -f "$policy"; fi
    if [ "$rc" != 0 ]; then say "apt-get install failed (exit $rc)" >&2; exit "$rc"; fi
  else
    say "Debian packages present: ${pkgs[*]}"
  fi

  # Debian starts bird and frr on install. A system-wide BGP daemon in the root
  # namespace would hold port 179 and answer or interfere; the lab and the tests
  # run their own daemons inside namespaces. Stop and disable them.
  if [ "$(id -u)" = 0 ]; then
    for svc in bird frr exabgp gobgpd; do
      if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        if systemctl is-enabled --quiet "$svc" 2>/dev/null || systemctl is-active --quiet "$svc" 2>/dev/null; then
          say "stopping and disabling system service $svc"
          systemctl disable --now "$svc" >/dev/null 2>&1 || { say "could not disable $svc" >&2; exit 1; }
        fi
      fi
    done
    # Without systemd as init (containers) packages may still have started the
    # daemons through their init scripts. Ours only ever run inside network
    # namespaces of their own: a bird in this script's namespace is the system's.
    root_ns=$(readlink /proc/$$/ns/net 2>/dev/null || true)
    for pid in $(pgrep -x bird || true); do
      if [ -n "$root_ns" ] && [ "$(readlink /proc/"$pid"/ns/net 2>/dev/null || true)" = "$root_ns" ]; then
        say "stopping system bird in the root namespace (pid $pid)"
        if [ -x /etc/init.d/bird ]; then /etc/init.d/bird stop >/dev/null 2>&1 || true; fi
        kill "$pid" 2>/dev/null || true
      fi
    done
    if [ -x /usr/lib/frr/frrinit.sh ] && pgrep -x watchfrr >/dev/null 2>&1; then
      say "stopping system frr (watchfrr running)"; /usr/lib/frr/frrinit.sh stop >/dev/null 2>&1 || true
    fi
    if command -v ss >/dev/null 2>&1 && ss -Hltn 'sport = :179' | grep -q .; then
      say "warning: something listens on TCP 179 in the root namespace: $(ss -Hltnp 'sport = :179' | head -1)" >&2
    fi
  fi
fi
say "ok"
