"""A GPT-Live conversation behind the UI's :class:`~voicechat.ui.handle.ConversationHandle`
methods: the GPT-Live core in place of the Realtime session core, with the project's shared
parts (transports, audio devices and files, echo cancellation, the embedded local server, the
event fan-out and recorder, the tool runner), started and stopped in the order every family
shares (:mod:`~voicechat.runtime.lifecycle`), with the hooks it fills as Gemini Live does
(:mod:`~voicechat.runtime.duplex.runtime`).

The parts of its own: :mod:`~voicechat.runtime.live.driver` (core, timer, actions),
:mod:`~voicechat.runtime.live.link` (one connection), :mod:`~voicechat.runtime.live.media`
(mic streamed throughout, playback reported), :mod:`~voicechat.runtime.live.tools`
(approval, tools, client delegations).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, ClassVar

from voicechat.config import Settings
from voicechat.conversation.seed import SeedPlan, plan_seed, resume_notice
from voicechat.core.live import (
    CloseSession,
    LivePolicy,
    LiveView,
    StopAssistant,
    ToggleMute,
    TypedLine,
)
from voicechat.core.tool_specs import ToolSpec
from voicechat.core.view import SessionView
from voicechat.runtime.duplex.runtime import DuplexRuntime
from voicechat.runtime.echo import EchoControl
from voicechat.runtime.live.driver import LiveDriver, LiveEffects
from voicechat.runtime.live.link import LiveLink
from voicechat.runtime.live.media import LiveAudioIn, LiveMicPump, LivePlaybackMonitor
from voicechat.runtime.live.session_view import SessionViewAdapter
from voicechat.runtime.live.tools import LiveTools
from voicechat.runtime.live.unsupported import LiveLimits
from voicechat.runtime.local_server import LocalServerLike

CLOSE_WAIT_S = 3.0  # how long stop() waits for session.closed after session.close
NO_AEC_FIX_LIVE = ("GPT-Live keeps the mic open while the assistant speaks, so from speakers "
                   "the model hears itself: use headphones")
HEADPHONES = ("echo cancellation is off ({why}): GPT-Live keeps the mic open while the "
              "assistant speaks, so from speakers the model hears itself; use headphones")


#: GPT-Live's start-up ``input`` holds at most 128 messages (reference §2); the Realtime
#: budget of plan_seed (100 turns, 24,000 characters) is inside it
LIVE_INPUT_MAX = 128


def earlier_input(plan: SeedPlan) -> tuple[dict[str, Any], ...]:
    """``--resume``'s turns as GPT-Live's start-up ``input``: the only way it takes history
    (no conversation items later). User words as ``input_text``, answers as ``output_text``."""
    return tuple(
        {"type": "message", "role": role,
         "content": [{"type": "input_text" if role == "user" else "output_text", "text": text}]}
        for role, text in plan.turns[-LIVE_INPUT_MAX:] if text)


def live_policy_for(settings: Settings, tools: tuple[ToolSpec, ...] = (),
                    resumed: SeedPlan | None = None) -> LivePolicy:
    """The GPT-Live session the settings ask for (only what was set: the config is strict).

    Under ``responses`` delegation the user's tools are the backend's function tools (the voice
    model has none); under ``client`` (the default, omitted) they stay ours. A resumed
    conversation goes in as the start-up ``input``."""
    delegation = None
    if settings.live_delegation == "responses":
        delegation = {"type": "responses", "responses": {
            "model": settings.live_backend_model,
            "tools": [{"type": "function", "name": t.name, "description": t.description,
                       "parameters": dict(t.parameters)} for t in tools]}}
    return LivePolicy(
        model=settings.model,
        transport="websocket" if settings.transport == "websocket" else "webrtc",
        instructions=settings.instructions,
        voice=settings.voice,
        delegation=delegation,
        input=earlier_input(resumed) if resumed is not None else (),
    )


class LiveRuntime(LiveLimits, DuplexRuntime[LiveDriver, LiveLink]):
    """One GPT-Live conversation: embedded server (if local), transport, audio, core, log."""

    _pump: LiveMicPump
    task_prefix: ClassVar[str] = "live"
    echo_on: ClassVar[str] = "echo cancellation on: talk over the assistant any time"

    def __init__(self, settings: Settings, *, local_server: LocalServerLike | None = None,
                 clock: Callable[[], float] = time.monotonic, earlier: Any = None) -> None:
        super().__init__(settings, local_server=local_server, clock=clock)
        #: ``--resume``: the earlier turns this session starts with (its start-up input)
        self.resumed: SeedPlan | None = None if earlier is None else plan_seed(
            earlier, max_turns=LIVE_INPUT_MAX)
        self.tools = LiveTools(lambda inp: self.driver.handle(inp), self.events, clock)
        self._pump = LiveMicPump(None, lambda frame: self.link.send_mic(frame), self.events,
                                 self._meter)
        self._audio_in = LiveAudioIn(self.playback)
        effects = LiveEffects(
            shared=self._shared_effects(flush_playback=self.playback.flush),
            mic_stream=self._pump.set_mode,
            run_delegation=self.tools.run_delegation,
            cancel_delegation=self.tools.cancel_delegation,
        )
        self.driver = LiveDriver(live_policy_for(settings, resumed=self.resumed), self.events,
                                 effects, clock=clock)
        self.link = LiveLink(settings, self.driver, self.events,
                             base_url=lambda: self._server.base_url,
                             on_audio=self._audio_in.take, on_lost=self._lost)
        if settings.transport != "websocket":  # WebRTC: the core sees the track's frames
            self._audio_in.report = self.driver.handle
        self.monitor = LivePlaybackMonitor(self.playback, self.driver.handle, self.events, clock)
        self._echo = EchoControl(settings, self.events, self.driver,
                                 clock, no_aec_fix=NO_AEC_FIX_LIVE)
        self._ui_view = SessionViewAdapter(settings.transport, clock)

    # --- what the UI and the headless run read (the rest: DuplexRuntime) ------------------------

    @property
    def live_view(self) -> LiveView:
        """The GPT-Live core's snapshot (the headless run and tests read this one)."""
        return self.driver.view

    @property
    def view(self) -> SessionView:
        """The snapshot the TUI reads (:mod:`~voicechat.runtime.live.session_view`)."""
        # the core streams "live" from session start whatever the source; with no mic at all the
        # bar said "always on" beside the "no microphone" problem (issue 36, item 9)
        mic_mode = "none" if self.mic is None else self.driver.mic_mode
        return self._ui_view.view(self.driver.view, speaking=self.monitor.speaking,
                                  mic_mode=mic_mode, transport_state=self.link.connection.state)

    @property
    def mic_frames_sent(self) -> int:
        return self._pump.sent_frames

    # --- the hooks (RuntimeLifecycle's and DuplexRuntime's) --------------------------------------

    async def _connect(self) -> None:
        await self.link.connect()
        if self.resumed is not None:
            self.events.notice(*resume_notice(self.resumed), topic="conversation")

    async def _stopping_first(self) -> None:
        """``session.close``, then wait (bounded) for ``session.closed``: the only proof the
        session ended and of its final usage (reference §3.4)."""
        if not self.link.connected or self.driver.view.state not in ("active", "starting"):
            return
        self.driver.handle(CloseSession())
        deadline = self._clock() + CLOSE_WAIT_S
        while self._clock() < deadline and self.driver.view.state not in ("closed", "failed"):
            await asyncio.sleep(0.05)

    def _echo_off(self) -> None:
        """From speakers the model hears itself: say so where both are devices."""
        assert self.speaker is not None
        devices = (self.mic is not None and self.mic.kind == "device"
                   and self.speaker.kind == "device")
        if devices and self._echo.status.state == "off":  # "unavailable" has said it already
            self.events.notice("warning", HEADPHONES.format(why=self._echo.status.reason))

    def _tools_announced(self, specs: tuple[ToolSpec, ...]) -> None:
        """Under ``responses`` delegation the tools are the backend's, declared at start; under
        ``client`` they stay ours and the session config does not change."""
        if self.settings.live_delegation == "responses":  # the backend's tools: before start
            self.driver.reset_policy(live_policy_for(self.settings, specs))

    # --- user commands (ConversationHandle; the rest: DuplexRuntime) -----------------------------

    def toggle_mute(self) -> None:
        self.driver.user("toggle_mute", ToggleMute())

    def cancel(self) -> None:
        """Stop the assistant: our playback is flushed and the model is told."""
        self.driver.user("cancel", StopAssistant())

    def send_text(self, text: str) -> None:
        """Typed text (:class:`~voicechat.core.live.inputs.TypedLine`: an instruction append
        naming it as the user's typed words, and a user turn in the transcript)."""
        if text.strip():
            self.driver.user("send_text", TypedLine(text))

    # --- parts -----------------------------------------------------------------------------------

    def _lost(self) -> None:
        self.playback.flush()
        self.exit_code = 1
        self.finished.set()
