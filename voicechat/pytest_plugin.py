"""The pytest plugin (entry point ``pytest11``): scenario files collected as test items.

Teams with a pytest suite keep one runner: ``pytest`` collects scenario files beside their
tests, so pytest's ``-k``, ``-x``, ``--junitxml``, ``-n`` (xdist) and reports work on them, and
each item runs exactly what ``voicechat test FILE`` runs (the same settings, runtime, verdicts
and failure text).

Which YAML files are scenarios (decided: a repository holds CI and other YAML that must never
be run as a conversation): files named ``test_*.yaml`` or ``test_*.yml``, other names given by
the ``voicechat_scenario_files`` ini option (glob patterns, e.g. ``*.yaml`` in a folder of
scenarios only), and any YAML file named on the command line. Where and how to connect:
``--voicechat-server``, ``--voicechat-provider``, ``--voicechat-transport``, ``--voicechat-api``,
``--voicechat-model``, ``--voicechat-dialect``, ``--voicechat-config`` (the same values as
``voicechat test``'s flags; unset, the config file and environment decide, as for
``voicechat``); a paid service needs ``--voicechat-yes``. What a run keeps and reports, as
``voicechat test`` does (issue 79): ``--voicechat-turn-timeout``, ``--voicechat-repeat N``
(items ``NAME[1]``..``NAME[N]``), ``--voicechat-keep DIR`` (every run's files in a folder CI
archives, not only a failed run's in a temporary one) and ``--voicechat-json FILE``, their
paths checked before anything runs. A scenario file that cannot run fails its collection with
the file, line and key.

Nothing heavy is imported until a scenario is collected: every pytest run of a project that
has voicechat installed loads this module.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import pytest

DEFAULT_PATTERNS = ("test_*.yaml", "test_*.yml")
#: voicechat test's connection flags, as ``--voicechat-NAME VALUE``
OPTIONS = ("server", "provider", "transport", "api", "model", "dialect", "config")
#: every run's result, for ``--voicechat-json`` at the session's end
_RESULTS = pytest.StashKey[list[Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("voicechat", "voicechat scenario files")
    for name in OPTIONS:
        group.addoption(f"--voicechat-{name}", dest=f"voicechat_{name}", default=None,
                        metavar="VALUE", help=f"voicechat test's --{name} for scenario files")
    group.addoption("--voicechat-yes", dest="voicechat_yes", action="store_true",
                    help="run scenario files against a paid service (voicechat test's --yes)")
    group.addoption("--voicechat-turn-timeout", dest="voicechat_turn_timeout", type=float,
                    default=None, metavar="SECONDS",
                    help="how long a turn may wait for its answer (voicechat test's, 30)")
    group.addoption("--voicechat-repeat", dest="voicechat_repeat", type=int, default=1,
                    metavar="N", help="each scenario file N times, as items NAME[1]..NAME[N]")
    group.addoption("--voicechat-keep", dest="voicechat_keep", default=None, metavar="DIR",
                    help="every run's event log, audio and doctor's report in DIR (a failed "
                         "run's log is kept without it too, in a temporary folder)")
    group.addoption("--voicechat-json", dest="voicechat_json", default=None, metavar="FILE",
                    help="voicechat test's --json report of every scenario run")
    parser.addini("voicechat_scenario_files", type="args", default=list(DEFAULT_PATTERNS),
                  help="glob patterns of YAML files that are voicechat scenarios")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    patterns = parent.config.getini("voicechat_scenario_files")
    named = parent.session.isinitpath(file_path)
    if named or any(fnmatch.fnmatch(file_path.name, p) for p in patterns):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Any:
        from voicechat.commands.test import read_scenario
        from voicechat.scenario.spec import ScenarioError

        try:
            scenario = read_scenario(self.path)
        except ScenarioError as exc:  # the file, line and key; no traceback
            raise self.CollectError(f"voicechat test: {exc}") from None
        repeat = self.config.getoption("voicechat_repeat")
        if repeat < 1:
            raise self.CollectError(f"--voicechat-repeat {repeat}: give 1 or more")
        if repeat == 1:
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)
            return
        for count in range(1, repeat + 1):
            yield ScenarioItem.from_parent(self, name=f"{scenario.name}[{count}]",
                                           scenario=scenario, count=count)


class ScenarioFailed(Exception):
    """A run that did not pass: its text is the failure as ``voicechat test`` prints it."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Any, count: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.count = count  # which of --voicechat-repeat's runs

    def runtest(self) -> None:
        import asyncio
        import dataclasses
        import shutil
        import tempfile

        from voicechat.commands.output_paths import set_earlier_run_aside
        from voicechat.commands.test import (
            base_settings,
            doctor_findings,
            folder_stem,
            plan,
            write_doctor,
        )
        from voicechat.voicetest.report import failure_text
        from voicechat.voicetest.run import DEFAULT_TURN_TIMEOUT_S, RunOptions, run_scenario

        option = self.config.getoption
        flags = {name: option(f"voicechat_{name}") for name in OPTIONS if name != "config"}
        config = option("voicechat_config")
        base = base_settings(flags, Path(config) if config else None)
        _guard_cost(self.config, base)
        planned = plan(self.scenario, base)
        keep = option("voicechat_keep")
        if keep is None:
            folder = Path(tempfile.mkdtemp(prefix="voicechat-test-"))
        else:  # one folder a run, an earlier run's files set aside, as voicechat test's
            folder = Path(keep) / folder_stem(self.name)
            folder.mkdir(parents=True, exist_ok=True)
            set_earlier_run_aside(folder)
        settings = dataclasses.replace(planned.settings, record=folder / "events.jsonl")
        timeout = option("voicechat_turn_timeout") or DEFAULT_TURN_TIMEOUT_S
        result = asyncio.run(run_scenario(
            self.scenario, settings, planned.family, planned.audio,
            RunOptions(turn_timeout_s=timeout, folder=folder, keep=keep is not None,
                       doctor=doctor_findings)))
        result.repeat = self.count
        self.config.stash.setdefault(_RESULTS, []).append(result)
        if keep is None and result.outcome == "passed":  # a failed run's files stay
            shutil.rmtree(folder, ignore_errors=True)
            result.files.clear()
        elif result.doctor_checked:
            write_doctor(folder, result.doctor)
            result.files["doctor"] = str(folder / "doctor.txt")
        for index, verdict in result.skipped:
            self.add_report_section("call", "skipped checks",
                                    f"turn {index + 1}: {verdict.check}: {verdict.reason}")
        if result.outcome != "passed":
            raise ScenarioFailed(failure_text(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        from voicechat.config import ConfigError
        from voicechat.scenario.spec import ScenarioError

        if isinstance(excinfo.value, ScenarioError | ConfigError | ValueError):
            return f"voicechat test: {excinfo.value}"
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"


def pytest_configure(config: pytest.Config) -> None:
    """The output paths before anything runs, as ``voicechat test`` checks them: a typo lost a
    suite's results (exit 2 with the fix; issue 79)."""
    json_path, keep = config.getoption("voicechat_json"), config.getoption("voicechat_keep")
    if json_path is None and keep is None:
        return
    if json_path is not None and config.getoption("numprocesses", default=None):
        # each xdist worker holds only its own runs: one would overwrite the other's file
        raise pytest.UsageError("voicechat: --voicechat-json gathers every run in one process; "
                                "drop -n for it, or keep pytest's --junitxml, which xdist "
                                "gathers")
    from voicechat.commands.output_paths import check_output_file, check_output_folder

    try:
        if json_path is not None:
            check_output_file(Path(json_path), "--voicechat-json")
        if keep is not None:
            check_output_folder(Path(keep), "--voicechat-keep")
    except ValueError as exc:
        raise pytest.UsageError(f"voicechat: {exc}") from None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """``--voicechat-json``: voicechat test's report of every scenario run of the session."""
    json_path = session.config.getoption("voicechat_json")
    results = session.config.stash.get(_RESULTS, [])
    if json_path is None or not results:
        return
    import json

    from voicechat.voicetest.report import to_json

    seconds = sum(result.duration_s for result in results)
    Path(json_path).write_text(json.dumps(to_json(results, seconds), indent=2) + "\n",
                               encoding="utf-8")


def _guard_cost(config: pytest.Config, base: Any) -> None:
    """A paid service runs only with ``--voicechat-yes``: with ``OPENAI_API_KEY`` set for
    another job, every scenario file quietly went to OpenAI's API (issue 79). A refusal that
    no retry changes ends the session once, exit 2, rather than failing every item."""
    from voicechat.commands.paid import is_paid

    if not is_paid(base) or config.getoption("voicechat_yes"):
        return
    chose = ("--voicechat-server" if "server" in base.origins else
             "an API key in the environment (no --voicechat-server was given)")
    pytest.exit(f"voicechat: the scenario files would run against {base.describe_server()}, a "
                f"paid service chosen by {chose}; pass --voicechat-yes to run them there, or "
                "--voicechat-server local for the offline server", returncode=2)
