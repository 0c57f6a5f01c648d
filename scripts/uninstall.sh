#!/bin/sh
# Remove bgp-sidecar: the same as `bgp-sidecar uninstall`. Keeps
# /etc/bgp-sidecar unless --purge.
#   sudo scripts/uninstall.sh [--purge]
set -eu
if [ -x /usr/local/bin/bgp-sidecar ]; then
  exec /usr/local/bin/bgp-sidecar uninstall "$@"
fi
here=$(cd "$(dirname "$0")/.." && pwd)
node=${NODE:-$(command -v node || true)}
if [ -z "$node" ] || [ ! -f "$here/dist/src/cli/main.js" ]; then
  echo "uninstall.sh: no installed bgp-sidecar and no built tree here; nothing to run" >&2
  exit 1
fi
exec "$node" "$here/dist/src/cli/main.js" uninstall "$@"
