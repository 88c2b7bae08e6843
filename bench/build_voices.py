"""Rebuild the recorded interruptions in ``bench/voices/`` from the Debian packages they come from.

Run: .venv/bin/python bench/build_voices.py [--debs DIR] [--check]

Issue 53: the barge-in grid spoke only espeak-ng, and the detector's misses on a real laptop came
with recorded voices. Debian ships real voices under licences that allow keeping clips of them:
Asterisk's prompts (Allison Smith, en-US, and June Wallack, fr-CA: CC-BY-SA-3.0; Carlo Flora,
it-IT: CC-BY-3.0), here from the G.722 packages because those are 16 kHz (the ``-wav`` ones are
8 kHz), and codec2's speech samples (LGPL-2.1; 8 kHz, the only rate they ship those speakers at).
This script takes the exact package versions below (``apt-get download`` into a temporary
directory, or ``--debs DIR`` holding the ``.deb`` files), cuts each clip from them by the recipe
in ``CLIPS``, and writes ``bench/voices/*.flac`` (mono, at the source's own rate: nothing
resampled) and ``bench/voices/clips.json`` (each clip's shape, measured, and where each piece
came from). ``--check`` rebuilds into a temporary directory and says whether the committed
clips hold the same samples.

Three shapes, as people interrupt: ``word+pause`` (a word, 200–400 ms of silence, the rest),
``word`` (one word alone, the "Stop." of the issue: Asterisk's "pause" prompt, or a sentence's
first word), ``sentence`` (continuous speech, no pause of 200 ms). Each piece is trimmed to its
speech (10 ms frames within ``TRIM_DB`` of its loudest) and the pauses are digital silence: the
harness adds the echo and, in its noise cells, the noise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from tests.voices import speech_shape  # noqa: E402
from voicechat.audio import codec  # noqa: E402

OUT = BENCH / "voices"
TRIM_DB = 40.0
ASTERISK_VERSION = "1.6.1-1"
CODEC2_VERSION = "1.0.5-1"


@dataclass(frozen=True)
class Speaker:
    name: str
    who: str
    sex: str  # "female" or "male"
    language: str
    package: str
    version: str
    folder: str  # inside the package
    suffix: str
    rate: int
    licence: str


SPEAKERS = {s.name: s for s in [
    Speaker("allison", "Allison Smith", "female", "en-US", "asterisk-core-sounds-en-g722",
            ASTERISK_VERSION, "usr/share/asterisk/sounds/en_US_f_Allison", ".g722", 16000,
            "CC-BY-SA-3.0"),
    Speaker("june", "June Wallack", "female", "fr-CA", "asterisk-core-sounds-fr-g722",
            ASTERISK_VERSION, "usr/share/asterisk/sounds/fr_CA_f_June", ".g722", 16000,
            "CC-BY-SA-3.0"),
    Speaker("carlo", "Carlo Flora", "male", "it-IT", "asterisk-core-sounds-it-g722",
            ASTERISK_VERSION, "usr/share/asterisk/sounds/it_IT_m_Carlo", ".g722", 16000,
            "CC-BY-3.0"),
    # codec2's samples name no speaker; the sex is from the pitch (median F0 118 and 178 Hz);
    # morig (male) was left out: its first word is 160 ms, a cough's length, and its sentence
    # holds a 150 ms pause
    Speaker("hts1a", "codec2 sample hts1a", "male", "en", "codec2-examples", CODEC2_VERSION,
            "usr/share/codec2/wav", ".wav", 8000, "LGPL-2.1"),
    Speaker("hts2a", "codec2 sample hts2a", "female", "en", "codec2-examples", CODEC2_VERSION,
            "usr/share/codec2/wav", ".wav", 8000, "LGPL-2.1"),
]}


@dataclass(frozen=True)
class Piece:
    """A stretch of one of the speaker's files (``start_ms``..``end_ms``, None: to its end)."""

    file: str  # without the suffix
    start_ms: int = 0
    end_ms: int | None = None


@dataclass(frozen=True)
class Clip:
    name: str
    speaker: str
    shape: str  # "word+pause", "word" or "sentence"
    pieces: tuple[Piece, ...]
    gap_ms: int = 0  # silence between the first piece and the second (word+pause)


# The cut points in the codec2 sentences are where their energy falls 30–50 dB between words.
CLIPS = [
    Clip("allison-word-pause", "allison", "word+pause",
         (Piece("hello"), Piece("one-moment-please")), 300),
    Clip("allison-word", "allison", "word", (Piece("dictate/pause"),)),
    Clip("allison-sentence", "allison", "sentence", (Piece("sorry-youre-having-problems"),)),
    Clip("june-word-pause", "june", "word+pause",
         (Piece("hello"), Piece("one-moment-please")), 250),
    Clip("june-word", "june", "word", (Piece("dictate/pause"),)),
    Clip("june-sentence", "june", "sentence", (Piece("please-try-again"),)),
    Clip("carlo-word-pause", "carlo", "word+pause",
         (Piece("hello"), Piece("one-moment-please")), 350),
    Clip("carlo-word", "carlo", "word", (Piece("dictate/pause"),)),
    Clip("carlo-sentence", "carlo", "sentence", (Piece("please-try-again"),)),
    Clip("hts1a-word-pause", "hts1a", "word+pause",
         (Piece("hts1a", 0, 595), Piece("hts1a", 595)), 380),
    Clip("hts1a-word", "hts1a", "word", (Piece("hts1a", 0, 595),)),
    Clip("hts1a-sentence", "hts1a", "sentence", (Piece("hts1a"),)),
    Clip("hts2a-word-pause", "hts2a", "word+pause",
         (Piece("hts2a", 0, 590), Piece("hts2a", 600)), 200),
    Clip("hts2a-word", "hts2a", "word", (Piece("hts2a", 0, 590),)),
    Clip("hts2a-sentence", "hts2a", "sentence", (Piece("hts2a"),)),
]


def fetch(debs: Path) -> None:
    """``apt-get download`` the pinned versions into ``debs`` (the Debian archive keeps them)."""
    wanted = sorted({f"{s.package}={s.version}" for s in SPEAKERS.values()})
    subprocess.run(["apt-get", "download", *wanted], cwd=debs, check=True)


def unpack(debs: Path, into: Path) -> None:
    for speaker in SPEAKERS.values():
        deb = debs / f"{speaker.package}_{speaker.version}_all.deb"
        if not deb.is_file():
            raise SystemExit(f"{deb}: missing; run without --debs to download it, or "
                             f"`apt-get download {speaker.package}={speaker.version}`")
        if not (into / speaker.package).is_dir():
            (into / speaker.package).mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(into / speaker.package)], check=True)


def trimmed(pcm: npt.NDArray[np.int16], rate: int) -> npt.NDArray[np.int16]:
    """``pcm`` from its first to its last 10 ms frame within ``TRIM_DB`` of its loudest."""
    n = rate // 100
    frames = pcm[: pcm.size // n * n].astype(np.float64).reshape(-1, n)
    db = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-9))
    loud = np.flatnonzero(db >= db.max() - TRIM_DB)
    return pcm[loud[0] * n : (loud[-1] + 1) * n]


def cut(root: Path, speaker: Speaker, piece: Piece) -> npt.NDArray[np.int16]:
    path = root / speaker.package / speaker.folder / (piece.file + speaker.suffix)
    pcm = codec.decode_file(path, speaker.rate)
    end = None if piece.end_ms is None else piece.end_ms * speaker.rate // 1000
    return trimmed(pcm[piece.start_ms * speaker.rate // 1000 : end], speaker.rate)


def build(root: Path, out: Path) -> list[dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for clip in CLIPS:
        speaker = SPEAKERS[clip.speaker]
        parts = [cut(root, speaker, p) for p in clip.pieces]
        if clip.gap_ms:
            parts.insert(1, np.zeros(clip.gap_ms * speaker.rate // 1000, dtype=np.int16))
        pcm = np.concatenate(parts)
        path = out / f"{clip.name}.flac"
        encoder = codec.Encoder(path, speaker.rate)
        encoder.write(pcm)
        encoder.close()
        shape = speech_shape(pcm, speaker.rate)
        manifest.append({
            "file": path.name, "speaker": speaker.name, "who": speaker.who, "sex": speaker.sex,
            "language": speaker.language, "shape": clip.shape, "rate": speaker.rate,
            "duration_ms": round(1000 * pcm.size / speaker.rate),
            "word_ms": shape.first_ms, "pause_ms": shape.longest_pause_ms,
            "licence": speaker.licence,
            "sources": [{"package": speaker.package, "version": speaker.version,
                         "path": f"/{speaker.folder}/{p.file}{speaker.suffix}",
                         "from_ms": p.start_ms, "to_ms": p.end_ms} for p in clip.pieces],
        })
    (out / "clips.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def same_samples(a: Path, b: Path) -> bool:
    rate = 48000
    return np.array_equal(codec.decode_file(a, rate), codec.decode_file(b, rate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--debs", type=Path, help="a directory holding the .deb files")
    parser.add_argument("--check", action="store_true",
                        help="rebuild elsewhere and compare with the committed clips")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voices-") as tmp:
        work = Path(tmp)
        debs = args.debs
        if debs is None:
            debs = work / "debs"
            debs.mkdir()
            fetch(debs)
        unpack(debs, work / "pkg")
        target = work / "out" if args.check else OUT
        manifest = build(work / "pkg", target)
        if args.check:
            differ = [m["file"] for m in manifest
                      if not same_samples(target / str(m["file"]), OUT / str(m["file"]))]
            print("the committed clips hold the same samples" if not differ
                  else f"differ from the recipe: {', '.join(map(str, differ))}")
            raise SystemExit(1 if differ else 0)
    for m in manifest:
        print(f"{m['file']:<24} {m['shape']:<10} {m['sex']:<6} {m['duration_ms']:>5} ms "
              f"word {m['word_ms']} ms, pause {m['pause_ms']} ms")


if __name__ == "__main__":
    main()
