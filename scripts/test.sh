#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, starts the private
# PulseAudio daemon, then lint, type-check, import contracts and pytest. Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --with-test-tools
# shellcheck source=/dev/null
. scripts/start-pulse.sh
unset NO_COLOR
# Compiled modules kept for the run: with PYTHONDONTWRITEBYTECODE (set on some machines) every
# test process and every `voicechat` subprocess the tests start compiled the package afresh,
# and each pytest process rewrote and compiled all ~470 test modules again (13 s of its 20 s
# collection); compiled once here, the serial phase's collection and the subprocesses reuse it.
unset PYTHONDONTWRITEBYTECODE
# (a module that does not compile is shown here and failed by the tests that import it)
.venv/bin/python -m compileall -q -j 2 voicechat || true
# Lint, types, import contracts and the docs build: one process each, single-threaded, so they
# run beside the parallel tests below (which leave ~45 % of the two cores idle waiting on
# sockets and audio clocks) rather than before them; their output is shown, and their
# failure counted, once those tests are done.
checks() {
  set -e
  echo "== ruff";  .venv/bin/ruff check voicechat tests bench scripts
  echo "== mypy --strict (core, protocol)"; .venv/bin/mypy
  echo "== import contracts (pyproject.toml [tool.importlinter])"; .venv/bin/lint-imports
  echo "== docs (mkdocs build --strict: broken links and stale generated pages fail)"
  # not --quiet: mkdocs 1.6.1 then hides a strict warning and exits 0 on a broken link
  NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir "$(mktemp -d)"
}
checks_log=$(mktemp)
finish_checks() {
  local code=0
  wait "$checks_pid" || code=$?
  cat "$checks_log"
  if [ "$code" -ne 0 ]; then
    echo "test: the checks above failed (exit $code)" >&2
  fi
  return "$code"
}
# pytest exits 5 when it collected nothing: a failure here, never a pass.
run_pytest() {
  set +e
  .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
  local code=$?
  set -e
  if [ "$code" -eq 5 ]; then
    echo "test: pytest collected no tests; that is a failure" >&2
    return 1
  fi
  return "$code"
}
if [ "$#" -gt 0 ]; then
  checks
  echo "== pytest $*"
  run_pytest "$@"
  exit $?
fi
# Most tests wait on sockets, subprocesses and audio clocks rather than the CPU (a whole run
# used 8 CPU-minutes in 15 wall-minutes), so three workers share the two cores well (four
# loaded them enough to time out a replay test). The tests marked `serial` (tests/conftest.py:
# the sound server, a terminal, real time) then run alone, once the checks are done too.
# Work stealing rather than xdist's up-front split: the split left one worker 40 s behind the
# others (480 s of tests against 437), idle cores waiting on it; stealing evens them (484 -> 456 s).
workers=${VOICECHAT_TEST_WORKERS:-3}
( checks ) > "$checks_log" 2>&1 &
checks_pid=$!
echo "== pytest, $workers workers (everything but the serial tests; the checks run beside them)"
status=0
run_pytest -n "$workers" --dist worksteal -m "not serial" || status=$?
finish_checks || status=1
echo "== pytest, one at a time (the serial tests)"
run_pytest -m serial || status=$?
exit "$status"
