"""One Gemini Live connection: messages in, frames out, its life and how it ends.

The first message must be ``setup`` (anything else closes 1007); it is answered with
``setupComplete`` and, when it asked for ``sessionResumption``, a first handle. From then on:

* ``realtimeInput.audio`` (16-bit PCM at the rate its mime states, 16 kHz native) feeds the
  listener (VAD at 16 kHz): an utterance's words go out as ``inputTranscription`` fragments
  (when the setup asked for them) and start a turn; speech confirmed while a turn runs
  interrupts it. ``audioStreamEnd`` ends the utterance under way (the service flushes what it
  holds: here, by feeding the VAD the silence that closes it). With automatic activity
  detection off, ``activityStart``/``activityEnd`` bracket the user's turn instead (start
  interrupts the model, as ``START_OF_ACTIVITY_INTERRUPTS``), and they are refused (1007)
  otherwise. With ``activityHandling: NO_INTERRUPTION`` the user's speech never interrupts:
  their words are answered once the model's turn is over;
* ``realtimeInput.text`` and a ``clientContent`` turn with ``turnComplete`` are the user's
  words too; ``clientContent`` without it seeds history;
* ``toolResponse`` answers the waiting calls; ``contextUpdate`` is refused (1008).

Every refusal closes the connection with its code and reason (:mod:`voicechat.protocol.
gemini.errors`). The connection lives ``connection_lifetime_s``: ``goAway{timeLeft}`` comes
``go_away_lead_s`` before the end, then close 1011 "Deadline expired…". The conversation is
kept for a resume by handle (:mod:`.conversation`); a resuming ``setup``'s instructions and
tools replace the conversation's, when it gives them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from voicechat.protocol.gemini import errors, names, server_messages, spelling
from voicechat.protocol.gemini.errors import Refusal
from voicechat.protocol.gemini.validation import ClientMessage, decode_audio, parse_client_message
from voicechat.rtc import dsp
from voicechat.server.gemini.conversation import (
    Conversation,
    Resumptions,
    instructions_from_setup,
    offer_from_setup,
)
from voicechat.server.gemini.options import GeminiOptions
from voicechat.server.gemini.output import AudioOut, TranscriptOut
from voicechat.server.gemini.turns import Turns
from voicechat.server.ids import new_id
from voicechat.server.live.listener import Listener, Utterance
from voicechat.server.live.speaker import Speaker
from voicechat.server.nesting import too_deep
from voicechat.server.voice.reply import word_chunks
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger("voicechat.server")
Send = Callable[[dict[str, Any]], None]
Close = Callable[[Refusal], None]

#: silence fed to the VAD on ``audioStreamEnd``: more than the listener's 500 ms to close a turn
FLUSH_MS = 700
LISTEN_RATE = 16000


class GeminiSession:
    """One connection. Feed it each text frame with :meth:`handle`; it closes itself through
    ``close`` (a refusal, the deadline) and is stopped with :meth:`stop`."""

    def __init__(self, *, send: Send, close: Close, kit: VoiceKit, options: GeminiOptions,
                 resumptions: Resumptions) -> None:
        self.id = new_id("gemini")
        self._send_raw = send
        self._close = close
        self._kit = kit
        self.options = options
        self._resumptions = resumptions
        self.closed = False
        self.close_reason: str | None = None
        self.conversation: Conversation | None = None
        self.turns: Turns | None = None
        self.listener: Listener | None = None
        self.resumable = False
        self.resumed = False
        self._input_transcripts = False
        self._manual = False
        #: the user's speech interrupts the model (``activityHandling``, on by default)
        self._interrupts = True
        self._activity: list[np.ndarray] | None = None  # manual mode: the user's turn so far
        self._heard_before = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._t0 = time.monotonic()

    # --- out ----------------------------------------------------------------------------------

    def send(self, frame: dict[str, Any]) -> None:
        if not self.closed:
            self._send_raw(frame)

    def refuse(self, refusal: Refusal) -> None:
        """End the connection with ``refusal``'s close code and reason."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = f"{refusal.code} {refusal.reason}"
        self._close(refusal)

    # --- in -----------------------------------------------------------------------------------

    async def handle(self, text: str) -> None:
        """One text frame from the client."""
        if self.closed:
            return
        try:
            frame = json.loads(text)
        except RecursionError:
            frame = None
            self.refuse(errors.not_json("Nested too deeply."))
        except ValueError as exc:
            frame = None
            self.refuse(errors.not_json(str(exc)))
        if self.closed:
            return
        if too_deep(frame):
            self.refuse(errors.not_json("Nested too deeply."))
            return
        message = parse_client_message(frame, setup_done=self.conversation is not None)
        if isinstance(message, Refusal):
            self.refuse(message)
            return
        problem = await self._dispatch(message)
        if problem is not None:
            self.refuse(problem)

    async def _dispatch(self, message: ClientMessage) -> Refusal | None:
        body = message.body
        if message.kind == names.SETUP:
            return self._setup(body)
        if message.kind == names.REALTIME_INPUT:
            return await self._realtime_input(body)
        if message.kind == names.CLIENT_CONTENT:
            return await self._client_content(body)
        if message.kind == names.TOOL_RESPONSE:
            assert self.turns is not None
            responses = [r for r in spelling.get(body, "functionResponses") or []]
            return self.turns.answer([spelling.canonical_keys(r) for r in responses])
        return errors.unsupported(
            message.kind, "the local server serves the Developer API's fixed setup (reconnect "
            "with a new setup to change instructions or tools)")

    # --- setup --------------------------------------------------------------------------------

    def _setup(self, setup: Mapping[str, Any]) -> Refusal | None:
        resumption = spelling.get(setup, "sessionResumption")
        handle = spelling.get(resumption, "handle") if isinstance(resumption, Mapping) else None
        if isinstance(handle, str) and handle:
            found = self._resumptions.resume(handle)
            if isinstance(found, Refusal):
                return found
            self.conversation = found
            self.resumed = True
            # the new setup's config applies (how a client changes voice, instructions or
            # tools mid-call: reconnect with the handle, as LiteLLM's merge_setup_for_reconnect
            # does); what it leaves out stays as it was
            if spelling.get(setup, "systemInstruction") is not None:
                found.instructions = instructions_from_setup(setup)
            if spelling.get(setup, "tools") is not None:
                found.offer = offer_from_setup(setup)
        else:
            self.conversation = Conversation(
                instructions=instructions_from_setup(setup), offer=offer_from_setup(setup),
                responder=self._kit.make_responder())
        self.resumable = resumption is not None
        config = spelling.get(setup, "generationConfig") or {}
        modalities = spelling.get(config, "responseModalities") or ["AUDIO"]
        text_mode = modalities == ["TEXT"]
        self._input_transcripts = spelling.get(setup, "inputAudioTranscription") is not None
        transcript = TranscriptOut(self.send,
                                   spelling.get(setup, "outputAudioTranscription") is not None)
        detection = spelling.get(spelling.get(setup, "realtimeInputConfig") or {},
                                 "automaticActivityDetection") or {}
        self._manual = spelling.get(detection, "disabled") is True
        handling = spelling.get(spelling.get(setup, "realtimeInputConfig") or {},
                                "activityHandling")
        self._interrupts = handling != names.NO_INTERRUPTION
        audio = AudioOut(self.send, self.options.audio_lead_ms)
        speaker = Speaker(self._kit, audio, transcript, self.timeline_ms)
        self.turns = Turns(conversation=self.conversation, speaker=speaker, audio=audio,
                           send=self.send, text_mode=text_mode, heard_s=self.heard_s,
                           on_turn_complete=self._offer_handle, on_failure=self.refuse)
        self.listener = Listener(self._kit, on_speech_confirmed=self._user_talking,
                                 on_utterance=self._utterance)
        self.send(server_messages.setup_complete())
        self._offer_handle()
        self._spawn(self._live())
        log.info("gemini session %s %s: model=%s", self.id,
                 "resumed" if self.resumed else "started", spelling.get(setup, "model"))
        return None

    def _offer_handle(self) -> None:
        """A handle to resume from, at setup and after each complete turn (when asked)."""
        if self.resumable and self.conversation is not None and not self.closed:
            self.send(server_messages.resumption_update(
                self._resumptions.issue(self.conversation), resumable=True))

    async def _live(self) -> None:
        """The connection's life: ``goAway`` before the end, then close 1011."""
        options = self.options
        await asyncio.sleep(options.go_away_at_s)
        left = options.connection_lifetime_s - options.go_away_at_s
        self.send(server_messages.go_away(left))
        await asyncio.sleep(left)
        self.refuse(errors.deadline_expired())

    # --- time ---------------------------------------------------------------------------------

    def timeline_ms(self) -> int:
        heard = self.listener.position_ms if self.listener is not None else 0
        return max(int((time.monotonic() - self._t0) * 1000), heard)

    def heard_s(self) -> float:
        return self.listener.position_ms / 1000 if self.listener is not None else 0.0

    # --- realtime input -----------------------------------------------------------------------

    async def _realtime_input(self, body: Mapping[str, Any]) -> Refusal | None:
        assert self.turns is not None and self.listener is not None
        field = spelling.camel(str(next(iter(body))))
        value = spelling.get(body, field)
        if field == names.AUDIO:
            decoded = decode_audio(value)
            if isinstance(decoded, Refusal):
                return decoded
            data, fmt = decoded
            pcm = np.frombuffer(data, dtype="<i2").astype(np.int16)
            if self._activity is not None:
                self._activity.append(_to_16k(pcm, fmt.rate))
            await self.listener.feed(pcm, fmt.rate)
            return None
        if field == names.AUDIO_STREAM_END:
            if value is True and self.listener.in_speech:
                await self.listener.feed(np.zeros(LISTEN_RATE * FLUSH_MS // 1000, np.int16),
                                         LISTEN_RATE)
            return None
        if field == names.TEXT:
            if value.strip():
                await self.turns.user_said(value)
            return None
        if field in (names.ACTIVITY_START, names.ACTIVITY_END):
            return await self._activity_marker(field)
        return errors.unsupported(f"{names.REALTIME_INPUT}.{field}",
                                  "the local server hears audio and reads text, no video")

    async def _activity_marker(self, field: str) -> Refusal | None:
        """Manual turns: the user's audio between the markers is one utterance."""
        assert self.turns is not None
        if not self._manual:
            return errors.activity_without_manual(field)
        if field == names.ACTIVITY_START:
            if self._interrupts:
                await self.turns.interrupt()
            self._activity = []
            return None
        chunks, self._activity = self._activity or [], None
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        end = self.listener.position_ms if self.listener is not None else 0
        start = max(end - audio.size * 1000 // LISTEN_RATE, 0)
        self._spawn(self._recognise(Utterance(start, max(end, start + 1), audio)))
        return None

    async def _user_talking(self) -> None:
        """Speech confirmed while the model's turn runs: the user barges in (automatic
        activity detection only: in manual mode ``activityStart`` decides)."""
        if not self._manual and self._interrupts and self.turns is not None:
            await self.turns.interrupt()

    def _utterance(self, utterance: Utterance) -> None:
        """An utterance the VAD heard end: a turn (not in manual mode, where the markers
        bracket turns)."""
        if not self._manual:
            self._spawn(self._recognise(utterance))

    async def _recognise(self, utterance: Utterance) -> None:
        assert self.turns is not None
        if utterance.audio16k.size == 0:
            return
        try:
            text = (await self._kit.transcribe_async(utterance.audio16k)).strip()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("gemini session %s: recognition failed: %s", self.id, exc)
            return
        if not text or self.closed:
            return
        if not utterance.confirmed and self.turns.active:
            return  # a short sound over the model ("mm-hmm"): heard, not a turn
        if self._input_transcripts:
            words = word_chunks(text)
            if self._heard_before:  # fragments concatenate verbatim
                words[0] = " " + words[0]
            for word in words:
                self.send(server_messages.input_transcription(word))
        self._heard_before = True
        await self.turns.user_said(text, interrupting=self._interrupts)

    # --- client content -----------------------------------------------------------------------

    async def _client_content(self, body: Mapping[str, Any]) -> Refusal | None:
        assert self.turns is not None and self.conversation is not None
        turns = [t for t in spelling.get(body, "turns") or []]
        complete = spelling.get(body, "turnComplete") is True
        texts = [(str(spelling.get(t, "role") or "user"), _text_of(t)) for t in turns]
        said = ""
        if complete and texts and texts[-1][0] == "user":
            said = texts.pop()[1]
        for role, text in texts:
            if text:
                self.conversation.history.append(
                    {"role": "assistant" if role == "model" else "user", "content": text})
        if complete:
            await self.turns.user_said(said)
        return None

    # --- end ----------------------------------------------------------------------------------

    async def stop(self) -> None:
        """The connection is over (closed by either side): stop, keep the conversation."""
        self.closed = True
        if self.listener is not None:
            self.listener.close()
        if self.turns is not None:
            await self.turns.stop()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.conversation is not None:
            self._resumptions.detach(self.conversation)

    def _spawn(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _text_of(content: Any) -> str:
    parts = (spelling.get(content, "parts") or []) if isinstance(content, Mapping) else []
    return " ".join(str(spelling.get(p, "text")) for p in parts
                    if isinstance(p, Mapping) and isinstance(spelling.get(p, "text"), str))


def _to_16k(pcm: np.ndarray, rate: int) -> np.ndarray:
    return pcm if rate == LISTEN_RATE else dsp.resample(pcm, rate, LISTEN_RATE)

