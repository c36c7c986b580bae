#!/usr/bin/env bash
# Benchmarks, by hand (no test runs them; nothing fails on timing).
#
#   benchmarks/run.sh              full side-by-side run (3 rounds, the issue's targets)
#   benchmarks/run.sh --quick      the same, 3 s per scenario, one round
#   benchmarks/run.sh micro        in-process microbenchmarks only
#
# The side-by-side run needs ../shared/bench (peerbench: authgate next to the
# tutorial's Express and FastAPI stacks, each pinned to one core, wrk on the other);
# without it, the microbenchmarks run instead.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/authgate ] || make setup >/dev/null
bench=${PEERBENCH:-../shared/bench/peerbench.py}

if [ "${1:-}" = micro ] || [ ! -f "$bench" ]; then
  [ -f "$bench" ] || echo "($bench not found: running the microbenchmarks)"
  exec .venv/bin/python benchmarks/micro.py "${@:2}"
fi

python3 "$bench" setup >/dev/null
rounds=(--rounds 3)
[ "${1:-}" = --quick ] && rounds=(--quick)
exec python3 "$bench" run "${rounds[@]}" \
  --targets "${TARGETS:-seed-express,seed-express-keyobject,seed-fastapi,authgate}" \
  --authgate-cmd "$PWD/.venv/bin/authgate serve --host 127.0.0.1 --port {port}"
