"""What every rule needs to know about the session so far, kept up to date as events stream.

Rules read the effective session config (for concrete fixes: "raise threshold from 0.3 to
0.5"), the server's dialect (to write the fix in the shape the server accepts), and recent
client events (to point at what the client did just before a failure). All of it is bounded.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from voicechat.eventlog.entry import Entry
from voicechat.eventlog.gemini_frames import CLOSE as GEMINI_CLOSE
from voicechat.eventlog.gemini_frames import TYPES as GEMINI_TYPES
from voicechat.eventlog.run import CANONICAL, EVENT, Run
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.live.wire import LIVE_ONLY_TYPES
from voicechat.protocol.provider_hints import PROVIDER_HINT_TYPES, XAI, provider_from_event

_MAX_CLIENT_IDS = 2000
#: Mic audio going out (Realtime, GPT-Live): not a sign the client's side is in the log.
_AUDIO_APPENDS = frozenset({"input_audio_buffer.append", "session.input_audio.append",
                            "gemini.realtimeInput"})
#: The API family each family-only type announces (read once per entry, one lookup for all).
_FAMILY_OF: dict[str, str] = {**dict.fromkeys(LIVE_ONLY_TYPES, "live"),
                              **dict.fromkeys(GEMINI_TYPES | {GEMINI_CLOSE}, "gemini")}
#: The types :meth:`Context.update` looks at beyond their place: one of a family, or a hint
#: at the provider (most of a log is neither).
_NOTABLE = frozenset(_FAMILY_OF) | PROVIDER_HINT_TYPES
#: The server events :meth:`Context.update` reads (the session, the active response).
_SERVER_READS = frozenset({"session.created", "session.updated", "conversation.created",
                           "response.created", "response.done"})
#: A text log's own timeline is trusted up to this far past its last event: further, its
#: lines' timestamps are on another scale than the events' (an ISO date in one, a clock time
#: in the other) or belong to another day's run, not to this session.
MAX_TIMELINE_PAST_EVENTS_S = 6 * 3600.0


def dig(obj: Any, *path: str) -> Any:
    """``obj[path[0]][path[1]]…`` or ``None`` when any step is missing."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


class Context:
    """Session state derived from the events seen so far."""

    #: The event types :meth:`update` reads more of than type, direction, place, time and a
    #: client event's ``event_id``.
    READS = frozenset({"session.update", "session.created", "session.updated",
                       "response.created", "response.done", "local.transport.state"})

    def __init__(self) -> None:
        self.session: dict[str, Any] | None = None  # effective config, GA shape
        self.session_from_server = False
        self.dialect: Dialect | None = None
        self.first: Entry | None = None
        self.last: Entry | None = None
        self.last_in: Entry | None = None  # the server's latest event: is it still talking?
        self.recent_out: deque[Entry] = deque(maxlen=8)
        self.client_by_id: OrderedDict[str, Entry] = OrderedDict()
        self.webrtc = False  # output_audio_buffer.* seen: the server manages playback
        self.ours = False  # local.* events seen: a voicechat log with mic state
        self.active_response: str | None = None
        #: The client's side is in the log: a client event other than an audio append was
        #: seen (a log of server events only cannot show what the client sent back).
        self.client_logged = False
        #: A GPT-Live log (``/v1/live/sessions``): an event type only GPT-Live has was seen.
        #: The Realtime rules read Realtime events only, so they stay quiet on such a log; the
        #: GPT-Live rules (``rules/live*.py``) speak only once this is set.
        self.live = False
        #: A Gemini Live log: a frame of Gemini's (typed ``gemini.<message>`` by the reader,
        #: :mod:`voicechat.eventlog.gemini_frames`) was seen. Its rules (``rules/gemini_*.py``)
        #: read only those types; the Realtime rules read none of them.
        self.gemini = False
        #: Text logs, once the file is read: the time of its last timestamped non-event line
        #: (``ReadStats.last_line_t``); see :attr:`end_t`.
        self.timeline_end: float | None = None
        #: The provider the first frames point at (``xai``, ``voice-live``; ``None``: OpenAI
        #: or not known): :func:`voicechat.protocol.providers.provider_from_event`.
        self.provider: str | None = None
        #: ``conversation.created`` came before any ``session.created`` (xAI's first message)
        self.conversation_first = False
        self.session_created = False
        #: ``voicechat proxy``'s own records (``local.proxy.*``: REST calls passed through)
        self.proxy_records = False

    # --- session config -------------------------------------------------------------------

    @property
    def turn_detection(self) -> dict[str, Any] | None:
        value = dig(self.session, "audio", "input", "turn_detection")
        return value if isinstance(value, dict) else None

    @property
    def transcription_known(self) -> bool:
        audio_input = dig(self.session, "audio", "input")
        return isinstance(audio_input, dict) and "transcription" in audio_input

    @property
    def transcription(self) -> dict[str, Any] | None:
        value = dig(self.session, "audio", "input", "transcription")
        return value if isinstance(value, dict) else None

    @property
    def end_t(self) -> float | None:
        """Where the log's time ends: its last event's ``t``, or later when the log's own
        timeline (a text log's timestamped app lines, :attr:`timeline_end`) runs on past it.

        Why: an app that stopped hearing its user goes on logging, but no event comes; the
        lines it writes are the only sign the session stayed open. A timeline before the last
        event, or implausibly far past it (:data:`MAX_TIMELINE_PAST_EVENTS_S`), is not used."""
        last_t = self.last.t if self.last is not None else None
        tail = self.timeline_end
        if tail is None or last_t is None:
            return last_t
        return tail if last_t <= tail <= last_t + MAX_TIMELINE_PAST_EVENTS_S else last_t

    @property
    def dialect_name(self) -> str:
        return self.dialect.value if self.dialect else "ga"

    # --- updates --------------------------------------------------------------------------

    def update(self, entry: Entry) -> None:
        # Every entry of a log comes here, so the common ones (no family, no provider hint,
        # nothing read of them) pass one set test per step, not a test per case.
        if self.first is None:
            self.first = entry
        self.last = entry
        direction = entry.dir
        if direction == "in":
            self.last_in = entry
        kind = entry.type
        if kind in _NOTABLE:
            family = _FAMILY_OF.get(kind)
            if family is not None:
                if family == "live":
                    self.live = True
                else:
                    self.gemini = True
            if self.provider is None and kind in PROVIDER_HINT_TYPES:
                self.provider = provider_from_event(entry.canonical, direction)
        if direction == "local":
            # the proxy's own records (local.proxy.*) are no sign of voicechat's client log
            proxy = str(kind).startswith("local.proxy.")
            self.ours = self.ours or not proxy
            self.proxy_records = self.proxy_records or proxy
            return
        if direction == "out":
            if kind not in _AUDIO_APPENDS:
                self.recent_out.append(entry)
                self.client_logged = True
            event_id = entry.event.get("event_id")
            if isinstance(event_id, str):
                self.client_by_id[event_id] = entry
                if len(self.client_by_id) > _MAX_CLIENT_IDS:
                    self.client_by_id.popitem(last=False)
            if kind == "session.update" and not self.session_from_server:
                self._merge(_nested(entry.canonical.get("session")))
            return
        if kind not in _SERVER_READS:
            if kind.startswith("output_audio_buffer."):
                self.webrtc = True
        elif kind == "response.created":
            self.active_response = dig(entry.canonical, "response", "id")
        elif kind == "response.done":
            self.active_response = None
        elif kind == "conversation.created":
            if not self.session_created:
                self.conversation_first = True
        else:  # session.created, session.updated
            self.session_created = self.session_created or kind == "session.created"
            session = _nested(entry.canonical.get("session"))
            if isinstance(session, dict):
                self.session = session
                self.session_from_server = True

    def update_run(self, run: Run) -> None:
        """:meth:`update` for each event of a run (see ``Rule.feed_run``): consecutive events
        of one direction, ``in`` or ``out``, of types :meth:`update` reads nothing of but their
        place (output deltas, appends), in one call; an entry is built only for what it
        keeps (the first, the last, a client event by its id)."""
        if self.first is None:
            self.first = run.entry(0)
        last = self.last = run.entry(-1)
        if run.dir == "in":
            self.last_in = last
            return
        recent_out, client_by_id = self.recent_out, self.client_by_id
        for position, item in enumerate(run.items):
            if item[CANONICAL].get("type") != "input_audio_buffer.append":
                recent_out.append(run.entry(position))
                self.client_logged = True
            event_id = item[EVENT].get("event_id")
            if isinstance(event_id, str):
                client_by_id[event_id] = run.entry(position)
                if len(client_by_id) > _MAX_CLIENT_IDS:
                    client_by_id.popitem(last=False)

    def _merge(self, update: Any) -> None:
        if not isinstance(update, dict):
            return
        merged: dict[str, Any] = dict(self.session or {})
        _deep_merge(merged, update)
        self.session = merged

    def client_event_for(self, error_entry: Entry, *types: str) -> Entry | None:
        """The client event an error answers: by ``error.event_id``, else the latest ``types``."""
        event_id = dig(error_entry.canonical, "error", "event_id")
        if isinstance(event_id, str) and event_id in self.client_by_id:
            return self.client_by_id[event_id]
        for entry in reversed(self.recent_out):
            if not types or entry.type in types:
                return entry
        return None


def _nested(session: Any) -> Any:
    """A session with xAI's top-level ``voice``/``turn_detection`` put back under ``audio``
    (a GA-typed session never has them at the top), so the rules read one shape."""
    if (isinstance(session, dict) and (session.get("type") == "realtime" or "audio" in session)
            and ("turn_detection" in session or "voice" in session)):
        from voicechat.protocol.providers import PROFILES, from_wire_session  # a rare xAI log

        return from_wire_session(session, PROFILES[XAI])
    return session


def _deep_merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            child = dict(target[key])
            _deep_merge(child, value)
            target[key] = child
        else:
            target[key] = value
