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
``--voicechat-model``, ``--voicechat-config`` (the same values as ``voicechat test``'s flags;
unset, the config file and environment decide, as for ``voicechat``); a paid service needs
``--voicechat-yes``. A scenario file that cannot run fails its collection with the file, line
and key.

Nothing heavy is imported until a scenario is collected: every pytest run of a project that
has voicechat installed loads this module.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import pytest

DEFAULT_PATTERNS = ("test_*.yaml", "test_*.yml")
OPTIONS = ("server", "provider", "transport", "api", "model", "config")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("voicechat", "voicechat scenario files")
    for name in OPTIONS:
        group.addoption(f"--voicechat-{name}", dest=f"voicechat_{name}", default=None,
                        metavar="VALUE", help=f"voicechat test's --{name} for scenario files")
    group.addoption("--voicechat-yes", dest="voicechat_yes", action="store_true",
                    help="run scenario files against a paid service (voicechat test's --yes)")
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
        yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class ScenarioFailed(Exception):
    """A run that did not pass: its text is the failure as ``voicechat test`` prints it."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        import asyncio
        import dataclasses
        import shutil
        import tempfile

        from voicechat.commands.test import base_settings, doctor_findings, plan
        from voicechat.voicetest.report import failure_text
        from voicechat.voicetest.run import RunOptions, run_scenario

        option = self.config.getoption
        flags = {name: option(f"voicechat_{name}") for name in OPTIONS if name != "config"}
        config = option("voicechat_config")
        base = base_settings(flags, Path(config) if config else None)
        _guard_cost(self.config, base)
        planned = plan(self.scenario, base)
        folder = Path(tempfile.mkdtemp(prefix="voicechat-test-"))
        settings = dataclasses.replace(planned.settings, record=folder / "events.jsonl")
        result = asyncio.run(run_scenario(
            self.scenario, settings, planned.family, planned.audio,
            RunOptions(folder=folder, doctor=doctor_findings)))
        if result.outcome == "passed":  # a failed run's files stay, named in its report
            shutil.rmtree(folder, ignore_errors=True)
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
