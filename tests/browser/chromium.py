"""Headless Chromium for the browser-client tests: find it, run it on a page, kill it after.

No DevTools protocol: the pages report to their own backend with ``fetch``, so Chromium only has
to load a URL. What each flag is for (measured with Chromium 156, see tests/browser/README.md):
the fake media flags give ``getUserMedia`` a microphone without a prompt; the fake UI flag also
grants the page media permission, and a page with that permission shows its real host address
in ICE candidates instead of an mDNS ``….local`` name; ``--allow-loopback-in-peer-connection``
lets ICE use 127.0.0.1, which is the only address our local server offers
(:mod:`voicechat.rtc.loopback`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

#: What a WebRTC page needs on 127.0.0.1 (see the module docstring); tests may leave some out.
WEBRTC_FLAGS = (
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@contextlib.asynccontextmanager
async def chromium(
    binary: str, url: str, profile: Path, log: Path, mic_wav: Path | None = None, *,
    flags: Iterable[str] = WEBRTC_FLAGS,
) -> AsyncIterator[None]:
    """Headless Chromium on ``url`` with a throwaway profile; its process group dies on exit.

    ``mic_wav`` loops a WAV file as the fake microphone (else Chromium's fake mic beeps).
    """
    args = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--mute-audio",
        f"--user-data-dir={profile}",
        *flags,
    ]
    if mic_wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={mic_wav}")
    args.append(url)
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,  # its own process group, so the renderers die with it
        )
    try:
        yield None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
