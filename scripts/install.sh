#!/bin/sh
# Install bgp-sidecar on this machine from this (built) tree: the same as
# `bgp-sidecar install`. Options are passed through, e.g.:
#   sudo scripts/install.sh --now
#   scripts/install.sh --prefix /tmp/image      # files only, into an image tree
# See docs/operators.md.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
node=${NODE:-$(command -v node || true)}
if [ -z "$node" ]; then
  echo "install.sh: node (>= 20) not found in PATH; set NODE=/path/to/node" >&2
  exit 1
fi
if [ ! -f "$here/dist/src/cli/main.js" ]; then
  echo "install.sh: $here is not built: run \`npm ci && npm run build\` first" >&2
  exit 1
fi
exec "$node" "$here/dist/src/cli/main.js" install "$@"
