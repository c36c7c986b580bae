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
# keys and interop (issue 4): the Node and Go examples, bcrypt hashes from bcryptjs and Go
need node nodejs
need npm npm
need go golang-go
need /usr/share/gocode/src/github.com/golang-jwt/jwt golang-github-golang-jwt-jwt-dev
need /usr/share/gocode/src/golang.org/x/crypto/bcrypt golang-golang-x-crypto-dev
# the Redis failure tests start and stop a redis-server of their own
need redis-server redis-server

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

# the Node examples' locked npm packages (again only when package-lock.json changed)
for example in examples/node-express examples/oidc-node; do
  if command -v npm >/dev/null 2>&1 && { [ ! -f "$example/node_modules/.package-lock.json" ] \
      || [ "$example/package-lock.json" -nt "$example/node_modules/.package-lock.json" ]; }; then
    (cd "$example" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || echo "warning: npm ci failed in $example; its tests will skip (or fail under CI)"
  fi
done
exit 0
