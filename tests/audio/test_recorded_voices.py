"""The recorded interruptions of the barge-in grid (issue 53): there, documented, the right shape.

``bench/voices/`` holds real human voices cut from Debian's packages by ``bench/build_voices.py``
(a word, a 200–400 ms pause and the rest; one word alone; a continuous sentence), listed with
their shape and source in ``clips.json`` and attributed in ``README.md``. The grid plays them into
the mic through the same reader the product's ``--mic FILE`` uses, so that is how they are read
here; their shape is measured again from the decoded 48 kHz samples (energy in 10 ms frames,
``tests/voices.py``), not taken from the manifest. No sound server is needed and nothing is timed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.voices import RATE, RECORDED, recorded_clips, speech_shape
from voicechat.audio.files import read_audio

MANIFEST: list[dict[str, Any]] = json.loads((RECORDED / "clips.json").read_text())
#: what the frame measure may move between the source rate and 48 kHz
TOLERANCE_MS = 20


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_each_clip_loads_through_the_audio_reader_and_has_its_documented_shape(
    entry: dict[str, Any],
) -> None:
    pcm, rate = read_audio(RECORDED / entry["file"])
    assert rate == RATE
    assert abs(1000 * pcm.size / rate - entry["duration_ms"]) <= TOLERANCE_MS
    shape = speech_shape(pcm, rate)
    if entry["shape"] == "word+pause":
        assert shape.pauses == 1, shape
        assert 200 <= shape.longest_pause_ms <= 400, shape
        assert shape.first_ms <= 700, shape
        assert shape.speech_ms - shape.first_ms - shape.longest_pause_ms >= 500, shape  # the rest
        assert abs(shape.first_ms - entry["word_ms"]) <= TOLERANCE_MS
        assert abs(shape.longest_pause_ms - entry["pause_ms"]) <= TOLERANCE_MS
    elif entry["shape"] == "word":
        assert shape.pauses == 0, shape
        assert 250 <= shape.speech_ms <= 900, shape
    else:
        assert entry["shape"] == "sentence"
        assert shape.longest_pause_ms < 200, shape
        assert shape.speech_ms >= 1000, shape


def test_the_voices_are_several_speakers_of_both_sexes_in_every_shape() -> None:
    clips = recorded_clips()
    assert {c.name for c in clips} == {Path(e["file"]).stem for e in MANIFEST}
    speakers = {c.speaker: c.sex for c in clips}
    assert Counter(speakers.values())["female"] >= 2
    assert Counter(speakers.values())["male"] >= 2
    for shape in ("word+pause", "word", "sentence"):
        by = {c.speaker for c in clips if c.shape == shape}
        assert len(by) >= 4, (shape, by)
        assert {speakers[s] for s in by} == {"female", "male"}, (shape, by)


def test_every_clip_names_its_package_version_file_and_licence_in_the_readme() -> None:
    readme = (RECORDED / "README.md").read_text()
    for entry in MANIFEST:
        row = next(line for line in readme.splitlines() if f"`{entry['file']}`" in line)
        assert entry["licence"] in row
        for source in entry["sources"]:
            assert source["package"] and source["version"] and source["path"]
            assert f"{source['package']} {source['version']} `{source['path']}`" in row
    for licence in ("CC-BY-SA-3.0", "CC-BY-3.0", "LGPL-2.1"):
        assert readme.count(licence) >= 2  # in the table and in the notices
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (RECORDED / "LGPL-2.1.txt").read_text()
