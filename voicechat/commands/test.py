"""``voicechat test SCENARIO_OR_DIR...``: spoken conversation tests of a voice agent (issue 52).

Everything that can be wrong with the files is said before anything connects, with the file,
the line and the key (exit 2): every scenario is read and checked first, its recordings and
MCP config looked at, its settings made (:mod:`voicechat.commands.scenario_settings`) and its
spoken turns synthesized. Then each selected scenario runs (``--repeat`` times, ``--concurrency``
at once) through :mod:`voicechat.voicetest`, a line per run as it finishes, then each failure in
full and the tally; ``--junit``, ``--json`` and ``--keep`` write the same facts for machines and
for later. Without ``--keep`` a failed or broken run's event log (and the doctor's report) is
still kept, in a temporary folder its report names, as pytest keeps a failed test's files: a
failure must be readable after the run. Exit 0 when every run passed, 1 when one failed or
broke, 2 for usage and scenario errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicechat.commands.output_paths import (
    check_output_file,
    check_output_folder,
    set_earlier_run_aside,
)
from voicechat.commands.paid import confirmed, is_paid
from voicechat.config import ConfigError, Settings, resolve
from voicechat.scenario.errors import ScenarioError, ScenarioErrors, raise_all
from voicechat.scenario.spec import Scenario, missing_files, parse

SCENARIO_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Planned:
    """A scenario ready to run: its settings and its spoken turns' audio."""

    scenario: Scenario
    settings: Settings
    family: Any
    audio: dict[int, Any]


def run(
    paths: Sequence[str], *, server: str | None = None, provider: str | None = None,
    transport: str | None = None, api: str | None = None, model: str | None = None,
    dialect: str | None = None, config: Path | None = None, junit: Path | None = None,
    json_path: Path | None = None, keep: Path | None = None, repeat: int = 1,
    concurrency: int = 1, select: str | None = None, judge_url: str | None = None,
    judge_model: str | None = None, turn_timeout: float | None = None, yes: bool = False,
    verbose: int = 0, log_level: str | None = None,
) -> int:
    from voicechat.voicetest.run import DEFAULT_TURN_TIMEOUT_S

    started = datetime.now(UTC)
    try:
        scenarios = load_scenarios(paths, select)
        base = base_settings({"server": server, "provider": provider, "transport": transport,
                              "api": api, "model": model, "dialect": dialect}, config)
        # every output path before anything runs: a typo lost a whole suite's results
        for path, flag in ((junit, "--junit"), (json_path, "--json")):
            if path is not None:
                check_output_file(path, flag)
        if keep is not None:
            check_output_folder(keep, "--keep")
        judge = _judge(judge_url, judge_model)
        planned = plan_all(scenarios, base)
        if is_paid(base) and not _cost_confirmed(base, planned, repeat, yes,
                                                 turn_timeout or DEFAULT_TURN_TIMEOUT_S):
            return 2
    except ScenarioErrors as exc:
        for error in exc.errors:
            print(f"voicechat test: {error}", file=sys.stderr)
        print(f"voicechat test: {len(exc.errors)} problems; nothing ran", file=sys.stderr)
        return 2
    except (ConfigError, ValueError) as exc:
        print(f"voicechat test: {exc}", file=sys.stderr)
        return 2
    if verbose or log_level:
        from voicechat.commands import logs

        level = logs.level_for(verbose, log_level, "warning")
        logs.configure(level, logs.library_level_for(level, verbose))
    family_title = planned[0].family.title if planned else ""
    where = base.describe_server()
    print(f"voicechat test: {len(planned)} scenario(s)"
          + (f" × {repeat} run(s)" if repeat > 1 else "")
          + f" against {where} ({family_title} over {base.transport})", flush=True)
    began = time.monotonic()
    results = asyncio.run(_run_all(planned, repeat=repeat, concurrency=concurrency,
                                   keep=keep, judge=judge,
                                   turn_timeout=turn_timeout or DEFAULT_TURN_TIMEOUT_S,
                                   verbose=verbose))
    seconds = time.monotonic() - began
    return _report(results, seconds, started, junit=junit, json_path=json_path,
                   repeats=repeat)


def _cost_confirmed(base: Settings, planned: Sequence[Planned], repeat: int, yes: bool,
                    turn_timeout: float) -> bool:
    """The cost line and the guard of :mod:`voicechat.commands.paid`. The bound: each turn's
    spoken audio plus the longest it may wait for its answer, every run (a suite's worth of
    ``OPENAI_API_KEY`` quietly went to OpenAI's API; issue 79)."""
    from voicechat.audio.playback import RATE

    seconds = repeat * sum(len(pcm) / RATE for p in planned for pcm in p.audio.values())
    seconds += repeat * turn_timeout * sum(len(p.scenario.turns) for p in planned)
    runs = repeat * len(planned)
    return confirmed("test", base, f"{runs} scenario run(s), at most {seconds:.0f} s of "
                                   "conversation", 1, seconds, yes)


def base_settings(flags: dict[str, Any], config: Path | None) -> Settings:
    """The connection a run uses: the flags over the environment over the config file (the
    agent under test comes from each scenario: :mod:`voicechat.commands.scenario_settings`)."""
    return resolve({**flags, "no_ui": True}, config_path=config)


def load_scenarios(paths: Sequence[str], select: str | None) -> list[Scenario]:
    """Every scenario file under ``paths`` (folders searched for ``*.yaml``/``*.yml``, in
    name order), read and checked; those ``-k`` selects. Every file's problem is raised, in
    file order (:class:`ScenarioErrors` when there are several)."""
    from voicechat.voicetest.selection import compile_pattern

    if not paths:
        raise ValueError("name a scenario file or a folder of them (e.g. voicechat test "
                         "examples/scenarios)")
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES
                           and p.is_file())
            if not found:
                raise ValueError(f"{raw}: no scenario files (*.yaml, *.yml) in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ValueError(f"{raw}: no such file or folder")
    # every file's problem, not only the first file's
    scenarios = _each_or_every_problem(read_scenario, list(dict.fromkeys(files)))
    if select is None:
        return scenarios
    chosen = compile_pattern(select)
    picked = [s for s in scenarios if chosen(f"{s.name} {s.file}")]
    if not picked:
        raise ValueError(f"-k {select!r} selects none of the {len(scenarios)} scenario(s)")
    return picked


def read_scenario(path: Path) -> Scenario:
    """One file parsed and its files looked at; :class:`ScenarioError` names the problem."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(name, 0, "", f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(name, 0, "", f"is {len(raw)} bytes: a scenario file is text of "
                                         f"at most {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(name, 0, "", "is not UTF-8 text (a binary file?)") from None
    scenario = parse(text, name, base=path.parent)
    problem = missing_files(scenario, lambda p: Path(p).is_file())
    if problem is not None:
        raise problem
    return scenario


def plan_all(scenarios: Sequence[Scenario], base: Settings) -> list[Planned]:
    """Every scenario planned, or every scenario's problem raised together, in run order."""
    return _each_or_every_problem(lambda scenario: plan(scenario, base), scenarios)


def _each_or_every_problem(make: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``make`` of each item, or every item's :class:`ScenarioError` raised together in the
    items' order (:func:`~voicechat.scenario.errors.raise_all`)."""
    made: list[Any] = []
    errors: list[ScenarioError] = []
    for item in items:
        try:
            made.append(make(item))
        except ScenarioErrors as exc:
            errors.extend(exc.errors)
        except ScenarioError as exc:
            errors.append(exc)
    raise_all(errors)
    return made


def plan(scenario: Scenario, base: Settings) -> Planned:
    """The scenario's settings and audio, or an exit-2 error naming the file."""
    from voicechat.commands.scenario_settings import scenario_settings
    from voicechat.families import family_for
    from voicechat.voicetest.speech import SpeechError, VoiceError, turn_audio

    family = family_for(base)
    settings = scenario_settings(base, scenario, family, record=None)
    if base.is_local and base.local_asr_phrases is None:
        _check_local_words(scenario)
    if base.is_local:
        _check_responder_script(scenario, settings)
    audio = {}
    for index, turn in enumerate(scenario.turns):
        if turn.kind == "type":
            continue
        try:
            audio[index] = turn_audio(turn)
        except VoiceError as exc:  # at the voice key; the default voice has only the say line
            line, key = (turn.voice_line, "voice") if turn.voice_line else (turn.line, turn.kind)
            raise ScenarioError(scenario.file, line, f"turns[{index}].{key}", str(exc)) from None
        except SpeechError as exc:
            raise ScenarioError(scenario.file, turn.line, f"turns[{index}].{turn.kind}",
                                str(exc)) from None
    return Planned(scenario, settings, family, audio)


def _check_responder_script(scenario: Scenario, settings: Settings) -> None:
    """A ``script:FILE`` responder that does not load (a malformed ``@call``) is a broken file,
    exit 2 with its line, as the how-to says; it was found once the embedded server started,
    and the run ended 3, "could not run" (issue 79, item 20). The scenario's own key, or the
    config's when the scenario names none."""
    from voicechat.server.voice.script import script_problem

    problem = script_problem(settings.local_responder)
    if problem is None:
        return
    where = "local_responder"
    if scenario.local_responder is None:
        where = settings.origins.get("local_responder", where)
    raise ScenarioError(scenario.file, 0, where, problem)


def _check_local_words(scenario: Scenario) -> None:
    """On the local server the ``say:`` lines are its recogniser's grammar, which holds only
    words of its English dictionary: digits, French or Mandarin failed at run time with exit 1,
    naming no line (issue 79). Said here, exit 2, with the line and the fix."""
    from voicechat.server.voice.asr import unheard_words

    said = [(index, turn) for index, turn in enumerate(scenario.turns) if turn.kind == "say"]
    for (index, turn), unheard in zip(said, unheard_words([t.content for _, t in said]),
                                      strict=True):
        if unheard is None:
            why = "has no words the local server's recogniser can hear"
        elif unheard:
            why = ("the local server's recogniser has no " + ", ".join(repr(w) for w in unheard)
                   + " in its English dictionary")
        else:
            continue
        raise ScenarioError(scenario.file, turn.line, f"turns[{index}].say",
                            f"{why}: spell numbers and symbols out as English words ('7' -> "
                            "'seven'); another language needs a server that hears it "
                            "(--server URL)")


def _judge(url: str | None, model: str | None) -> Any:
    if url is None and model is None:
        return None
    if url is None or model is None:
        raise ValueError("a judge needs both --judge-url (an OpenAI-compatible chat "
                         "endpoint, e.g. https://api.openai.com/v1) and --judge-model")
    from voicechat.voicetest.judge import ChatJudge

    key = os.environ.get("VOICECHAT_JUDGE_API_KEY") or os.environ.get("OPENAI_API_KEY")
    return ChatJudge(url, model, key)


async def _run_all(planned: list[Planned], *, repeat: int, concurrency: int,
                   keep: Path | None, judge: Any, turn_timeout: float,
                   verbose: int = 0) -> list[Any]:
    import dataclasses

    from voicechat.voicetest.report import progress_line, turn_figures
    from voicechat.voicetest.run import RunOptions, gather_limited, run_scenario

    scratch = Path(tempfile.mkdtemp(prefix="voicechat-test-")) if keep is None else keep
    jobs: list[Callable[[], Any]] = []
    used: set[str] = set()
    for item in planned:
        for count in range(1, repeat + 1):
            folder = scratch / _folder_name(item.scenario, count, repeat, used)

            async def job(item: Planned = item, count: int = count,
                          folder: Path = folder) -> Any:
                folder.mkdir(parents=True, exist_ok=True)
                if keep is not None:  # an earlier run's files, kept as one numbered set
                    set_earlier_run_aside(folder)
                settings = dataclasses.replace(item.settings, record=folder / "events.jsonl")
                options = RunOptions(turn_timeout_s=turn_timeout, judge=judge, folder=folder,
                                     keep=keep is not None, doctor=doctor_findings,
                                     on_turn=_turn_printer(item.scenario.name) if verbose
                                     else None)
                result = await run_scenario(item.scenario, settings, item.family, item.audio,
                                            options)
                result.repeat = count
                if keep is None and result.outcome == "passed":
                    import shutil  # a passed run's files are kept only when asked

                    shutil.rmtree(folder, ignore_errors=True)
                    result.files.clear()
                elif result.doctor_checked:
                    write_doctor(folder, result.doctor)
                    result.files["doctor"] = str(folder / "doctor.txt")
                return result

            jobs.append(job)
    finished = [0]

    def said(result: Any) -> None:
        finished[0] += 1
        print(progress_line(result, repeats=repeat, done=finished[0], total=len(jobs)),
              flush=True)
        if verbose:  # -v: each turn's figures, a passing run's too (it showed none)
            print("\n".join(turn_figures(result)), flush=True)

    try:
        return await gather_limited(jobs, concurrency, said)
    finally:
        if keep is None:  # what is left are the failed runs' logs, named in their reports
            with contextlib.suppress(OSError):
                scratch.rmdir()


def _turn_printer(name: str) -> Callable[[int, Any, float | None], None]:
    """``-v``: a line as each turn is answered (a 26 s scenario showed nothing till its end)."""
    from voicechat.voicetest.report import turn_progress

    def said(index: int, turn: Any, first_audio_ms: float | None) -> None:
        print(turn_progress(name, index, turn, first_audio_ms), flush=True)

    return said


def folder_stem(name: str) -> str:
    """A run's folder name from its scenario's (or pytest item's) name, safe for a file
    system: the runner's and the pytest plugin's."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "scenario"


def _folder_name(scenario: Scenario, count: int, repeat: int, used: set[str]) -> str:
    name = folder_stem(scenario.name) + (f"-run{count}" if repeat > 1 else "")
    unique, n = name, 2
    while unique in used:
        unique, n = f"{name}-{n}", n + 1
    used.add(unique)
    return unique


def doctor_findings(log: Path) -> list[str]:
    from voicechat.doctor import diagnose

    report = diagnose(log)
    return [f"[{f.rule}] {f.title} ({f.count}×)" for f in report.findings]


def write_doctor(folder: Path, findings: list[str]) -> None:
    """The doctor's report of a run, beside its event log (the pytest plugin's too)."""
    text = "\n".join(findings) if findings else "No problems found."
    (folder / "doctor.txt").write_text(text + "\n", encoding="utf-8")


def _report(results: list[Any], seconds: float, started: datetime, *, junit: Path | None,
            json_path: Path | None, repeats: int) -> int:
    import json

    from voicechat.voicetest.report import failure_text, repeat_lines, tally, to_json

    broken = [r for r in results if r.outcome != "passed"]
    if broken:
        print("\n=== failures ===")
        for result in broken:
            print(failure_text(result))
            print()
    skipped = [(r, i, v) for r in results for i, v in r.skipped]
    if skipped:
        print("=== skipped checks ===")
        for result, index, verdict in skipped:
            print(f"{result.file}::{result.name} turn {index + 1}: {verdict.check}: "
                  f"{verdict.reason}")
    if repeats > 1:
        print("=== across runs ===")
        print("\n".join(repeat_lines(results)))
    print(f"=== {tally(results, seconds)} ===", flush=True)
    try:
        if junit is not None:
            from voicechat.voicetest.junit import write_junit

            write_junit(junit, results, seconds, started, repeats=repeats)
        if json_path is not None:
            json_path.write_text(json.dumps(to_json(results, seconds), indent=2) + "\n",
                                 encoding="utf-8")
    except OSError as exc:
        print(f"voicechat test: could not write the report: {exc}", file=sys.stderr)
        return 1
    return exit_code(results)


#: the exit code of a run where no expectation failed but a scenario could not be run (JUnit's
#: ``<error>`` against its ``<failure>``): CI tells "the agent answered wrong" (1) from "the
#: run could not reach it" (3) without reading the log (issue 79)
EXIT_COULD_NOT_RUN = 3


def exit_code(results: list[Any]) -> int:
    """0: every run passed; 1: an expectation failed (whatever else happened); 3: none failed,
    but a run could not start or broke."""
    if any(r.outcome == "failed" for r in results):
        return 1
    return EXIT_COULD_NOT_RUN if any(r.outcome == "error" for r in results) else 0
