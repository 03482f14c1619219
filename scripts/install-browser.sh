#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (Playwright cannot download browsers here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "== installing chromium and poppler-utils from Debian packages"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils >/dev/null
