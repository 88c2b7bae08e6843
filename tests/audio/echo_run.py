"""Running the real client against its embedded server, with the speaker echoing into the mic.

Shared by the echo tests: long scripted replies, the command line (``voicechat --barge-in`` on the
default devices of the private PulseAudio daemon), starting the AEC client, waiting on the event
log, stopping the client, recording the speaker and reading that recording back.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tests.helpers import read_records
from tests.speech import TEST_PHRASES

BARGE_IN_ACTIONS = ("response.cancel", "output_audio_buffer.clear", "conversation.item.truncate")

#: Long replies, one per turn: the echo of each one is heard as a new user turn, which gets the
#: next line, so the script never runs dry before the measurement window ends.
LONG_REPLIES = [
    "Here is a long answer about the history of the moon landing. In nineteen sixty nine the "
    "crew flew for three days to reach the moon, and two of them walked on the surface for a few "
    "hours while the third stayed in orbit. They collected rocks, planted a flag, set up "
    "experiments, and then flew back home to a splash down in the ocean.",
    "Here is a second long answer, about gardens. A good garden needs sun, water and patience. "
    "Plant tomatoes after the last frost, keep the soil moist but not wet, and pick the fruit "
    "when it is red and slightly soft.",
    "A third long answer, about trains. The first railways carried coal from the mines to the "
    "rivers, and soon they carried people as well. Steam engines gave way to diesel and then to "
    "electric trains.",
] + [f"Answer number {n}, again a long one, about nothing in particular, to keep talking for a "
     "while so that the echo has something to say." for n in range(4, 40)]


def client_command(
    config: Path, record: Path, *, aec: bool = False, server: str = "local"
) -> list[str]:
    """``voicechat --barge-in`` on the default devices; the baseline runs with ``--no-aec``."""
    return [sys.executable, "-m", "voicechat.cli", "--server", server, "--config", str(config),
            "--no-ui", "--barge-in", "--aec" if aec else "--no-aec", "--record", str(record)]


@contextlib.contextmanager
def server_process(tmp_path: Path) -> Iterator[str]:
    """``voicechat serve`` with the long replies in its own process; yields its base URL.

    As with a real service, the client process then only does the client's work: the
    embedded server's speech recognition and synthesis would share its interpreter and starve
    its audio callbacks on a busy machine, and every underrun moves the echo delay."""
    script = tmp_path / "replies.json"
    script.write_text(json.dumps(LONG_REPLIES), encoding="utf-8")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with (tmp_path / "server.out").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voicechat.cli", "serve", "--port", str(port), "--voice",
             "espeak", "--responder", f"script:{script}"], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("voicechat serve did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def started_client(
    tmp_path: Path, server: str, out: Any
) -> tuple[subprocess.Popen[Any], Path]:
    """``voicechat --barge-in --aec`` against ``server``, once its session is set up and the
    canceller said it is on; returns the process and its event log."""
    record = tmp_path / "events.jsonl"
    client = subprocess.Popen(
        client_command(write_config(tmp_path), record, aec=True, server=server),
        stdout=out, stderr=out)
    records = wait_for(record, lambda rs: bool(kinds(rs, "session.updated")), timeout=90)
    [state] = kinds(records, "local.aec.state")
    assert state["event"]["enabled"] is True, state
    time.sleep(0.5)  # the mic stream is running before the first question starts
    return client, record


@contextlib.contextmanager
def speaker_recorded(heard: Path) -> Iterator[None]:
    """The virtual speaker's monitor recorded to ``heard`` (48 kHz mono WAV) while the block runs.

    The witness of what was really played: tests compare it with the answer's own audio."""
    recorder = subprocess.Popen(
        ["parecord", "--device=speaker.monitor", "--rate=48000", "--channels=1",
         "--format=s16le", "--file-format=wav", str(heard)])
    try:
        yield
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)


@contextlib.contextmanager
def aec_client_speaker_recorded(tmp_path: Path, heard: Path) -> Iterator[Path]:
    """The speaker recorded to ``heard`` (``speaker_recorded``), ``voicechat serve`` with the
    long replies and an AEC client against it (``started_client``); yields the client's event
    log. On the way out the client stops first, then the server, then the recording."""
    with (
        speaker_recorded(heard),
        server_process(tmp_path) as server,
        (tmp_path / "client.out").open("w") as out,
    ):
        client, record = started_client(tmp_path, server, out)
        try:
            yield record
        finally:
            stop(client)


def ask_until_answer_plays(record: Path, question: Path) -> None:
    """Play ``question`` into the mic and wait until the client starts playing the answer."""
    subprocess.run(["paplay", "--device=micfeed", str(question)], check=True, timeout=30)
    wait_for(record, lambda rs: bool(kinds(rs, "local.playback.started")), timeout=90)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A mono 16-bit WAV's samples and rate (what ``speaker_recorded`` wrote)."""
    with wave.open(str(path), "rb") as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        rate = w.getframerate()
    return pcm, rate


#: event kinds too frequent to help a reader of a timed-out wait
_CHATTY = ("local.aec.metrics", "local.mic.level", "response.output_audio.delta",
           "response.audio.delta", "response.output_audio_transcript.delta",
           "response.audio_transcript.delta", "input_audio_buffer.append")


def timeline(records: list[dict[str, Any]], last: int = 40) -> str:
    """The log's last ``last`` meaningful events, one per line with their time: what a
    timed-out wait shows, since CI keeps no event log (a drain that never came in CI could not
    be told apart from a server that kept answering its own echo)."""
    lines = []
    for r in records:
        event = r["event"]
        kind = event.get("type", "?")
        if kind in _CHATTY:
            continue
        detail = {k: event[k] for k in ("reason", "paused_ms", "status", "state") if k in event}
        if kind == "response.done":
            detail["status"] = event.get("response", {}).get("status")
        lines.append(f"  {r.get('t', 0):8.2f} {r['dir']:5} {kind} {detail or ''}".rstrip())
    return "\n".join(lines[-last:])


def wait_for(record: Path, predicate: Any, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    records: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        records = read_records(record) if record.exists() else []
        if predicate(records):
            return records
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting on {record}; its last events:\n"
                         + timeline(records))


def spoken_seconds(text: str) -> float:
    from voicechat.server.voice.tts import make_voice

    voice = make_voice("espeak")
    return len(voice.synthesize(text)) / voice.sample_rate


def write_config(tmp_path: Path) -> Path:
    """The embedded server: espeak voice, the long replies, and the tests' ASR grammar."""
    script = tmp_path / "replies.json"
    script.write_text(json.dumps(LONG_REPLIES), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        "[voicechat]\n"
        f"local_responder = {json.dumps('script:' + str(script))}\n"
        'local_voice = "espeak"\n'
        # a grammar keeps recognition fast, so the answers start on time even on a busy machine
        f"local_asr_phrases = {json.dumps(TEST_PHRASES)}\n",
        encoding="utf-8",
    )
    return config


def kinds(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in records if r["event"]["type"] == kind]
