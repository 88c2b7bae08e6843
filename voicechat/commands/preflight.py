"""What can be checked before anything connects, checked there: a mistake is exit 2 with the
problem and the fix, never a session that runs on something else (issue 36, item 8).

Each check raises :class:`ValueError` with the message the user sees after ``voicechat:``:

* the ``[voicechat.session]`` table, merged into the first ``session.update`` exactly as the
  core will send it, validated with the server's own schema and wording (what ``voicechat
  validate`` and the local server use), plus the hints (the other dialect's spelling, a typo);
  before this the session ran on the server's defaults after a notice;
* the ``[voicechat.keys]`` remaps (an unknown action was ignored with ``--no-ui``);
* the theme (a three-second toast in the TUI, where every other bad value exits 2), named by
  where it came from (``--theme``, ``VOICECHAT_THEME``, the file's key) with a broken theme
  file's own reason; ``--no-ui`` draws no theme, so there it is a warning (issue 55, item 16);
* ``--mic FILE``: read before anything starts (an empty WAV said ``not a readable WAV file
  ()`` after the server had started); a FIFO with no writer hung silently in ``open``;
* ``--speaker NAME.EXT`` that names a file format voicechat does not write (it was taken for a
  device name, found no device and ran without a speaker, saying nothing);
* the paths (issue 55, item 8): a folder given to ``--mic``, ``--speaker`` or ``--record``, and
  a ``--speaker`` or ``--record`` file in a folder that does not exist or cannot be written,
  failed with exit 1 once the embedded server had started (the speaker's naming no flag and
  no fix). Nothing is created or truncated here: the checks only look.
* ``--mode ptt`` with a ``--mic`` file in ``--no-ui``: the file waits for the talk key (it is
  what the person says while the key is down), and ``--no-ui`` has no key to press, so the run
  could only fail at the end of its input (issue 55, item 3).
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from voicechat.audio import files
from voicechat.audio.files import (
    WRITABLE,
    AudioFileError,
    is_audio_file,
    read_audio,
    spool_fifo,
)
from voicechat.config import EXTRA_PROVIDERS, Settings
from voicechat.core.policy import initial_session
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.hints import hints_for
from voicechat.protocol.mapping import client_event_from_canonical
from voicechat.protocol.providers import validation_session
from voicechat.protocol.validation import validate_session
from voicechat.runtime.facade import policy_for

#: a file name's extension (``.xyz``); device names carry dots too
#: (``alsa_output.pci-0000_00_1f.3.analog-stereo``), but not a short letters-only suffix
_FILE_SUFFIX = re.compile(r"^\.[A-Za-z][A-Za-z0-9]{0,4}$")


def check_before_connecting(settings: Settings) -> Settings:
    """Every check below, in the order a user would want to hear of them; returns the settings
    to run with (a FIFO mic is replaced by the file its audio was copied into)."""
    check_file_mic_mode(settings)
    settings = prepared_mic(settings)
    check_speaker(settings.speaker)
    check_record(settings.record)
    check_keys(settings.keymap)
    check_theme(settings)
    check_local_responder(settings)
    if settings.api != "live":
        check_session_table(settings)
    return settings


def prepared_mic(settings: Settings) -> Settings:
    """A ``--mic`` file is read now, so an empty, unreadable or missing one stops the start;
    a FIFO's audio is copied to a private temporary file first (it can be read only once)."""
    spec = settings.mic
    if spec is not None and spec != "none" and Path(spec).is_dir():
        raise ValueError(f"--mic {spec} is a directory: pass an audio file inside it, "
                         f"{_DEVICE_OR_NONE}")
    if spec is None or not is_audio_file(spec):
        return settings
    path = Path(spec)
    if not path.exists():
        raise ValueError(f"--mic {spec}: no such file; check the path, or pass "
                         f"{_DEVICE_OR_NONE}")
    try:
        if path.is_fifo():
            print(f"voicechat: --mic {spec} is a FIFO: reading the audio written to it "
                  f"(waiting up to {files.FIFO_WAIT_S:g} s for a writer)", file=sys.stderr,
                  flush=True)
            folder = Path(tempfile.mkdtemp(prefix="voicechat-mic-"))
            copy = folder / (path.name if path.suffix else path.name + ".audio")
            spool_fifo(path, copy)
            atexit.register(shutil.rmtree, folder, True)
            settings = dataclasses.replace(settings, mic=str(copy))
            path = copy
        read_audio(path)
    except AudioFileError as exc:
        raise ValueError(f"--mic: {exc}") from None
    except OSError as exc:
        raise ValueError(f"--mic {spec}: cannot read it ({exc.strerror})") from None
    return settings


def check_file_mic_mode(settings: Settings) -> None:
    """Push-to-talk with a file mic needs someone at the talk key: the TUI's (the file holds
    until it is pressed, ``runtime/media.py``); ``--no-ui`` has none."""
    if not (settings.no_ui and settings.mode == "ptt" and settings.mic is not None
            and is_audio_file(settings.mic)):
        return
    raise ValueError(f"--mode ptt with --mic {settings.mic}: in push-to-talk the file is "
                     "heard only while the talk key is down, and --no-ui has no talk key; use "
                     "--mode vad (the server hears the file's turns), type the lines on stdin, "
                     "or drop --no-ui and press the key in the TUI")


def check_speaker(spec: str | None) -> None:
    if spec is None or spec in ("none", "default"):
        return
    path = Path(spec)
    if path.is_dir():
        raise ValueError(f"--speaker {spec} is a directory: pass a file name inside it (such "
                         f"as {path / 'answer.wav'}), {_DEVICE_OR_NONE}")
    suffix = path.suffix
    if _FILE_SUFFIX.match(suffix) and suffix.lower() not in WRITABLE:
        raise ValueError(f"--speaker {spec}: voicechat cannot write {suffix} files; give a file "
                         f"ending in {', '.join(WRITABLE)}, a sound device's name or number "
                         "(`voicechat devices` lists them), or none")
    if is_audio_file(spec, output=True):
        problem = _unwritable(path)
        if problem is not None:
            raise ValueError(f"--speaker {spec}: {problem}, or pass {_DEVICE_OR_NONE}")


def check_record(path: Path | None) -> None:
    """``--record FILE`` where a log can be written (looked at, not opened: opening would
    truncate a log that :mod:`voicechat.eventlog.recorder` keeps aside at the start)."""
    if path is None:
        return
    if path.is_dir():
        raise ValueError(f"--record {path} is a directory: pass a file name inside it, such "
                         f"as {path / 'log.jsonl'}")
    problem = _unwritable(path)
    if problem is not None:
        raise ValueError(f"--record {path}: {problem}, or choose another --record path")


#: the end of the fix for a ``--mic`` or ``--speaker`` value that is not usable as a file
_DEVICE_OR_NONE = "a sound device's name or number (`voicechat devices` lists them), or none"


def _unwritable(path: Path) -> str | None:
    """Why a file cannot be created or written at ``path`` (its folder is missing or not
    writable, or the file is read-only), else ``None``."""
    folder = path.parent
    if not folder.is_dir():
        return (f"the folder {folder} does not exist; create it (mkdir -p {folder})"
                if not folder.exists() else f"{folder} is not a folder; give a path in one")
    if path.exists():
        if not os.access(path, os.W_OK):
            return f"{path} is read-only; make it writable (chmod u+w {path})"
    elif not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} cannot be written to; write into a folder you own"
    return None


def check_keys(keymap: dict[str, str] | None) -> None:
    if not keymap:
        return
    # here, not at the top: the key table imports Textual, which a --no-ui run never draws
    from voicechat.ui import keys

    try:
        keys.validate_keymap(keymap)
    except keys.KeymapError as exc:
        raise ValueError(f"{exc}; fix the [voicechat.keys] table in your config "
                         "(`voicechat config path` shows where it is)") from None


def check_local_responder(settings: Settings) -> None:
    """The embedded server's ``script:FILE`` loads: a malformed ``@call`` stopped the server
    after the run began (exit 1), naming the script's line but not the setting (issue 79)."""
    if not settings.is_local:
        return
    from voicechat.server.voice.script import script_problem

    problem = script_problem(settings.local_responder)
    if problem is not None:
        where = settings.origins.get("local_responder", "local_responder")
        raise ValueError(f"{where}: {problem}")


def check_theme(settings: Settings) -> None:
    """The theme asked for exists; the error names where it was asked for (``--theme``, the
    variable, or the file and its key: it blamed ``--theme`` for all three) and, for a theme
    file that does not load, the file and why. ``--no-ui`` draws no theme: only a warning."""
    theme = settings.theme
    if theme is None:
        return
    from voicechat.ui.themes import load_themes, user_theme_dir  # Textual: see check_keys

    themes, problems = load_themes()
    if not themes or theme in themes:
        return
    where = settings.origins.get("theme", "--theme")
    broken = next((p for p in problems if p.path.stem == theme), None)
    if broken is not None:
        problem = f"{where}: the theme {theme!r} does not load: {broken}; fix the file, or"
    else:
        problem = f"{where}: {theme!r} is not a theme;"
    problem += f" use one of {', '.join(themes)} (your own go in {user_theme_dir()})"
    if settings.no_ui:
        print(f"voicechat: warning: {problem}; --no-ui uses no theme, so this run goes on",
              file=sys.stderr)
        return
    raise ValueError(problem)


def check_session_table(settings: Settings,
                        where: str = "[voicechat.session] in your config") -> None:
    """The first ``session.update`` as the core will send it, checked as the server would;
    ``where`` names the table the user wrote (``voicechat test``: the scenario's ``session``)."""
    if not settings.session_overrides:
        return
    dialect = Dialect(settings.dialect)
    session = initial_session(policy_for(settings))
    profile = settings.profile
    if profile.name in EXTRA_PROVIDERS:  # in its dialect, its own fields read as the schema's
        event = client_event_from_canonical({"type": "session.update", "session": session},
                                            dialect)
        session = validation_session(event["session"], profile)
    problem = validate_session(session, dialect, azure=settings.is_azure or profile.azure)
    if problem is None:
        return
    hints = hints_for(session, problem, dialect, azure=settings.is_azure, bare_session=True)
    at = f" (param {problem.param})" if problem.param else ""
    fix = f"; {hints[0]}" if hints else "; see `voicechat validate --help` for the shape"
    raise ValueError(f"{where}: {problem.message}{at}{fix}")
