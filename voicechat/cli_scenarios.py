"""The command line of ``voicechat test`` and ``voicechat load``: their options, kept out of
:mod:`voicechat.cli` (which registers them) so that module stays one screenful per concern.

Like the rest of the command line this imports nothing heavy: each function imports its
implementation from :mod:`voicechat.commands` when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voicechat import cli_options as opt


def test_scenarios(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="SCENARIO_OR_DIR...", show_default=False,
                       help="Scenario files (YAML) or folders of them."),
    ] = None,
    server: opt.Server = None,
    provider: opt.Provider = None,
    transport: opt.Transport = None,
    api: opt.Api = None,
    model: opt.Model = None,
    dialect: opt.Dialect = None,
    config: opt.Config = None,
    junit: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write JUnit XML (a testcase per "
                                                       "scenario run) for CI servers.")
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", metavar="FILE",
                                  help="Write every run's turns, checks and figures as JSON.")
    ] = None,
    keep: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Keep each run's event log, both sides' "
                                  "audio (WAV) and the doctor's report in DIR.")
    ] = None,
    repeat: Annotated[
        int, typer.Option(metavar="N", min=1, max=1000,
                          help="Run each scenario N times: pass counts and latency "
                               "percentiles across runs (model answers vary).")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option(metavar="N", min=1, max=64, help="Scenario runs at once.")
    ] = 1,
    select: Annotated[
        str | None, typer.Option("-k", metavar="PATTERN",
                                 help="Run the scenarios whose name or file matches: words "
                                      "with and, or, not (as pytest's -k).")
    ] = None,
    judge_url: Annotated[
        str | None, typer.Option(metavar="URL", help="An OpenAI-compatible chat endpoint "
                                 "that grades reply.judge (key: VOICECHAT_JUDGE_API_KEY, else "
                                 "OPENAI_API_KEY).")
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option(metavar="NAME", help="The judge's model.")
    ] = None,
    turn_timeout: Annotated[
        float | None, typer.Option(metavar="SECONDS", min=1, max=3600,
                                   help="How long a turn may wait for its answer "
                                        "(default 30).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Run against a paid service without "
                                      "asking (the estimated cost is still shown).")] = False,
    verbose: opt.Verbose = 0,
    log_level: opt.LogLevel = None,
) -> None:
    """Run spoken conversation tests (scenario files) against a voice agent: exit 0 when all
    pass, 1 when one fails, 2 for usage and scenario errors."""
    from voicechat.commands import test as test_command

    raise typer.Exit(test_command.run(
        paths or [], server=server, provider=provider, transport=transport, api=api,
        model=model, dialect=dialect, config=config, junit=junit, json_path=json_path,
        keep=keep, repeat=repeat, concurrency=concurrency, select=select,
        judge_url=judge_url, judge_model=judge_model, turn_timeout=turn_timeout, yes=yes,
        verbose=verbose, log_level=log_level))


def load_scenario(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="A scenario file (as voicechat test's).")
    ],
    users: Annotated[int, typer.Option(metavar="N", min=1, max=100000,
                                       help="Concurrent callers.")] = 1,
    spawn_rate: Annotated[
        float | None, typer.Option(metavar="R", min=0.01,
                                   help="Callers started per second (default: all within 10 s, or "
                                        "a quarter of a shorter run).")
    ] = None,
    duration: Annotated[
        str, typer.Option(metavar="S", help="How long: seconds or with a unit (40, 40s, 5m).")
    ] = "60s",
    workers: Annotated[
        int, typer.Option(metavar="K", min=1, max=256,
                          help="Local worker processes (one per core).")
    ] = 1,
    master: Annotated[bool, typer.Option("--master", help="Run as the master of workers on "
                                         "other machines (--expect-workers K).")] = False,
    worker: Annotated[bool, typer.Option("--worker", help="Run as a worker of the master at "
                                         "--master-host.")] = False,
    master_host: Annotated[
        str | None, typer.Option(metavar="HOST", help="Where a --worker finds its master.")
    ] = None,
    master_port: Annotated[int, typer.Option(metavar="PORT", min=1, max=65535,
                                             help="The master's port.")] = 5557,
    master_bind_host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address a --master listens on (0.0.0.0 "
                          "for workers on other machines).")
    ] = "127.0.0.1",
    expect_workers: Annotated[
        int | None, typer.Option(metavar="K", min=1, help="Workers a --master waits for.")
    ] = None,
    worker_wait: Annotated[
        str, typer.Option(metavar="DURATION", help="How long a --master waits for its "
                          "workers before it stops with exit code 2 (e.g. 60s, 5m).")
    ] = "60s",
    server: opt.Server = None,
    provider: opt.Provider = None,
    transport: opt.Transport = None,
    api: opt.Api = None,
    model: opt.Model = None,
    dialect: opt.Dialect = None,
    config: opt.Config = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Write the summary as JSON.")
    ] = None,
    csv: Annotated[
        str | None, typer.Option(metavar="PREFIX", help="Locust's CSV statistics.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Locust's HTML report.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Run against a paid service without "
                                      "asking (the estimated cost is still shown).")] = False,
    turn_timeout: Annotated[
        float | None, typer.Option(metavar="SECONDS", min=1, max=3600,
                                   help="How long a turn may wait for its answer (30).")
    ] = None,
    failed_logs: Annotated[
        int, typer.Option(metavar="N", min=0, max=1000,
                          help="Event logs kept of each failure's first conversations, per "
                               "process, in the run's folder (0: none).")
    ] = 3,
) -> None:
    """Run a scenario as many concurrent callers (Locust): per-turn first-audio percentiles
    and failures by kind; exit 0 when no turn failed, 1 otherwise, 2 for usage errors."""
    from voicechat.commands import load as load_command

    raise typer.Exit(load_command.run(
        scenario, users=users, spawn_rate=spawn_rate, duration=duration, workers=workers,
        master=master, worker=worker, master_host=master_host, master_port=master_port,
        master_bind_host=master_bind_host, expect_workers=expect_workers,
        worker_wait=worker_wait, server=server,
        provider=provider, transport=transport, api=api, model=model, dialect=dialect,
        config=config, json_path=json_path, csv_prefix=csv, html_path=html, yes=yes,
        turn_timeout=turn_timeout, failed_logs=failed_logs))
