"""The app's own actions in the command palette (ctrl+p), next to Textual's system commands.

Everything a key does is also here by name, for people who do not remember the key, plus what has
no key: starting and stopping a recording, and the full text of the problem banner. Actions that
mean nothing in the current mode (talk outside push-to-talk, replies in transcribe mode) are left
out, as they are in the footer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

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


def app_commands(state: PaletteState,
                 run: Callable[[str], Callable[[], object]]) -> Iterator[SystemCommand]:
    """The commands for ``state``; ``run(action)`` returns a callable running the app action."""
    table = [
        ("talk", "Talk", "Open / close the mic (push-to-talk)"),
        ("mute", "Unmute the mic" if state.muted else "Mute the mic", "The m key"),
        ("barge_in", f"Barge-in {'off' if state.barge_in else 'on'}",
         "Whether your speech interrupts the assistant (the b key)"),
        ("cancel", "Cancel the response", "Stop the answer, clear playback, truncate (c)"),
        ("focus_input", "Type a message", "The / key"),
        ("cycle_filter", "Event filter: next", "all / no deltas / errors (f)"),
        ("cycle_theme", "Theme: next", "Cycle through the themes (t)"),
        ("toggle_events", "Hide the event pane" if state.events_shown else "Show the event pane",
         "The e key"),
        ("toggle_recording", "Stop recording" if state.recording else "Record the event log",
         "Write the events from now on to voicechat-DATE.jsonl in the current folder"),
        ("tool_details", "Tool calls: show / fold details",
         "Each call's source, full arguments and result in the transcript (o)"),
        ("save_conversation", "Save the conversation",
         "Write it as Markdown into the user data folder; the path is shown (ctrl+s)"),
        ("latency", "Latency of every answer",
         "Each turn's wait for first audio as a bar of its stages (l)"),
        ("key_help", "Keys", "Every key and what it does (?)"),
    ]
    if state.problems:
        table += [("problem_details", "Problems: details", "The banner's full text and fixes"),
                  ("dismiss_problems", "Problems: dismiss", "Hide the banner (x)")]
    for action, title, help_text in table:
        if keys.action_available(action, state.mode):
            yield SystemCommand(title, help_text, run(action))
