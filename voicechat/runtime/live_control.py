"""Session settings changed while talking: sent, kept for later sessions, undone when refused.

The settings screen hands over a whole :class:`~voicechat.core.live_settings.LiveSettings`;
only what changed goes out, as one ``session.update`` that the core validates (the server's
own wording when it would be refused, and nothing on the wire). A change that went out is laid
over the policy's ``session_overrides`` so a reconnect's or a switch's new session asks for it
too. The server may still refuse it — the voice is locked once the assistant has spoken
(``cannot_update_voice``) — and its ``error`` names the update's ``event_id``: the change is then
taken back here, and the UI (which sees the same error) offers a new session instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from voicechat.config import Settings
from voicechat.core import Notice, Send, UpdateSession
from voicechat.core.live_settings import LiveSettings, changed_patch, merge_session
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.driver import Driver
from voicechat.runtime.fanout import EventFanout
from voicechat.ui.handle import SettingsOutcome


def live_from_settings(settings: Settings) -> LiveSettings:
    """The session settings the command line and the config file asked for."""
    return LiveSettings(
        voice=settings.voice, speed=settings.speed, instructions=settings.instructions,
        turn_detection=settings.turn_detection, eagerness=settings.eagerness,
        threshold=settings.vad_threshold, silence_ms=settings.silence_ms,
        noise_reduction=settings.noise_reduction,
        transcription_model=settings.transcription_model,
        language=settings.transcription_language, prompt=settings.transcription_prompt,
    )


def describe_patch(patch: Mapping[str, Any]) -> tuple[str, ...]:
    """``("voice marin", "turn detection semantic_vad")``: a change in words, for notices."""
    audio = patch.get("audio") or {}
    out_ = audio.get("output") or {}
    in_ = audio.get("input") or {}
    words = [f"{key} {out_[key]}" for key in ("voice", "speed") if key in out_]
    if "instructions" in patch:
        words.append("instructions")
    if "turn_detection" in in_:
        words.append(f"turn detection {(in_['turn_detection'] or {}).get('type', 'off')}")
    if "noise_reduction" in in_:
        words.append(f"noise reduction {(in_['noise_reduction'] or {}).get('type', 'off')}")
    if "transcription" in in_:
        words.append(f"transcription {(in_['transcription'] or {}).get('model', 'off')}")
    return tuple(words)


@dataclass(frozen=True)
class _Pending:
    before: LiveSettings
    overrides: Mapping[str, Any]


class LiveControl:
    """The live settings of one conversation (see the module docstring)."""

    def __init__(self, settings: Settings, driver: Driver, events: EventFanout) -> None:
        self.current = live_from_settings(settings)
        self._mode = settings.mode
        self._driver = driver
        self._pending: dict[str, _Pending] = {}
        events.subscribe(self.on_record)

    def apply(self, new: LiveSettings) -> SettingsOutcome:
        """Send what differs from :attr:`current`; see :class:`SettingsOutcome`."""
        policy = self._driver.policy
        patch = changed_patch(self.current, new, mode=self._mode,
                              transcription_model=policy.transcription_model)
        if not patch:
            turns = ("turn_detection", "eagerness", "threshold", "silence_ms")
            if self._mode != "vad" and any(getattr(new, k) != getattr(self.current, k)
                                           for k in turns):
                return SettingsOutcome(False, f"turn detection is the server's only in VAD "
                                       f"mode (this is {self._mode}): start with --mode vad")
            return SettingsOutcome(False, "nothing changed")
        changed = describe_patch(patch)
        actions = self._driver.user("settings", UpdateSession(patch))
        refused = [a.message for a in actions if isinstance(a, Notice) and a.level == "error"]
        sent = [a.event for a in actions if isinstance(a, Send)]
        if refused or not sent:
            return SettingsOutcome(False, refused[0] if refused else "not sent", "", changed)
        event_id = str(sent[0].get("event_id") or "")
        self._pending[event_id] = _Pending(self.current, policy.session_overrides)
        self._driver.policy = replace(
            policy, session_overrides=merge_session(policy.session_overrides, patch))
        self.current = new
        return SettingsOutcome(True, "", event_id, changed)

    def adopt(self, settings: LiveSettings) -> None:
        """A new session starts with ``settings`` (the policy already asks for them)."""
        self.current = settings
        self._pending.clear()

    def on_record(self, record: LogRecord) -> None:
        """An ``error`` answering one of our updates: take the change back."""
        if record.dir != "in" or not self._pending:
            return
        if record.event.get("type") == "session.updated":  # the oldest pending one held
            self._pending.pop(next(iter(self._pending)))
            return
        if record.event.get("type") != "error":
            return
        error = record.event.get("error")
        event_id = error.get("event_id") if isinstance(error, Mapping) else None
        pending = self._pending.pop(str(event_id), None) if event_id else None
        if pending is None:
            return
        self.current = pending.before
        self._driver.policy = replace(self._driver.policy, session_overrides=pending.overrides)
