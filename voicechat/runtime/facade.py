"""The runtime as the UI sees it: one conversation behind :class:`ConversationHandle`.

:class:`Runtime` owns no session rules (those live in the sans-IO core) and little logic of its
own: it builds the parts, starts and stops them in order, and turns the UI's method calls into
inputs for the driver. The parts:

* :mod:`~voicechat.runtime.driver` — the session, its timer, carrying out its actions;
* :mod:`~voicechat.runtime.link` — the transport: connect, reconnect, seed, queued sends;
* :mod:`~voicechat.runtime.media` — mic pump, RTC audio gate, playback monitor;
* :mod:`~voicechat.runtime.audio_setup` — which mic and speaker, and the fallbacks;
* :mod:`~voicechat.runtime.echo` — echo cancellation between them (and barge-in by default);
* :mod:`~voicechat.runtime.local_server` — the embedded server for ``--server local``;
* :mod:`~voicechat.runtime.fanout` — every event as a log record to every subscriber;
* :mod:`~voicechat.runtime.lifecycle` — the order the parts start and stop in, and the handle's
  readings both API families share (the base of this class and of ``LiveRuntime``).

When a headless run is finished is not the runtime's business: ``voicechat --no-ui`` decides
that (:mod:`voicechat.lines.realtime`) from the view and the event stream.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from voicechat.audio.playback import PlaybackBuffer
from voicechat.config import Settings
from voicechat.conversation.model import Conversation
from voicechat.conversation.seed import SeedPlan, plan_seed, resume_notice
from voicechat.core import (
    AskApproval,
    CancelRequested,
    SendText,
    Session,
    SessionPolicy,
    SessionView,
    SetBargeIn,
    TalkPressed,
    TalkReleased,
    ToggleMute,
)
from voicechat.core.live_settings import LiveSettings, merge_session, session_patch
from voicechat.core.policy import DEFAULT_TRANSCRIPTION_MODEL
from voicechat.protocol.dialect import Dialect
from voicechat.runtime.bargein import LocalDetector
from voicechat.runtime.driver import Driver, Effects
from voicechat.runtime.echo import EchoControl
from voicechat.runtime.image_file import send_image_file
from voicechat.runtime.keeping import ConversationKeeping
from voicechat.runtime.lifecycle import RuntimeLifecycle
from voicechat.runtime.link import Link
from voicechat.runtime.live_control import LiveControl, live_from_settings
from voicechat.runtime.local_server import LocalServerLike
from voicechat.runtime.media import MicPump, PlaybackMonitor, RtcGate
from voicechat.runtime.switching import switch_session, switch_targets
from voicechat.runtime.tools.runner import ToolRunner
from voicechat.runtime.tools.startup import announce_tools, start_toolbox
from voicechat.transport.base import Transport
from voicechat.ui.handle import SettingsOutcome, SwitchTarget


def policy_for(settings: Settings) -> SessionPolicy:
    """The session rules the settings ask for (the session settings of flags and config laid
    over the ``[session]`` table: a flag is the more deliberate choice)."""
    profile = settings.profile
    transcription = (settings.transcription_model or profile.transcription_model
                     or DEFAULT_TRANSCRIPTION_MODEL)
    patch = session_patch(live_from_settings(settings), mode=settings.mode,
                          transcription_model=transcription)
    return SessionPolicy(
        dialect=Dialect(settings.dialect),
        transport="websocket" if settings.transport == "websocket" else "webrtc",
        mode=settings.mode,  # type: ignore[arg-type]
        barge_in=bool(settings.barge_in),  # None: on only once echo cancellation runs
        ptt_style=settings.ptt_style,  # type: ignore[arg-type]
        azure=settings.is_azure or profile.azure,
        voice=settings.voice,
        instructions=settings.instructions,
        session_overrides=merge_session(settings.session_overrides, patch),
        transcription_model=transcription,
        model=settings.model,
        prices=settings.prices,
        mcp_approval=settings.tool_approval,  # type: ignore[arg-type]
        provider=settings.provider,
        send_session=settings.send_session,
    )


class Runtime(RuntimeLifecycle[Driver, Link]):
    """One conversation: embedded server (if local), transport, audio, core, recorder."""

    # a Realtime session: the settings screen opens and every key works
    settings_unavailable = ""
    unavailable_keys: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(
        self,
        settings: Settings,
        *,
        local_server: LocalServerLike | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_rtp_handoff: Callable[[float], None] | None = None,
        earlier: Conversation | None = None,
    ) -> None:
        """``earlier``: the conversation ``--resume`` continues (read from ``settings.resume``
        when not given; :class:`~voicechat.conversation.ConversationError` if it cannot be)."""
        super().__init__(settings, local_server=local_server, clock=clock,
                         playback=PlaybackBuffer(on_handoff=on_rtp_handoff))
        if earlier is None and settings.resume is not None:
            from voicechat.conversation import load_conversation

            earlier = dataclasses.replace(  # named as passed (see commands/chat.py)
                load_conversation(settings.resume, prices=settings.prices),
                source=str(settings.resume))
        self.resumed: SeedPlan | None = None if earlier is None else plan_seed(earlier)
        self.tools = ToolRunner(None, lambda inp: self.driver.handle(inp),
                                lambda level, text: self.events.notice(level, text), clock)
        effects = Effects(
            send=lambda event: self.link.send(event),
            drop_pending_mic=self._drop_pending_mic,
            flush_playback=lambda: self._rtc.flush(),
            pause_playback=self.playback.pause,
            resume_playback=self.playback.resume,
            run_tool=self.tools.run,
            cancel_tool=self.tools.cancel,
            ask_approval=self.tools.ask,
        )
        self.driver = Driver(policy_for(settings), self.events, effects, clock=clock)
        self._rtc = RtcGate(self.driver, self.playback, clock)
        self.link = Link(
            settings, self.driver, self.events, base_url=lambda: self._server.base_url,
            on_audio=self._rtc.take, on_lost=self.playback.flush, on_gave_up=self._gave_up,
        )
        self._live = LiveControl(settings, self.driver, self.events)
        self._monitor = PlaybackMonitor(self.playback, self.driver, self.events, clock)
        self._echo = EchoControl(settings, self.events, self.driver, clock)
        self._pump: MicPump | None = None
        self._detector: LocalDetector | None = None
        # the conversation kept in memory for ctrl+s and save_transcripts; written only then.
        # Without a screen (no ctrl+s) and without save_transcripts nobody can ask for it
        # (``--no-ui``, ``voicechat test`` and ``load``): not kept, since building it cost a
        # load run ~5 % of its CPU (every event, mic appends included, through the builder).
        self.keeping = (ConversationKeeping(settings, self.events)
                        if not settings.no_ui or settings.save_transcripts else None)
        self.saver = self.keeping.saver if self.keeping is not None else None

    # --- ConversationHandle (the rest: RuntimeLifecycle) -----------------------------------------

    @property
    def view(self) -> SessionView:
        return self.driver.view

    def save_conversation(self) -> Path | None:
        """Write the conversation so far as Markdown (``ctrl+s``): the file's path, or
        ``None`` when there is no turn yet (or nothing is kept: no screen, no
        ``save_transcripts``). Raises :class:`OSError` naming the path."""
        return self.keeping.save() if self.keeping is not None else None

    # --- tools -----------------------------------------------------------------------------------

    def set_tool_prompt(self, prompt: Callable[[AskApproval], None] | None) -> None:
        """Who asks the user about a tool call (the TUI's modal, ``--no-ui``'s terminal line);
        answer with :meth:`answer_tool`. With none, ``ask`` denies and says so."""
        self.tools.prompt = prompt

    def answer_tool(self, call_id: str, decision: str) -> None:
        """The user's answer to an approval request: ``once``, ``always`` or ``deny``."""
        self.tools.answer(call_id, decision)

    async def _start_tools(self) -> None:
        """Start the configured tool sources and declare their tools (before connecting, so
        the first ``session.update`` carries them). Problems are notices; the run goes on."""
        if await start_toolbox(self.settings, self.events, on_change=self._tools_changed,
                               adopt=lambda box: setattr(self.tools, "box", box)):
            self._tools_changed()

    def _tools_changed(self) -> None:
        if self.tools.box is not None:
            self.driver.set_tools(announce_tools(self.tools.box, self.events))

    def talk_pressed(self) -> None:
        self.driver.user("talk_pressed", TalkPressed())

    def talk_released(self) -> None:
        self.driver.user("talk_released", TalkReleased())

    def set_ptt_style(self, style: str) -> None:
        """Toggle or release (hold) push-to-talk; kept for a reconnect's session."""
        self.driver.set_ptt_style(style)

    def toggle_mute(self) -> None:
        self.driver.user("toggle_mute", ToggleMute())

    def toggle_barge_in(self) -> None:
        self.driver.user("toggle_barge_in", SetBargeIn(not self.driver.view.barge_in))

    def cancel(self) -> None:
        self.driver.user("cancel", CancelRequested())

    def send_text(self, text: str) -> None:
        if text.strip():  # ``/image`` lines go to send_image (ui/typed.py, lines/stdin.py)
            self.driver.user("send_text", SendText(text))

    def send_image(self, path: str, caption: str = "") -> str | None:
        """Send the picture at ``path``; the problem (nothing sent) or ``None``."""
        return send_image_file(self.driver, path, caption, self.settings.transport)

    @property
    def live_settings(self) -> LiveSettings:
        return self._live.current

    def apply_settings(self, settings: LiveSettings) -> SettingsOutcome:
        """Send the changed settings with one validated ``session.update``."""
        return self._live.apply(settings)

    def switch_targets(self) -> list[SwitchTarget]:
        return switch_targets(self.settings)

    async def new_session(self, *, settings: LiveSettings | None = None,
                          server: str | None = None, model: str | None = None) -> None:
        """A new server session seeded with the conversation (see ConversationHandle)."""
        live = settings if settings is not None else self._live.current
        self.settings = await switch_session(
            self.settings, live, server=server, model=model, link=self.link,
            driver=self.driver, embedded=self._server, events=self.events, policy_for=policy_for)
        self._live.adopt(live)

    # --- for commands, tests and the bench -------------------------------------------------------

    @property
    def session(self) -> Session:
        return self.driver.session

    @property
    def policy(self) -> SessionPolicy:
        return self.driver.policy

    @property
    def transport(self) -> Transport | None:
        return self.link.transport

    @property
    def completed_responses(self) -> int:
        """Responses completed over the whole conversation (reconnects included)."""
        return self.driver.completed_responses

    @property
    def reconnects(self) -> int:
        return self.link.reconnects

    @property
    def mic_ended(self) -> bool:
        """The mic source has ended (a file played out, or a device that stopped)."""
        return self._pump is not None and self._pump.ended

    # --- RuntimeLifecycle's hooks ---------------------------------------------------------------

    async def _connect(self) -> None:
        await self.link.connect(self.resumed.turns if self.resumed is not None else ())
        if self.resumed is not None:
            self.events.notice(*resume_notice(self.resumed), topic="conversation")
        if self.keeping is not None:
            self.keeping.started()

    def _start_tasks(self) -> None:
        self._spawn(self._monitor.run(), "runtime-monitor")
        if self._echo.running:
            self._spawn(self._echo.run(), "runtime-aec")
        if self.mic is not None:
            self._pump = MicPump(self.mic, self.driver, self.link, self.events, self._meter)
            if self._detector is not None:
                self._pump.on_frame = self._detector.feed
            self._spawn(self._pump.run(), "runtime-mic")

    async def _stopping_first(self) -> None:
        if self.keeping is not None:
            self.keeping.stopping()

    async def _close_tools(self) -> None:
        await self.tools.close()
        if self.tools.box is not None:
            await self.tools.box.close()

    def _mic_opened(self) -> None:
        if self.mic is None:
            self.driver.mic_unavailable()

    # --- parts -----------------------------------------------------------------------------------

    def _drop_pending_mic(self) -> None:
        """The mic was muted: what the transport holds for its next append and what the mic
        captured but has not handed over yet (it may hold up to an append's worth) stay here."""
        self.link.drop_pending_mic()
        if self._pump is not None:
            self._pump.drop_ready()

    def _start_echo_control(self) -> None:
        """Echo cancellation between the opened devices; with it running, barge-in is on unless
        the user said otherwise (without it the mic stays muted while the assistant speaks)."""
        assert self.speaker is not None
        if not self._echo.setup(self.mic, self.speaker):
            return
        if self.settings.mode == "vad" and self.settings.barge_in is not False:
            self._detector = LocalDetector.start(self._echo.stage, self.mic, self.driver,
                                                 self.events)
        if self.settings.barge_in is None and self.settings.mode == "vad":
            self.driver.enable_barge_in()
            self.events.notice(
                "info", "echo cancellation on: speak any time to interrupt the assistant "
                "(barge-in; --no-barge-in turns it off, --no-aec turns cancellation off)"
            )
        else:
            self.events.notice("info", "echo cancellation on")

    def _gave_up(self) -> None:
        self.exit_code = 1
        self.finished.set()
