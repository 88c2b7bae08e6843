"""One turn's verdicts: what was observed against what the scenario expects (sans-IO).

The runner observes a turn (the reply as the assistant said it, the tool calls with their
arguments, the first audio's latency, whether the answer was cut and how fast its audio
stopped) and hands it here with the judge's verdict when a judge ran. Every expectation gives
one :class:`Verdict`, its key as in the file, once (``contains: [a, b]`` is one
``reply.contains``: the words were each a verdict of the same name with an empty reason, issue
79): passed with what was seen, failed with the reason a person reads first, or skipped with
how to enable it (a ``judge`` with no judge configured is never a pass).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from voicechat.scenario.spec import Bound, Expectations, ExpectedCall

__all__ = ["Judgement", "ObservedCall", "ObservedTurn", "Verdict", "check_turn", "subset_match"]

Status = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class ObservedCall:
    name: str
    #: the arguments as the model wrote them (a JSON object's text, malformed or not)
    arguments: str


@dataclass(frozen=True)
class ObservedTurn:
    reply: str = ""
    calls: tuple[ObservedCall, ...] = ()
    #: answers to an earlier part of the turn, the caller going on after (not in ``reply``)
    superseded: tuple[str, ...] = ()
    first_audio_ms: float | None = None
    interrupted: bool = False
    stop_ms: float | None = None
    #: whether the server showed it heard the caller's speech (its VAD's start, a commit, a
    #: transcript): when not, a failed interruption says the caller may be too quiet
    caller_heard: bool = True


@dataclass(frozen=True)
class Judgement:
    """A judge model's verdict on ``reply.judge`` (the runner asks it; temperature 0)."""

    passed: bool
    reason: str


@dataclass(frozen=True)
class Verdict:
    check: str  # the expectation's key, as in the file: ``reply.contains``, ``first_audio_ms``
    status: Status
    reason: str = ""


def check_turn(
    expect: Expectations, seen: ObservedTurn, judgement: Judgement | None = None
) -> list[Verdict]:
    """Every expectation of ``expect`` judged against ``seen``, in the file's order."""
    out: list[Verdict] = []
    if expect.tool_calls is not None:
        out.append(_calls(expect.tool_calls, seen.calls))
    if expect.reply is not None:
        reply = expect.reply
        folded = seen.reply.casefold()
        if reply.contains:
            missing = [word for word in reply.contains if word.casefold() not in folded]
            out.append(Verdict("reply.contains", "failed" if missing else "passed",
                               f"{_words(missing)} not in the reply {_quote(seen.reply)}"
                               if missing else f"{_words(reply.contains)} in the reply"))
        if reply.not_contains:
            present = [word for word in reply.not_contains if word.casefold() in folded]
            out.append(Verdict("reply.not_contains", "failed" if present else "passed",
                               f"{_words(present)} {'is' if len(present) == 1 else 'are'} in "
                               f"the reply {_quote(seen.reply)}"
                               if present else f"none of {_words(reply.not_contains)} in the "
                                               "reply"))
        if reply.matches is not None:
            ok = reply.matches.search(seen.reply) is not None
            out.append(Verdict("reply.matches", "passed" if ok else "failed",
                               f"/{reply.matches.pattern}/ matches the reply" if ok
                               else f"/{reply.matches.pattern}/ does not match the "
                                    f"reply {_quote(seen.reply)}"))
        if reply.judge is not None:
            out.append(_judged(reply.judge, judgement))
    if expect.first_audio is not None:
        out.append(_bounded("first_audio_ms", expect.first_audio, seen.first_audio_ms,
                            "no audio came back"))
    if expect.interrupted is not None:
        ok = seen.interrupted is expect.interrupted
        if ok:
            why = "the answer was cut" if seen.interrupted else "the answer played to its end"
        else:
            why = ("the answer played to its end: nothing cut it" + _unheard(seen)
                   if expect.interrupted else "the answer was cut")
        out.append(Verdict("interrupted", "passed" if ok else "failed", why))
    if expect.stop is not None:
        out.append(_bounded("stop_ms", expect.stop, seen.stop_ms,
                            "the assistant's audio never stopped" + _unheard(seen)))
    return out


def subset_match(expected: Any, actual: Any) -> bool:
    """``expected`` is in ``actual``: a table's keys present with matching values (recursively),
    lists equal item by item, other values equal (``21`` equals ``21.0``, never ``True``)."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and subset_match(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(subset_match(e, a) for e, a in zip(expected, actual, strict=True)))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _calls(expected: Sequence[ExpectedCall], calls: Sequence[ObservedCall]) -> Verdict:
    made = ", ".join(f"{c.name}({c.arguments})" for c in calls) or "none"
    if not expected:
        return Verdict("tool_calls", "passed" if not calls else "failed",
                       "no tool call" if not calls else f"expected no tool call; made: {made}")
    at = 0
    for want in expected:
        while at < len(calls) and not _is(want, calls[at]):
            at += 1
        if at == len(calls):
            args = "" if want.arguments is None else f" with {json.dumps(want.arguments)}"
            return Verdict("tool_calls", "failed",
                           f"no call to {want.name}{args} (in order); made: {made}")
        at += 1
    return Verdict("tool_calls", "passed", f"made: {made}")


def _is(want: ExpectedCall, call: ObservedCall) -> bool:
    if call.name != want.name:
        return False
    if want.arguments is None:
        return True
    try:
        actual = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError:
        return False  # malformed arguments match nothing but "any arguments"
    return subset_match(dict(want.arguments), actual)


def _bounded(check: str, bound: Bound, value: float | None, missing: str) -> Verdict:
    if value is None:
        return Verdict(check, "failed", missing)
    if bound.max_ms is not None and value > bound.max_ms:
        return Verdict(check, "failed", f"{value:.0f} ms, over the {bound.max_ms:g} ms allowed")
    if bound.min_ms is not None and value < bound.min_ms:
        return Verdict(check, "failed", f"{value:.0f} ms, under the {bound.min_ms:g} ms asked")
    return Verdict(check, "passed", f"{value:.0f} ms")


def _judged(intent: str, judgement: Judgement | None) -> Verdict:
    if judgement is None:
        return Verdict("reply.judge", "skipped",
                       f"not judged ({intent!r}): no judge configured; pass --judge-url and "
                       "--judge-model (an OpenAI-compatible chat endpoint)")
    return Verdict("reply.judge", "passed" if judgement.passed else "failed", judgement.reason)


def _unheard(seen: ObservedTurn) -> str:
    return "" if seen.caller_heard else (
        "; the server never showed it heard this turn's speech (no speech start, no commit, "
        "no transcript): too quiet? raise the turn's level_db or check its recording")


def _words(words: Sequence[str]) -> str:
    return ", ".join(repr(word) for word in words)


def _quote(text: str, limit: int = 160) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
