#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, starts the private
# PulseAudio daemon, then lint, type-check, import contracts and pytest. Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase's wall time, printed as it ends and together at the end, so that a drift shows
# in the run where it starts (issue 77: 13 m 40 s had become 23 m unnoticed).
phase_times=()
phase_began=$SECONDS
end_phase() {
  local took=$((SECONDS - phase_began))
  phase_times+=("$1 $((took / 60)) m $((took % 60)) s")
  echo "== time: $1 took $((took / 60)) m $((took % 60)) s"
  phase_began=$SECONDS
}
print_times() {
  echo "== times: ${phase_times[*]/%/;} whole run $((SECONDS / 60)) m $((SECONDS % 60)) s"
}
./scripts/setup.sh --with-test-tools
# shellcheck source=/dev/null
. scripts/start-pulse.sh
unset NO_COLOR
# One BLAS thread a process: the workers and their subprocesses share two cores, and
# OpenBLAS's idle threads spin beside every small product (the echo stage limits itself,
# audio/echo/threads.py; the tests that drive its ears directly did not): 125 s of CPU for the
# three echo test files became 83 s (issue 77)
export OPENBLAS_NUM_THREADS=1
# Compiled modules kept for the run: with PYTHONDONTWRITEBYTECODE (set on some machines) every
# test process and every `voicechat` subprocess the tests start compiled the package afresh,
# and each pytest process rewrote and compiled all ~470 test modules again (13 s of its 20 s
# collection); compiled once here, the serial phase's collection and the subprocesses reuse it.
unset PYTHONDONTWRITEBYTECODE
# (a module that does not compile is shown here and failed by the tests that import it)
.venv/bin/python -m compileall -q -j 2 voicechat || true
end_phase "set-up"
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
  # the slowest tests of each pytest run are listed at its end: where the next drift starts
  .venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 "$@"
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
# Most tests wait on sockets, subprocesses and audio clocks, or compute: three workers share
# the two cores. The parallel phase takes ~23.5 CPU-minutes. Four workers kept the cores 87 %
# busy but gained nothing from a fresh clone (15 m 15 s and 16 m 30 s against 16 m 4 s with
# three), and beside a busy loop their load broke a WebRTC conversation's real time: a spoken
# request reached the server with a gap and was answered in two halves (issue 77). Work stealing rather than xdist's up-front split: the split left one worker 40 s
# behind the others, idle cores waiting on it. The tests marked `serial` (tests/conftest.py: the
# sound server, a terminal, real time) then run alone, once the checks are done too: run beside
# the workers (issue 77 tried it, each lane on a PulseAudio daemon of its own), 6 of their 43
# failed, the echo cancellers falling behind real time on the saturated cores.
workers=${VOICECHAT_TEST_WORKERS:-3}
( checks ) > "$checks_log" 2>&1 &
checks_pid=$!
echo "== pytest, $workers workers (everything but the serial tests; the checks run beside them)"
status=0
run_pytest -n "$workers" --dist worksteal -m "not serial" || status=$?
end_phase "the parallel tests"
finish_checks || status=1
end_phase "the rest of the checks"
# What the parallel phase left running, with the load, before the real-time tests start: the
# first serial test (the canceller over three long answers) failed 3 of 8 fresh-clone runs with
# its echo cancellation at 25-43 dB where it holds 60 alone, and a process left behind that
# loads the cores, or plays into the sound server, is one suspect this shows (issue 77).
# Names only (arguments may carry secrets), of processes this run started, busiest first.
echo "== before the serial tests: load $(cut -d' ' -f1-3 /proc/loadavg); started by this run" \
  "and still running (pid, %cpu, seconds, name):"
ps -eo pid=,pcpu=,etimes=,comm= --sort=-pcpu \
  | awk -v run="$SECONDS" '$3 < run && $4 !~ /^(pulseaudio|ps|awk|head|bash|test\.sh|kworker)/' \
  | head -8 || true
# The serial tests in two lanes (xdist workers), each on a PulseAudio daemon of its own
# (tests/conftest.py starts it when VOICECHAT_PULSE_PER_WORKER is set), when the cores are
# free: one lane used 0.7 of the two cores over its 7 m 27 s, waiting on audio clocks; two took
# 3 m 55 s and 4 m 20 s from fresh clones. Beside a busy loop two lanes failed two real-time
# tests where one lane passes, so a machine already busy (under 80 % idle over 3 s, measured
# here) gets one lane (issue 77). VOICECHAT_SERIAL_LANES=N decides outright.
idle_percent() {
  local before after
  before=$(head -1 /proc/stat); sleep 3; after=$(head -1 /proc/stat)
  printf '%s\n%s\n' "$before" "$after" | awk '
    { busy[NR] = $2 + $3 + $4 + $7 + $8 + $9; idle[NR] = $5 + $6 }
    END { d = busy[2] - busy[1] + idle[2] - idle[1]; print (d > 0 ? int(100 * (idle[2] - idle[1]) / d) : 100) }'
}
if [ -n "${VOICECHAT_SERIAL_LANES:-}" ]; then
  lanes=$VOICECHAT_SERIAL_LANES
else
  idle=$(idle_percent)
  lanes=$([ "$idle" -ge 80 ] && echo 2 || echo 1)
  echo "== the cores were $idle % idle over 3 s: the serial tests in $lanes lane(s)"
fi
echo "== pytest, the serial tests in $lanes lane(s)"
if [ "$lanes" -gt 1 ]; then
  VOICECHAT_PULSE_PER_WORKER=1 run_pytest -m "serial and not alone" -n "$lanes" --dist worksteal \
    || status=$?
  for lane in $(seq 0 $((lanes - 1))); do  # the lanes' daemons: a developer's machine keeps none
    PULSE_SERVER="unix:$VOICECHAT_PULSE_DIR-gw$lane/pulse/native" pactl exit 2>/dev/null || true
  done
  # the serial tests that keep a whole core busy (the example scenarios, three conversations at
  # once): beside a lane's echo tests they cost those their real time, so they run after them
  echo "== pytest, the serial tests that run alone"
  run_pytest -m alone || status=$?
else
  run_pytest -m serial || status=$?
fi
end_phase "the serial tests"
print_times
exit "$status"
