"""A Gemini Live conversation: the Gemini core with the project's shared parts (audio devices
and files, echo cancellation, the embedded local server, the event fan-out and recorder, the
tool runner and its approval), started and stopped in the order every family shares
(:mod:`~voicechat.runtime.lifecycle`), with the hooks it fills as GPT-Live does, and the TUI's
Realtime-only commands answered as GPT-Live answers them (:mod:`~voicechat.runtime.duplex.runtime`).

Its own parts: :mod:`~.driver` (core, timer, actions), :mod:`~.link` (one socket at a time,
replaced on the core's ``Reconnect``), :mod:`~.media` (16 kHz up, 24 kHz down). Tools reuse
GPT-Live's :class:`~voicechat.runtime.live.tools.LiveTools` (the same approval rules as every
family: ``auto`` runs, ``deny`` refuses, ``ask`` asks the prompt, none → denied with the fix).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from voicechat.config import Settings
from voicechat.core.gemini import GeminiPolicy, GeminiView, Hangup, TypedImage, TypedText
from voicechat.core.inputs import ToolFinished
from voicechat.core.live_settings import LiveSettings
from voicechat.core.tool_specs import ToolSpec
from voicechat.core.view import SessionView
from voicechat.protocol.gemini import names
from voicechat.runtime.duplex.runtime import DuplexRuntime
from voicechat.runtime.echo import EchoControl
from voicechat.runtime.gemini.driver import GeminiDriver, GeminiEffects
from voicechat.runtime.gemini.link import GeminiLink
from voicechat.runtime.gemini.media import GeminiAudioOut, GeminiMicPump, GeminiPlaybackMonitor
from voicechat.runtime.gemini.session_view import GeminiSessionView
from voicechat.runtime.gemini.tool_view import ToolCallsSeen
from voicechat.runtime.live.tools import LiveTools
from voicechat.runtime.local_server import LocalServerLike
from voicechat.transport.gemini import GOOGLE_URL, gemini_ws_url

if TYPE_CHECKING:
    from voicechat.conversation.model import Conversation

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


class GeminiRuntime(DuplexRuntime[GeminiDriver, GeminiLink]):
    """One Gemini Live conversation: embedded server (if local), socket, audio, core, log."""

    _pump: GeminiMicPump
    task_prefix: ClassVar[str] = "gemini"
    echo_on: ClassVar[str] = "echo cancellation on: talk over the model any time"
    settings_unavailable: ClassVar[str] = FIXED_AT_START
    unavailable_keys: ClassVar[Mapping[str, str]] = {"talk": NO_PUSH_TO_TALK,
                                                     "barge_in": NO_BARGE_IN_SWITCH}

    def __init__(self, settings: Settings, target: GeminiTarget, *,
                 local_server: LocalServerLike | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(settings, local_server=local_server, clock=clock)
        self.target = target
        self.tools = LiveTools(self._tool_done, self.events, clock)
        self._audio_out = GeminiAudioOut(self.playback)
        effects = GeminiEffects(
            shared=self._shared_effects(flush_playback=self._audio_out.flush),
            play=self._audio_out.play,
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

    # --- what the line face (and tests) read (the rest: DuplexRuntime) ------------------------

    @property
    def gemini_view(self) -> GeminiView:
        return self.driver.view

    # --- the hooks (RuntimeLifecycle's and DuplexRuntime's) -----------------------------------

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

    async def _stopping_first(self) -> None:
        self.driver.handle(Hangup())
        await asyncio.sleep(0)

    def _tools_announced(self, specs: tuple[ToolSpec, ...]) -> None:
        """The setup declares the tools: the policy is made again with them."""
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

    def _conversation(self) -> Conversation:
        """The core's lines, an interrupted answer marked so."""
        from voicechat.conversation.model import Conversation, Turn

        turns = tuple(Turn(speaker=line.speaker, text=line.text, t=0.0,
                           status="interrupted" if line.interrupted else "done")
                      for line in self.driver.view.lines)
        return Conversation(turns=turns, source="Gemini Live session", model=self.target.model)

    # --- what the TUI reads and does (ConversationHandle; the rest: DuplexRuntime) ------------

    @property
    def view(self) -> SessionView:
        return self._ui_view.view(self.driver.view, speaking=self.monitor.speaking,
                                  muted=self._pump.muted, no_mic=self.mic is None,
                                  transport_state=self.link.connection.state,
                                  calls=self._calls.calls)

    @property
    def live_settings(self) -> LiveSettings:
        return LiveSettings(voice=self.target.voice, instructions=self.target.instructions)

    def toggle_mute(self) -> None:
        self._pump.muted = not self._pump.muted
        self.events.local({"type": "local.key", "action": "toggle_mute"})

    def cancel(self) -> None:
        self._audio_out.flush()
        self.notice("info", NO_CANCEL)

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
