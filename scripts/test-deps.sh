#!/usr/bin/env bash
# Installs what the non-Python tests need, where this machine allows it:
# Debian packages when run as root (Chromium for the browser tests, Go for the Go
# example), npm packages when Node is present. Without them, those tests skip on a
# developer's machine; under CI (AUTHGATE_REQUIRE_SERVICES=1) they fail instead.
set -uo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
need() { # need <command-or-path> <debian package>
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -e "$1" ]; then apt_packages+=("$2"); fi
}
# (each part of the suite adds the packages it needs below)
# the web UI's browser tests: Debian's Chromium, and CJK fonts for Korean screenshots
need /usr/bin/chromium chromium
need /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc fonts-noto-cjk

if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${apt_packages[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null; } \
      || echo "warning: could not install ${apt_packages[*]}; the tests that need them will skip (or fail under CI)"
  else
    echo "note: not root: ${apt_packages[*]} not installed; the tests that need them will skip"
  fi
fi

# The web UI: rebuild web/static from ui/ so the browser tests run against the
# sources (the build is committed too, for the wheel; CI checks the two agree).
if command -v npm >/dev/null 2>&1; then
  echo "building the web UI (ui/ -> src/authgate/web/static)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent) \
    || echo "warning: the web UI did not build; its tests fail under CI"
else
  echo "note: npm not found: the committed web UI build is used, its unit tests skip"
fi
exit 0
