"""The runtime both full-duplex families share, between :class:`RuntimeLifecycle` (what every
family's runtime shares) and GPT-Live's and Gemini's own.

:class:`~voicechat.runtime.lifecycle.RuntimeLifecycle` leaves a hook for each step a family
does its own way. GPT-Live and Gemini fill most of them alike, because both stream the mic for
the whole session (:class:`~voicechat.runtime.duplex.media.StreamedMicPump`), read "speaking"
from their playback (:class:`~voicechat.runtime.duplex.media.SpeakingMonitor`) and run the
user's tools through the same approval and runner: :class:`DuplexRuntime` fills those once —
the tasks, the opened mic, echo cancellation, starting and closing the tools.

It also answers the TUI's Realtime-only commands the way both families must: neither has
push-to-talk, a barge-in switch, settings that change mid-session or a session to switch to, so
each says why (the family's words: ``unavailable_keys``, ``settings_unavailable``) instead of
failing; ``ctrl+s`` saves the conversation as the family's core heard it.

A family sets its driver, link, tools, mic pump, monitor and echo control in its constructor,
and fills in how it connects, what stopping does first, what its announced tools change
(:meth:`DuplexRuntime._tools_announced`) and what a saved conversation holds
(:meth:`DuplexRuntime._conversation`).
"""

from __future__ import annotations

import os
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from voicechat.audio.playback import PlaybackBuffer
from voicechat.config import Settings
from voicechat.core.actions import AskApproval, CancelTool, RunTool
from voicechat.core.live_settings import LiveSettings
from voicechat.core.tool_specs import ToolSpec
from voicechat.runtime.duplex.driver import DuplexEffects
from voicechat.runtime.duplex.media import SpeakingMonitor, StreamedMicPump
from voicechat.runtime.lifecycle import DriverT, RuntimeLifecycle
from voicechat.runtime.local_server import LocalServerLike
from voicechat.runtime.tools.runner import ToolRunner
from voicechat.runtime.tools.startup import announce_tools, start_toolbox
from voicechat.ui.handle import ConnectionInfo, SettingsOutcome, SwitchTarget

if TYPE_CHECKING:
    from voicechat.conversation.model import Conversation


class ToolDesk(Protocol):
    """What the runtime asks of a family's tools (approval, then the shared runner)."""

    prompt: Callable[[AskApproval], None] | None

    @property
    def runner(self) -> ToolRunner: ...

    def run_tool(self, action: RunTool, /) -> None: ...

    def cancel_tool(self, action: CancelTool, /) -> None: ...

    def answer(self, call_id: str, decision: str) -> None: ...

    async def close(self) -> None: ...


class SendingLink(Protocol):
    """What the runtime asks of a family's link: the lifecycle's reading and close, and a
    message to put on the wire."""

    @property
    def connection(self) -> ConnectionInfo: ...

    async def close(self) -> None: ...

    def send(self, message: dict[str, Any], /) -> None: ...


LinkT = TypeVar("LinkT", bound=SendingLink)


class DuplexRuntime(RuntimeLifecycle[DriverT, LinkT]):
    """The base of ``LiveRuntime`` and ``GeminiRuntime`` (see the module docstring)."""

    tools: ToolDesk
    _pump: StreamedMicPump
    monitor: SpeakingMonitor
    #: the start of the conversation's task names (``live-mic``, ``gemini-monitor``)
    task_prefix: ClassVar[str]
    #: the notice when echo cancellation runs
    echo_on: ClassVar[str]
    #: why the settings screen does not open (the TUI reads it)
    settings_unavailable: ClassVar[str]
    #: why the talk and barge-in keys do nothing, by binding id (the TUI hides them)
    unavailable_keys: ClassVar[Mapping[str, str]]

    def __init__(self, settings: Settings, *, local_server: LocalServerLike | None,
                 clock: Callable[[], float]) -> None:
        super().__init__(settings, local_server=local_server, clock=clock,
                         playback=PlaybackBuffer())
        self.started_at = time.time()  # names a saved conversation's file
        self._clock = clock

    def _shared_effects(self, flush_playback: Callable[[], int]) -> DuplexEffects:
        """Where the shared actions land: the link (once it is made), ``flush_playback``, the
        tools (made before the driver)."""
        return DuplexEffects(send=lambda message: self.link.send(message),
                             flush_playback=flush_playback, run_tool=self.tools.run_tool,
                             cancel_tool=self.tools.cancel_tool)

    # --- the mic and the speaker: what the line face reads, RuntimeLifecycle's hooks -------------

    def _mic_opened(self) -> None:
        self._pump.source = self.mic
        self._pump.ended = self.mic is None

    @property
    def mic_ended(self) -> bool:
        """A mic source played out (not: there never was one; that is "no device")."""
        return self.mic is not None and self._pump.ended

    @property
    def speaking(self) -> bool:
        """The model is audible at our speaker (from playback, not from the wire)."""
        return self.monitor.speaking

    def _start_echo_control(self) -> None:
        assert self.speaker is not None
        if self._echo.setup(self.mic, self.speaker):
            self.events.notice("info", self.echo_on)
            return
        self._echo_off()

    def _echo_off(self) -> None:
        """Echo cancellation does not run: what the family says of it beyond the echo
        control's own notice (nothing, by default)."""

    # --- the rest of RuntimeLifecycle's hooks ----------------------------------------------------

    async def _start_tools(self) -> None:
        box = await start_toolbox(self.settings, self.events,
                                  adopt=lambda box: setattr(self.tools.runner, "box", box))
        if box is None:
            return
        self._tools_announced(announce_tools(box, self.events))

    @abstractmethod
    def _tools_announced(self, specs: tuple[ToolSpec, ...]) -> None:
        """The tools are known, before connecting: what the session's setup makes of them."""

    def _start_tasks(self) -> None:
        self._spawn(self.monitor.run(), f"{self.task_prefix}-monitor")
        if self._echo.running:
            self._spawn(self._echo.run(), f"{self.task_prefix}-aec")
        self._spawn(self._pump.run(), f"{self.task_prefix}-mic")

    async def _close_tools(self) -> None:
        await self.tools.close()

    # --- the TUI's Realtime-only commands (ConversationHandle): each says why not ----------------

    def talk_pressed(self) -> None:
        self.notice("info", self.unavailable_keys["talk"])

    def talk_released(self) -> None:
        pass

    def set_ptt_style(self, style: str) -> None:
        pass

    def toggle_barge_in(self) -> None:
        self.notice("info", self.unavailable_keys["barge_in"])

    def apply_settings(self, settings: LiveSettings) -> SettingsOutcome:
        return SettingsOutcome(sent=False, problem=self.settings_unavailable)

    def switch_targets(self) -> list[SwitchTarget]:
        return []  # a new session cannot be seeded with this one's turns yet

    async def new_session(self, *, settings: LiveSettings | None = None,
                          server: str | None = None, model: str | None = None) -> None:
        raise RuntimeError(self.settings_unavailable)

    def save_conversation(self) -> Path | None:
        """The conversation so far as Markdown in the user data folder; ``None`` with no turn
        yet."""
        from voicechat.conversation.render import markdown
        from voicechat.conversation.saving import file_name
        from voicechat.paths import conversations_dir

        conversation = self._conversation()
        if not conversation.turns:
            return None
        path = conversations_dir() / file_name(self.started_at)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(markdown(conversation))
        return path

    @abstractmethod
    def _conversation(self) -> Conversation:
        """The turns so far as the core heard them, and what to name the session by."""

    # --- what the user does (the line face's LineRuntime) ----------------------------------------

    def set_tool_prompt(self, prompt: Callable[[AskApproval], None] | None) -> None:
        self.tools.prompt = prompt

    def answer_tool(self, call_id: str, decision: str) -> None:
        self.tools.answer(call_id, decision)
