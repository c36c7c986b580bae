#!/usr/bin/env bash
# Rebuilds argon2-cffi-bindings (the C code under pwdlib's Argon2id) from source with
# its SSE2-optimised implementation, in place of PyPI's portable wheel, which carries
# the reference implementation: the same hashes, about 1.7x faster on x86-64
# (docs/deploy.md, "Hashing speed"). Only on x86-64 with a C compiler; otherwise, or
# if the build fails, the wheel stays and this says so. SSE2 is in every x86-64 CPU,
# so the result runs on any of them.
#
#     scripts/build-argon2.sh [VENV_BIN]        (default .venv/bin)
set -uo pipefail
bin=${1:-.venv/bin}

case "$(uname -m)" in
  x86_64 | amd64 | AMD64) ;;
  *) echo "build-argon2: $(uname -m) has no optimised Argon2 code; kept the wheel"; exit 0 ;;
esac
if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  echo "build-argon2: no C compiler; kept argon2-cffi-bindings' portable wheel"
  exit 0
fi
version=$("$bin/python" -c 'import importlib.metadata as m; print(m.version("argon2-cffi-bindings"))') || exit 0
if ARGON2_CFFI_USE_SSE2=1 "$bin/pip" install --quiet --no-cache-dir --force-reinstall --no-deps \
  --no-binary argon2-cffi-bindings "argon2-cffi-bindings==$version"; then
  echo "build-argon2: argon2-cffi-bindings $version built with SSE2"
else
  echo "build-argon2: the build failed; reinstalling the portable wheel"
  "$bin/pip" install --quiet --force-reinstall --no-deps "argon2-cffi-bindings==$version"
fi
exit 0
