#!/usr/bin/env bash
# Rebuilds argon2-cffi-bindings (the C code under pwdlib's Argon2id) from source with
# AVX2, in place of PyPI's wheel, which is built for any x86-64 CPU (SSE2): the same
# hashes, about 1.7x faster (docs/deploy.md, "Hashing speed"). Only where this CPU has
# AVX2 and there is a C compiler; otherwise, or if the build fails, the wheel stays
# and this says so. The build then runs only on CPUs with AVX2 (Intel since 2013, AMD
# since 2015): build the environment on the machine that runs it, or on one of the
# same kind.
#
#     scripts/build-argon2.sh [VENV_BIN]        (default .venv/bin)
set -uo pipefail
bin=${1:-.venv/bin}

if ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  echo "build-argon2: this CPU has no AVX2 (or this is not Linux on x86-64); kept the wheel"
  exit 0
fi
if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  echo "build-argon2: no C compiler; kept argon2-cffi-bindings' wheel"
  exit 0
fi
version=$("$bin/python" -c 'import importlib.metadata as m; print(m.version("argon2-cffi-bindings"))') || exit 0
# --no-cache-dir: pip's cache of wheels built from source does not tell builds with
# different flags apart.
if CFLAGS="${CFLAGS:-} -mavx2" ARGON2_CFFI_USE_SSE2=1 "$bin/pip" install --quiet --no-cache-dir \
  --force-reinstall --no-deps --no-binary argon2-cffi-bindings "argon2-cffi-bindings==$version"; then
  echo "build-argon2: argon2-cffi-bindings $version built with AVX2"
else
  echo "build-argon2: the build failed; reinstalling the wheel"
  "$bin/pip" install --quiet --force-reinstall --no-deps "argon2-cffi-bindings==$version"
fi
exit 0
