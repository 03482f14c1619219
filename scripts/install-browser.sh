#!/usr/bin/env bash
# Installs the system tools the tests use, from Debian packages: Chromium for the browser
# tests (Playwright cannot download browsers here), pdftoppm (poppler-utils) to render the
# scorecard PDFs, jq for the auditors' by-hand verification recipe, and a small CJK font
# (WenQuanYi Micro Hei, 1.6 MB) that the scorecard PDF takes Chinese, Japanese and
# Korean glyphs from.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v jq >/dev/null 2>&1 || missing+=(jq)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "== installing ${missing[*]} from Debian packages"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
