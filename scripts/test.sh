#!/usr/bin/env bash
# `npm test`: installs what is missing (npm and Debian packages), type-checks and
# builds, then runs every test file with tap and prints one closing line
# "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
# the sd_notify addon is built by npm ci (the package's install script); build it if an older checkout lacks it
[ -f systemd/native/build/Release/sdnotify.node ] || npm run build:native
echo "== type check and build"
node_modules/.bin/tsc -p .
echo "== tests"
exec node scripts/run-tap.mjs "$@"
