"""Choosing the mic and the speaker, and falling back when a sound device is not there.

``--mic FILE.wav`` and ``--speaker FILE.wav|none`` name files or nothing; otherwise the sound
devices are tried. A missing device is never fatal: without a mic the conversation runs on typed
messages (the core is told the mic is unavailable), without a speaker the audio is paced and
discarded. Each fallback is a notice in the event stream saying what happened and what still works.
"""

from __future__ import annotations

from pathlib import Path

from voicechat.audio.files import (
    AudioFileError,
    PacedSink,
    WavFileSource,
    file_sink,
    is_audio_file,
)
from voicechat.audio.playback import PlaybackBuffer
from voicechat.audio.ports import MicSource, SpeakerSink
from voicechat.config import Settings
from voicechat.runtime.fanout import EventFanout


def open_mic(settings: Settings, events: EventFanout) -> MicSource | None:
    """The mic the settings ask for, opened now (a device fails here, not inside the pump);
    ``None`` means text only, by choice (``--mic none``) or because no device could open."""
    from voicechat.audio.devices import AudioUnavailable, DeviceSource

    spec = settings.mic
    _refuse_directory("--mic", spec)
    if spec is not None and is_audio_file(spec):
        return WavFileSource(Path(spec))
    if spec == "none":
        return None
    try:
        source = DeviceSource(spec)
        source.open()
    except AudioUnavailable as exc:
        events.notice("error", f"no microphone: {exc}. Typed messages still work.")
        return None
    return source


def open_speaker(
    settings: Settings, playback: PlaybackBuffer, events: EventFanout, *, for_aec: bool = False
) -> SpeakerSink:
    """The speaker the settings ask for; the null speaker when no device can be had.

    ``for_aec``: echo cancellation will run against it, so it is opened with a deeper buffer
    (:data:`~voicechat.audio.devices.AEC_OUTPUT_LATENCY`): every underrun makes the sound server
    re-buffer and moves the echo delay, which the canceller then has to find again."""
    from voicechat.audio.devices import (
        AEC_OUTPUT_BLOCK_MS,
        AEC_OUTPUT_LATENCY,
        OUTPUT_BLOCK_MS,
        OUTPUT_LATENCY,
        AudioUnavailable,
        DeviceSink,
    )

    spec = settings.speaker
    _refuse_directory("--speaker", spec)
    if spec is not None and spec.lower() == "none":
        return PacedSink(playback)
    if spec is not None and is_audio_file(spec, output=True):
        return file_sink(playback, Path(spec))
    block_ms = AEC_OUTPUT_BLOCK_MS if for_aec else OUTPUT_BLOCK_MS
    latency: str | float = AEC_OUTPUT_LATENCY if for_aec else OUTPUT_LATENCY
    if settings.speaker_buffer_ms is not None:
        latency = settings.speaker_buffer_ms / 1000.0
        block_ms = min(block_ms, settings.speaker_buffer_ms)
    try:
        return DeviceSink(playback, spec, latency=latency, block_ms=block_ms)
    except AudioUnavailable as exc:
        events.notice("error", f"no speaker: {exc}. Audio is discarded.")
        return PacedSink(playback)


async def start_speaker(
    speaker: SpeakerSink, playback: PlaybackBuffer, events: EventFanout
) -> SpeakerSink:
    """Start ``speaker``; a device that fails to open is replaced by the null speaker."""
    from voicechat.audio.devices import AudioUnavailable

    try:
        await speaker.start()
    except AudioUnavailable as exc:
        events.notice("error", f"no speaker: {exc}. Audio is discarded.")
        speaker = PacedSink(playback)
        await speaker.start()
    return speaker


def _refuse_directory(option: str, spec: str | None) -> None:
    """A folder is neither a device name nor an audio file: say so instead of looking it up as
    a device (which found nothing, and a ``--turns`` run then waited for ever)."""
    if spec is not None and spec != "none" and Path(spec).is_dir():
        raise AudioFileError(f"{option} {spec} is a directory: pass an audio file inside it, a "
                             "device name or index (voicechat devices), or none")
