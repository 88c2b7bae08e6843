"""A Gemini Live conversation: the Gemini core with the project's shared parts (audio devices
and files, echo cancellation, the embedded local server, the event fan-out and recorder, the
tool runner and its approval), started and stopped in the order every family shares
(:mod:`~voicechat.runtime.lifecycle`).

Its own parts: :mod:`~.driver` (core, timer, actions), :mod:`~.link` (one socket at a time,
replaced on the core's ``Reconnect``), :mod:`~.media` (16 kHz up, 24 kHz down). Tools reuse
GPT-Live's :class:`~voicechat.runtime.live.tools.LiveTools` (the same approval rules as every
family: ``auto`` runs, ``deny`` refuses, ``ask`` asks the prompt, none → denied with the fix).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from voicechat.audio.playback import PlaybackBuffer
from voicechat.config import Settings
from voicechat.core.actions import AskApproval
from voicechat.core.gemini import GeminiPolicy, GeminiView, Hangup, TypedImage, TypedText
from voicechat.core.inputs import ToolFinished
from voicechat.core.live_settings import LiveSettings
from voicechat.core.tool_specs import ToolSpec
from voicechat.core.view import SessionView
from voicechat.protocol.gemini import names
from voicechat.runtime.echo import EchoControl
from voicechat.runtime.gemini.driver import GeminiDriver, GeminiEffects
from voicechat.runtime.gemini.link import GeminiLink
from voicechat.runtime.gemini.media import GeminiAudioOut, GeminiMicPump, GeminiPlaybackMonitor
from voicechat.runtime.gemini.session_view import GeminiSessionView
from voicechat.runtime.gemini.tool_view import ToolCallsSeen
from voicechat.runtime.lifecycle import RuntimeLifecycle
from voicechat.runtime.live.tools import LiveTools
from voicechat.runtime.local_server import LocalServerLike
from voicechat.runtime.tools.startup import announce_tools, start_toolbox
from voicechat.transport.gemini import GOOGLE_URL, gemini_ws_url
from voicechat.ui.handle import SettingsOutcome, SwitchTarget

CLOSE_WAIT_S = 1.0
NO_PUSH_TO_TALK = ("Gemini Live finds the turns itself (server VAD): no push-to-talk here "
                   "(the mute key, m by default, mutes the mic)")
NO_BARGE_IN_SWITCH = "Gemini Live always listens: speak over the model to interrupt it"
NO_CANCEL = ("Gemini Live has no cancel: playback is stopped here, and speaking over the model "
             "interrupts it")
FIXED_AT_START = ("Gemini Live fixes the model, voice, instructions and tools in its setup; "
                  "quit and start again with the flags (--voice, --instructions)")
NO_AEC_FIX = ("Gemini Live keeps listening while the model speaks, so from speakers it hears "
              "itself: use headphones")


@dataclass(frozen=True)
class GeminiTarget:
    """Where and as what to talk to Gemini Live, resolved from the user's settings.

    ``server``: ``None`` for Google (``wss://generativelanguage.googleapis.com``), ``local``
    for the embedded server, or a base or full ``BidiGenerateContent`` URL. ``api_key`` goes
    in the ``x-goog-api-key`` header only."""

    server: str | None
    api_key: str | None
    model: str = names.DEFAULT_MODEL
    voice: str | None = None
    instructions: str | None = None
    #: ``--resume``: earlier turns as ``(speaker, text)``, speaker ``user`` or ``assistant``
    earlier: tuple[tuple[str, str], ...] = ()


def gemini_policy(target: GeminiTarget, tools: tuple[ToolSpec, ...] = ()) -> GeminiPolicy:
    history = tuple(("model" if speaker == "assistant" else "user", text)
                    for speaker, text in target.earlier if text.strip())
    return GeminiPolicy(
        model=target.model, voice=target.voice, instructions=target.instructions,
        history=history,
        tools=tuple({"name": t.name, "description": t.description,
                     "parameters": dict(t.parameters)} for t in tools))


class GeminiRuntime(RuntimeLifecycle[GeminiDriver, GeminiLink]):
    """One Gemini Live conversation: embedded server (if local), socket, audio, core, log."""

    def __init__(self, settings: Settings, target: GeminiTarget, *,
                 local_server: LocalServerLike | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(settings, local_server=local_server, clock=clock,
                         playback=PlaybackBuffer())
        self.target = target
        self.started_at = time.time()
        self._clock = clock
        self.tools = LiveTools(self._tool_done, self.events, clock)
        self._audio_out = GeminiAudioOut(self.playback)
        effects = GeminiEffects(
            send=lambda message: self.link.send(message),
            play=self._audio_out.play,
            flush_playback=self._audio_out.flush,
            run_tool=self.tools.run_tool,
            cancel_tool=self.tools.cancel_tool,
            reconnect=lambda action: self.link.reconnect(action),
            close=lambda action: self.link.hang_up(action),
            ended=self._ended,
        )
        self.driver = GeminiDriver(gemini_policy(target), self.events, effects, clock=clock)
        self.link = GeminiLink(settings, self.driver, self.events, url=self._url,
                               api_key=target.api_key)
        self._pump = GeminiMicPump(None, self.driver.handle, self.events, self._meter)
        self.monitor = GeminiPlaybackMonitor(self.playback, self.events)
        self._echo = EchoControl(settings, self.events, self.driver, clock, no_aec_fix=NO_AEC_FIX)
        self._ui_view = GeminiSessionView(clock)
        self._calls = ToolCallsSeen(clock)
        self.events.subscribe(self._calls.seen)

    # --- what the line face (and tests) read --------------------------------------------------

    @property
    def gemini_view(self) -> GeminiView:
        return self.driver.view

    @property
    def speaking(self) -> bool:
        """The model is audible at our speaker (from playback, not from the wire)."""
        return self.monitor.speaking

    @property
    def mic_ended(self) -> bool:
        return self.mic is not None and self._pump.ended

    # --- RuntimeLifecycle's hooks -------------------------------------------------------------

    def _url(self) -> str:
        server = self.target.server
        if server is None:
            return GOOGLE_URL
        if server == "local":
            base = self._server.base_url
            if base is None:
                raise RuntimeError("the embedded server has no URL yet")
            return gemini_ws_url(base)
        return gemini_ws_url(server)

    async def _connect(self) -> None:
        await self.link.connect()

    def _start_tasks(self) -> None:
        self._spawn(self.monitor.run(), "gemini-monitor")
        if self._echo.running:
            self._spawn(self._echo.run(), "gemini-aec")
        self._spawn(self._pump.run(), "gemini-mic")

    async def _stopping_first(self) -> None:
        self.driver.handle(Hangup())
        await asyncio.sleep(0)

    async def _close_tools(self) -> None:
        await self.tools.close()

    def _mic_opened(self) -> None:
        self._pump.source = self.mic
        self._pump.ended = self.mic is None

    def _start_echo_control(self) -> None:
        assert self.speaker is not None
        if self._echo.setup(self.mic, self.speaker):
            self.events.notice("info", "echo cancellation on: talk over the model any time")

    async def _start_tools(self) -> None:
        box = await start_toolbox(self.settings, self.events,
                                  adopt=lambda box: setattr(self.tools.runner, "box", box))
        if box is None:
            return
        specs = announce_tools(box, self.events)
        self.driver.reset_policy(gemini_policy(self.target, specs))

    def _tool_done(self, inp: object) -> None:
        """What the shared tool runner reports: only ``ToolFinished`` (no delegations here)."""
        if isinstance(inp, ToolFinished):
            self.driver.handle(inp)

    def _ended(self, view: GeminiView) -> None:
        if view.state == "failed":
            self.playback.flush()
            self.exit_code = 1
            self.finished.set()

    # --- what the TUI reads (ConversationHandle) -------------------------------------------

    settings_unavailable = FIXED_AT_START
    unavailable_keys: ClassVar[Mapping[str, str]] = {"talk": NO_PUSH_TO_TALK,
                                                     "barge_in": NO_BARGE_IN_SWITCH}

    @property
    def view(self) -> SessionView:
        return self._ui_view.view(self.driver.view, speaking=self.monitor.speaking,
                                  muted=self._pump.muted, no_mic=self.mic is None,
                                  transport_state=self.link.connection.state,
                                  calls=self._calls.calls)

    @property
    def live_settings(self) -> LiveSettings:
        return LiveSettings(voice=self.target.voice, instructions=self.target.instructions)

    def apply_settings(self, settings: LiveSettings) -> SettingsOutcome:
        return SettingsOutcome(sent=False, problem=FIXED_AT_START)

    def switch_targets(self) -> list[SwitchTarget]:
        return []

    async def new_session(self, *, settings: LiveSettings | None = None,
                          server: str | None = None, model: str | None = None) -> None:
        raise RuntimeError(FIXED_AT_START)

    def save_conversation(self) -> Path | None:
        """The lines so far as Markdown in the user data folder; ``None`` with none yet."""
        from voicechat.conversation.model import Conversation, Turn
        from voicechat.conversation.render import markdown
        from voicechat.conversation.saving import file_name
        from voicechat.paths import conversations_dir

        turns = tuple(Turn(speaker=line.speaker, text=line.text, t=0.0,
                           status="interrupted" if line.interrupted else "done")
                      for line in self.driver.view.lines)
        if not turns:
            return None
        path = conversations_dir() / file_name(self.started_at)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(markdown(Conversation(turns=turns, source="Gemini Live session",
                                               model=self.target.model)))
        return path

    def toggle_mute(self) -> None:
        self._pump.muted = not self._pump.muted
        self.events.local({"type": "local.key", "action": "toggle_mute"})

    def cancel(self) -> None:
        self._audio_out.flush()
        self.notice("info", NO_CANCEL)

    def talk_pressed(self) -> None:
        self.notice("info", NO_PUSH_TO_TALK)

    def talk_released(self) -> None:
        pass

    def set_ptt_style(self, style: str) -> None:
        pass

    def toggle_barge_in(self) -> None:
        self.notice("info", NO_BARGE_IN_SWITCH)

    # --- what the user does (the line face's LineRuntime) -------------------------------------

    def send_text(self, text: str) -> None:
        if text.strip():
            self.events.local({"type": "local.key", "action": "send_text"})
            self.driver.handle(TypedText(text))

    def send_image(self, path: str, caption: str = "") -> str | None:
        """``/image PATH [caption]``: the picture as inline data in one typed turn; the
        problem (no file, not a picture, too big) as text, nothing sent."""
        from voicechat.core.image_command import ImageCommand
        from voicechat.runtime.image_file import ImageFileError, load_image

        try:
            image = load_image(ImageCommand(path, caption), "websocket")
        except ImageFileError as exc:
            return str(exc)
        _head, _, data = image.url.partition(",")
        self.events.local({"type": "local.key", "action": "send_image"})
        self.driver.handle(TypedImage(image.info.mime, data, caption))
        return None

    def set_tool_prompt(self, prompt: Callable[[AskApproval], None] | None) -> None:
        self.tools.prompt = prompt

    def answer_tool(self, call_id: str, decision: str) -> None:
        self.tools.answer(call_id, decision)
