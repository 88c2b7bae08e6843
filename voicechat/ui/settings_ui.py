"""The app's settings parts: the settings screen, what the server refuses, new sessions.

* ``s`` (and the palette) opens :class:`~voicechat.ui.settings_screen.SettingsScreen` on the
  handle's current settings; Apply sends what changed (``ConversationHandle.apply_settings``:
  validated, then one ``session.update``).
* The server answers each update with ``session.updated`` or an ``error`` naming the update's
  ``event_id``. A refusal — the voice is locked once the assistant has spoken
  (``cannot_update_voice``) — is said plainly, with the offer to have the change in a new
  session seeded with the conversation (:class:`~voicechat.ui.widgets.offer.NewSessionOffer`).
* A change refused before it was sent (a speed of 3) is an error notice, so it shows in the
  problem banner too; once an Apply goes out, what the form holds passed the checks, and the
  refusals it fixed are taken off the banner (issue 55, item 11: they stayed, and pushed the
  other problems out of view).
* The palette offers the servers and models a new session can move to
  (``ConversationHandle.switch_targets``); the switch runs as a worker, and a failure leaves the
  old session running and says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from textual.app import App, SystemCommand

from voicechat.core.live_settings import LiveSettings
from voicechat.eventlog.record import LogRecord
from voicechat.ui import keys
from voicechat.ui.handle import ConversationHandle, SettingsOutcome
from voicechat.ui.problems import Problem, problem_from_event
from voicechat.ui.settings_screen import SettingsScreen
from voicechat.ui.widgets.offer import NewSessionOffer

LOCKED_VOICE = "cannot_update_voice"


def refusal_text(error: Mapping[str, Any], changed: tuple[str, ...]) -> str:
    """What to tell the user about a refused settings change, in plain words."""
    what = ", ".join(changed) or "the change"
    message = str(error.get("message") or "refused")
    if error.get("code") == LOCKED_VOICE:
        lead = (f"The server keeps the voice once the assistant has spoken, so {what} was not "
                f"applied (\"{message}\").")
    else:
        lead = f"The server refused {what}: {message}"
    return (f"{lead}\n\nStart a new session with it? The conversation so far is carried over "
            "as text; this session ends.")


class SettingsOnScreen:
    """See the module docstring; the app calls :meth:`on_record` for every record."""

    def __init__(self, app: App[Any], handle: ConversationHandle,
                 applied: Callable[[], str],
                 withdraw: Callable[[Problem], None] | None = None,
                 keymap: Mapping[str, str] | None = None) -> None:
        self._app = app
        self._keymap = keymap or {}  # the user's remaps: the palette's hint names them
        self._handle = handle
        self._applied = applied
        self._withdraw = withdraw
        self._pending: dict[str, tuple[LiveSettings, tuple[str, ...]]] = {}
        self._refused: list[Problem] = []  # banners of refused changes, until one goes out

    def open(self) -> None:
        # A handle whose API fixes these at start (GPT-Live) says why instead of a screen.
        if why := self._handle.settings_unavailable:
            self._app.notify(why, severity="warning", timeout=8)
            return
        if not isinstance(self._app.screen, SettingsScreen):
            self._app.push_screen(SettingsScreen(self._handle.live_settings, self.apply,
                                                 applied=self._applied()))

    def apply(self, wanted: LiveSettings) -> SettingsOutcome:
        outcome = self._handle.apply_settings(wanted)
        if outcome.sent:
            self._pending[outcome.event_id] = (wanted, outcome.changed)
            refused, self._refused = self._refused, []
            for problem in refused:
                if self._withdraw is not None:
                    self._withdraw(problem)
        elif outcome.problem:
            # the banner's problem for the handle's error notice (when it made one)
            notice = {"type": "local.notice", "level": "error", "message": outcome.problem}
            if (problem := problem_from_event("local", notice)) is not None:
                self._refused.append(problem)
        return outcome

    def on_record(self, record: LogRecord) -> None:
        if record.dir != "in" or not self._pending:
            return
        if record.event.get("type") == "session.updated":  # answers come in order: the oldest
            self._pending.pop(next(iter(self._pending)))  # pending update was applied
            return
        if record.event.get("type") != "error":
            return
        error = record.event.get("error")
        if not isinstance(error, Mapping):
            return
        pending = self._pending.pop(str(error.get("event_id")), None)
        if pending is not None:
            wanted, changed = pending
            self._app.call_later(self._offer, wanted, refusal_text(error, changed))

    def _offer(self, wanted: LiveSettings, text: str) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.new_session(settings=wanted)

        self._app.push_screen(NewSessionOffer(text), answered)

    def new_session(self, **target: Any) -> None:
        """Start the new session in a worker (it connects); say how it went."""
        self._app.run_worker(self._new_session(**target), group="new-session", exclusive=True)

    async def _new_session(self, **target: Any) -> None:
        self._app.notify("starting a new session…", timeout=3)
        try:
            await self._handle.new_session(**target)
        except Exception as exc:  # the old session goes on; say why the new one did not start
            self._app.notify(f"no new session: {exc}", severity="error", timeout=10)
            return
        info = self._handle.connection
        self._app.notify(f"new session on {info.server} · {info.model}", timeout=4)

    def commands(self) -> Iterator[SystemCommand]:
        """The palette's entries: the settings screen, and each server or model to move to."""
        key = keys.bound_label(keys.SETTINGS, self._keymap)
        yield SystemCommand("Session settings", "Voice, speed, instructions, turn detection, "
                            f"noise reduction, transcription ({key})", self.open)
        for target in self._handle.switch_targets():
            if target.kind == "server":
                title = f"New session on {target.label}"
                run = lambda v=target.value: self.new_session(server=v)  # noqa: E731
            else:
                title = f"New session with model {target.label}"
                run = lambda v=target.value: self.new_session(model=v)  # noqa: E731
            yield SystemCommand(title, "The conversation so far is carried over as text", run)
