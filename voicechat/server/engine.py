"""The conversation engine: one Realtime session, shared by the WebSocket and WebRTC transports.

It consumes canonical (GA-shaped, already validated) client events and input audio, and emits
canonical server events through ``emit``; the transport adapter maps them to beta when the peer
speaks beta. Both transports get the same session, so they behave identically except where the
real API differs (audio deltas vs. RTP and the ``output_audio_buffer.*`` lifecycle, see
:mod:`voicechat.server.audio_out`).

The engine orchestrates named parts and holds little state of its own:

* :class:`SessionState` — the effective session and the rules of ``session.update``;
* :class:`Conversation` — items and every item operation (sans-IO);
* :class:`InputDriver` over :class:`InputAudio` and :class:`TranscriptionEvents` — the input
  buffer, server VAD, commits, transcription and the idle timeout;
* :class:`ResponseRunner` over :class:`ResponseEvents` — responses, cancel, barge-in and the
  output audio buffer.

It routes each client event to its part, sends the part's refusal as an ``error`` event, and
decides what a user turn means for responses (barge in, answer).

Concurrency: the transport awaits :meth:`Engine.handle` and :meth:`Engine.feed_audio` in
order; responses, transcriptions and timers run as tasks owned by the parts, and
:meth:`Engine.close` cancels all of them, so a vanished client leaks nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import numpy as np

from voicechat.protocol import errors
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.names import CLIENT_EVENTS
from voicechat.server.audio_out import AudioSink
from voicechat.server.conversation import Conversation
from voicechat.server.hosted_mcp.config import parse_mcp_tools
from voicechat.server.hosted_mcp.listing import drain
from voicechat.server.hosted_mcp.secrets import echoed_session
from voicechat.server.hosted_mcp.session import HostedMcp
from voicechat.server.ids import event_id
from voicechat.server.input_audio import InputAudio, Turn
from voicechat.server.input_driver import InputDriver
from voicechat.server.options import EngineOptions
from voicechat.server.rate_limits import RateLimits
from voicechat.server.refusals import log_refusal
from voicechat.server.response_runner import ResponseRunner
from voicechat.server.sessions import SessionState
from voicechat.server.stop_tasks import stop_tasks
from voicechat.server.transcription import TranscriptionEvents
from voicechat.server.voicekit import VoiceKit

JSON = dict[str, Any]
Emit = Callable[[JSON], None]
Handler = Callable[["Engine", Mapping[str, Any]], Awaitable[ProtocolError | None]]


class Engine:
    """One Realtime session. Create, ``await start()``, feed it, ``await close()``."""

    def __init__(
        self,
        *,
        emit: Emit,
        dialect: Dialect,
        session: JSON,
        kit: VoiceKit,
        sink: AudioSink,
        options: EngineOptions | None = None,
        on_expired: Callable[[], Any] | None = None,
    ) -> None:
        self._emit_raw = emit
        self.dialect = dialect
        self.state = SessionState(session)
        self.sink = sink
        self.options = options or EngineOptions()
        self._on_expired = on_expired
        self.conversation = Conversation(self.emit)
        self.input = InputDriver(
            session=self.state,
            audio=InputAudio(self.state, self.conversation, self.emit),
            transcription=TranscriptionEvents(self.state, self.conversation, self.emit),
            kit=kit,
            listener=self,
        )
        self.responses = ResponseRunner(
            emit=self.emit,
            session=self.state,
            conversation=self.conversation,
            sink=sink,
            kit=kit,
            options=self.options,
            rate_limits=self.options.rate_limits or RateLimits(),
            input_side=self.input,
            dialect=dialect,
        )
        #: hosted MCP servers (GA ``{"type": "mcp"}`` tools): listings and the tools they offer
        self.mcp = HostedMcp(
            emit=self.emit,
            begin_item=self.conversation.begin_response_item,
            finish_item=self.conversation.finish_response_item,
            error=self.error,
            limits=self.options.mcp_limits,
        )
        if dialect is Dialect.GA:  # beta has no hosted MCP tools, as the real beta
            self.mcp.attach(self.responses, self.conversation.refresh_item)
        self.closed = False
        self.started_at = time.monotonic()
        self._errors = 0
        self._expiry: asyncio.Task[None] | None = None

    @property
    def session(self) -> JSON:
        """The effective session (GA shape), as ``session.updated`` last showed it."""
        return self.state.current

    @property
    def counters(self) -> dict[str, int]:
        """What the close log line reports."""
        return {
            "responses": self.responses.started,
            "commits": self.input.audio.commits,
            "errors": self._errors + self.responses.failed,  # refusals and failed responses
        }

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Send ``session.created`` (beta WebSocket: + ``conversation.created``); arm the max
        duration.

        Only beta WebSocket sessions announce their conversation: real beta WebRTC logs go from
        ``session.created`` straight to the session's other events, and GA sends it on neither
        transport (real GA recordings), although the GA SDK union still declares the event.
        """
        self.session["expires_at"] = int(time.time() + self.options.session_max_s)
        if self.state.is_transcription and self.dialect is Dialect.BETA:
            # GA transcription sessions expire like any other (a real GA session.created:
            # "object":"realtime.transcription_session",…,"expires_at":1789728574)
            self.session.pop("expires_at", None)
        self.emit({"type": "session.created", "session": echoed_session(self.session)})
        if self.dialect is Dialect.BETA and not self.sink.webrtc:
            self.emit(
                {
                    "type": "conversation.created",
                    "conversation": {"id": self.conversation.id, "object": "realtime.conversation"},
                }
            )
        self._expiry = asyncio.ensure_future(self._expire_later())
        self._configure_mcp(self.session.get("tools"))  # a session minted with MCP tools

    async def _expire_later(self) -> None:
        await asyncio.sleep(self.options.session_max_s)
        minutes = max(1, round(self.options.session_max_s / 60))
        self.error(errors.session_expired(minutes))
        if self._on_expired is not None:
            result = self._on_expired()
            if asyncio.iscoroutine(result):
                await result

    async def close(self) -> None:
        """Stop everything this session started; further events are dropped."""
        if self.closed:
            return
        self.closed = True
        tasks = [t for t in (self._expiry,) if t] + self.input.stop() + self.responses.stop()
        listings = self.mcp.stop()
        await stop_tasks(tasks)
        await drain(listings)
        self.sink.close()

    def emit(self, event: JSON) -> None:
        """Stamp an ``event_id`` and send (nothing after close)."""
        if self.closed:
            return
        out = {"type": event["type"], "event_id": event_id()}
        out.update({k: v for k, v in event.items() if k != "type"})
        self._emit_raw(out)

    def error(
        self, err: ProtocolError, client_event_id: str | None = None, *, refused: str | None = None
    ) -> None:
        """Send ``err``; ``refused`` names the client event (or frame) it answers, for the log."""
        self._errors += 1
        if refused is not None:
            log_refusal(self.session.get("id"), refused, err, client_event_id)
        self.emit(err.to_event(client_event_id))

    # --- audio and client events in ------------------------------------------------------------

    async def feed_audio(self, pcm: np.ndarray, rate: int) -> None:
        """Input audio at any rate (mono int16), e.g. from the WebRTC track."""
        await self.input.feed(pcm, rate)

    async def handle(self, event: Mapping[str, Any]) -> None:
        """One canonical, validated client event; a refusal goes back as an ``error`` event."""
        kind = event.get("type")
        eid = event.get("event_id") if isinstance(event.get("event_id"), str) else None
        handler = _HANDLERS.get(str(kind))
        problem = (
            unsupported_event(str(kind), self.sink.webrtc)
            if handler is None
            else await handler(self, event)
        )
        if problem is not None:
            self.error(problem, eid, refused=str(kind))

    async def _session_update(self, event: Mapping[str, Any]) -> ProtocolError | None:
        update = event.get("session")
        problem = self.state.check_update(update, audio_sent=self.responses.audio_sent)
        if problem is not None:
            return problem
        assert isinstance(update, Mapping)
        if "tools" in update:  # refused whole, before anything applies, like the real server
            mcp_tools = parse_mcp_tools(update["tools"])
            if isinstance(mcp_tools, ProtocolError):
                return mcp_tools
        self.state.apply(update)  # the VAD follows lazily, with the next audio
        self.emit({"type": "session.updated", "session": echoed_session(self.session)})
        if "tools" in update:
            self._configure_mcp(update["tools"])
        return None

    def _configure_mcp(self, tools: Any) -> None:
        """List the MCP servers among ``tools`` that are new or changed (GA only: the beta
        validator refuses ``mcp`` tools, as the real beta does)."""
        if self.dialect is not Dialect.GA or self.state.is_transcription:
            return
        self.mcp.configure(tools)

    async def _append(self, event: Mapping[str, Any]) -> ProtocolError | None:
        return await self.input.append(event)

    async def _commit(self, event: Mapping[str, Any]) -> ProtocolError | None:
        return self.input.commit()

    async def _clear_input(self, event: Mapping[str, Any]) -> ProtocolError | None:
        self.input.audio.clear()
        return None

    async def _clear_output(self, event: Mapping[str, Any]) -> ProtocolError | None:
        if not self.sink.webrtc:
            return unsupported_event("output_audio_buffer.clear", False)
        self.responses.clear_output()
        return None

    async def _item_create(self, event: Mapping[str, Any]) -> ProtocolError | None:
        item = event.get("item")
        problem = self.mcp.check_approval(item, self.conversation.items)
        if problem is None:
            problem = self.conversation.create(event)
        if problem is None:
            self.mcp.approved(item)  # an mcp_approval_response wakes the call it answers
        return problem

    async def _item_delete(self, event: Mapping[str, Any]) -> ProtocolError | None:
        return self.conversation.delete(str(event.get("item_id")))

    async def _item_retrieve(self, event: Mapping[str, Any]) -> ProtocolError | None:
        return self.conversation.retrieve(str(event.get("item_id")))

    async def _item_truncate(self, event: Mapping[str, Any]) -> ProtocolError | None:
        return self.conversation.truncate(
            str(event.get("item_id")), event.get("content_index", 0), event.get("audio_end_ms")
        )

    async def _response_create(self, event: Mapping[str, Any]) -> ProtocolError | None:
        if self.state.is_transcription:
            return errors.response_in_transcription_session()
        params = event.get("response") if isinstance(event.get("response"), Mapping) else {}
        assert isinstance(params, Mapping)
        # out-of-band (``conversation: "none"``) responses run beside the default one
        in_conversation = params.get("conversation", "auto") != "none"
        active = self.responses.active
        if in_conversation and active is not None:
            return errors.active_response(active.id)
        context = self.conversation.resolve_input(params.get("input"))
        if isinstance(context, ProtocolError):
            return context
        self.responses.start(params, context)
        return None

    async def _response_cancel(self, event: Mapping[str, Any]) -> ProtocolError | None:
        wanted = event.get("response_id")
        run = self.responses.find(wanted)
        if run is None or (isinstance(wanted, str) and wanted and wanted != run.id):
            return errors.cancel_not_active()
        await self.responses.cancel("client_cancelled", run)
        return None

    # --- user turns (the input driver's TurnListener) ------------------------------------------

    async def on_speech_started(self, interrupt: bool) -> None:
        """Server VAD heard the user: with ``interrupt_response``, the assistant stops."""
        if interrupt:
            await self.responses.barge_in()

    def on_turn(self, turn: Turn) -> None:
        """A committed turn that asks for an answer gets one, unless one is already running."""
        if turn.respond and self.responses.active is None:
            self.responses.start({})

    def responding(self) -> bool:
        return self.responses.active is not None


def unsupported_event(kind: str, webrtc: bool) -> ProtocolError:
    """Unknown type: the server lists what it accepts (WebSocket lacks the output buffer)."""
    supported = [t for t in CLIENT_EVENTS[Dialect.GA] if webrtc or t != "output_audio_buffer.clear"]
    return errors.invalid_value("type", kind, supported)


_HANDLERS: dict[str, Handler] = {
    "session.update": Engine._session_update,
    "input_audio_buffer.append": Engine._append,
    "input_audio_buffer.commit": Engine._commit,
    "input_audio_buffer.clear": Engine._clear_input,
    "output_audio_buffer.clear": Engine._clear_output,
    "conversation.item.create": Engine._item_create,
    "conversation.item.delete": Engine._item_delete,
    "conversation.item.retrieve": Engine._item_retrieve,
    "conversation.item.truncate": Engine._item_truncate,
    "response.create": Engine._response_create,
    "response.cancel": Engine._response_cancel,
}
