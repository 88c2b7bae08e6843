"""Rules for how Gemini Live sessions fail in users' reports (issue 40): a ``toolCall`` left
unanswered (``gemini-tool-call-unanswered``: the model waits for every call id), a
connection's end not resumed or resumed with an old handle (``gemini-go-away-not-resumed``,
``gemini-resume-stale-handle``: only a ``setup`` with the newest handle keeps the
conversation), and the closes the service refuses with (``gemini-closed-with-error``: 1007,
1008, 1011, each explained with its fix).

Gemini Live has no error event and no ``response.*`` lifecycle: the model asks for tools with
``toolCall`` and waits, blocking the turn, until every call id has a ``toolResponse``
functionResponse (or the server withdraws it with ``toolCallCancellation``); a connection lives
about ten minutes, announces its end with ``goAway`` and then closes 1011 ("Deadline
expired"), and only a new connection whose ``setup`` carries ``sessionResumption.handle``
(the last ``sessionResumptionUpdate.newHandle``) keeps the conversation; and the service
refuses a message by closing the socket with a code (1007, 1008, 1011), which the app logs in
its own words. These are what users report (providers.md §2, §11). The rules read the frames
as the reader types them (``gemini.<message>``, :mod:`voicechat.eventlog.gemini_frames`), with
either spelling, and explain a close with :mod:`voicechat.protocol.gemini.close_codes`.
"""

from __future__ import annotations

import re
from typing import Any

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import Rule
from voicechat.doctor.rules.tool_items import remember
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.gemini_frames import CLOSE, PREFIX
from voicechat.protocol.gemini import close_codes, names, spelling
from voicechat.protocol.secrets import REDACTED

SETUP = PREFIX + names.SETUP
SETUP_COMPLETE = PREFIX + names.SETUP_COMPLETE
TOOL_CALL = PREFIX + names.TOOL_CALL
TOOL_RESPONSE = PREFIX + names.TOOL_RESPONSE
CANCELLATION = PREFIX + names.TOOL_CALL_CANCELLATION
GO_AWAY = PREFIX + names.GO_AWAY
RESUMPTION_UPDATE = PREFIX + names.SESSION_RESUMPTION_UPDATE
REALTIME_INPUT = PREFIX + names.REALTIME_INPUT
#: Our own records of a close (the Gemini client's notice, the link's state)
NOTICE, TRANSPORT_STATE = "local.notice", "local.transport.state"
_CLOSE_IN_TEXT = re.compile(r"close code (\d{4})")


def body(entry: Entry, message: str) -> dict[str, Any]:
    """The frame's ``message`` object (either spelling), ``{}`` when absent."""
    value = spelling.get(entry.canonical, message)
    return value if isinstance(value, dict) else {}


def resumes_with(entry: Entry) -> str | None:
    """The handle a ``setup`` resumes with: ``""`` when it asks for resumption without one
    (a new session that will get handles), ``None`` when it does not ask at all."""
    resumption = spelling.get(body(entry, names.SETUP), "sessionResumption")
    if not isinstance(resumption, dict):
        return None
    handle = spelling.get(resumption, "handle")
    return handle if isinstance(handle, str) else ""


def close_of(entry: Entry) -> tuple[int | None, str] | None:
    """The close code and reason ``entry`` records, or ``None`` when it records no close."""
    if entry.type == CLOSE:
        code = entry.canonical.get("code")
        reason = entry.canonical.get("reason")
        return (code if isinstance(code, int) else None,
                reason if isinstance(reason, str) else "")
    if entry.type == NOTICE:
        text = entry.canonical.get("message")
    elif entry.type == TRANSPORT_STATE:
        text = entry.canonical.get("detail")
    else:
        return None
    if entry.dir != "local" or not isinstance(text, str):
        return None
    match = _CLOSE_IN_TEXT.search(text)
    if match is None:
        return None
    code = int(match.group(1))
    _, _, said = text.partition("): ")  # our client's notice: "…code N (name): REASON. MEANING…"
    meaning = close_codes.describe(code).meaning
    if meaning in said:
        said = said[:said.index(meaning)].rstrip().removesuffix(".")  # the notice adds one
    return code, said


class GeminiToolCallUnanswered(Rule):
    """A ``toolCall`` id the app never answered: the model waits for every id before it
    speaks again, so the turn hangs (the user hears silence) and, on a blocking function, the
    session does too. A ``toolCallCancellation`` of the id answers it (the user interrupted)."""

    id = "gemini-tool-call-unanswered"
    title = "Gemini Live: a toolCall was never answered, so the model waits forever"
    feeds_on = frozenset({TOOL_CALL, TOOL_RESPONSE, CANCELLATION})

    def __init__(self) -> None:
        super().__init__()
        self.open: dict[str, tuple[Entry, str]] = {}
        self.names: list[str] = []

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.type == TOOL_CALL and entry.dir == "in":
            for call in spelling.get_list(body(entry, names.TOOL_CALL), "functionCalls"):
                if isinstance(call, dict) and isinstance(call.get("id"), str):
                    name = call.get("name")
                    remember(self.open, call["id"],
                             (entry, name if isinstance(name, str) else "?"))
        elif entry.type == TOOL_RESPONSE and entry.dir == "out":
            for answer in spelling.get_list(body(entry, names.TOOL_RESPONSE),
                                       "functionResponses"):
                if isinstance(answer, dict):
                    self.open.pop(str(answer.get("id")), None)
        elif entry.type == CANCELLATION and entry.dir == "in":
            for call_id in spelling.get_list(body(entry, names.TOOL_CALL_CANCELLATION), "ids"):
                self.open.pop(str(call_id), None)

    def conclude(self, ctx: Context) -> None:
        if not ctx.client_logged:
            return  # a log of the server's frames only cannot show what the app answered
        end = ctx.end_t
        for call_id, (entry, name) in self.open.items():
            if end is not None and entry.t is not None:
                after = f"{end - entry.t:.1f} s after it"
            else:  # a log without times: how far it goes on, in events
                later = ctx.last.index - entry.index if ctx.last is not None else 0
                after = f"{later} events after it" if later else "right after it"
            self.add(entry, f"toolCall {name} (id {call_id}) has no toolResponse, and the log "
                            f"ends {after}: the model waits for it before it speaks again (if "
                            "the log was cut here, check the rest of the session)")
            if name not in self.names and len(self.names) < 8:
                self.names.append(name)

    def fix(self, ctx: Context) -> str:
        tools = ", ".join(self.names) or "the tool"
        return (f"Answer every id of every toolCall ({tools}) with one toolResponse: "
                '{"toolResponse": {"functionResponses": [{"id": CALL_ID, "name": NAME, '
                '"response": {...}}]}}, the id copied from functionCalls[].id, also when the '
                "tool fails (send the error as the response). Gemini Live waits for all of "
                "them before it speaks again; skip only the ids a toolCallCancellation "
                "withdrew.")


class GeminiGoAwayNotResumed(Rule):
    """``goAway`` announced the connection's end, the connection closed, and the app never
    sent a ``setup`` with ``sessionResumption.handle``: the conversation is lost (a new session
    starts from nothing, or none does). Never asking for resumption (no ``sessionResumption``
    in the first ``setup``) means the server sent no handle to resume with."""

    id = "gemini-go-away-not-resumed"
    title = "Gemini Live: the connection ended after goAway and the session was not resumed"
    feeds_on = frozenset({GO_AWAY, SETUP, RESUMPTION_UPDATE, CLOSE, NOTICE, TRANSPORT_STATE})

    def __init__(self) -> None:
        super().__init__()
        self.asked: bool | None = None  # the first setup asked for resumption
        self.handles = 0
        self.go_away: Entry | None = None
        self.time_left: str | None = None
        self.closed: Entry | None = None
        self.close_text = ""

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if kind == SETUP and entry.dir == "out":
            handle = resumes_with(entry)
            if self.asked is None:
                self.asked = handle is not None
            if handle:  # resumed: whatever goAway came before is dealt with
                self.go_away = self.closed = None
        elif kind == RESUMPTION_UPDATE:
            if isinstance(spelling.get(body(entry, names.SESSION_RESUMPTION_UPDATE),
                                       "newHandle"), str):
                self.handles += 1
        elif kind == GO_AWAY and entry.dir == "in":
            if self.go_away is None:
                self.go_away = entry
                left = spelling.get(body(entry, names.GO_AWAY), "timeLeft")
                self.time_left = left if isinstance(left, str) else None
        elif self.go_away is not None and self.closed is None:
            closed = close_of(entry)
            if closed is not None:
                self.closed = entry
                code, reason = closed
                self.close_text = f"close {code}" + (f' "{reason}"' if reason else "")

    def conclude(self, ctx: Context) -> None:
        if self.go_away is None or self.closed is None or not ctx.client_logged:
            return
        since = "" if self.closed.t is None or self.go_away.t is None else \
            f" {self.closed.t - self.go_away.t:.1f} s later"
        left = f" (timeLeft {self.time_left})" if self.time_left else ""
        never = " (the first setup never asked for sessionResumption)" if self.asked is False \
            else ""
        self.add(self.go_away, f"goAway{left}, then {self.close_text}{since}, and no setup "
                               f"with sessionResumption.handle followed{never}")

    def fix(self, ctx: Context) -> str:
        ask = ("Ask for handles: put \"sessionResumption\": {} in the first setup (the server "
               "then sends sessionResumptionUpdate.newHandle as the session goes). "
               if self.asked is False else "")
        return (f"{ask}Keep the last sessionResumptionUpdate.newHandle; on goAway (or a close "
                "1011 \"Deadline expired\": a connection lives about 10 minutes), close the "
                "old socket and open a new one whose setup has the same model and config and "
                "\"sessionResumption\": {\"handle\": LAST_HANDLE}, before timeLeft runs out. "
                "A handle stays valid for about 2 hours after the connection ends.")


class GeminiResumedWithStaleHandle(Rule):
    """A resuming ``setup`` whose handle is not the newest the server gave, or that asks to
    resume with no handle at all after the server had given one: the service refuses a stale
    handle (close 1007) or starts a fresh session, and the conversation so far is gone.
    Handles are never shown (one reopens the conversation for hours): they are numbered in
    the order the server gave them. A redacted handle (our own records) cannot be compared."""

    id = "gemini-resume-stale-handle"
    title = "Gemini Live: resumption was attempted with a stale handle or none"
    feeds_on = frozenset({SETUP, RESUMPTION_UPDATE})

    #: handles remembered to say which one an app reused (bounded: a long session has many)
    _MAX_HANDLES = 512

    def __init__(self) -> None:
        super().__init__()
        self.setups = 0
        self.numbers: dict[str, int] = {}  # handle → its place among those given (1-based)
        self.newest: str | None = None
        self.given = 0

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.type == RESUMPTION_UPDATE:
            handle = spelling.get(body(entry, names.SESSION_RESUMPTION_UPDATE), "newHandle")
            if isinstance(handle, str) and handle and handle != self.newest:
                self.given += 1
                self.newest = handle
                if len(self.numbers) < self._MAX_HANDLES:
                    self.numbers[handle] = self.given
            return
        if entry.type != SETUP or entry.dir != "out":
            return
        self.setups += 1
        handle = resumes_with(entry)
        newest = self.newest
        if self.setups == 1 or handle is None or newest is None or REDACTED in (handle, newest):
            return  # the first connection, one that does not resume, or nothing to compare
        if handle == "":
            self.add(entry, f"setup #{self.setups} asked for resumption with no handle, "
                            f"although the server had given {self.given}")
        elif handle != newest:
            which = f"handle #{self.numbers[handle]}" if handle in self.numbers \
                else "a handle the server never gave in this log"
            self.add(entry, f"setup #{self.setups} resumed with {which}; the newest was "
                            f"#{self.given}")

    def fix(self, ctx: Context) -> str:
        return ("Resume with the newest handle: keep every sessionResumptionUpdate.newHandle "
                "(replacing the one before; ignore updates with resumable false or no handle) "
                "and put the latest in the next setup's sessionResumption.handle. A handle "
                "from an earlier update, another session or none at all cannot bring this "
                "conversation back.")


class GeminiClosedWithError(Rule):
    """The service closed the socket with a refusal: 1007 (a message it cannot accept, most
    often legacy ``mediaChunks`` or a second ``setup``), 1008 (a model or setting not allowed,
    a key or token not valid here) or 1011 (its own failure, a quota, or "Deadline expired",
    the end of the connection's ~10-minute life). Each is explained with what the app sent
    just before it. A deadline close after ``goAway`` is ``gemini-go-away-not-resumed``'s, and
    any 1011 the app then resumed from is a connection's normal end."""

    id = "gemini-closed-with-error"
    title = "Gemini Live: the service closed the connection with an error code"
    feeds_on = frozenset({SETUP, SETUP_COMPLETE, REALTIME_INPUT, GO_AWAY, CLOSE, NOTICE,
                          TRANSPORT_STATE})

    _CODES = (close_codes.INVALID_PAYLOAD, close_codes.POLICY_VIOLATION,
              close_codes.INTERNAL_ERROR)

    def __init__(self) -> None:
        super().__init__()
        self.setups = 0
        self.media_chunks: Entry | None = None  # the first legacy mediaChunks sent
        self.second_setup: Entry | None = None
        self.go_away = False
        self.codes: list[int] = []
        self.unresumed: tuple[Entry, str] | None = None  # a 1011 the app may still resume from
        self.resuming: Entry | None = None  # a setup with a handle, not yet answered
        self.refused_resume = False  # a 1007 answered a resuming setup
        self.last_close: tuple[int | None, str] | None = None
        #: the next setup opens a new connection (a close, goAway or our link's state came)
        self.new_connection = False

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if kind == SETUP and entry.dir == "out":
            self.setups += 1
            if self.unresumed is not None and resumes_with(entry):
                self.unresumed = None  # the connection's end, resumed: nothing wrong
            if self.setups > 1 and self.second_setup is None and not self.new_connection:
                self.second_setup = entry
            self.new_connection = False
            self.resuming = entry if resumes_with(entry) else None
            return
        if kind == SETUP_COMPLETE:
            self.resuming = None  # the handle was taken
            return
        if kind == REALTIME_INPUT and entry.dir == "out":
            if self.media_chunks is None and spelling.has(body(entry, names.REALTIME_INPUT),
                                                          names.MEDIA_CHUNKS):
                self.media_chunks = entry
            return
        if kind == GO_AWAY:
            self.go_away = self.new_connection = True
            return
        if kind == TRANSPORT_STATE:
            self.new_connection = True  # our link reconnecting: the next setup is a new one's
        closed = close_of(entry)
        if closed is None or (closed == self.last_close and kind != CLOSE):
            return  # (our client logs a close as a notice and a state: one close)
        self.last_close = closed
        self.new_connection = True  # a setup after a close is a new connection's first
        code, reason = closed
        if code not in self._CODES:
            return
        if code == close_codes.INTERNAL_ERROR:
            if close_codes.is_deadline(code, reason) and self.go_away:
                self.go_away = False  # that goAway's close, seen
                return  # gemini-go-away-not-resumed speaks for it
            self.unresumed = (entry, self._detail(code, reason))
            return
        self.add(entry, self._detail(code, reason))
        self._note(code)

    def _detail(self, code: int, reason: str) -> str:
        info = close_codes.describe(code)
        said = f' "{reason}"' if reason else ""
        cause = ""
        if code == close_codes.INVALID_PAYLOAD:
            if self.media_chunks is not None:
                cause = (f"; the app sent the legacy realtimeInput.mediaChunks at "
                         f"{self.media_chunks.where()}")
            elif self.resuming is not None:
                self.refused_resume = True
                cause = (f"; right after a setup that resumed with a handle at "
                         f"{self.resuming.where()} (a stale or expired handle, or a resumption "
                         "of a connection still open, is refused this way)")
            elif self.second_setup is not None:
                cause = f"; the app sent a second setup on one connection at " \
                        f"{self.second_setup.where()}"
        elif close_codes.is_deadline(code, reason):
            cause = "; the connection reached the end of its life (about 10 minutes)"
        return f"closed {code} ({info.name}){said}{cause}. {info.meaning}"

    def _note(self, code: int) -> None:
        if code not in self.codes:
            self.codes.append(code)

    def conclude(self, ctx: Context) -> None:
        if self.unresumed is not None:
            entry, detail = self.unresumed
            self.add(entry, detail + " The app did not resume the session.")
            self._note(close_codes.INTERNAL_ERROR)
            self.unresumed = None

    def fix(self, ctx: Context) -> str:
        fixes = []
        for code in self.codes:
            fix = close_codes.describe(code).fix
            if code == close_codes.INVALID_PAYLOAD and self.media_chunks is not None:
                fix = ("Replace realtimeInput.mediaChunks (deprecated; newer models close "
                       "1007 on it) with realtimeInput.audio: {\"data\": BASE64_PCM, "
                       "\"mimeType\": \"audio/pcm;rate=16000\"}. " + fix)
            elif code == close_codes.INVALID_PAYLOAD and self.refused_resume:
                fix = ("Resume with the newest sessionResumptionUpdate.newHandle (a handle "
                       "lasts about 2 hours), once the old connection has closed. " + fix)
            elif code == close_codes.INVALID_PAYLOAD and self.second_setup is not None:
                fix = ("Send setup once per connection, as its first message; change "
                       "settings by reconnecting (with the session handle). " + fix)
            fixes.append(f"{code}: {fix}")
        return " ".join(fixes) or "Read the close reason."
