"""``voicechat devices``: list the sound devices sounddevice (PortAudio) can see.

With no PortAudio it says to install it; with PortAudio but no devices (no sound card, no sound
server) it says that instead, since installing PortAudio again would not help. Either way it says
how to carry on (file mic/speaker), exit code 1.
"""

from __future__ import annotations

import sys


def run() -> int:
    from voicechat.audio.devices import NO_DEVICE_HERE, AudioUnavailable, list_devices

    try:
        devices = list_devices()
    except AudioUnavailable as exc:
        print(f"voicechat: {exc}", file=sys.stderr)
        return 1
    if not devices:
        print(f"voicechat: no audio devices found. {NO_DEVICE_HERE}", file=sys.stderr)
        return 1
    print(f"{'#':>3}  {'in':>3} {'out':>3}  {'rate':>6}  name (host API)")
    for dev in devices:
        marks = ("<in " if dev.is_default_input else "") + ("<out" if dev.is_default_output else "")
        print(
            f"{dev.index:>3}  {dev.inputs:>3} {dev.outputs:>3}  {dev.default_rate:>6.0f}  "
            f"{dev.name} ({dev.hostapi}) {marks}".rstrip()
        )
    print("Use --mic N / --speaker N (index or part of the name); defaults are marked <in/<out.")
    return 0
