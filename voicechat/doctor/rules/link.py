"""``server-silent``: the server said nothing for a long while, the client kept talking into it.

A server that dies without a word (killed, a dropped route) closes nothing on a WebRTC call, and a
client without a liveness check goes on showing "connected" with the mic live until ICE gives up
~30 s later: every question asked meanwhile goes nowhere. The log shows it as a long stretch with
no server event at all while the client kept sending mic audio (WebSocket appends, or in our
logs an open mic), ended by the transport reporting the link lost.

Stays quiet when the client ended the session itself (``closed`` with no reason, or
``stopped``) and when the client's own liveness check noticed (its state says ``the link is
dead``: it waited only seconds, however long the server had been quiet before, e.g. while the
user said nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import Rule
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import CANONICAL, Run, T

#: This long with no server event while the client sent audio, then the link was lost.
SILENT_S = 10.0
#: The client's audio must have flowed until this close to the end of the silence.
STILL_SENDING_S = 2.0
_LOST = frozenset({"closed", "failed", "reconnecting"})


class ServerSilent(Rule):
    id = "server-silent"
    title = "The server sent nothing for a long while the client kept sending audio"
    feeds_on = frozenset({"local.transport.state", "local.mic.source", "local.mic.muted",
                          "local.mic.unmuted", "input_audio_buffer.append"})
    #: An append: its time alone.
    reads: ClassVar[Mapping[str, frozenset[str]]] = (
        {"input_audio_buffer.append": frozenset()})

    def __init__(self) -> None:
        super().__init__()
        self.mic_open_at: float | None = None  # our logs: the mic is open since then
        self.appends_from: float | None = None  # first append since the server's last event
        self.last_append: float | None = None
        self.longest = 0.0
        self.reported: Entry | None = None  # the server event the last reported silence followed

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind, t = entry.type, entry.t
        if t is None:
            return
        if kind in ("local.mic.source", "local.mic.unmuted"):
            if self.mic_open_at is None:
                self.mic_open_at = t
        elif kind == "local.mic.muted":
            self.mic_open_at = None
        elif kind == "input_audio_buffer.append":
            heard = ctx.last_in.t if ctx.last_in is not None else None
            if self.appends_from is None or (heard is not None and self.appends_from < heard):
                self.appends_from = t  # the first append since the server last said something
            self.last_append = t
        elif kind == "local.transport.state":
            self._lost(entry, t, ctx)

    def feed_run(self, run: Run, ctx: Context) -> None:
        """:meth:`feed` on each append of ``run`` (a run of one direction: the server's last
        event, ``ctx.last_in``, is the same for all of it), without a call per append."""
        if run.dir == "in":
            super().feed_run(run, ctx)  # an incoming run moves last_in as it goes
            return
        heard = ctx.last_in.t if ctx.last_in is not None else None
        items = run.items
        for item in items:
            t = item[T]
            if t is None or item[CANONICAL].get("type") != "input_audio_buffer.append":
                continue
            start = self.appends_from
            if start is None or (heard is not None and start < heard):
                self.appends_from = t
                continue
            break  # it stays for the rest of the run: heard does not move during it
        for item in reversed(items):  # the last append with a time
            t = item[T]
            if t is not None and item[CANONICAL].get("type") == "input_audio_buffer.append":
                self.last_append = t
                break

    def _lost(self, entry: Entry, t: float, ctx: Context) -> None:
        state = str(entry.canonical.get("state") or "")
        detail = str(entry.canonical.get("detail") or "")
        last_in = ctx.last_in
        if state not in _LOST or last_in is None or last_in.t is None or last_in is self.reported:
            return
        if (state == "closed" and detail in ("", "stopped")) or "link is dead" in detail:
            return  # the client ended the session, or its liveness check did its job
        silent = t - last_in.t
        sending = self._sending(last_in.t, t)
        if silent < SILENT_S or sending < SILENT_S / 2:
            return
        self.reported = last_in
        self.longest = max(self.longest, silent)
        why = f" ({detail})" if detail else ""
        self.add(entry, f"transport {state}{why} after {silent:.1f} s with no server event "
                        f"(last: {last_in.type} at {last_in.where()}) while the client sent "
                        f"{sending:.1f} s of mic audio")

    def _sending(self, since: float, until: float) -> float:
        """Seconds of the silence ``since``..``until`` during which the client sent mic audio."""
        if self.mic_open_at is not None:  # our log: the mic stayed open to the end
            return until - max(self.mic_open_at, since)
        if (self.appends_from is not None and self.last_append is not None
                and self.appends_from >= since and until - self.last_append <= STILL_SENDING_S):
            return self.last_append - self.appends_from
        return 0.0

    def fix(self, ctx: Context) -> str:
        return (f"The link was dead for up to {self.longest:.0f} s before the client noticed, "
                "showing it connected and sending the user's audio into nothing. Add a liveness "
                "check of a few seconds: on WebRTC the server sends RTP for the whole call "
                "(silence included) and events on the data channel, so no audio frame and no "
                "message for ~3 s means the link is dead; on WebSocket send pings and close when "
                "no pong comes (aiohttp: ws_connect(heartbeat=...)). Then say so and reconnect "
                "(voicechat does: link_timeout, 3.5 s by default).")
