"""Rules for the language of a conversation (issue 37): ``transcription-language``,
``transcript-hallucination`` and ``reply-language``.

Chinese-speaking users meet three problems the protocol never reports (facts and sources:
``../shared/reference/gateways.md``, "Chinese-speaking users"):

* gateway documents tell them to send ``"language": "auto"``, which is not a language code
  (auto-detection is the field left out); Whisper backends refuse such values with a 400, and
  a gateway may drop the session's transcription without a word;
* on near-silent audio, Whisper-family transcription writes the subtitle boilerplate it was
  trained on ("字幕由 Amara.org 社群提供", a YouTube channel's sign-off), so the transcript shows
  words nobody said;
* the model answers in another language than the user spoke unless its instructions pin one.

The last is a judgement, not a protocol fault: a user may ask for a translation. The rule
compares scripts (Han, kana, Hangul, Cyrillic, Latin...), not languages, so it never guesses
between two languages of one script, and its advice says when to ignore it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import Rule
from voicechat.eventlog.entry import Entry
from voicechat.protocol.languages import language_problem

_SESSION_EVENTS = frozenset({"session.update", "session.created", "session.updated"})
USER_TRANSCRIPT = "conversation.item.input_audio_transcription.completed"
_REPLY_DONE = frozenset({"response.output_audio_transcript.done", "response.output_text.done"})


def transcription_language(session: Any) -> Any:
    """The transcription ``language`` of a (canonical, GA-shaped) session object."""
    return dig(session, "audio", "input", "transcription", "language")


class TranscriptionLanguage(Rule):
    id = "transcription-language"
    title = "The transcription language is not an ISO 639-1 code"
    feeds_on = _SESSION_EVENTS

    def __init__(self) -> None:
        super().__init__()
        self.problems: dict[str, str] = {}

    def feed(self, entry: Entry, ctx: Context) -> None:
        value = transcription_language(entry.canonical.get("session"))
        if not isinstance(value, str) or value in self.problems:
            return
        problem = language_problem(value, field="the field")
        if problem is None:
            return
        self.problems[value] = problem
        self.add(entry, f"language {value!r}: {problem}")

    def fix(self, ctx: Context) -> str:
        auto = any("detect" in problem for problem in self.problems.values())
        text = ("Send an ISO 639-1 code in audio.input.transcription.language (beta: "
                "input_audio_transcription.language): 'zh' for Chinese, 'en', 'ja'; Whisper "
                "also takes a region ('zh-tw'). Whisper backends refuse other values with a 400 "
                "(\"Unsupported language\"), and a gateway may drop the session's transcription "
                "without saying so.")
        if auto:
            text += (" 'auto' is not a documented value, though gateway documents suggest it: "
                     "to let the model detect the language, leave the field out.")
        return text


#: Whisper's silence hallucinations in Chinese, written without spaces and punctuation and in
#: lower case (:func:`_folded`); a transcript that contains one is the model's, not the user's.
#: Both scripts, since the output drifts between Simplified and Traditional.
HALLUCINATIONS = (
    "字幕由amara.org社群提供", "字幕由amara.org社区提供", "amara.org",
    "請不吝點贊訂閱轉發打賞支持明鏡與點點欄目", "请不吝点赞订阅转发打赏支持明镜与点点栏目",
    "點贊訂閱轉發打賞", "点赞订阅转发打赏", "明鏡與點點欄目", "明镜与点点栏目",
    "subtitlesbytheamara.orgcommunity",
)


#: What :func:`_folded` drops from an ASCII text: everything but letters, digits and the dot
#: (the ASCII characters whose Unicode category is not L or N, the dot aside).
_ASCII_DROP = bytes(code for code in range(128) if not (chr(code).isalnum() or code == 0x2E))


#: The first of :data:`HALLUCINATIONS` that an ASCII text can hold (every ASCII one holds it).
_ASCII_HALLUCINATION = "amara.org"


def _folded(text: str) -> str:
    """``text`` without spaces, punctuation or symbols, in lower case (the dot of a domain
    name stays, so ``amara.org`` still reads as itself)."""
    return "".join(c for c in text.lower() if c == "." or unicodedata.category(c)[0] in "LN")


def hallucination_in(transcript: str) -> str | None:
    """The known hallucination ``transcript`` contains, if any.

    Most transcripts are ASCII: folded by one ``bytes.translate`` (the same string as the
    per-character category test) they can hold only the ASCII phrases, each of which holds
    ``amara.org``, the first of them in :data:`HALLUCINATIONS`: one search instead of ten.
    The doctor reads every transcript of a log twice (bench_doctor's ``clean-ga`` shape)."""
    if transcript.isascii():
        if "." not in transcript:
            return None  # (the dot of amara.org survives folding only as itself)
        folded_ascii = transcript.encode("ascii").lower().translate(None, _ASCII_DROP)
        return _ASCII_HALLUCINATION if b"amara.org" in folded_ascii else None
    folded = _folded(transcript)
    return next((phrase for phrase in HALLUCINATIONS if phrase in folded), None)


class TranscriptHallucination(Rule):
    id = "transcript-hallucination"
    title = "A user transcript is Whisper's silence hallucination, not speech"
    feeds_on = frozenset({USER_TRANSCRIPT})
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        USER_TRANSCRIPT: frozenset({"transcript", "item_id"})}

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir != "in":
            return
        transcript = entry.canonical.get("transcript")
        if isinstance(transcript, str) and hallucination_in(transcript) is not None:
            self.add(entry, f"{entry.canonical.get('item_id')}: {transcript.strip()!r}")

    def fix(self, ctx: Context) -> str:
        return ("Whisper-family transcription writes subtitle boilerplate "
                "(\"字幕由 Amara.org 社群提供\", \"请不吝点赞订阅…\") when the audio is near "
                "silence or noise: nobody said it. "
                "Keep such segments from being committed (raise turn_detection.threshold, use "
                "semantic_vad, or turn on audio.input.noise_reduction), try "
                "'gpt-4o-transcribe', and drop transcripts that match these strings in the app. "
                "The model hears the audio itself, so its answers are not misled by them; the "
                "transcript the user reads is.")


#: The scripts :func:`script_of` tells apart, by the first word of a character's Unicode name.
_SCRIPTS = {"CJK": "Chinese (Han)", "HIRAGANA": "Japanese (kana)", "KATAKANA": "Japanese (kana)",
            "HANGUL": "Korean (Hangul)", "CYRILLIC": "Cyrillic", "GREEK": "Greek",
            "ARABIC": "Arabic", "HEBREW": "Hebrew", "DEVANAGARI": "Devanagari", "THAI": "Thai",
            "LATIN": "Latin script"}
_UNSPACED = frozenset({"Chinese (Han)", "Japanese (kana)", "Korean (Hangul)", "Thai"})
#: Weight a text needs before its script is judged (a name or "OK" decides nothing).
MIN_WEIGHT = 6
#: The share of the weight the main script must have.
DOMINANT = 0.7
#: Scripts written in words between spaces: each word weighs this much (a word of a script
#: written without spaces, Han, kana or Hangul, is one or two characters of weight one), so an
#: English name in a Chinese sentence does not outweigh the sentence.
WORD_WEIGHT = 2


#: An ASCII text with every character but a letter made a space: its words are its runs of
#: letters (in an ASCII text every letter is Latin and every other character ends a word).
_ASCII_LETTERS_ONLY = bytes.maketrans(
    bytes(range(128)), bytes(c if chr(c).isalpha() else 0x20 for c in range(128)))
#: Each character's script as :func:`script_of` reads it, learnt as met (a text's characters
#: repeat; ``unicodedata.name`` builds a string for each). Bounded: past the cap, looked up.
_CHAR_SCRIPTS: dict[str, str | None] = {}
_CHAR_CAP = 4096


def _script_of_char(char: str) -> str | None:
    try:
        return _CHAR_SCRIPTS[char]
    except KeyError:
        pass
    script = _SCRIPTS.get(unicodedata.name(char, "").split(" ", 1)[0]) \
        if char.isalpha() else None
    if len(_CHAR_SCRIPTS) < _CHAR_CAP:
        _CHAR_SCRIPTS[char] = script
    return script


def script_of(text: str) -> str | None:
    """The script most of ``text`` is written in, or ``None`` when it is too short or mixed to
    say. Kana anywhere makes Japanese (Japanese mixes kana with Han).

    An ASCII text (most transcripts) is Latin words only: its weight is its words', counted
    by a translate and a split, the verdict of :func:`script_by_characters` at a tenth of its
    cost (the doctor runs this on every transcript of a log)."""
    if text.isascii():
        words = len(text.encode("ascii").translate(_ASCII_LETTERS_ONLY).split())
        return "Latin script" if words * WORD_WEIGHT >= MIN_WEIGHT else None
    return script_by_characters(text)


def script_by_characters(text: str) -> str | None:
    """:func:`script_of` character by character, for any text."""
    weights: Counter[str] = Counter()
    in_word: str | None = None  # the spaced script of the word being read
    for char in text:
        script = _script_of_char(char)
        if script is None or script in _UNSPACED:
            in_word = None
            if script is not None:
                weights[script] += 1
        elif script != in_word:
            in_word = script
            weights[script] += WORD_WEIGHT
    total = sum(weights.values())
    if total < MIN_WEIGHT:
        return None
    kana, han = weights["Japanese (kana)"], weights["Chinese (Han)"]
    if kana and kana + han >= DOMINANT * total:
        return "Japanese (kana)"
    script, weight = weights.most_common(1)[0]
    return script if weight >= DOMINANT * total else None


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReplyLanguage(Rule):
    id = "reply-language"
    title = "The model answered in another language than the user spoke"
    feeds_on = frozenset({USER_TRANSCRIPT, *_REPLY_DONE})
    #: Only the texts: no other rule reads a reply's ``…done``, so it comes as a stub of its
    #: text (read whole, every reply of a log paid the redaction check and the dialect
    #: mapping of its ids for nothing).
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        USER_TRANSCRIPT: frozenset({"transcript"}),
        "response.output_audio_transcript.done": frozenset({"transcript"}),
        "response.output_text.done": frozenset({"text"})}

    def __init__(self) -> None:
        super().__init__()
        self.user: tuple[str, str] | None = None  # (script, transcript) of the latest turn
        self.pairs: Counter[str] = Counter()  # "spoke → answered"

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir != "in":
            return
        if entry.type == USER_TRANSCRIPT:
            text = entry.canonical.get("transcript")
            if isinstance(text, str) and hallucination_in(text) is None:
                script = script_of(text)
                self.user = (script, text) if script is not None else self.user
            return
        field = "transcript" if entry.type.endswith("transcript.done") else "text"
        reply = entry.canonical.get(field)
        if self.user is None or not isinstance(reply, str):
            return
        spoke, said = self.user
        if spoke == "Latin script" and reply.isascii():
            return  # (an ASCII reply is Latin or too short to judge: no drift either way)
        answered = script_of(reply)
        if answered is None or answered == spoke:
            return
        self.pairs[f"{spoke} → {answered}"] += 1
        self.add(entry, f"the user spoke {spoke} ({_short(said)!r}); the reply came in "
                        f"{answered} ({_short(reply)!r})")

    def fix(self, ctx: Context) -> str:
        spoke, answered = self.pairs.most_common(1)[0][0].split(" → ")
        return (f"The user spoke {spoke} and the model answered in {answered}. Realtime models "
                "drift to another language (most often English) unless the instructions pin "
                "one: say it in the session's instructions, e.g. \"You understand and speak "
                "only Mandarin Chinese (Simplified); always answer in it.\" or \"Always answer "
                "in the language the user speaks.\" A transcription language ('zh') tells the "
                "transcriber, not the model. If the user asked for that language (a "
                "translation), ignore this.")
