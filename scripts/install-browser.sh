#!/usr/bin/env bash
# The browser test's needs: Debian's Chromium and playwright-core (which drives it
# through executablePath; it never downloads a browser of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Chromium (Debian package chromium)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ ! -d .tools/node_modules/playwright-core ]; then
  echo "==> installing playwright-core (npm)"
  npm install --silent --no-audit --no-fund --prefix .tools playwright-core@1 >/dev/null
fi
