"""The app's own actions in the command palette (ctrl+p), next to Textual's system commands.

Everything a key does is also here by name, for people who do not remember the key, plus what has
no key: starting and stopping a recording, and the full text of the problem banner. Actions that
mean nothing in the current mode (talk outside push-to-talk, replies in transcribe mode) are left
out, as they are in the footer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from textual.app import SystemCommand

from voicechat.ui import keys


@dataclass(frozen=True)
class PaletteState:
    """What the commands' wording depends on."""

    mode: str
    muted: bool
    barge_in: bool
    recording: bool
    problems: bool
    events_shown: bool
    keymap: Mapping[str, str] = field(default_factory=dict)  # the user's remaps: hints name them


def app_commands(state: PaletteState,
                 run: Callable[[str], Callable[[], object]]) -> Iterator[SystemCommand]:
    """The commands for ``state``; ``run(action)`` returns a callable running the app action."""
    def key(binding_id: str) -> str:
        return keys.bound_label(binding_id, state.keymap)

    table = [
        ("talk", "Talk", f"Open / close the mic (push-to-talk; {key(keys.TALK)})"),
        ("mute", "Unmute the mic" if state.muted else "Mute the mic",
         f"The {key(keys.MUTE)} key"),
        ("barge_in", f"Barge-in {'off' if state.barge_in else 'on'}",
         f"Whether your speech interrupts the assistant (the {key(keys.BARGE_IN)} key)"),
        ("cancel", "Cancel the response",
         f"Stop the answer, clear playback, truncate ({key(keys.CANCEL)})"),
        ("focus_input", "Type a message", f"The {key(keys.TYPE)} key"),
        ("cycle_filter", "Event filter: next", f"all / no deltas / errors ({key(keys.FILTER)})"),
        ("cycle_theme", "Theme: next", f"Cycle through the themes ({key(keys.THEME)})"),
        ("toggle_events", "Hide the event pane" if state.events_shown else "Show the event pane",
         f"The {key(keys.EVENTS)} key"),
        ("toggle_recording", "Stop recording" if state.recording else "Record the event log",
         "Write the events from now on to voicechat-DATE.jsonl in the current folder"),
        ("tool_details", "Tool calls: show / fold details",
         f"Each call's source, full arguments and result in the transcript ({key(keys.TOOLS)})"),
        ("save_conversation", "Save the conversation",
         f"Write it as Markdown into the user data folder; the path is shown ({key(keys.SAVE)})"),
        ("latency", "Latency of every answer",
         f"Each turn's wait for first audio as a bar of its stages ({key(keys.LATENCY)})"),
        ("key_help", "Keys", f"Every key and what it does ({key(keys.HELP)})"),
    ]
    if state.problems:
        table += [("problem_details", "Problems: details", "The banner's full text and fixes"),
                  ("dismiss_problems", "Problems: dismiss",
                   f"Hide the banner ({key(keys.DISMISS)})")]
    for action, title, help_text in table:
        if keys.action_available(action, state.mode):
            yield SystemCommand(title, help_text, run(action))
