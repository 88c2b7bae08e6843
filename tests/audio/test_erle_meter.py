"""The live ERLE figure dips while the user talks over the assistant and comes back after.

Issue 38's grid found it stuck at 5-20 dB for the rest of a session after the first
interruption, while the canceller went on removing ~65 dB of the echo: the meter smoothed the
energies, and the user's voice in the "after" energy held it down for ~13 s.
"""

from __future__ import annotations

import numpy as np

from voicechat.audio.echo.erle import ErleMeter


def tone(dbfs: float, n: int = 480) -> np.ndarray:
    amp = 32768 * 10 ** (dbfs / 20) * np.sqrt(2)
    return (amp * np.sin(np.arange(n) * 0.3)).astype(np.int16)


FAR, ECHO, RESIDUAL, VOICE = tone(-20), tone(-26), tone(-90), tone(-30)


def test_the_figure_recovers_within_two_seconds_of_double_talk() -> None:
    m = ErleMeter()
    for _ in range(300):  # 3 s of the assistant alone
        m.update(FAR, ECHO, RESIDUAL)
    assert m.erle_db is not None and m.erle_db > 55
    for _ in range(100):  # 1 s of the user talking over it: the voice is kept
        m.update(FAR, ECHO + VOICE, VOICE)
    dipped = m.erle_db
    assert dipped is not None and dipped < 45
    for _ in range(200):  # 2 s of the assistant alone again
        m.update(FAR, ECHO, RESIDUAL)
    assert m.erle_db is not None and m.erle_db > 55, (dipped, m.erle_db)


def test_nothing_is_measured_with_the_far_end_quiet() -> None:
    m = ErleMeter()
    for _ in range(50):
        m.update(tone(-100), VOICE, VOICE)
    assert m.erle_db is None
