"""End to end: the installed ``voicechat`` command in a real terminal (tmux), as a user runs it.

No API key, so it starts the embedded local server; a WAV file is the mic. The test reads the
screen with ``capture-pane`` and presses every key in the footer with ``send-keys``. It needs the
runtime and tmux; if either is missing it fails and says so (a skipped end-to-end test would
hide exactly the breakage it exists to catch).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import events, read_records, until_sync, user_terminal_env
from tests.speech import TEST_PHRASES, speech_wav

pytestmark = pytest.mark.slow

VOICECHAT = Path(sys.executable).parent / "voicechat"


class Tmux:
    """One tmux server of our own (``-L``), so nothing touches anyone else's sessions."""

    def __init__(self, socket: str) -> None:
        self.base = ["tmux", "-L", socket]

    def run(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], capture_output=True, text=True,
                              check=False, timeout=10).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "vc")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "vc", *keys)

    def wait(self, predicate: Callable[[str], bool], what: str) -> str:
        """The screen, once ``predicate`` holds for it."""

        def ready() -> str:
            screen = self.screen()
            return screen if predicate(screen) else ""

        return until_sync(ready, lambda: f"{what}; the screen was:\n{self.screen()}", timeout=45)

    def start_voicechat(self, tmp_path: Path, wav: Path, *options: str, width: int,
                        height: int) -> Path:
        """Start the installed ``voicechat`` in session ``vc``, as a user with no API key and
        no config of their own would, and return the event log it records.

        The config gives the embedded server a tone for a voice and ``TEST_PHRASES`` for its
        speech recogniser; ``wav`` is the mic, no speaker. ``HOME`` and ``XDG_CONFIG_HOME`` are
        in ``tmp_path`` and no ``OPENAI_``/``VOICECHAT_`` variable passes, so nothing of the
        machine's leaks in. After voicechat exits the pane prints ``VOICECHAT-EXITED-<code>``
        and stays a minute, so a test can read how it ended. ``options`` come first on the
        command line (say, ``--model gpt-live-1``).
        """
        config = tmp_path / "config.toml"
        phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
        config.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n',
                          encoding="utf-8")
        env = user_terminal_env(tmp_path)
        env.pop("NO_COLOR", None)
        log = tmp_path / "events.jsonl"
        leading = "".join(f"{option} " for option in options)
        command = (f"{VOICECHAT} {leading}--config {config} --mic {wav} --speaker none "
                   f"--record {log}; echo VOICECHAT-EXITED-$?; sleep 60")
        subprocess.run([*self.base, "new-session", "-d", "-s", "vc", "-x", str(width),
                        "-y", str(height), command], check=True, env=env, cwd=tmp_path,
                       timeout=10)
        return log


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    missing = [name for name, ok in (
        ("tmux (apt-get install tmux)", shutil.which("tmux") is not None),
        (f"the installed command {VOICECHAT} (pip install -e .)", VOICECHAT.exists()),
        ("voicechat.runtime (the client runtime, issue #5)",
         importlib.util.find_spec("voicechat.runtime") is not None),
    ) if not ok]
    if missing:
        pytest.fail("the end-to-end test cannot run without: " + "; ".join(missing))
    mux = Tmux(f"vc-ui-e2e-{os.getpid()}")
    yield mux
    mux.run("kill-server")


def test_installed_voicechat_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    # a long silent tail: "mic live" only while the file plays (it says "file ended" after)
    wav = speech_wav(tmp_path / "question.wav", TEST_PHRASES[:1], tail_s=30.0)
    log = tmux.start_voicechat(tmp_path, wav, width=120, height=36)

    question = TEST_PHRASES[0].lower().rstrip(".")
    mic_states: list[str] = []

    def mic_sequence() -> list[tuple[str, str | None]]:
        return [(e["type"], e.get("reason")) for e in events(read_records(log))
                if e["type"] in ("local.mic.muted", "local.mic.unmuted")]

    def turn_done(screen: str) -> bool:
        for label in ("mic live", "mic muted for playback"):
            if label in screen and (not mic_states or mic_states[-1] != label):
                mic_states.append(label)
        low = screen.lower()
        if not (f"you: {question}" in low and "assistant:" in low and "mic live" in screen):
            return False
        # "completed" on screen is no witness: the event pane shows the transcription's
        # "...completed" before the answer plays, and "mic live" is then the mic before it
        # was muted. The log says when the answer's playback muted the mic and it came back.
        log_so_far = mic_sequence() if log.exists() else []
        if ("local.mic.muted", "playback") not in log_so_far:
            return False
        after = log_so_far[log_so_far.index(("local.mic.muted", "playback")):]
        return ("local.mic.unmuted", None) in after and "completed" in low

    screen = tmux.wait(turn_done, "the spoken question, the answer and the mic reopening")
    assert "connected" in screen and "webrtc" in screen and "local" in screen
    # The mic was muted for the answer's playback and came back: the screen shows "mic live"
    # at the end; the muted spell is as short as the answer (and the question can be over
    # before the first screen poll), so the recorded log is the witness of the sequence (the
    # status bar's wording for it is checked in the Pilot tests).
    assert mic_states[-1] == "mic live", mic_states
    mic_log = mic_sequence()
    assert ("local.mic.muted", "playback") in mic_log, mic_log
    after = mic_log[mic_log.index(("local.mic.muted", "playback")):]
    assert ("local.mic.unmuted", None) in after, mic_log
    # the event flow: at 120 columns the pane has half the width, room for full names
    assert "response.done" in screen and "input_audio_buffer.speech_started" in screen
    assert "you " in screen and "bot " in screen and "now" in screen  # the VAD timeline
    # the footer: VAD mode needs no talk key; help and quit are always there
    assert "Talk (toggle)" not in screen and "Keys" in screen and "Quit" in screen

    tmux.keys("m")
    tmux.wait(lambda s: "mic muted by you" in s, "mute")
    tmux.keys("m")
    tmux.wait(lambda s: "mic live" in s, "unmute")
    tmux.keys("b")
    tmux.wait(lambda s: "barge-in on" in s, "barge-in on")
    tmux.keys("f")
    tmux.wait(lambda s: "event filter: no deltas" in s, "the filter toast")
    tmux.keys("t")
    tmux.wait(lambda s: "theme: high-contrast" in s, "the theme toast")
    tmux.keys("c")  # nothing to cancel: the app says so and stays up
    tmux.wait(lambda s: "nothing to cancel" in s, "the cancel toast")
    tmux.keys("Space")  # no talk key in VAD mode: nothing happens, nothing breaks
    tmux.keys("/")
    tmux.wait(lambda s: "Type a message and press Enter" in s, "the message box")
    tmux.keys("-l", "hello there")
    tmux.keys("Enter")
    tmux.wait(lambda s: "You: hello there" in s, "the typed message")
    tmux.wait(lambda s: s.count("Assistant:") >= 2 or "resp_" in s, "an answer to it")
    screen = tmux.screen()
    assert "Traceback" not in screen
    tmux.keys("q")
    screen = tmux.wait(lambda s: "VOICECHAT-EXITED-" in s, "the app to exit")
    assert "VOICECHAT-EXITED-0" in screen
