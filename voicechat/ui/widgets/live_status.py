"""The status bar's second line for a GPT-Live session (mode ``live``), and for a Gemini Live
one (mode ``gemini``: the same facts hold, its turns are the service's VAD's).

Realtime's line (response id and status, barge-in on/off, VAD or push-to-talk) says things that
are false or meaningless for GPT-Live: there are no response objects, no barge-in switch (the
model always hears the user and decides itself when to yield) and no turn detection settings.
What is true there, and what this line shows instead:

* ``assistant speaking`` (from our playback: the service sends no end of speech), else
  ``listening``, or ``interrupted`` right after the model stopped for the user;
* ``task …``: a delegated task running (its target and how long), where Realtime shows a tool;
* ``echo …``: as for Realtime (echo cancellation matters more here: the mic is never muted);
* ``turns model decides``: GPT-Live's turn taking;
* ``ends in …``: the session's time left, from ``expires_at`` in ``session.started``;
* ``context …%``: how full the model's context is, from ``session.usage.updated``.

The mic's own label (first line) says ``always on`` for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rich.style import Style

from voicechat.ui.viewstate import UiState

Field = list[tuple[str, Style]]

ALWAYS_ON = "always on"
TURNS = "model decides"
TURNS_LONG = "model decides (GPT-Live)"
#: Gemini Live (mode ``gemini``) shares this line: its turns are the service's VAD's
GEMINI_TURNS = "server VAD"
GEMINI_TURNS_LONG = "server VAD (Gemini)"


def remaining_text(expires_at: int | None, now: float) -> str:
    """``29 min`` / ``45 s`` / ``over`` until the server ends the session; ``""`` unknown.

    Whole minutes from two minutes on and five-second steps below, so the status bar redraws
    once a minute for most of a session."""
    if expires_at is None:
        return ""
    left = expires_at - now
    if left <= 0:
        return "over"
    if left >= 120:
        return f"{int(left // 60)} min"
    return f"{max(5, int(left // 5) * 5)} s"


def context_text(ratio: float | None) -> str:
    """``42%`` of the context window used; ``""`` before the server reported it."""
    if ratio is None:
        return ""
    return f"{round(max(0.0, min(1.0, ratio)) * 100)}%"


def assistant_label(state: UiState) -> tuple[str, str]:
    """(text, tone) for the assistant: tone is active | bad | plain."""
    if state.response_status == "in_progress":
        return "assistant speaking", "active"
    if state.response_status == "incomplete":
        return "interrupted · listening", "bad"
    return "listening", "plain"


def live_line2_variants(state: UiState, *, task: str, ends: str, echo: Callable[[bool], Field],
                        style: Callable[[str], Style]) -> Iterator[list[Field]]:
    """The GPT-Live second line, longest first; ``echo(short)`` is the echo field."""
    dim = style("status--dim")
    text, tone = assistant_label(state)
    tones = {"active": style("status--active"), "bad": style("status--bad"), "plain": Style()}
    assistant: Field = [(text, tones[tone])]
    task = task.removeprefix("delegation:")  # the adapter's call name for a delegated task
    tasks: Field = [("task ", dim), (task, style("status--active"))] if task else []
    left: Field = [("ends in ", dim), (ends, Style())] if ends else []
    context_shown = context_text(state.context_ratio)
    context: Field = [("context ", dim), (context_shown, Style())] if context_shown else []
    names = (GEMINI_TURNS, GEMINI_TURNS_LONG) if state.mode == "gemini" else (TURNS, TURNS_LONG)
    for short in (False, True):
        turns: Field = [("turns ", dim), (names[0] if short else names[1], Style())]
        yield [assistant, tasks, echo(short), turns, left, context]
        yield [assistant, tasks, echo(short), turns, left]
    yield [assistant, tasks, echo(True), left]
    yield [assistant, tasks, left]
    yield [assistant, tasks]
