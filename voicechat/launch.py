"""The ``voicechat`` console script: a plain ``voicechat doctor LOG [--json]`` skips the parser.

Why: loading the command-line framework costs nearly as much as reading a 10 MB log. typer,
its click and the validation library it coerces every option with take ~0.2 s to import and
to coerce the main job's options before any command runs: a tenth of ``voicechat doctor`` on a
50 MB log, and most of it on the small logs scripts and CI jobs feed it one after another.

So exactly the two forms of a doctor call, ``doctor LOG`` and ``doctor LOG --json`` (either
order), run the command directly, with what typer would pass it: ``LOG`` as a ``Path`` and the
flag as a bool. Every other command line (help, completion, a global option, an unknown or
repeated flag, a second path, a ``LOG`` that is empty, starts with ``-`` or holds a NUL) goes
to :mod:`voicechat.cli`, which owns every usage message. ``tests/cli/test_launch.py`` compares
both ways, and checks with hypothesis that any command line taken here is one typer parses to
the same arguments.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: The environment variable shell completion sets (``_{PROG}_COMPLETE``, named after the program
#: as it was called): the completion script's calls always go to the parser.
COMPLETE_VAR = "_VOICECHAT_COMPLETE"


def completing() -> bool:
    """Whether a shell's completion script is asking (under whatever program name)."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def plain_doctor_call(args: Sequence[str]) -> tuple[Path, bool] | None:
    """``(LOG, --json given)`` when ``args`` (argv without the program) is a plain doctor call
    typer would parse to exactly that, else ``None`` (the parser decides)."""
    if len(args) not in (2, 3) or args[0] != "doctor":
        return None
    rest = list(args[1:])
    json_output = "--json" in rest
    if json_output:
        rest.remove("--json")
    if len(rest) != 1 or len(args) != 2 + json_output:
        return None
    log = rest[0]
    if not log or log.startswith("-") or "\x00" in log:
        return None  # an option to click, an empty path or a NUL: its messages, not ours
    return Path(log), json_output


#: Allocations of GC-tracked objects between young collections while the doctor reads a log
#: (CPython: 700). Reading allocates a few containers per line that reference counting frees at
#: once: with the default, a young collection ran every ~100 lines and found no garbage.
DOCTOR_YOUNG_THRESHOLD = 10_000


def import_doctor_gc_quiet() -> ModuleType:
    """``voicechat.commands.doctor``, imported with the collector off; what the imports made
    is then frozen out of every later collection, and young collections run every
    :data:`DOCTOR_YOUNG_THRESHOLD` allocations.

    Why: the imports create ~40k objects that live until exit and almost no garbage, and the
    collector's young collections walked them again and again: 28 M of the 312 M instructions
    ``voicechat doctor`` took on a one-line log, and the raised threshold 5 M more of a 5 MB
    log's (``bench/bench_doctor.py --instructions``). The TUI does the same once its screen is
    up (``ui/gc_pause.py``). Only in this process's own entry point: tests that call the
    doctor in-process keep the interpreter's defaults.
    """
    gc.disable()
    try:
        from voicechat.commands import doctor
    finally:
        gc.freeze()
        _, middle, old = gc.get_threshold()
        gc.set_threshold(DOCTOR_YOUNG_THRESHOLD, middle, old)
        gc.enable()
    return doctor


def main() -> None:
    """Console-script entry point."""
    plain = None if completing() else plain_doctor_call(sys.argv[1:])
    if plain is None:
        from voicechat.cli import main as parse_and_run

        parse_and_run()
        return
    doctor = import_doctor_gc_quiet()
    log, json_output = plain
    try:
        code = doctor.run(log, json_output=json_output)
    except KeyboardInterrupt:
        code = 130  # what the parser's main loop exits with on Ctrl-C
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # The reader went away (``| head``): exit 1 quietly, as the parser does, and keep the
        # interpreter's final flush of stdout from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1
    sys.exit(code)
