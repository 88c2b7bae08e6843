"""``silent-start``: the client waited for a ``session.created`` that never came.

xAI's Grok Voice did not send ``session.created`` in early 2026 (gptme-contrib#709: "silent
calls"; SpeakNow saw the same): its first message is ``conversation.created``, and it answers
the first ``session.update`` with ``session.updated``. A client written for OpenAI waits for
``session.created`` before it configures the session or opens the mic, so nothing happens: no
error, no close, just a session where the user talks into nothing. The log shows the server's
``conversation.created`` (or ``session.updated``) with no ``session.created``, and then the client
saying nothing at all for seconds.

Stays quiet on a log of server events only (it cannot show what the client sent), when
``session.created`` did come, and when the client sent anything (a ``session.update``, audio, an
item, a response) within :data:`SILENT_START_S` of the server's first message. xAI's empty
``usage`` (it bills per minute) is normal there and no rule reads it as a failure.
"""

from __future__ import annotations

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import Rule
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import Run
from voicechat.protocol.provider_hints import READY_EVENTS

#: This long after the server's first message with nothing from the client: it is waiting.
SILENT_START_S = 5.0
#: The server's messages that say the session is up when ``session.created`` does not come
#: (the profiles' :data:`~voicechat.protocol.providers.READY_EVENTS`, less that one).
_FIRST = READY_EVENTS - {"session.created"}
#: The client's events that show it did not wait.
_CLIENT = frozenset({"session.update", "input_audio_buffer.append", "conversation.item.create",
                     "response.create"})


class SilentStart(Rule):
    id = "silent-start"
    title = "The client waited for a session.created that never came (xAI sends none)"
    feeds_on = _FIRST | _CLIENT | {"session.created", "local.transport.state"}
    #: only the type, direction and time of each, and a transport state's ``state``: an
    #: append read whole would make the reader parse every mic frame's audio (the bulk of a
    #: log) and keep them out of runs
    reads = {kind: frozenset() for kind in _FIRST | _CLIENT | {"session.created"}} | {
        "local.transport.state": frozenset({"state"})}

    def __init__(self) -> None:
        super().__init__()
        self.first: Entry | None = None  # the server's first message (no session.created)
        self.answered = False  # the client said something, or session.created came
        self.waited = 0.0

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if kind == "session.created" and entry.dir == "in":
            self.answered = True
        elif kind in _CLIENT and entry.dir == "out":
            if self.first is not None and not self.answered:
                self._judge(entry.t, ctx, until=f"its first {kind}")
            self.answered = True
        elif kind in _FIRST and entry.dir == "in" and self.first is None:
            self.first = entry
        elif kind == "local.transport.state" and self.first is not None and not self.answered \
                and entry.canonical.get("state") in ("closed", "failed"):
            self._judge(entry.t, ctx, until="the connection closed")
            self.answered = True

    def feed_run(self, run: Run, ctx: Context) -> None:
        """Only the run's first append can matter (the client spoke, or it did not), and
        only until the client is known to have spoken: a log's hundreds of runs after that
        build no entry here."""
        if not self.answered and run.dir == "out" and len(run):
            self.feed(run.entry(0), ctx)

    def conclude(self, ctx: Context) -> None:
        if self.first is not None and not self.answered:
            self._judge(ctx.end_t, ctx, until="the end of the log")

    def _judge(self, t: float | None, ctx: Context, *, until: str) -> None:
        first = self.first
        if first is None or first.t is None or t is None or not (ctx.client_logged or ctx.ours):
            return
        waited = t - first.t
        if waited < SILENT_START_S:
            return
        self.waited = max(self.waited, waited)
        who = " (xAI)" if ctx.provider == "xai" else ""
        self.add(first, f"the server{who} opened with {first.type} and no session.created; "
                        f"the client sent nothing for {waited:.1f} s, until {until}")

    def fix(self, ctx: Context) -> str:
        return (f"The client sat silent for {self.waited:.0f} s waiting for session.created. "
                "Treat the first of session.created, session.updated and conversation.created "
                "as ready, or wait for none: send session.update as soon as the socket is open "
                "(voicechat does). xAI sent no session.created in early 2026 and may again.")
