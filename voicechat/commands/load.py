"""``voicechat load SCENARIO``: the scenario as many concurrent callers, on Locust (issue 54).

Everything a run can be refused for is said before Locust starts (exit 2, with the fix): the
scenario (read and planned as ``voicechat test`` plans it: a bad key, a voice espeak-ng lacks,
an interruption a family cannot time), the duration, fewer users than workers, a master that
cannot be reached, Locust not installed; and against a paid provider the estimated cost is
shown and confirmed (``--yes`` skips the question; with no terminal to ask on, the run needs
it). Against ``--server local`` a ``voicechat serve`` is started beside the run (one per
machine that runs callers), with the scenario's responder. Then Locust runs as a child process
(:mod:`voicechat.load.locustfile`), headless, its own live statistics on the terminal, and
at the end the summary is printed (and written with ``--json``). Exit 0 when no turn failed,
1 otherwise, 2 for usage errors (and a worker on another voicechat version).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from voicechat.commands.output_paths import check_output_file
from voicechat.commands.paid import confirmed, is_paid
from voicechat.commands.serve import READY_LINE
from voicechat.config import ConfigError
from voicechat.lifeline import ends_with_us

#: Locust's master port, and how long a worker waits to reach the master before refusing
MASTER_PORT = 5557
REACH_MASTER_S = 5.0
LOCUSTFILE = Path(__file__).resolve().parents[1] / "load" / "locustfile.py"
#: without ``--spawn-rate`` the callers are ramped in over this long (or a quarter of a shorter
#: run). Started all at once, callers running one scenario stay in step for the whole run, so
#: every turn of theirs lands in the same instant: a burst no real line sees, and not what
#: "how many calls does it hold" asks (bench_load.py, 100 callers on one worker core: +12 ms
#: to p95 first audio ramped, +60–96 ms in step). A burst is still one ``--spawn-rate`` away.
RAMP_S = 10.0
#: how long a stopped run waits for Locust to stop its callers and write its summary
STOP_GRACE_S = 30.0


def run(scenario_path: str, *, users: int, spawn_rate: float | None, duration: str,
        workers: int, master: bool, worker: bool, master_host: str | None,
        master_port: int, master_bind_host: str, expect_workers: int | None,
        server: str | None, provider: str | None, transport: str | None, api: str | None,
        model: str | None, dialect: str | None, config: Path | None,
        json_path: Path | None, csv_prefix: str | None, html_path: Path | None,
        yes: bool, turn_timeout: float | None, worker_wait: str = "60s",
        failed_logs: int = 3) -> int:
    try:
        seconds = parse_duration(duration)
        wait_s = parse_duration(worker_wait, what="--worker-wait")
        _check_roles(users, workers, master, worker, master_host)
        # the reports' paths before the run: a typo lost a whole run's figures
        for path, flag in ((json_path, "--json"), (html_path, "--html")):
            if path is not None:
                check_output_file(path, flag)
        if csv_prefix:  # Locust writes PREFIX_stats.csv and its siblings
            check_output_file(Path(f"{csv_prefix}_stats.csv"), "--csv")
        if worker:
            reach_master(master_host or "127.0.0.1", master_port)
        if master:
            master_port_free(master_bind_host, master_port)
        _check_locust()
        from voicechat.commands.test import base_settings, plan, read_scenario

        flags = {"server": server, "provider": provider, "transport": transport, "api": api,
                 "model": model, "dialect": dialect}
        scenario = read_scenario(Path(scenario_path))
        base = base_settings(flags, config)
        planned = plan(scenario, base)  # every check voicechat test makes, audio included
        if not master and is_paid(base) and not confirmed(
                "load", base, f"{users} caller(s) for {seconds:g} s", users, seconds, yes):
            return 2
    except (ConfigError, ValueError) as exc:
        print(f"voicechat load: {exc}", file=sys.stderr)
        return 2
    phrases = planned.settings.local_asr_phrases  # the say: lines, as voicechat test hears them
    del planned
    folder = Path(tempfile.mkdtemp(prefix="voicechat-load-"))
    summary_path = folder / "summary.json"
    serve = None
    if base.is_local and not master:
        serve, flags["server"] = _start_local_server(scenario, base, phrases,
                                                     folder / "serve.log")
        print(f"voicechat load: a local server for the callers at {flags['server']} (its "
              f"log, kept if the run fails: {folder / 'serve.log'})", flush=True)
    plan_data = {"scenario": str(Path(scenario_path).resolve()), "flags": flags,
                 "config": str(config.resolve()) if config else None, "users": users,
                 "turn_timeout": turn_timeout or 30.0, "worker_wait_s": wait_s,
                 "expect_workers": expect_workers or 1,
                 "failed_logs": {"folder": str(folder / "failed-logs"),
                                 "per_failure": failed_logs}}
    env = dict(os.environ)
    env["VOICECHAT_LOAD_PLAN"] = json.dumps(plan_data)
    env["VOICECHAT_LOAD_SUMMARY"] = str(summary_path)
    command = _locust_command(users=users, spawn_rate=spawn_rate or default_spawn_rate(
                                  users, seconds),
                              seconds=seconds, workers=workers, master=master, worker=worker,
                              master_host=master_host, master_port=master_port,
                              master_bind_host=master_bind_host,
                              expect_workers=expect_workers, csv_prefix=csv_prefix,
                              html_path=html_path)
    if master:
        # said at once: a master no worker joins printed only empty tables (issue 79)
        print(f"voicechat load: the master waits up to {worker_wait} for "
              f"{expect_workers or 1} worker(s) on {master_bind_host}:{master_port}; start "
              f"each with `voicechat load {scenario_path} --worker --master-host HOST "
              f"--master-port {master_port}`", file=sys.stderr, flush=True)
    try:
        code, stopped_by = _run_locust(command, env)
    finally:
        if serve is not None:
            serve.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                serve.wait(10)
    if not worker:
        code = _report(summary_path, json_path, code)
    if stopped_by is not None:
        # what ran is reported above; the exit status still says the run was stopped
        print(f"voicechat load: stopped by {signal.Signals(stopped_by).name}; the figures "
              "are for what ran until then", file=sys.stderr, flush=True)
        code = 128 + stopped_by
    _tidy(folder, code)
    return code


def _run_locust(command: list[str], env: dict[str, str]) -> tuple[int, int | None]:
    """Run Locust to its end; its exit code, and the signal that stopped the run (if any).

    SIGTERM or SIGHUP (what CI's cancel, ``timeout`` and Kubernetes send) is passed on to
    Locust, which stops its callers and writes the summary of what ran; the run then reports
    it as at the end. Ctrl-C reaches Locust itself (one process group): the run waits for it
    the same way. Locust gets SIGTERM should this process end without a word (lifeline.py).
    A Locust that has not stopped ``STOP_GRACE_S`` after it was told is killed."""
    locust = subprocess.Popen(command, env=env, preexec_fn=ends_with_us())
    stopped: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopped.append(signum)
        with contextlib.suppress(ProcessLookupError):
            locust.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        kill_at: float | None = None
        while True:
            try:
                code = locust.wait(0.25)
                return code, stopped[0] if stopped else None
            except KeyboardInterrupt:
                stopped.append(signal.SIGINT)
            except subprocess.TimeoutExpired:
                if not stopped:
                    continue
                kill_at = kill_at or time.monotonic() + STOP_GRACE_S
                if time.monotonic() >= kill_at:
                    locust.kill()
                    return locust.wait(), stopped[0]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _tidy(folder: Path, code: int) -> None:
    """The run's own files (the summary the master wrote, the local server's log, the first
    failed conversations' event logs): gone after a pass, kept and named after a failure,
    where the logs may say why. (A folder per run was left in the temp directory every
    time.) A worker's Locust may end 0 over failed turns: its logs keep its folder."""
    logs = folder / "failed-logs"
    if (code == 0 and not logs.exists()) or not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)
        return
    kept = f" (the failed conversations' event logs in {logs})" if logs.exists() else ""
    print(f"voicechat load: the run's files are kept in {folder}{kept}", file=sys.stderr)


def default_spawn_rate(users: int, seconds: float) -> float:
    """Callers started per second when ``--spawn-rate`` is not given: all of them within
    :data:`RAMP_S`, or within a quarter of a shorter run (see there why not all at once)."""
    return users / min(RAMP_S, max(seconds, 1.0) / 4)


def parse_duration(text: str, what: str = "--duration") -> float:
    """``40``, ``40s``, ``5m``, ``1h`` (also ``1m30s``) → seconds; a usage error naming
    ``what`` otherwise."""
    raw = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        seconds = float(raw)
    else:
        parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", raw)
        if not raw or parts is None:
            raise ValueError(f"{what} {text!r}: give seconds or a time with units, e.g. "
                             "40, 40s, 5m, 1m30s")
        hours, minutes, secs = (int(p) if p else 0 for p in parts.groups())
        seconds = hours * 3600.0 + minutes * 60.0 + secs
    if seconds <= 0:
        raise ValueError(f"{what} {text!r}: give a time above zero (e.g. 40s)")
    return seconds


def _check_roles(users: int, workers: int, master: bool, worker: bool,
                 master_host: str | None) -> None:
    if master and worker:
        raise ValueError("--master and --worker are two processes: start the master once, "
                         "then a --worker --master-host HOST on each machine")
    if master_host is not None and not worker:
        raise ValueError("--master-host is where a --worker finds its master; add --worker")
    if (master or worker) and workers != 1:
        raise ValueError("--workers starts local workers of a standalone run; with --master "
                         "say how many to wait for with --expect-workers, and start each with "
                         "--worker")
    if users < max(1, workers):
        raise ValueError(f"--users {users} is fewer than --workers {workers}: a worker would "
                         "have no caller; use at least as many users as workers")


def reach_master(host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=REACH_MASTER_S):
            return
    except OSError as exc:
        raise ValueError(f"cannot reach the master at {host}:{port} ({exc.strerror or exc}); "
                         f"start `voicechat load SCENARIO --master` there first (and "
                         f"--master-bind-host 0.0.0.0 for other machines)") from None


def master_port_free(host: str, port: int) -> None:
    """Said before Locust starts: its master met a taken port with a ZMQ traceback. (Another
    program may still take the port in the moment between; Locust then says so its way.)"""
    with socket.socket() as probe:
        # as ZMQ binds: a port only in TIME_WAIT after the last run is free to it
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ValueError(f"--master-port {port} on {host} is taken ({exc.strerror or exc}): "
                             "another run's master, or another program; pick a free port "
                             "with --master-port and give the workers the same") from None


def _check_locust() -> None:
    import importlib.util

    if importlib.util.find_spec("locust") is None:
        raise ValueError("voicechat load runs on Locust, which is not installed; fix: "
                         "pip install 'voicechat[load]'")


def _start_local_server(scenario: Any, base: Any, phrases: list[str] | None,
                        log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A ``voicechat serve`` for this machine's callers, with the scenario's responder and its
    recognition grammar (the ``say:`` lines, as ``voicechat test``'s embedded server has it:
    without it the offline recogniser, free to hear anything, made "please don't what the
    lights" of "Please turn on the kitchen lights." in 3–9 of 15–17 conversations of the
    README's example). Its log goes to ``log``, not to a pipe nobody reads once it runs: a
    session's two lines filled one in about 200 conversations and then held its loop."""
    responder = scenario.local_responder or base.local_responder
    # --port 0 and the port it says it took: a port picked free here and handed over could be
    # taken by another program in between, and then the readiness probe below answered for
    # that program's server while ours had died (a CI run's callers all refused, issue 79)
    command = [sys.executable, "-m", "voicechat", "serve", "--port", "0", "--voice",
               base.local_voice, "--responder", responder]
    for phrase in phrases or ():
        command.append(f"--asr-phrase={phrase}")  # a phrase may begin with "-"
    with open(log, "wb") as out:
        # it ends with this process, however that ends (lifeline.py); its ready line (stdout,
        # flushed) and its log (stderr) both go to the file
        serve = subprocess.Popen(command, stdout=out, stderr=out, preexec_fn=ends_with_us())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        said = log.read_bytes().decode(errors="replace")
        ready = READY_LINE.search(said)
        if ready:
            return serve, ready.group(1)
        if serve.poll() is not None:
            raise ValueError(f"the local server did not start: {said.strip()[-300:]}")
        time.sleep(0.05)
    serve.kill()
    raise ValueError("the local server did not start within 60 s")


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for the local server, and the local workers' master)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _locust_command(*, users: int, spawn_rate: float, seconds: float, workers: int,
                    master: bool, worker: bool, master_host: str | None, master_port: int,
                    master_bind_host: str, expect_workers: int | None,
                    csv_prefix: str | None, html_path: Path | None) -> list[str]:
    # --stop-timeout 0: at the run's end the callers hang up. Locust's master waits 0.5 s for
    # its workers' last figures, so a conversation finishing later was never counted, while a
    # stop timeout kept the workers (and their engines) alive after the master had gone, up
    # to the timeout: they then joined the next run's master on the same port and gave it
    # their conversations, cut when their server stopped, as "dropped" turns.
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
               "--users", str(users), "--spawn-rate", f"{spawn_rate:g}",
               "--run-time", f"{max(1, round(seconds))}s", "--stop-timeout", "0",
               "--loglevel", "WARNING", "--host", "voicechat"]
    if worker:
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
                   "--master-host", master_host or "127.0.0.1", "--master-port",
                   str(master_port), "--loglevel", "WARNING"]
        return command
    if master:
        command += ["--master", "--master-bind-host", master_bind_host, "--master-bind-port",
                    str(master_port), "--expect-workers", str(expect_workers or 1)]
    elif workers > 1:
        # a port of this run's own: no other Locust on the machine joins its master
        port = str(_free_port())
        command += ["--processes", str(workers), "--master-bind-port", port, "--master-port",
                    port]
    if csv_prefix:
        command += ["--csv", csv_prefix]
    if html_path is not None:
        command += ["--html", str(html_path)]
    return command


def _report(summary_path: Path, json_path: Path | None, code: int) -> int:
    if not summary_path.exists():
        print("voicechat load: the run ended without a summary (Locust stopped early: see "
              "above)", file=sys.stderr)
        return code or 1
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    print("\n".join(summary_lines(summary)), flush=True)
    if json_path is not None:
        json_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if summary.get("refusal"):
        return 2
    if not any(turn["count"] for turn in summary["turns"]):
        # nothing measured is not a pass: the conversations all outlasted the run
        print("voicechat load: no turn finished within the run, so nothing was measured; "
              "give a --duration of several conversations' length", file=sys.stderr)
        return 1
    failed = any(turn["failures"] for turn in summary["turns"])
    return 1 if failed or code == 1 else code


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The summary as ``voicechat load`` prints it at the end."""
    lost = f" ({len(summary['workers_lost'])} lost)" if summary.get("workers_lost") else ""
    lines = [f"=== voicechat load: {summary.get('users')} user(s) on {summary.get('workers')} "
             f"worker(s){lost}, {summary.get('duration_s') or '–'} s, {summary.get('sessions')} "
             "conversation(s) ==="]
    lines.append(f"{'turn':<52} {'count':>6} {'fail':>5}  first audio p50 / p95 / p99 ms")
    for turn in summary["turns"]:
        figures = turn["first_audio_ms"] or {}
        cells = " / ".join(f"{figures.get(k):.0f}" if figures.get(k) is not None else "–"
                           for k in ("p50", "p95", "p99"))
        name = turn["name"] if len(turn["name"]) <= 52 else turn["name"][:49] + "..."
        lines.append(f"{name:<52} {turn['count']:>6} {turn['failures']:>5}  {cells}")
    if summary["errors"]:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(summary["errors"].items()))
        lines.append(f"failures by kind: {kinds}")
        if summary.get("checks"):
            checks = ", ".join(f"{check} {count}" for check, count in
                               sorted(summary["checks"].items(), key=lambda kv: -kv[1]))
            lines.append(f"failed checks: {checks}")
        for failure in sorted(summary["failures"], key=lambda f: -f["count"])[:10]:
            lines.append(f"  {failure['count']}× {failure['name']}: [{failure['kind']}] "
                         f"{failure['reason']}")
            if failure.get("example"):  # the failure names the checks; one with its values
                lines.append(f"      e.g. {failure['example']}")
            for log in failure.get("logs") or ():  # `voicechat doctor LOG` says why
                lines.append(f"      log: {log}")
    if summary.get("workers_lost"):
        lines.append(f"workers lost during the run: {', '.join(summary['workers_lost'])}")
    return lines
