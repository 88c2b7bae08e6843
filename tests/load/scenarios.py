"""Scenario files for the load tests, written where each test wants them."""

from __future__ import annotations

from pathlib import Path

TWO_TURNS = """name: two turns
turns:
  - type: Hello there
    expect:
      reply: {contains: [hello]}
  - say: Please turn on the kitchen lights.
    expect:
      reply: {contains: [kitchen lights]}  # the local server hears with the scenario's grammar
"""

#: two checks that fail on every answer, one of them with a measured value that differs from
#: answer to answer: the failures must still group as one (issue 79)
WRONG = """name: wrong
turns:
  - type: Hello there
    expect:
      reply: {contains: [goodbye]}
      first_audio_ms: {max: 1}
"""

INTERRUPTING = """name: cuts in
turns:
  - type: Tell me a long story.
  - say: Stop.
    interrupt_after_ms: 500
    expect:
      interrupted: true
"""


OUTLASTS_THE_RUN = """name: long call
turns:
  - type: Hello there
    silence_ms: 8000
  - type: Are you still there?
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
