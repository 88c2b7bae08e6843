"""The ``script:FILE`` responder: canned replies in order, tool calls included, no model needed.

A script is a text file, one reply per line (blank lines and lines starting with ``#`` are
skipped), or a JSON list of strings, one reply per string. Each response takes the next
reply; after the last one the responder says that the script has ended (rather than repeating
itself, which would hide a test that takes more turns than it meant to).

A reply may call tools. ``@call NAME {JSON object}`` is a call; text before the first call is
spoken first (the "let me check that" preamble real models say), and several calls may follow
each other on one line (parallel calls)::

    Hello! How can I help?
    @call get_weather {"city": "Paris"}
    Let me check that for you. @call get_weather {"city": "Paris"}
    @call get_weather {"city": "Paris"} @call get_time {"zone": "Europe/Paris"}
    It is sunny in Paris.

A call ends its reply: the next line is the answer the script gives once the client has sent
the call's output and asked for a response again. ``NAME`` is 1-64 of ``A-Z a-z 0-9 _ -``
(the Realtime function-name alphabet); the arguments are one JSON object, sent to the
client as compact JSON (``@call get_time`` alone sends ``{}``). A malformed call is refused
when the server starts (:meth:`VoiceKit.check <voicechat.server.voicekit.VoiceKit.check>`),
naming the line.

``tool_choice`` (decided here, as a script has no model to steer): ``"none"`` drops the
line's calls and speaks its preamble only (a line of calls only then gives an empty
response); ``"required"`` and a forced ``{"type": "function", "name": …}`` fail the response
with an error naming the line when the line has no call, or a call to another function. A
call to a tool the session did not declare is sent as written: real models make that mistake
too, and clients have to answer it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from voicechat.server.voice.reply import Message, ReplyPart, ResponderError, word_chunks
from voicechat.server.voice.tools import NO_TOOLS, ToolCall, ToolOffer

SCRIPT_END_REPLY = "That is the end of my script."
CALL_MARK = "@call"
_MARK = re.compile(r"(?:^|(?<=\s))@call(?=\s|$)")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CALL_FIX = (
    "Fix: write a call as '@call NAME {JSON object}', "
    'e.g. \'Let me check. @call get_weather {"city": "Paris"}\'.'
)


@dataclass(frozen=True)
class ScriptLine:
    """One reply: what is said first, then the calls (possibly none)."""

    preamble: str
    calls: tuple[ToolCall, ...] = ()
    where: str = ""


class ScriptSyntaxError(ValueError):
    """A malformed call; the message names what is wrong (the caller adds the line)."""


def parse_line(text: str, where: str = "") -> ScriptLine:
    """One reply line: its spoken preamble and its ``@call NAME {JSON}`` calls."""
    first = _MARK.search(text)
    if first is None:
        return ScriptLine(text.strip(), (), where)
    preamble = text[: first.start()].strip()
    calls: list[ToolCall] = []
    pos = first.start()
    decoder = json.JSONDecoder()
    while pos < len(text):
        if not text.startswith(CALL_MARK, pos):
            rest = text[pos:].strip()
            raise ScriptSyntaxError(
                f"unexpected text {_clip(rest)!r} after a call (a call ends its reply; put "
                "what is said after it on the next line, the answer to the call's output)"
            )
        pos = _skip_space(text, pos + len(CALL_MARK))
        name = _NAME.match(text, pos)
        if name is None or (name.end() < len(text) and text[name.end()] not in " \t{"):
            got = text[pos:].split(None, 1)[0] if text[pos:].strip() else ""
            raise ScriptSyntaxError(
                f"'@call' needs a function name of 1-64 letters, digits, '_' or '-', got {got!r}"
            )
        pos = _skip_space(text, name.end())
        if pos == len(text) or _MARK.match(text, pos):  # no arguments: an empty object
            calls.append(ToolCall(name.group(), "{}"))
            continue
        try:
            arguments, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ScriptSyntaxError(
                f"the arguments of '@call {name.group()}' are not valid JSON ({exc.msg} at "
                f"column {exc.colno})"
            ) from None
        if not isinstance(arguments, dict):
            raise ScriptSyntaxError(
                f"the arguments of '@call {name.group()}' must be a JSON object, got "
                f"{type(arguments).__name__}"
            )
        compact = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        calls.append(ToolCall(name.group(), compact))
        pos = _skip_space(text, end)
    return ScriptLine(preamble, tuple(calls), where)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ScriptResponder:
    """Replies with the lines of a script, one per turn, in order."""

    def __init__(self, replies: list[str], source: str = "responder script") -> None:
        self._load([(f"line {n}", r) for n, r in enumerate(replies, 1)], source)

    def _load(self, numbered: list[tuple[str, str]], source: str) -> None:
        """Parse ``(where, text)`` replies; ``source`` and ``where`` name a bad one."""
        self.source = source
        self.lines = _parse_all(numbered, source)
        self.replies = [line.preamble for line in self.lines]
        self.turn = 0

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptResponder:
        """A text file with one reply per line (blank lines and ``#`` comments skipped), or a
        JSON list of strings."""
        p = Path(path)
        label = f"responder script {str(p)!r}"
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ResponderError(
                f"cannot read the responder script {str(p)!r}: {exc.strerror or exc}. "
                "Fix: make script:PATH name an existing text or JSON file."
            ) from None
        if text.lstrip().startswith("["):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ResponderError(f"{label} is not valid JSON: {exc}") from None
            if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
                raise ResponderError(f"{label} must be a JSON list of strings")
            numbered = [(f"entry {n}", s) for n, s in enumerate(data, 1)]
        else:
            numbered = [
                (f"line {n}", ln)
                for n, ln in enumerate(text.splitlines(), 1)
                if not ln.lstrip().startswith("#")
            ]
        responder = cls([], label)
        responder._load(numbered, label)
        if not responder.lines:
            raise ResponderError(f"{label} has no replies in it")
        return responder

    async def reply(
        self, history: list[Message], user_text: str, offer: ToolOffer = NO_TOOLS
    ) -> AsyncIterator[ReplyPart]:
        if self.turn < len(self.lines):
            line = self.lines[self.turn]
        else:
            line = ScriptLine(SCRIPT_END_REPLY, (), "after its end")
        self.turn += 1
        calls = self._calls(line, offer)
        for chunk in word_chunks(line.preamble):
            yield chunk
        for call in calls:
            yield call

    def _calls(self, line: ScriptLine, offer: ToolOffer) -> tuple[ToolCall, ...]:
        """The line's calls under ``tool_choice`` (see the module docstring)."""
        if not offer.calls_allowed:
            return ()
        if not offer.call_required:
            return line.calls
        forced = offer.forced_name
        wanted = f"a call to {forced!r}" if forced else "a call"
        if not line.calls or (forced and any(c.name != forced for c in line.calls)):
            raise ResponderError(
                f"{self.source} {line.where}: tool_choice {offer.choice!r} requires {wanted}, "
                f"but the line has {_describe(line.calls)}. Fix: give that reply "
                f"'@call {forced or 'NAME'} {{...}}', or send another tool_choice."
            )
        return line.calls


def script_problem(responder: str) -> str | None:
    """Why the responder ``script:FILE`` cannot load (unreadable, not a list, a malformed
    ``@call``), or ``None``: asked before anything starts, so that a broken script is a
    mistake in the settings (exit 2, the file's line named) rather than an embedded server that
    fails to start once the run is under way (exit 1, or ``voicechat test``'s exit 3; issue
    79, item 20). Any other responder is ``None``: the server checks its own spelling."""
    kind, _, path = responder.partition(":")
    if kind != "script" or not path:
        return None
    try:
        ScriptResponder.from_file(path)
    except ResponderError as exc:
        return str(exc)
    return None


def _describe(calls: tuple[ToolCall, ...]) -> str:
    if not calls:
        return "no call"
    return "calls to " + ", ".join(repr(c.name) for c in calls)


def _parse_all(numbered: list[tuple[str, str]], label: str) -> list[ScriptLine]:
    lines: list[ScriptLine] = []
    for where, raw in numbered:
        if not raw.strip():
            continue
        try:
            lines.append(parse_line(raw, where))
        except ScriptSyntaxError as exc:
            raise ResponderError(f"{label} {where}: {exc}. {_CALL_FIX}") from None
    return lines
