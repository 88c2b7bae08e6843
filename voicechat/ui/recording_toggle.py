"""Record on/off from the command palette: the event log of what happens from now on.

``--record FILE`` records a whole session from its start; this is for the moment something
interesting starts happening in a session that was not being recorded. It writes the records the
app already receives (the same stream and format as ``--record``, redacted, mode 0600) to a new
``voicechat-YYYYMMDD-HHMMSS.jsonl`` in the current directory, until it is switched off or the app
quits.
"""

from __future__ import annotations

import time
from pathlib import Path

from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.recorder import Recorder


class RecordingToggle:
    """Starts and stops a recorder fed by the app's record stream."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.recorder: Recorder | None = None
        self.path: Path | None = None

    @property
    def on(self) -> bool:
        return self.recorder is not None

    def toggle(self) -> str:
        """Switch; returns the message for the user (where the file is, or why not)."""
        if self.recorder is not None:
            self.stop()
            return f"recording stopped: {self.path}"
        folder = self.folder if self.folder is not None else Path.cwd()
        path = folder / time.strftime("voicechat-%Y%m%d-%H%M%S.jsonl")
        try:
            self.recorder = Recorder.open(path)
        except OSError as exc:
            return f"cannot record to {path}: {exc.strerror or exc}"
        self.path = path
        kept = self.recorder.kept  # (two toggles in one second name the same file)
        return f"recording the event log to {path}" + (f" (the earlier one is {kept})"
                                                        if kept is not None else "")

    def write(self, record: LogRecord) -> str | None:
        """Append one record; a failed write stops recording and returns the reason."""
        if self.recorder is None:
            return None
        try:
            self.recorder.write(record)
        except OSError as exc:
            self.stop()
            return f"recording stopped, cannot write {self.path}: {exc.strerror or exc}"
        return None

    def stop(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
