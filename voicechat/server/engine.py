"""The conversation engine: one Realtime session, shared by the WebSocket and WebRTC transports.

It consumes canonical (GA-shaped, already validated) client events and input audio, and emits
canonical server events through ``emit``; the transport adapter maps them to beta when the peer
speaks beta. Everything a session does lives here — session config, the input audio buffer with
server VAD, commits and input transcription, responses (text and audio) with the full event
sequence, cancel, barge-in, and conversation item operations with their bounds checks — so both
transports behave identically except where the real API differs (audio deltas vs. RTP and the
``output_audio_buffer.*`` lifecycle, see :mod:`voicechat.server.audio_out`).

Concurrency: the transport awaits :meth:`Engine.handle` and :meth:`Engine.feed_audio` in
order; responses and transcriptions run as tasks owned by the engine and are all cancelled by
:meth:`Engine.close`, so a vanished client leaks nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicechat.protocol import errors
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.rtc import dsp
from voicechat.server import sessions
from voicechat.server.audio_out import AudioSink
from voicechat.server.ids import event_id, new_id
from voicechat.server.input_buffer import InputBuffer
from voicechat.server.rate_limits import RateLimits
from voicechat.server.responses import ResponseRun, ResponsesMixin, part_text
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger("voicechat.server")

JSON = dict[str, Any]
Emit = Callable[[JSON], None]
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


@dataclass
class EngineOptions:
    """Knobs the tests and the benchmark turn; defaults imitate the real server's pace."""

    session_max_s: float = 3600.0
    #: Pause after each streamed text delta, so a response lasts long enough to be cancelled or
    #: interrupted, like a model streaming tokens (0 = as fast as possible).
    text_delta_interval_s: float = 0.02
    #: WebSocket audio deltas go out at most this many times faster than real time.
    ws_audio_speedup: float = 4.0
    #: Buckets behind ``rate_limits.updated``; the server shares one across its sessions.
    rate_limits: RateLimits | None = None


class Engine(ResponsesMixin):
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
        self.session = session
        self.kit = kit
        self.sink = sink
        self.options = options or EngineOptions()
        self._on_expired = on_expired
        self.conversation_id = new_id("conv")
        self.items: list[JSON] = []
        self._audio_ms: dict[str, int] = {}
        self._transcripts: dict[str, asyncio.Task[str]] = {}
        #: what the "model" heard of items whose transcription failed (their transcript is null)
        self._heard: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._buffer = InputBuffer()
        self._vad: Any = None
        self._vad_key: Any = None
        self._vad_origin_ms = 0
        self._speech: tuple[str, int] | None = None  # (item_id, audio_start_ms) while speaking
        self._resamplers: dict[int, Any] = {}
        self.response: ResponseRun | None = None
        self.side_responses: dict[str, ResponseRun] = {}  # out-of-band, by id
        self._responder: Any = None
        self._last_audio_response: str | None = None
        self.audio_sent = False  # any assistant audio yet? (then the voice is fixed)
        self.rate_limits = self.options.rate_limits or RateLimits()
        self.closed = False
        self.started_at = time.monotonic()
        self.counters: dict[str, int] = {"responses": 0, "commits": 0, "errors": 0}
        self._expiry: asyncio.Task[None] | None = None
        self._idle: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def is_transcription(self) -> bool:
        return self.session.get("type") == "transcription"

    async def start(self) -> None:
        """Send ``session.created`` (beta: + ``conversation.created``); arm the max duration."""
        self.session["expires_at"] = int(time.time() + self.options.session_max_s)
        if self.is_transcription:
            self.session.pop("expires_at", None)
        self.emit({"type": "session.created", "session": copy.deepcopy(self.session)})
        if self.dialect is Dialect.BETA:
            self.emit(
                {
                    "type": "conversation.created",
                    "conversation": {"id": self.conversation_id, "object": "realtime.conversation"},
                }
            )
        self._expiry = asyncio.ensure_future(self._expire_later())

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
        running = (self._expiry, self._idle, self.response.task if self.response else None)
        tasks = [t for t in running if t]
        tasks += list(self._tasks) + list(self._transcripts.values())
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self.sink.close()

    def emit(self, event: JSON) -> None:
        if self.closed:
            return
        out = {"type": event["type"], "event_id": event_id()}
        out.update({k: v for k, v in event.items() if k != "type"})
        self._emit_raw(out)

    def error(self, err: ProtocolError, client_event_id: str | None = None) -> None:
        self.counters["errors"] += 1
        self.emit(err.to_event(client_event_id))

    # --- client events ------------------------------------------------------------------------

    async def handle(self, event: Mapping[str, Any]) -> None:
        """One canonical, validated client event."""
        kind = event.get("type")
        eid = event.get("event_id") if isinstance(event.get("event_id"), str) else None
        handler = _HANDLERS.get(str(kind))
        if handler is None:
            self.error(unsupported_event(str(kind), self.sink.webrtc), eid)
            return
        await handler(self, event, eid)

    async def _session_update(self, event: Mapping[str, Any], eid: str | None) -> None:
        update = event.get("session")
        if not isinstance(update, Mapping):
            self.error(errors.missing_required_parameter("session"), eid)
            return
        wanted = update.get("type", self.session.get("type"))
        if wanted != self.session.get("type"):
            self.error(
                errors.transcription_update_on_realtime()
                if wanted == "transcription"
                else errors.realtime_update_on_transcription(),
                eid,
            )
            return
        if self.audio_sent and self._changes_voice(update):
            # rejected whole, like every invalid session.update: nothing else applies either
            self.error(errors.cannot_update_voice(), eid)
            return
        self.session = sessions.apply_update(self.session, update)  # VAD follows lazily
        self.emit({"type": "session.updated", "session": copy.deepcopy(self.session)})

    def _changes_voice(self, update: Mapping[str, Any]) -> bool:
        """Does ``update`` ask for a voice other than the session's?

        Decision: re-sending the *same* voice is allowed (clients such as agent frameworks
        resend their whole config); only an actual change is refused after audio went out.
        """
        audio = update.get("audio")
        output = audio.get("output") if isinstance(audio, Mapping) else None
        if not isinstance(output, Mapping) or "voice" not in output:
            return False
        current = sessions.output_section(self.session).get("voice", "alloy")
        return bool(output["voice"] != current)

    async def _append(self, event: Mapping[str, Any], eid: str | None) -> None:
        audio = event.get("audio")
        if not isinstance(audio, str):
            self.error(errors.missing_required_parameter("audio"), eid)
            return
        try:
            raw = _b64decode(audio)
        except ValueError:
            self.error(errors.invalid_audio_base64(), eid)
            return
        fmt = sessions.input_section(self.session).get("format") or sessions.PCM24
        kind = fmt.get("type") if isinstance(fmt, Mapping) else "audio/pcm"
        if kind == "audio/pcmu":
            pcm, rate = dsp.ulaw_decode(raw), 8000
        elif kind == "audio/pcma":
            pcm, rate = dsp.alaw_decode(raw), 8000
        else:
            usable = len(raw) - len(raw) % 2
            pcm = np.frombuffer(raw[:usable], dtype="<i2").astype(np.int16)
            rate_value: Any = fmt.get("rate", 24000) if isinstance(fmt, Mapping) else 24000
            rate = int(rate_value)
        await self.feed_audio(pcm, rate)

    async def _commit(self, event: Mapping[str, Any], eid: str | None) -> None:
        self._cancel_idle_timeout()
        for resampler in self._resamplers.values():
            self._buffer.append(resampler.flush())  # the filter holds back ~1 ms; commit it all
        if self._buffer.buffered_ms < 100:
            self.error(errors.commit_too_small(self._buffer.buffered_ms), eid)
            return
        item_id = self._speech[0] if self._speech else new_id("item")
        self._speech = None
        audio = self._buffer.take_all()
        if self._vad is not None:
            self._reset_vad()
        self._commit_audio(item_id, audio)

    async def _clear_input(self, event: Mapping[str, Any], eid: str | None) -> None:
        self._buffer.clear()
        self._speech = None
        if self._vad is not None:
            self._reset_vad()
        self.emit({"type": "input_audio_buffer.cleared"})

    async def _clear_output(self, event: Mapping[str, Any], eid: str | None) -> None:
        if not self.sink.webrtc:
            self.error(unsupported_event("output_audio_buffer.clear", False), eid)
            return
        cut = self.sink.clear()
        self._truncate_after_cut(cut)
        self.emit(
            {
                "type": "output_audio_buffer.cleared",
                "response_id": cut.response_id or self._last_audio_response,
            }
        )

    async def _item_create(self, event: Mapping[str, Any], eid: str | None) -> None:
        item_in = event.get("item")
        if not isinstance(item_in, Mapping):
            self.error(errors.missing_required_parameter("item"), eid)
            return
        item: JSON = copy.deepcopy(dict(item_in))
        item_id = item.get("id") or new_id("item")
        if self._find(item_id) is not None:
            self.error(errors.duplicate_item_id(item_id), eid)
            return
        item["id"] = item_id
        item.setdefault("object", "realtime.item")
        item.setdefault("status", "completed")
        if "previous_item_id" in event and event["previous_item_id"] is not None:
            prev = event["previous_item_id"]
            if prev == "root":
                index = 0
            else:
                found = self._find(prev)
                if found is None:
                    self.error(errors.item_not_found("previous_item_id", str(prev)), eid)
                    return
                index = found + 1
        else:
            index = len(self.items)
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_audio":
                part.setdefault("transcript", None)
        self._insert(index, item)

    async def _item_delete(self, event: Mapping[str, Any], eid: str | None) -> None:
        item_id = str(event.get("item_id"))
        index = self._find(item_id)
        if index is None:
            self.error(errors.item_not_found("item_id", item_id), eid)
            return
        del self.items[index]
        self._audio_ms.pop(item_id, None)
        self._heard.pop(item_id, None)
        self.emit({"type": "conversation.item.deleted", "item_id": item_id})

    async def _item_retrieve(self, event: Mapping[str, Any], eid: str | None) -> None:
        item_id = str(event.get("item_id"))
        index = self._find(item_id)
        if index is None:
            self.error(errors.item_not_found("item_id", item_id), eid)
            return
        self.emit({"type": "conversation.item.retrieved", "item": copy.deepcopy(self.items[index])})

    async def _item_truncate(self, event: Mapping[str, Any], eid: str | None) -> None:
        item_id = str(event.get("item_id"))
        index = self._find(item_id)
        if index is None:
            self.error(errors.item_not_found("item_id", item_id), eid)
            return
        item = self.items[index]
        parts = item.get("content") or []
        content_index = event.get("content_index", 0)
        if item.get("role") != "assistant" or not any(
            isinstance(p, dict) and p.get("type") == "output_audio" for p in parts
        ):
            self.error(errors.truncate_not_audio(item_id), eid)
            return
        if content_index != 0:
            self.error(errors.invalid_value("content_index", content_index, [0]), eid)
            return
        end_ms = event.get("audio_end_ms")
        audio_ms = self._audio_ms.get(item_id, 0)
        if not isinstance(end_ms, int) or isinstance(end_ms, bool) or end_ms < 0:
            self.error(errors.invalid_type("audio_end_ms", "an integer", repr(end_ms)), eid)
            return
        if end_ms > audio_ms:
            self.error(errors.truncate_out_of_range(end_ms, audio_ms), eid)
            return
        self._apply_truncate(item, end_ms, audio_ms)

    def _apply_truncate(self, item: JSON, end_ms: int, audio_ms: int) -> None:
        """Keep the transcript the listener heard (proportionally, at a word boundary)."""
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "output_audio":
                transcript = part.get("transcript") or ""
                if audio_ms > 0 and end_ms < audio_ms:
                    words = transcript.split()
                    keep = int(len(words) * end_ms / audio_ms)
                    part["transcript"] = " ".join(words[:keep])
        self._audio_ms[item["id"]] = end_ms
        self.emit(
            {
                "type": "conversation.item.truncated",
                "item_id": item["id"],
                "content_index": 0,
                "audio_end_ms": end_ms,
            }
        )

    async def _response_create(self, event: Mapping[str, Any], eid: str | None) -> None:
        if self.is_transcription:
            self.error(errors.response_in_transcription_session(), eid)
            return
        params = event.get("response") if isinstance(event.get("response"), Mapping) else {}
        assert isinstance(params, Mapping)
        # out-of-band (``conversation: "none"``) responses run beside the default one
        in_conversation = params.get("conversation", "auto") != "none"
        if in_conversation and self.response is not None:
            self.error(errors.active_response(self.response.id), eid)
            return
        context = self._response_input(params.get("input"))
        if isinstance(context, ProtocolError):
            self.error(context, eid)
            return
        self.start_response(params, context)

    def _response_input(self, raw: Any) -> list[JSON] | ProtocolError | None:
        """``response.input`` as the items the response sees (``None``: the conversation).

        ``item_reference`` entries are looked up in the conversation; inline items are used as
        given. None of them is added to the conversation.
        """
        if not isinstance(raw, list):
            return None
        items: list[JSON] = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, Mapping):
                continue
            if entry.get("type") == "item_reference":
                found = self._find(entry.get("id"))
                if found is None:
                    path = f"response.input[{index}].id"
                    return errors.item_not_found(path, str(entry.get("id")))
                items.append(copy.deepcopy(self.items[found]))
            else:
                item = copy.deepcopy(dict(entry))
                item.setdefault("id", new_id("item"))
                items.append(item)
        return items

    async def _response_cancel(self, event: Mapping[str, Any], eid: str | None) -> None:
        run = self.response
        wanted = event.get("response_id")
        if isinstance(wanted, str) and wanted in self.side_responses:
            run = self.side_responses[wanted]  # an out-of-band response, named by its id
        if run is None or (isinstance(wanted, str) and wanted and wanted != run.id):
            self.error(errors.cancel_not_active(), eid)
            return
        await self.cancel_response("client_cancelled", run)

    # --- conversation helpers -----------------------------------------------------------------

    def _find(self, item_id: Any) -> int | None:
        for index, item in enumerate(self.items):
            if item.get("id") == item_id:
                return index
        return None

    def _insert(self, index: int, item: JSON) -> None:
        previous = self.items[index - 1]["id"] if index > 0 else None
        self.items.insert(index, item)
        snapshot = copy.deepcopy(item)
        self.emit(
            {"type": "conversation.item.added", "previous_item_id": previous, "item": snapshot}
        )
        self.emit(
            {"type": "conversation.item.done", "previous_item_id": previous, "item": snapshot}
        )

    def history(self, items: list[JSON] | None = None) -> list[dict[str, str]]:
        """The conversation (or ``items``) as chat messages for the responder, instructions
        first."""
        out: list[dict[str, str]] = []
        instructions = self.session.get("instructions")
        if isinstance(instructions, str) and instructions:
            out.append({"role": "system", "content": instructions})
        for item in self.items if items is None else items:
            if item.get("type") != "message":
                continue
            text = " ".join(t for t in (part_text(p) for p in item.get("content") or []) if t)
            text = text or self._heard.get(str(item.get("id")), "")
            out.append({"role": str(item.get("role")), "content": text})
        return out

    # --- input audio, VAD, commit, transcription ----------------------------------------------

    async def feed_audio(self, pcm: np.ndarray, rate: int) -> None:
        """Input audio at any rate (mono int16); drives server VAD when turn detection is on."""
        if self.closed:
            return
        if rate != 16000:
            resampler = self._resamplers.get(rate)
            if resampler is None:
                resampler = self._resamplers[rate] = dsp.StreamResampler(rate, 16000)
            pcm = resampler.process(pcm)
        if pcm.size == 0:
            return
        self._buffer.append(pcm)
        vad = await self._current_vad(chunk_ms=pcm.size // 16)
        if vad is None or self.closed:
            return
        for ev in vad.feed(pcm):
            at_ms = self._vad_origin_ms + int(ev.audio_ms)
            if ev.kind == "speech_started" and self._speech is None:
                self._cancel_idle_timeout()
                item_id = new_id("item")
                self._speech = (item_id, at_ms)
                self.emit(
                    {
                        "type": "input_audio_buffer.speech_started",
                        "audio_start_ms": at_ms,
                        "item_id": item_id,
                    }
                )
                td = sessions.turn_detection_of(self.session) or {}
                if td.get("interrupt_response", True) and not self.is_transcription:
                    await self.barge_in()
            elif ev.kind == "speech_stopped" and self._speech is not None:
                item_id, start_ms = self._speech
                self._speech = None
                self.emit(
                    {
                        "type": "input_audio_buffer.speech_stopped",
                        "audio_end_ms": at_ms,
                        "item_id": item_id,
                    }
                )
                audio = self._buffer.take_range_ms(start_ms, at_ms)
                self._commit_audio(item_id, audio)
                td = sessions.turn_detection_of(self.session) or {}
                if (
                    not self.is_transcription
                    and td.get("create_response", True)
                    and self.response is None
                ):
                    self.start_response({})
        if self._speech is None:
            self._buffer.trim_idle()

    async def _current_vad(self, chunk_ms: int) -> Any:
        td = sessions.turn_detection_of(self.session)
        key = repr(sorted(td.items())) if td else None
        if key != self._vad_key:
            self._vad_key = key
            # loading a VAD model takes ~100 ms but releases the GIL: keep it off the loop
            loop = asyncio.get_running_loop()
            vad = await loop.run_in_executor(None, self.kit.make_vad, td) if td else None
            if key != self._vad_key:  # the session changed again meanwhile; next call rebuilds
                return None
            self._vad = vad
            # the new VAD's clock starts with the chunk about to be fed (earlier audio unseen)
            self._vad_origin_ms = self._buffer.stream_ms - chunk_ms
            self._speech = None
        return self._vad

    def _reset_vad(self) -> None:
        self._vad.reset()
        self._vad_origin_ms = self._buffer.stream_ms

    # --- idle timeout (GA server_vad ``idle_timeout_ms``) ----------------------------------------

    def _arm_idle_timeout(self, playback_s: float) -> None:
        """After a response, silence for ``idle_timeout_ms`` (counted from the end of its audio)
        makes the server prompt the user: ``input_audio_buffer.timeout_triggered``, a commit and
        a new response (``realtime-protocol.md`` §7.8)."""
        self._cancel_idle_timeout()
        td = sessions.turn_detection_of(self.session) or {}
        idle_ms = td.get("idle_timeout_ms")
        if td.get("type") != "server_vad" or not isinstance(idle_ms, int) or self.closed:
            return
        self._idle = asyncio.ensure_future(self._idle_later(playback_s + idle_ms / 1000))

    def _cancel_idle_timeout(self) -> None:
        if self._idle is not None and self._idle is not asyncio.current_task():
            self._idle.cancel()
        self._idle = None

    async def _idle_later(self, delay_s: float) -> None:
        start_ms = self._buffer.stream_ms
        await asyncio.sleep(delay_s)
        if self._speech is not None or self.response is not None or self.closed:
            return
        self._idle = None
        item_id = new_id("item")
        end_ms = self._buffer.stream_ms
        self.emit(
            {
                "type": "input_audio_buffer.timeout_triggered",
                "audio_start_ms": start_ms,
                "audio_end_ms": end_ms,
                "item_id": item_id,
            }
        )
        self._commit_audio(item_id, self._buffer.take_range_ms(start_ms, end_ms))
        self.start_response({})

    def _commit_audio(self, item_id: str, audio16k: np.ndarray) -> None:
        self.counters["commits"] += 1
        previous = self.items[-1]["id"] if self.items else None
        self.emit(
            {
                "type": "input_audio_buffer.committed",
                "previous_item_id": previous,
                "item_id": item_id,
            }
        )
        item: JSON = {
            "id": item_id,
            "type": "message",
            "object": "realtime.item",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        self._insert(len(self.items), item)
        task = asyncio.ensure_future(self._transcribe(item_id, audio16k))
        self._transcripts[item_id] = task
        task.add_done_callback(lambda _t: self._transcripts.pop(item_id, None))

    def _transcription_on(self) -> bool:
        return sessions.input_section(self.session).get("transcription") is not None

    def _transcription_model(self) -> str | None:
        transcription = sessions.input_section(self.session).get("transcription")
        model = transcription.get("model") if isinstance(transcription, Mapping) else None
        return model if isinstance(model, str) else None

    def _transcription_failed(self, item_id: str) -> None:
        """``…input_audio_transcription.failed`` in the real wording; the item keeps
        ``transcript: null`` and the session goes on."""
        if not self._transcription_on():
            return
        err = errors.transcription_failed(item_id)
        self.emit(
            {
                "type": "conversation.item.input_audio_transcription.failed",
                "item_id": item_id,
                "content_index": 0,
                "error": {
                    "type": err.type,
                    "code": err.code,
                    "message": err.message,
                    "param": err.param,
                },
            }
        )

    async def _transcribe(self, item_id: str, audio16k: np.ndarray) -> str:
        """Recognise one committed item: the transcription events, and the text the responder
        hears (the model hears the audio even when the transcription model fails)."""
        try:
            text = await self.kit.transcribe_async(audio16k)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken recogniser must not break the session
            log.warning("input transcription failed for %s: %s", item_id, exc)
            self._transcription_failed(item_id)
            return ""
        model = self._transcription_model()
        if self._transcription_on() and not serves_transcription_model(model):
            log.warning(
                "input transcription failed for %s: no transcription model %r here; this "
                "server answers to OpenAI's names (whisper-1, gpt-4o-transcribe, ...) and "
                "Azure deployment names that contain 'transcribe' or 'whisper'",
                item_id,
                model,
            )
            self._transcription_failed(item_id)
            self._heard[item_id] = text
            return text
        index = self._find(item_id)
        if index is not None:
            for part in self.items[index].get("content") or []:
                if isinstance(part, dict) and part.get("type") == "input_audio":
                    part["transcript"] = text
        if self._transcription_on():
            if text:
                self.emit(
                    {
                        "type": "conversation.item.input_audio_transcription.delta",
                        "item_id": item_id,
                        "content_index": 0,
                        "delta": text,
                    }
                )
            self.emit(
                {
                    "type": "conversation.item.input_audio_transcription.completed",
                    "item_id": item_id,
                    "content_index": 0,
                    "transcript": text,
                    "usage": {"type": "duration", "seconds": round(audio16k.size / 16000, 3)},
                }
            )
        return text


def serves_transcription_model(model: str | None) -> bool:
    """Whether this server transcribes for ``model`` (one local recogniser serves them all).

    The validator accepts any string (Azure uses deployment names), so a name nothing serves
    only shows up when audio arrives: Azure then answers every item with
    ``conversation.item.input_audio_transcription.failed`` (openai-agents-js#297), and so does
    this server. Served: OpenAI's transcription models and any name mentioning ``transcribe`` or
    ``whisper`` (``whisper-1``, ``gpt-4o-mini-transcribe``, ``gpt-realtime-whisper``, an Azure
    deployment ``my-gpt-4o-transcribe``).
    """
    if model is None:
        return True
    name = model.lower()
    return "transcribe" in name or "whisper" in name


def _b64decode(data: str) -> bytes:
    import base64
    import binascii

    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from exc


def unsupported_event(kind: str, webrtc: bool) -> ProtocolError:
    """Unknown type: the server lists what it accepts (WebSocket lacks the output buffer)."""
    from voicechat.protocol.names import CLIENT_EVENTS

    supported = [t for t in CLIENT_EVENTS[Dialect.GA] if webrtc or t != "output_audio_buffer.clear"]
    return errors.invalid_value("type", kind, supported)


_HANDLERS: dict[str, Callable[[Engine, Mapping[str, Any], str | None], Any]] = {
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
