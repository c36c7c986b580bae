#!/usr/bin/env bash
# Benchmarks, by hand (no test runs them; nothing fails on timing). See benchmarks/README.md.
#
#   benchmarks/run.sh              side by side with the peer stacks (3 rounds)      [needs peerbench]
#                                  then benchmarks/storm.py (the storm on another account)
#   benchmarks/run.sh --quick      the same, 3 s per scenario, one round            [needs peerbench]
#   benchmarks/run.sh micro        in-process microbenchmarks (add --quick: shorter) [this repository only]
#
# The side-by-side run needs what this repository does not hold: the team's bench
# tool, peerbench, checked out at ../shared/bench (or named by PEERBENCH=/path/to/
# peerbench.py), with its peer stacks (the tutorial's Express and FastAPI servers),
# Node, and wrk; it pins each server to one core and wrk to the other. Without it,
# this script says so in one line and runs the microbenchmarks instead (exit 0).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/authgate ] || make setup >/dev/null
bench=${PEERBENCH:-../shared/bench/peerbench.py}

mode=${1:-full}
case "$mode" in
  micro) exec .venv/bin/python benchmarks/micro.py "${@:2}" ;;
  full | --quick) ;;
  *)
    echo "usage: benchmarks/run.sh [--quick | micro [--quick]]" >&2
    exit 2
    ;;
esac

if [ ! -f "$bench" ]; then
  quick=()
  [ "$mode" = --quick ] && quick=(--quick)
  echo "skipping the side-by-side benchmark: it needs the team's bench tool (peerbench) at $bench" \
    "(set PEERBENCH to use another path), which is not part of this repository;" \
    "running the in-process microbenchmarks instead"
  exec .venv/bin/python benchmarks/micro.py "${quick[@]}"
fi

python3 "$bench" setup >/dev/null
rounds=(--rounds 3)
[ "$mode" = --quick ] && rounds=(--quick)
status=0
python3 "$bench" run "${rounds[@]}" \
  --targets "${TARGETS:-seed-express,seed-express-keyobject,seed-fastapi,authgate}" \
  --authgate-cmd "$PWD/.venv/bin/authgate serve --host 127.0.0.1 --port {port}" || status=$?

# peerbench's storm logs in the account whose token it reads with; past 100 logins
# authgate's session cap ends that session, and the rest of the storm reads 401s
# (listed under its table as non-2xx). The same scenario, logins on another account:
echo
echo "authgate's storm with the logins on another account (benchmarks/storm.py, 200s only):"
storm=()
[ "$mode" = --quick ] && storm=(--seconds 3 --rounds 1)
.venv/bin/python benchmarks/storm.py "${storm[@]}" || status=$?
exit "$status"
