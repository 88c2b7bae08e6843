"""GPT-Live rules about what the client sends: the first event, the config, the appends.

GPT-Live (``/v1/live/sessions``) takes one strict ``session.start`` as the first event, refuses
any field its schema does not have (``unknown_parameter``), and caps each context append at
500 tokens. These rules speak only on a GPT-Live log (``ctx.live``), and read the client's
events with the same validator the local server and ``voicechat validate`` use
(:mod:`voicechat.protocol.live.validation`).
"""

from __future__ import annotations

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import ERRORS, Rule, error_of
from voicechat.eventlog.entry import Entry
from voicechat.protocol.live import errors as live_errors
from voicechat.protocol.live import names

_LIVE_CLIENT = frozenset(names.CLIENT_EVENTS)
#: ``voicechat proxy``'s record of a GPT-Live WebRTC create (the config it asked for)
LIVE_CREATE = "local.proxy.live_create"


class LiveFirstEventNotStart(Rule):
    """The first thing a GPT-Live WebSocket hears must be ``session.start``; anything earlier
    is refused (pipecat drops mic audio until ``session.started``, LiveKit queues commands).
    Over WebRTC the HTTP create starts the session and ``session.started`` comes first, so a
    client event after it is never flagged."""

    id = "live-first-event-not-session-start"
    title = "GPT-Live: the client's first event was not session.start"
    feeds_on = _LIVE_CLIENT | {names.SESSION_STARTED}

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.first: Entry | None = None
        self.done = False

    def feed(self, entry: Entry, ctx: Context) -> None:
        if self.done:
            return
        if entry.dir == "in" and entry.type == names.SESSION_STARTED:
            self.started = True
        elif entry.dir == "out" and self.first is None:
            self.first = entry
            if entry.type == names.SESSION_START or self.started:
                self.done = True
                return
        if self.first is not None and ctx.live and not self.done:
            self.done = True
            self.add(self.first, f"sent {self.first.type} before any session.start")

    def fix(self, ctx: Context) -> str:
        first = self.first.type if self.first is not None else "?"
        return (f"Send session.start (with session.model) as the very first event on "
                f"/v1/live/sessions and wait for session.started before anything else "
                f"({first} came first); GPT-Live has no session.created and takes no model in "
                f"the URL. Over WebRTC the POST starts the session: send no session.start.")


class LiveUnknownConfigField(Rule):
    """A field GPT-Live's strict config does not have: the start is refused (no
    ``session.started``), an update is refused. Most come from a Realtime config carried over
    (``turn_detection``, ``temperature``, ``voice`` at the top level)."""

    id = "live-unknown-config-field"
    title = "GPT-Live: the session config has a field the strict schema refuses"
    feeds_on = ERRORS | {names.SESSION_START, names.SESSION_UPDATE, LIVE_CREATE}

    def __init__(self) -> None:
        super().__init__()
        self.params: list[str] = []
        self.flagged_ids: set[str] = set()
        self.flagged_any = False

    def feed(self, entry: Entry, ctx: Context) -> None:
        # The validator is imported here, when a GPT-Live event needs it: its shapes cost
        # ~6 ms to import, on every doctor run, and a Realtime log never gets this far.
        if entry.type == LIVE_CREATE:  # the proxy's record of a WebRTC create's config
            from voicechat.protocol.live.validation import validate_session_config

            config = entry.canonical.get("session")
            problem = validate_session_config(config, webrtc=True) if config is not None \
                else None
            if problem is not None and problem.code == live_errors.UNKNOWN_PARAMETER:
                self._flag(entry, problem.param or "?", "the WebRTC create sent")
            return
        if entry.dir == "out":
            if entry.type == names.SESSION_START:
                from voicechat.protocol.live.validation import validate_session_config

                problem = validate_session_config(entry.canonical.get("session"))
            elif ctx.live:
                from voicechat.protocol.live.validation import validate_client_event

                problem = validate_client_event(entry.canonical)
            else:
                return
            if problem is not None and problem.code == live_errors.UNKNOWN_PARAMETER:
                self._flag(entry, problem.param or "?", "sent")
                event_id = entry.event.get("event_id")
                if isinstance(event_id, str):
                    self.flagged_ids.add(event_id)
            return
        error = error_of(entry)
        if error is None or not ctx.live or error.get("code") != live_errors.UNKNOWN_PARAMETER:
            return
        answers = error.get("client_event_id") or entry.canonical.get("client_event_id")
        if answers in self.flagged_ids or (answers is None and self.flagged_any):
            return  # the server refusing what this rule already flagged
        self._flag(entry, str(error.get("param") or "?"), "the server refused")

    def _flag(self, entry: Entry, param: str, how: str) -> None:
        self.flagged_any = True
        if param not in self.params and len(self.params) < 8:
            self.params.append(param)
        self.add(entry, f"{how} {param}")

    def fix(self, ctx: Context) -> str:
        fields = ", ".join(self.params) or "?"
        return (f"Remove {fields}: GPT-Live's session config is strict (model, instructions, "
                "audio.format, audio.output.voice, delegation, input, store, client, "
                "safety_identifier, triggers) and refuses anything else. Realtime settings "
                "(turn_detection, temperature, tools, voice at the top level) have no GPT-Live "
                "equivalent; omit unset fields rather than sending null.")


class LiveAppendOverLimit(Rule):
    """An instructions, thinking or commentary append over 500 tokens: the server refuses it
    ("Context append text must not exceed 500 tokens") and the session goes on without it."""

    id = "live-append-over-limit"
    title = "GPT-Live: an append over the 500-token limit"
    feeds_on = ERRORS | frozenset(names.APPENDS)

    def __init__(self) -> None:
        super().__init__()
        self.flagged_ids: set[str] = set()
        self.largest = 0

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir == "out":
            content = entry.canonical.get("content")
            if not isinstance(content, str):
                return
            tokens = names.estimate_tokens(content)
            if tokens > names.APPEND_MAX_TOKENS:
                self.largest = max(self.largest, tokens)
                event_id = entry.event.get("event_id")
                if isinstance(event_id, str):
                    self.flagged_ids.add(event_id)
                self.add(entry, f"{entry.type}: {len(content)} characters, about {tokens} "
                                f"tokens")
            return
        error = error_of(entry)
        if error is None or not ctx.live:
            return
        message = str(error.get("message") or "")
        if error.get("code") != live_errors.APPEND_TOO_LONG and "500 tokens" not in message:
            return
        answers = error.get("client_event_id") or dig(entry.canonical, "client_event_id")
        if answers not in self.flagged_ids:
            self.add(entry, f"the server refused an append: {message[:120]}")

    def fix(self, ctx: Context) -> str:
        size = f" (the largest was about {self.largest} tokens)" if self.largest else ""
        return (f"Keep each session.*.append under 500 tokens{size}, roughly 1,750 characters "
                "of English: split long context into several appends, and put standing "
                "instructions in session.start's instructions (up to 16,384 tokens).")
