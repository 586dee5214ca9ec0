#!/usr/bin/env bash
# Installs the Debian packages the test suite runs against:
#   linuxcnc-uspace  -> /usr/bin/rs274, LinuxCNC's own G-code interpreter
#   chromium, chromium-driver -> the real browser for the web page tests
# Missing packages are a hard failure: the tests must not silently skip them.
set -euo pipefail
need=()
command -v rs274 >/dev/null 2>&1 || need+=(linuxcnc-uspace)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: need root (or sudo) to install ${need[*]} with apt-get" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
command -v rs274 >/dev/null 2>&1 || { echo "error: rs274 still missing" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "error: chromium still missing" >&2; exit 1; }
