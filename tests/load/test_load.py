"""``voicechat load`` against the local server (issue 54's acceptance): a two-turn scenario at
4 users on 2 workers, answered with percentiles in the summary; a wrong expectation counted with
its reason (exit 1); a master and two workers as separate processes, one killed mid-run; and
the refusals said before Locust starts (exit 2)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.load.scenarios import INTERRUPTING, OUTLASTS_THE_RUN, TWO_TURNS, WRONG, write

#: the runs here are killed, with their process groups, and their process trees are read: a
#: fork server's stand-in would take the signals, and its program another group (tests/zygote)
pytestmark = pytest.mark.usefixtures("fresh_interpreter")

VOICECHAT = Path(sys.executable).parent / "voicechat"
KEYS = ("OPENAI", "AZURE", "VOICECHAT", "XAI", "GEMINI", "GOOGLE")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(KEYS)}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env.update(extra)
    return env


def _load(tmp_path: Path, *args: str, timeout: float = 180,
          **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VOICECHAT), "load", *args], capture_output=True, text=True,
                          timeout=timeout, env=_env(tmp_path, **extra), cwd=tmp_path,
                          stdin=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: str, master: subprocess.Popen[str], within_s: float = 120.0) -> None:
    """Wait until the master's port takes connections: a worker started before that refuses
    to start (``cannot reach the master``). A fixed 3 s wait lost that race on a loaded
    machine, and the master then waited for ever (issue 77)."""
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        assert master.poll() is None, master.communicate()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", int(port)),
                                                                    timeout=1):
            return
        time.sleep(0.1)
    raise AssertionError(f"the master did not listen on {port} within {within_s:g} s")


def test_two_turns_four_users_two_workers(tmp_path: Path) -> None:
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    report = tmp_path / "summary.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = _load(tmp_path, str(scenario), "--users", "4", "--workers", "2", "--duration",
                 "25s", "--transport", "websocket", "--json", str(report), "--csv",
                 str(tmp_path / "stats"), VOICECHAT_LOAD_LAG=str(tmp_path / "lag"),
                 TMPDIR=str(scratch))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # a pass leaves none of the run's own files behind (a folder per run piled up)
    assert list(scratch.glob("voicechat-load-*")) == []
    lags = [json.loads(f.read_text()) for f in tmp_path.glob("lag.*")]
    assert len(lags) == 2, "each worker's engine says how late its loop ran"
    for lag in lags:
        assert lag["samples"] > 100  # a wake-up every 20 ms over the run
        assert 0 <= lag["p50"] <= lag["p95"] <= lag["p99"] <= lag["max"]
        # and its full collections: the engine froze its prepared objects out of them
        assert lag["gc"]["frozen_objects"] > 10_000
    assert "Traceback" not in proc.stdout + proc.stderr
    summary = json.loads(report.read_text())
    assert summary["users"] == 4 and summary["workers"] == 2
    assert summary["sessions"] >= 4 and summary["errors"] == {}
    turns = {turn["name"]: turn for turn in summary["turns"]}
    assert set(turns) == {"two turns · 1 type: Hello there",
                          "two turns · 2 say: Please turn on the kitchen lights."}
    for turn in turns.values():
        assert turn["count"] >= 4 and turn["failures"] == 0
        figures = turn["first_audio_ms"]
        assert 0 < figures["p50"] <= figures["p95"] <= figures["p99"]
    assert "first audio p50 / p95 / p99 ms" in proc.stdout
    # Locust's own reports, unchanged
    assert (tmp_path / "stats_stats.csv").read_text().count("two turns ·") == 2


def test_a_wrong_expectation_is_counted_with_its_reason(tmp_path: Path) -> None:
    scenario = write(tmp_path, "wrong.yaml", WRONG)
    report = tmp_path / "summary.json"
    # on two workers: the example must reach the master, which writes the summary
    proc = _load(tmp_path, str(scenario), "--users", "2", "--workers", "2", "--duration", "10",
                 "--transport", "websocket", "--json", str(report), "--failed-logs", "2")
    assert proc.returncode == 1, proc.stdout[-3000:]
    summary = json.loads(report.read_text())
    assert len(summary["turns"]) == 1, (proc.stdout[-3000:], proc.stderr[-5000:])
    [turn] = summary["turns"]
    assert turn["count"] == turn["failures"] >= 2
    assert summary["errors"] == {"expectation": turn["failures"]}
    # one row for the turn and its failed checks, though each answer's first audio differed
    # (with the values in the reason, 10 like failures made 7 rows: issue 79), one example
    # with the values, and a count per check
    [failure] = summary["failures"]
    assert failure["reason"] == "reply.contains; first_audio_ms"
    assert failure["example"].startswith("reply.contains: 'goodbye' not in the reply 'You "
                                         "said: Hello there'; first_audio_ms: "), failure
    assert re.search(r"first_audio_ms: \d+ ms, over the 1 ms allowed$", failure["example"])
    assert summary["checks"] == {"reply.contains": turn["failures"],
                                 "first_audio_ms": turn["failures"]}
    assert "failures by kind: expectation" in proc.stdout
    assert f"failed checks: reply.contains {turn['failures']}" in proc.stdout
    assert "      e.g. reply.contains: 'goodbye' not in the reply" in proc.stdout
    # the first failed conversations' event logs are kept, named in the summary, and say
    # what the doctor needs: the reply the check refused (issue 79, item 8)
    assert 1 <= len(failure["logs"]) <= 2, failure
    for log in failure["logs"]:
        assert f"      log: {log}" in proc.stdout
        events = [json.loads(line)["event"] for line in Path(log).read_text().splitlines()]
        said = [e["transcript"] for e in events
                if e.get("type") == "response.output_audio_transcript.done"]
        assert said and said[0].startswith("You said: Hello there"), said
    folder = Path(failure["logs"][0]).parent
    assert f"the failed conversations' event logs in {folder}" in proc.stderr
    # two engines (two workers) each keep their first two, however many conversations failed
    assert 1 <= len(list(folder.iterdir())) <= 4


def test_a_master_and_three_workers_and_two_die(tmp_path: Path) -> None:
    """One worker killed with its whole process group stops answering; another killed alone
    takes its Locust with it (lifeline.py), which quits politely, and Locust forgets a worker
    that quits: that one went unreported, the run ending 0 with no worker lost (issue 79)."""
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    port = str(_free_port())
    report = tmp_path / "summary.json"
    master = subprocess.Popen(
        [str(VOICECHAT), "load", str(scenario), "--master", "--expect-workers", "3",
         "--master-port", port, "--users", "4", "--duration", "30s", "--transport",
         "websocket", "--json", str(report)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_env(tmp_path), cwd=tmp_path)
    _listening(port, master)  # the master listens before any worker comes
    workers = [subprocess.Popen(
        [str(VOICECHAT), "load", str(scenario), "--worker", "--master-host", "127.0.0.1",
         "--master-port", port, "--transport", "websocket"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=_env(tmp_path), cwd=tmp_path, start_new_session=True)
        for _ in range(3)]
    try:
        time.sleep(15)
        os.killpg(workers[1].pid, signal.SIGKILL)  # the worker, its Locust and its engine
        workers[2].kill()  # the worker alone: its Locust ends with it and quits
        out, err = master.communicate(timeout=120)
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
    assert master.returncode == 0, out[-3000:] + err[-3000:]
    summary = json.loads(report.read_text())
    assert summary["workers"] == 3 and len(summary["workers_lost"]) == 2, summary
    assert "stopped answering" in err and "the run goes on" in err
    assert "left before the run's end" in err
    assert all(turn["count"] > 0 and turn["failures"] == 0 for turn in summary["turns"])
    assert "(2 lost)" in out


def test_refusals_before_locust_starts(tmp_path: Path) -> None:
    two = write(tmp_path, "two.yaml", TWO_TURNS)
    held = socket.socket()  # bound, never listening: no master there, and no one takes it
    held.bind(("127.0.0.1", 0))
    cases = [
        (["--users", "1", "--workers", "2"], "fewer than --workers 2"),
        (["--worker", "--master-host", "127.0.0.1", "--master-port",
          str(held.getsockname()[1])],
         "cannot reach the master at 127.0.0.1:"),
        (["--master", "--master-port", str(held.getsockname()[1])],
         f"--master-port {held.getsockname()[1]} on 127.0.0.1 is taken"),
        (["--duration", "soon"], "--duration 'soon': give seconds"),
        (["--server", "openai", "--model", "gpt-realtime"], "needs"),
        # output paths before the run, not after it (issue 79)
        (["--json", str(tmp_path / "nowhere" / "s.json")], "the folder "),
        (["--html", str(tmp_path)], "is a folder: name a file in it"),
        (["--csv", str(two / "stats")], "is a file, not a folder"),
    ]
    with held:
        for args, said in cases:
            proc = _load(tmp_path, str(two), *args, timeout=60, OPENAI_API_KEY="")
            assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
            assert said in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
    # a paid service: the estimate is shown, and with no terminal to ask on it needs --yes
    proc = _load(tmp_path, str(two), "--server", "openai", "--users", "3", "--duration", "1m",
                 timeout=60, OPENAI_API_KEY="sk-test-not-a-real-key-0000000000")
    assert proc.returncode == 2 and "pass --yes to run" in proc.stderr
    assert "3 caller(s) for 60 s against openai: about $" in proc.stdout
    assert "sk-test" not in proc.stdout + proc.stderr
    cutting = write(tmp_path, "cut.yaml", INTERRUPTING)
    proc = _load(tmp_path, str(cutting), "--api", "live", timeout=60)
    assert proc.returncode == 2 and "interrupt_after_ms" in proc.stderr


def test_a_worker_of_another_version_is_refused(tmp_path: Path) -> None:
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    port = str(_free_port())
    master = subprocess.Popen(
        [str(VOICECHAT), "load", str(scenario), "--master", "--master-port", port, "--users",
         "1", "--duration", "20s", "--transport", "websocket"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=_env(tmp_path), cwd=tmp_path)
    _listening(port, master)
    worker = subprocess.Popen(
        [str(VOICECHAT), "load", str(scenario), "--worker", "--master-host", "127.0.0.1",
         "--master-port", port, "--transport", "websocket"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=_env(tmp_path, VOICECHAT_LOAD_TEST_VERSION="0.0.1"),
        cwd=tmp_path, start_new_session=True)
    try:
        out, err = master.communicate(timeout=90)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
    assert master.returncode == 2, out[-2000:] + err[-2000:]
    assert "runs voicechat 0.0.1, the master" in err
    assert "install the same version on every machine" in err


def test_a_master_no_worker_joins_says_where_it_waits_and_stops(tmp_path: Path) -> None:
    """It said nothing and waited for ever, printing empty tables (issue 79): now where it
    waits, at once, and after --worker-wait a refusal with the fix, exit code 2."""
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    report = tmp_path / "summary.json"
    port = str(_free_port())
    proc = _load(tmp_path, str(scenario), "--master", "--master-port", port, "--users", "1",
                 "--duration", "20s", "--worker-wait", "2s", "--transport", "websocket",
                 "--json", str(report), timeout=120)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"the master waits up to 2s for 1 worker(s) on 127.0.0.1:{port}" in proc.stderr
    assert "0 of 1 worker(s) joined within 2 s (--worker-wait)" in proc.stderr
    assert "--worker --master-host HOST" in proc.stderr
    assert json.loads(report.read_text())["refusal"].startswith("0 of 1 worker(s) joined")
    bad = _load(tmp_path, str(scenario), "--master", "--worker-wait", "soon")
    assert bad.returncode == 2 and "--worker-wait 'soon'" in bad.stderr


def test_a_server_that_is_not_there_stops_the_run_with_the_reason(tmp_path: Path) -> None:
    """No conversation can start: said once with the reason and the fix, the run stopped,
    not thousands of refused tries (a refusal that will not change is not retried in a loop)."""
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    report = tmp_path / "summary.json"
    with socket.socket() as held:  # bound and never listening: refused, and no other test's
        held.bind(("127.0.0.1", 0))  # server can take the port meanwhile
        port = held.getsockname()[1]
        proc = _load(tmp_path, str(scenario), "--users", "3", "--duration", "60s",
                     "--server", f"http://127.0.0.1:{port}", "--transport", "websocket",
                     "--json", str(report))
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "no conversation could start" in proc.stderr and "fix the server" in proc.stderr
    summary = json.loads(report.read_text())
    assert summary["errors"] == {"refused": summary["failures"][0]["count"]}
    # a refusal keeps its first logs too, whatever port or id its text carries
    assert 1 <= len(summary["failures"][0]["logs"]) <= 3
    # no conversation had an answer: no time, not 0 ms (issue 79)
    [sessions] = [turn for turn in summary["turns"] if turn["name"] == "session"]
    assert sessions["measured"] == 0 and sessions["first_audio_ms"] is None
    # stopped after the first tries: run to its end, 3 callers retrying every second would
    # have made ~180
    assert summary["failures"][0]["count"] <= 12


def test_the_engine_imports_its_transport_before_the_first_caller(tmp_path: Path) -> None:
    """The first WebRTC call otherwise imported aiortc, PyAV and cryptography on the loop that
    runs every caller's conversation (~200 ms held)."""
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    probe = ("import json, os, sys\n"
             "from voicechat.load.engine import Engine, PLAN_VARIABLE\n"
             "Engine(sys.stderr).prepare(json.loads(os.environ[PLAN_VARIABLE]))\n"
             "print(json.dumps(sorted({m for m in ('aiortc', 'av', 'voicechat.transport.webrtc',"
             " 'voicechat.transport.websocket') if m in sys.modules})))\n")
    seen = {}
    for transport in ("webrtc", "websocket"):
        plan = {"scenario": str(scenario), "flags": {"transport": transport}}
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              timeout=120, env=_env(tmp_path, VOICECHAT_LOAD_PLAN=json.dumps(plan)),
                              cwd=tmp_path, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        seen[transport] = json.loads(proc.stdout)
    assert seen["webrtc"] == ["aiortc", "av", "voicechat.transport.webrtc"]
    assert seen["websocket"] == ["voicechat.transport.websocket"]


def _alive_in_group(group: int) -> list[str]:
    """The processes of a process group still running (zombies aside), by command line."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _ppid, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if int(pgrp) == group and state != "Z":
            alive.append(command)
    return alive


def test_the_run_ends_with_its_workers_and_says_when_nothing_was_measured(
        tmp_path: Path) -> None:
    """Calls longer than the run: the callers hang up at its end, every Locust worker and
    engine goes with it (a worker left behind joined the next run's master and gave it its
    cut conversations as dropped turns), and a run that measured nothing is not a pass."""
    scenario = write(tmp_path, "long.yaml", OUTLASTS_THE_RUN)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [str(VOICECHAT), "load", str(scenario), "--users", "2", "--workers", "2",
         "--duration", "6s", "--transport", "websocket"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=_env(tmp_path, TMPDIR=str(scratch)),
        cwd=tmp_path, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
        deadline = time.monotonic() + 5
        while _alive_in_group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive_in_group(proc.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, out[-3000:] + err[-3000:]
    assert "no turn finished within the run, so nothing was measured" in err
    # a failed run keeps its files, and says where: the local server's log may say why
    [kept] = scratch.glob("voicechat-load-*")
    assert f"the run's files are kept in {kept}" in err
    assert (kept / "serve.log").exists()
    assert "Traceback" not in out + err


def _started_until_a_turn_is_measured(tmp_path: Path, scenario: Path,
                                      *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    """``voicechat load`` in a session of its own, once Locust's table shows a second turn
    measured (a conversation has run); its stderr lines so far, and on, in the list."""
    proc = subprocess.Popen(
        [str(VOICECHAT), "load", str(scenario), "--users", "2", "--workers", "2", "--duration",
         "90s", "--transport", "websocket", *extra], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=_env(tmp_path), cwd=tmp_path,
        stdin=subprocess.DEVNULL, start_new_session=True)
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "two turns · 2 say" in line:
                seen.set()

    threading.Thread(target=read, daemon=True).start()
    if not seen.wait(90):
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("no turn was measured within 90 s: " + "".join(lines)[-2000:])
    return proc, lines


def _group_ends(group: int, within_s: float) -> list[str]:
    deadline = time.monotonic() + within_s
    while _alive_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _alive_in_group(group)


def test_a_run_stopped_by_sigterm_reports_what_ran_and_ends_every_child(tmp_path: Path) -> None:
    """SIGTERM (CI's cancel, ``timeout``, Kubernetes) ended the run at once with no report,
    and its Locust, engines and server ran on (issue 79): now the callers stop, the summary
    and --json say what ran, every child ends, and the exit status is 143."""
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    report = tmp_path / "summary.json"
    proc, lines = _started_until_a_turn_is_measured(tmp_path, scenario, "--json", str(report))
    try:
        proc.send_signal(signal.SIGTERM)
        assert proc.stdout is not None
        out = proc.stdout.read()
        assert proc.wait(60) == 128 + signal.SIGTERM, out[-2000:] + "".join(lines)[-2000:]
        assert _group_ends(proc.pid, 20) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    summary = json.loads(report.read_text())
    assert summary["sessions"] >= 1 and summary["errors"] == {}
    assert any(turn["count"] >= 1 for turn in summary["turns"])
    assert "=== voicechat load: 2 user(s) on 2 worker(s)" in out
    assert "stopped by SIGTERM; the figures are for what ran until then" in "".join(lines)


def test_a_killed_run_takes_its_server_locust_and_engines_with_it(tmp_path: Path) -> None:
    """SIGKILL of ``voicechat load`` alone (not its group): its server stayed for ever and
    Locust with its engines ran to the end of --duration (issue 79); the kernel now ends each
    child with its parent (voicechat/lifeline.py)."""
    scenario = write(tmp_path, "two.yaml", TWO_TURNS)
    proc, _lines = _started_until_a_turn_is_measured(tmp_path, scenario)
    try:
        children = _alive_in_group(proc.pid)
        assert any("voicechat serve" in c for c in children), children
        assert any("voicechat.load.engine" in c for c in children), children
        proc.kill()
        proc.wait(10)
        assert _group_ends(proc.pid, 30) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
