"""The scenario file: its keys (the contract of issue 52), checked, with errors that say where.

Every key a scenario may have is named here, once, with what it takes; :func:`parse` refuses
anything else with the file, the line, the key's path and a "did you mean" when a known key is
close, so a typo never turns into a check that silently does not run. What needs the disk (an
``audio:`` file, an ``mcp_config:``) is resolved against the scenario's folder here and its
existence checked by the caller (:func:`missing_files`), so this module stays testable on text.

Decisions where the issue is silent, written down:

* A turn is exactly one of ``say`` (synthesized offline), ``type`` (a typed message) or
  ``audio`` (a recording); ``voice`` and ``rate`` only go with ``say``; ``level_db`` and
  ``noise_db`` with the two spoken kinds (they shape audio); ``interrupt_after_ms`` only with a
  spoken turn after the first (it is timed from the previous answer's first audio).
* ``expect.reply.contains`` / ``not_contains`` take one string or a list and match
  case-insensitively (a model writes "Sunny" as often as "sunny"); ``matches`` is a Python
  regular expression searched in the reply as written (``(?i)`` makes it case-insensitive),
  compiled here so a broken pattern is a scenario error, not a failed turn.
* ``expect.tool_calls`` lists calls that must appear in the turn, in that order, each matched
  by a different call; other calls may come between. Arguments match as a subset (the keys
  given must be there with equal values, recursively; lists must be equal). An empty list
  means "no tool call at all".
* A tool offered to the model is answered by the test: ``result`` (any JSON value, sent as the
  output of every call) or ``command`` (a program run as voicechat's command tools run, its
  output sent), exactly one of them.
* Latency bounds are ``{max: MS}`` and/or ``{min: MS}``; ``stop_ms`` needs ``interrupted:
  true`` in the same turn (there is nothing to time otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from voicechat.scenario.agent import agent_problem
from voicechat.scenario.errors import ScenarioError, did_you_mean
from voicechat.scenario.tool_schema import schema_problem
from voicechat.scenario.yaml_lines import Located, Path, YamlProblem, load

__all__ = [
    "Bound",
    "Expectations",
    "ExpectedCall",
    "ReplyCheck",
    "Scenario",
    "ScenarioError",
    "ToolMock",
    "Turn",
    "missing_files",
    "parse",
]

TurnKind = Literal["say", "type", "audio"]
TURN_KINDS: tuple[TurnKind, ...] = ("say", "type", "audio")


@dataclass(frozen=True)
class Bound:
    """A latency budget in milliseconds; either end may be open."""

    max_ms: float | None = None
    min_ms: float | None = None


@dataclass(frozen=True)
class ExpectedCall:
    name: str
    arguments: Mapping[str, Any] | None = None  # None: any arguments


@dataclass(frozen=True)
class ReplyCheck:
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: re.Pattern[str] | None = None
    judge: str | None = None


@dataclass(frozen=True)
class Expectations:
    tool_calls: tuple[ExpectedCall, ...] | None = None  # None: not checked
    reply: ReplyCheck | None = None
    first_audio: Bound | None = None
    interrupted: bool | None = None
    stop: Bound | None = None

    @property
    def empty(self) -> bool:
        return self == Expectations()


@dataclass(frozen=True)
class Turn:
    kind: TurnKind
    #: the words (``say``, ``type``) or the recording's path, resolved against the file's folder
    content: str
    line: int
    voice: str | None = None
    #: the line of the ``voice`` key, where a voice espeak-ng lacks is reported (0: none given)
    voice_line: int = 0
    rate: int | None = None
    level_db: float | None = None
    noise_db: float | None = None
    silence_ms: float = 0.0
    interrupt_after_ms: float | None = None
    expect: Expectations = field(default_factory=Expectations)

    @property
    def label(self) -> str:
        """How reports name the turn: its kind and the start of its words or file."""
        text = self.content if len(self.content) <= 40 else self.content[:37] + "..."
        return f"{self.kind}: {text}"


@dataclass(frozen=True)
class ToolMock:
    name: str
    description: str = ""
    parameters: Mapping[str, Any] | None = None
    result: Any = None
    command: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    file: str
    turns: tuple[Turn, ...]
    session: Mapping[str, Any] = field(default_factory=dict)
    tools: tuple[ToolMock, ...] = ()
    mcp_config: str | None = None
    doctor_clean: bool = False
    #: what the local server answers with when the run is against it (``echo``,
    #: ``script:FILE`` with FILE resolved against the scenario's folder, ``chat:URL``)
    local_responder: str | None = None
    agent: str | None = None  # who the agent under test is (voicechat/scenario/agent.py)
    agent_line: int = 0  # the agent key's line, for a family that cannot run it (0: none)


# --- the keys, once ------------------------------------------------------------------------------

TOP_KEYS = ("name", "agent", "session", "tools", "mcp_config", "local_responder", "turns",
            "doctor")
TURN_KEYS = (*TURN_KINDS, "voice", "rate", "level_db", "noise_db", "silence_ms",
             "interrupt_after_ms", "expect")
EXPECT_KEYS = ("tool_calls", "reply", "first_audio_ms", "interrupted", "stop_ms")
REPLY_KEYS = ("contains", "not_contains", "matches", "judge")
CALL_KEYS = ("name", "arguments")
TOOL_KEYS = ("name", "description", "parameters", "result", "command")
BOUND_KEYS = ("max", "min")
#: Bounds and sizes a scenario may ask for: a typo of an extra zero is an error, not an hour.
MAX_MS = 600_000.0
RATE_WPM = (80, 450)  # espeak-ng's usable range of words per minute
LEVEL_DB = (-60.0, 20.0)


def parse(text: str, file: str, *, base: PurePath | None = None) -> Scenario:
    """The scenario in ``text`` (from ``file``), or :class:`ScenarioError` naming the first
    problem. ``base`` is the folder that relative ``audio:`` and ``mcp_config:`` paths are
    read from (the file's own folder, as a reader of the file expects)."""
    try:
        doc = load(text)
    except YamlProblem as exc:
        raise ScenarioError(file, exc.line, "", exc.message) from None
    return _Reader(doc, file, base).scenario()


def missing_files(scenario: Scenario, exists: Any) -> ScenarioError | None:
    """The first recording or MCP config ``exists(path) -> bool`` says is not there."""
    for turn in scenario.turns:
        if turn.kind == "audio" and not exists(turn.content):
            return ScenarioError(scenario.file, turn.line, "audio",
                                 f"no such file: {turn.content}")
    responder = scenario.local_responder or ""
    if responder.startswith("script:") and not exists(responder[len("script:"):]):
        return ScenarioError(scenario.file, 0, "local_responder",
                             f"no such file: {responder[len('script:'):]}")
    if scenario.mcp_config is not None and not exists(scenario.mcp_config):
        return ScenarioError(scenario.file, 0, "mcp_config",
                             f"no such file: {scenario.mcp_config}")
    return None


def _where(path: Path) -> str:
    """``("turns", 1, "expect")`` → ``turns[1].expect``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_TYPE_NAMES = {str: "text", bool: "true or false", dict: "a table", list: "a list"}


class _Reader:
    """Walks the document once; every check raises with the path it is at."""

    def __init__(self, doc: Located, file: str, base: PurePath | None) -> None:
        self.doc = doc
        self.file = file
        self.base = base
        #: the tools an expected call may name (``None``: not known before connecting)
        self.tool_names: list[str] | None = None

    def fail(self, path: Path, message: str) -> ScenarioError:
        return ScenarioError(self.file, self.doc.line(path), _where(path), message)

    # --- shapes ---

    def table(self, value: Any, path: Path, known: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a table of {', '.join(known)}, "
                                  f"got {_describe(value)}")
        for key in value:
            if key not in known:
                raise self.fail((*path, key), f"unknown key '{key}'{did_you_mean(key, known)}; "
                                              f"known here: {', '.join(known)}")
        return value

    def text(self, value: Any, path: Path, *, empty: bool = False) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(path, f"expected text, got {_describe(value)}")
        out = str(value)
        if not empty and not out.strip():
            raise self.fail(path, "is empty")
        return out

    def texts(self, value: Any, path: Path) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(self.text(v, (*path, i) if isinstance(value, list) else path)
                     for i, v in enumerate(items))

    def words(self, value: Any, path: Path) -> tuple[str, ...]:
        """Words a reply must (not) hold. A bare number is refused: YAML reads ``contains: 5``
        as a number, which was quietly taken as the text "5", while a model's transcript may
        say "five" (issue 79); quoted, it is the digits."""
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, int | float) and not isinstance(item, bool):
                raise self.fail((*path, i) if isinstance(value, list) else path,
                                f"{item} is a number: quote it ('{item}') to match those "
                                "digits in the reply, or write the words a voice says")
        return self.texts(value, path)

    def number(self, value: Any, path: Path, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {_describe(value)}")
        if not low <= value <= high:
            raise self.fail(path, f"{value} is out of range: {low:g} to {high:g}")
        return float(value)

    def boolean(self, value: Any, path: Path) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_describe(value)}")
        return value

    def bound(self, value: Any, path: Path) -> Bound:
        spec = self.table(value, path, BOUND_KEYS)
        if not spec:
            raise self.fail(path, "give max, min or both (milliseconds)")
        high = self.number(spec["max"], (*path, "max"), 0, MAX_MS) if "max" in spec else None
        low = self.number(spec["min"], (*path, "min"), 0, MAX_MS) if "min" in spec else None
        if high is not None and low is not None and low > high:
            raise self.fail(path, f"min {low:g} is above max {high:g}")
        return Bound(max_ms=high, min_ms=low)

    def path_value(self, value: Any, path: Path) -> str:
        raw = self.text(value, path)
        if self.base is None or PurePath(raw).is_absolute():
            return raw
        return str(self.base / raw)

    # --- the document ---

    def scenario(self) -> Scenario:
        root = self.table(self.doc.value, (), TOP_KEYS) if self.doc.value is not None else None
        if root is None:
            raise ScenarioError(self.file, 0, "", "the file is empty: a scenario needs turns")
        if "turns" not in root:
            raise self.fail((), "a scenario needs 'turns': a list of say, type or audio turns")
        name = self.text(root["name"], ("name",)) if "name" in root else _stem(self.file)
        session = root.get("session", {})
        if not isinstance(session, dict):
            raise self.fail(("session",), f"expected a table of session fields, "
                                          f"got {_describe(session)}")
        tools = self.tools(root.get("tools", []))
        mcp = self.path_value(root["mcp_config"], ("mcp_config",)) if "mcp_config" in root \
            else None
        responder = (self.responder(root["local_responder"]) if "local_responder" in root
                     else None)
        agent = self.agent(root)
        doctor = root.get("doctor")
        if doctor is not None and doctor != "clean":
            raise self.fail(("doctor",), f"the only value is 'clean', got {_describe(doctor)}")
        # Only the scenario's own tools reach a test run (the config file's are left out), so
        # with tools: and nothing else that brings tools (an mcp_config, session tools), an
        # expected call of another name is a typo that could only fail at run time (issue 79)
        if tools and mcp is None and "tools" not in session:
            self.tool_names = [tool.name for tool in tools]
        turns_value = root["turns"]
        if not isinstance(turns_value, list) or not turns_value:
            raise self.fail(("turns",), "expected a list of at least one turn")
        turns = tuple(self.turn(t, ("turns", i), first=i == 0)
                      for i, t in enumerate(turns_value))
        return Scenario(name=name, file=self.file, turns=turns, session=session, tools=tools,
                        mcp_config=mcp, doctor_clean=doctor == "clean",
                        local_responder=responder, agent=agent,
                        agent_line=self.doc.line(("agent",)) if agent else 0)

    def agent(self, root: Mapping[str, Any]) -> str | None:
        """``agent:`` (:mod:`voicechat.scenario.agent`), refused at the key at fault."""
        if "agent" not in root:
            return None
        agent = self.text(root["agent"], ("agent",))
        problem = agent_problem(agent, root)
        if problem is not None:
            raise self.fail((problem[0],), problem[1])
        return agent

    def responder(self, value: Any) -> str:
        path: Path = ("local_responder",)
        spec = self.text(value, path)
        kind, _, arg = spec.partition(":")
        if kind == "echo" and not arg:
            return spec
        if kind == "chat" and arg:
            return spec
        if kind == "script" and arg:
            return f"script:{self.path_value(arg, path)}"
        raise self.fail(path, f"'{spec}' is not a responder: echo, script:FILE (replies in "
                              "order, @call lines for tool calls) or chat:URL")

    def tools(self, value: Any) -> tuple[ToolMock, ...]:
        if not isinstance(value, list):
            raise self.fail(("tools",), f"expected a list of tools, got {_describe(value)}")
        out: list[ToolMock] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            path: Path = ("tools", i)
            spec = self.table(item, path, TOOL_KEYS)
            if "name" not in spec:
                raise self.fail(path, "a tool needs a 'name'")
            name = self.text(spec["name"], (*path, "name"))
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
                raise self.fail((*path, "name"), f"'{name}' is not a function name: letters, "
                                                 "digits, _ and -, at most 64")
            if name in seen:
                raise self.fail((*path, "name"), f"a second tool named '{name}'")
            seen.add(name)
            if ("result" in spec) == ("command" in spec):
                raise self.fail(path, "give the tool exactly one of 'result' (the output sent "
                                      "for every call) or 'command' (a program to run)")
            command = None
            if "command" in spec:
                raw = spec["command"]
                if not isinstance(raw, list) or not raw:
                    raise self.fail((*path, "command"), "expected a list: the program and its "
                                                        "arguments, e.g. [./weather.sh]")
                command = tuple(self.text(a, (*path, "command", j)) for j, a in enumerate(raw))
            params = spec.get("parameters")
            if params is not None and not isinstance(params, dict):
                raise self.fail((*path, "parameters"), "expected a JSON Schema table")
            problem = schema_problem(params) if params is not None else None
            if problem is not None:  # tool_schema.py: type: objekt failed only at the server
                raise self.fail((*path, "parameters", *problem[0]), problem[1])
            description = spec.get("description", "")
            out.append(ToolMock(
                name=name,
                description=self.text(description, (*path, "description"), empty=True),
                parameters=params, result=spec.get("result"), command=command))
        return tuple(out)

    def turn(self, value: Any, path: Path, *, first: bool) -> Turn:
        spec = self.table(value, path, TURN_KEYS)
        kinds = [k for k in TURN_KINDS if k in spec]
        if len(kinds) != 1:
            given = f"got {', '.join(kinds)}" if kinds else "got none"
            raise self.fail(path, f"a turn is exactly one of say, type or audio ({given})")
        kind = kinds[0]
        content = (self.path_value(spec[kind], (*path, kind)) if kind == "audio"
                   else self.text(spec[kind], (*path, kind)))
        spoken = kind != "type"
        for key, allowed, why in (
            ("voice", kind == "say", "only a 'say' turn is synthesized"),
            ("rate", kind == "say", "only a 'say' turn is synthesized"),
            ("level_db", spoken, "a typed turn has no audio"),
            ("noise_db", spoken, "a typed turn has no audio"),
            ("interrupt_after_ms", spoken and not first,
             "only a spoken turn after the first can interrupt an answer"),
        ):
            if key in spec and not allowed:
                raise self.fail((*path, key), f"not for this turn: {why}")
        expect = self.expect(spec.get("expect", {}), (*path, "expect"))
        if expect.interrupted is True and "interrupt_after_ms" not in spec:
            raise self.fail((*path, "expect", "interrupted"),
                            "an interruption needs 'interrupt_after_ms' on the turn (when to "
                            "speak over the previous answer)")
        return Turn(
            kind=kind,
            content=content,
            line=self.doc.line(path),
            voice=self.text(spec["voice"], (*path, "voice")) if "voice" in spec else None,
            voice_line=self.doc.line((*path, "voice")) if "voice" in spec else 0,
            rate=int(self.number(spec["rate"], (*path, "rate"), *RATE_WPM))
            if "rate" in spec else None,
            level_db=self.number(spec["level_db"], (*path, "level_db"), *LEVEL_DB)
            if "level_db" in spec else None,
            noise_db=self.number(spec["noise_db"], (*path, "noise_db"), *LEVEL_DB)
            if "noise_db" in spec else None,
            silence_ms=self.number(spec["silence_ms"], (*path, "silence_ms"), 0, MAX_MS)
            if "silence_ms" in spec else 0.0,
            interrupt_after_ms=self.number(spec["interrupt_after_ms"],
                                           (*path, "interrupt_after_ms"), 0, MAX_MS)
            if "interrupt_after_ms" in spec else None,
            expect=expect,
        )

    def expect(self, value: Any, path: Path) -> Expectations:
        spec = self.table(value, path, EXPECT_KEYS)
        interrupted = (self.boolean(spec["interrupted"], (*path, "interrupted"))
                       if "interrupted" in spec else None)
        if "stop_ms" in spec and interrupted is not True:
            raise self.fail((*path, "stop_ms"), "stop_ms times an interruption: it needs "
                                                "'interrupted: true' in the same expect")
        return Expectations(
            tool_calls=self.calls(spec["tool_calls"], (*path, "tool_calls"))
            if "tool_calls" in spec else None,
            reply=self.reply(spec["reply"], (*path, "reply")) if "reply" in spec else None,
            first_audio=self.bound(spec["first_audio_ms"], (*path, "first_audio_ms"))
            if "first_audio_ms" in spec else None,
            interrupted=interrupted,
            stop=self.bound(spec["stop_ms"], (*path, "stop_ms")) if "stop_ms" in spec else None,
        )

    def calls(self, value: Any, path: Path) -> tuple[ExpectedCall, ...]:
        if not isinstance(value, list):
            raise self.fail(path, "expected a list of calls ([] for no call at all)")
        out: list[ExpectedCall] = []
        for i, item in enumerate(value):
            spec = self.table(item, (*path, i), CALL_KEYS)
            if "name" not in spec:
                raise self.fail((*path, i), "a call needs the tool's 'name'")
            args = spec.get("arguments")
            if args is not None and not isinstance(args, dict):
                raise self.fail((*path, i, "arguments"), "expected a table of the arguments "
                                                         "that must be there")
            name = self.text(spec["name"], (*path, i, "name"))
            known = self.tool_names
            if known is not None and name not in known:
                raise self.fail((*path, i, "name"), f"'{name}' is not one of the scenario's "
                                                    f"tools ({', '.join(known)})"
                                                    f"{did_you_mean(name, known)}")
            out.append(ExpectedCall(name, args))
        return tuple(out)

    def reply(self, value: Any, path: Path) -> ReplyCheck:
        spec = self.table(value, path, REPLY_KEYS)
        if not spec:
            raise self.fail(path, f"give at least one of {', '.join(REPLY_KEYS)}")
        pattern = None
        if "matches" in spec:
            raw = self.text(spec["matches"], (*path, "matches"))
            try:
                pattern = re.compile(raw)
            except re.error as exc:
                raise self.fail((*path, "matches"), f"not a regular expression: {exc}") from None
        return ReplyCheck(
            contains=self.words(spec["contains"], (*path, "contains"))
            if "contains" in spec else (),
            not_contains=self.words(spec["not_contains"], (*path, "not_contains"))
            if "not_contains" in spec else (),
            matches=pattern,
            judge=self.text(spec["judge"], (*path, "judge")) if "judge" in spec else None,
        )


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    for kind, words in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return words if kind is not str else f"'{value}'"
    return repr(value)


def _stem(file: str) -> str:
    name = PurePath(file).name
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
