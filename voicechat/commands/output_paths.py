"""Output paths checked before a run starts, so a typo never loses a run's results (issue 79).

Why: ``voicechat test`` wrote ``--junit`` and ``--json`` only after the whole suite had run,
and made ``--keep``'s folder only as the first scenario started: a folder that did not exist,
or a file where a folder was meant, lost a suite's results, or ended in a 40-line traceback
after the run. Each check here says what is wrong with the path and the fix, as a
:class:`ValueError` the command turns into exit 2 before anything connects.

What cannot be known before writing (a disk that fills, a file system that turns read-only)
is still said, once, when it happens.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def check_output_file(path: Path, flag: str) -> None:
    """``path`` can be written as a file: not a folder, in a folder that exists and takes a
    new file (tried by making and removing one there)."""
    if path.is_dir():
        raise ValueError(f"{flag} {path} is a folder: name a file in it")
    folder = path.parent
    if not folder.exists():
        raise ValueError(f"{flag} {path}: the folder {folder} does not exist; create it "
                         "first, or name a file in a folder that does")
    if not folder.is_dir():
        raise ValueError(f"{flag} {path}: {folder} is a file, not a folder; name a file in a "
                         "folder")
    _writable(folder, flag, path)
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{flag} {path} cannot be written (no permission): name another file")


def check_output_folder(path: Path, flag: str) -> None:
    """``path`` is a folder files can be written to, made here (with its parents) if it is not
    there yet."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"{flag} {path} is a file: name a folder (it is made if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{flag} {path} cannot be made ({exc.strerror or exc}): name a folder "
                         "you can write to") from None
    _writable(path, flag, path)


def _writable(folder: Path, flag: str, path: Path) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".voicechat-probe-"):
            pass
    except OSError as exc:
        raise ValueError(f"{flag} {path} cannot be written ({exc.strerror or exc}): name a "
                         "place you can write to") from None


#: what one run leaves in its ``--keep`` folder
RUN_FILES = ("events.jsonl", "user.wav", "assistant.wav", "doctor.txt")


def set_earlier_run_aside(folder: Path) -> int | None:
    """Keep what an earlier run left in ``folder`` under one number, ``events.N.jsonl`` beside
    ``user.N.wav``, ``assistant.N.wav`` and ``doctor.N.txt`` (the first number none of them
    has), and return it (``None``: nothing there).

    Why: a second run into the same ``--keep`` folder had its event log kept aside by the
    recorder while its WAVs were written over, so the earlier log lost its audio (issue 79).
    Set aside together here, before the recorder opens the new log, a run's files stay one
    set."""
    present = [name for name in RUN_FILES if (folder / name).exists()]
    if not present:
        return None
    number = 1
    while any(_numbered(folder / name, number).exists() for name in RUN_FILES):
        number += 1
    for name in present:
        os.rename(folder / name, _numbered(folder / name, number))
    return number


def _numbered(path: Path, number: int) -> Path:
    return path.with_name(f"{path.stem}.{number}{path.suffix}")
