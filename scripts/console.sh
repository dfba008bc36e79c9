#!/usr/bin/env bash
# The web console: npm ci from the committed lockfile (once per lockfile: the
# installed lockfile's hash is kept in console/node_modules/.lock-hash), then
#   scripts/console.sh build       bundle into console/dist (esbuild)
#   scripts/console.sh typecheck   tsc --noEmit
#   scripts/console.sh deps        only install
# --ignore-scripts: esbuild needs none (its platform binary is an optional dependency),
# and swagger-ui-dist's would only report the install to a telemetry service.
set -euo pipefail
cd "$(dirname "$0")/../console"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$want" ]; then
  echo "==> npm ci (console/)"
  npm ci --ignore-scripts --silent --no-audit --no-fund >/dev/null
  echo "$want" >node_modules/.lock-hash
fi
case "${1:-build}" in
  deps) ;;
  build)
    echo "==> building the console (esbuild) into console/dist"
    node build.mjs
    ;;
  typecheck)
    echo "==> tsc --noEmit (console/)"
    node_modules/.bin/tsc --noEmit
    ;;
  *) echo "usage: scripts/console.sh [deps|build|typecheck]" >&2; exit 2 ;;
esac
