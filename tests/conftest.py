"""Settings and fixtures every test shares; helpers to import live in tests/helpers.py.

Area-specific fixtures live in each tests/<area>/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from tests.helpers import local_server

if TYPE_CHECKING:
    from tests.zygote.control import ForkServer
    from voicechat.server.app import LocalServer

# Textual snapshots break under NO_COLOR, and CI must never wait on a terminal.
os.environ.pop("NO_COLOR", None)
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

# The private PulseAudio daemon (scripts/start-pulse.sh; CI starts it). PortAudio reads these
# when sounddevice is first imported, so they are set before any test runs.
_PULSE_DIR = os.environ.get("VOICECHAT_PULSE_DIR", f"/tmp/voicechat-pulse-{os.getuid()}")
# The serial tests run in two lanes (scripts/test.sh sets VOICECHAT_PULSE_PER_WORKER): each
# xdist worker then gets a daemon of its own, so that what one lane plays never reaches the
# other's virtual mic and one lane's restart of its daemon leaves the other's alone.
if (_LANE := os.environ.get("PYTEST_XDIST_WORKER")) \
        and os.environ.get("VOICECHAT_PULSE_PER_WORKER") == "1":
    import subprocess

    _PULSE_DIR = f"{_PULSE_DIR}-{_LANE}"
    os.environ.update(VOICECHAT_PULSE_DIR=_PULSE_DIR, XDG_RUNTIME_DIR=_PULSE_DIR,
                      PULSE_SERVER=f"unix:{_PULSE_DIR}/pulse/native")
    subprocess.run(["bash", "-c", f". {Path(__file__).parents[1]}/scripts/start-pulse.sh"],
                   check=False, timeout=60, stdout=subprocess.DEVNULL)
os.environ.setdefault("XDG_RUNTIME_DIR", _PULSE_DIR)
os.environ.setdefault("PULSE_SERVER", f"unix:{_PULSE_DIR}/pulse/native")
_FORK_SERVER: pytest.StashKey[ForkServer | None] = pytest.StashKey()


def pytest_configure(config: pytest.Config) -> None:
    """A fork server for the ``voicechat`` commands the tests start (``tests/zygote``): in each
    process that runs tests, not in xdist's controller."""
    if getattr(config, "workerinput", None) is None and config.getoption("numprocesses", None):
        return
    from tests.zygote import control

    config.stash[_FORK_SERVER] = control.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_FORK_SERVER, None)
    if server is not None:
        server.close()


@pytest.fixture
def fresh_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``voicechat`` commands this test starts run in interpreters of their own, not forked
    from the fork server (``tests/zygote``): for a test that looks at the processes under a
    command, which a fork places under the fork server and in a process group of its own."""
    monkeypatch.delenv("TEST_FORK_SERVER", raising=False)


def require_or_skip(available: bool, why: str) -> None:
    """Skip a test whose host tool is missing on a developer's machine, but fail under CI.

    CI installs every tool the suite needs (scripts/setup.sh), so a missing one there is a broken
    set-up that a skip would hide.
    """
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must provide it: see scripts/setup.sh)")
    pytest.skip(why)


@pytest.fixture
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LocalServer]:
    """The real local server on 127.0.0.1:0 that client, UI and server tests talk to.

    The tone voice, the exact ASR grammar of :data:`tests.speech.TEST_PHRASES`, and the echo
    responder; ``@pytest.mark.script(*lines)`` makes it reply with those lines instead, and
    ``@pytest.mark.silent_appends`` keeps GPT-Live instruction appends unanswered.
    """
    from tests.speech import TEST_PHRASES

    responder = "echo"
    marker = request.node.get_closest_marker("script")
    if marker is not None:
        script = tmp_path / "script.txt"
        script.write_text("\n".join(marker.args) + "\n", encoding="utf-8")
        responder = f"script:{script}"
    # GPT-Live's local model answers instruction appends by default; tests of appends as
    # context ask for the silence they assert on
    quiet = request.node.get_closest_marker("silent_appends") is not None
    async with local_server(responder=responder, asr_phrases=TEST_PHRASES,
                            live_answer_instructions=not quiet) as srv:
        yield srv


# No test asserts a timing, and Hypothesis's default 200 ms deadline per example is one: under
# the parallel run's load a GPT-Live validation example took 211 ms and failed. Examples are
# still bounded by pytest-timeout.
settings.register_profile("voicechat", deadline=None)
settings.load_profile("voicechat")


#: Tests that share one machine-wide resource or keep real time: the private PulseAudio
#: daemon (the echo tests restart it; two players would hear each other), real-time audio, a
#: terminal (tmux, a pty) or headless Chromium. They get the ``serial`` marker: scripts/test.sh
#: runs the rest of the suite in several workers first, then these alone, one after the other,
#: on a machine with nothing else running (side by side with other tests they failed).
#: tests/audio/ is not listed: its tests that play through the sound server carry the
#: ``audio`` marker or the pulse fixtures; the rest (the canceller on arrays, codecs, the null
#: devices) wait on nothing real-time and run in the workers.
_SERIAL_DIRS = ("tests/browser/",)
_SERIAL_WORDS = ("tmux", "_pty", "realtime_probe", "test_browser", "echo_control")
_SERIAL_FIXTURES = frozenset({"pulse", "pulse_echo"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if (path.startswith(_SERIAL_DIRS) or any(w in path for w in _SERIAL_WORDS)
                or item.get_closest_marker("audio") is not None
                or _SERIAL_FIXTURES.intersection(getattr(item, "fixturenames", ()))):
            item.add_marker(pytest.mark.serial)


@pytest.fixture(scope="session")
def one_question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One of the grammar's phrases, spoken by espeak-ng, with 1.5 s of silence after it."""
    from tests.speech import TEST_PHRASES, speech_wav

    return speech_wav(tmp_path_factory.mktemp("wav") / "one_question.wav", TEST_PHRASES[:1],
                      tail_s=1.5)


def pulse_running() -> bool:
    """Whether the private PulseAudio daemon answers (``pactl info``)."""
    import shutil
    import subprocess

    if shutil.which("pactl") is None:
        return False
    try:
        result = subprocess.run(["pactl", "info"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@pytest.fixture
def pulse() -> None:
    """Tests that play or record through the virtual devices: they need the daemon."""
    require_or_skip(
        pulse_running(),
        "PulseAudio is not running (`pactl info` failed): run `. scripts/start-pulse.sh`",
    )


@pytest.fixture(scope="session")
def two_questions_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two of the grammar's phrases, 4 s apart (room for the tone-voice reply in between)."""
    from tests.speech import TEST_PHRASES, speech_wav

    return speech_wav(tmp_path_factory.mktemp("wav") / "two_questions.wav", TEST_PHRASES[:2],
                      gap_s=4.0, tail_s=1.0)
