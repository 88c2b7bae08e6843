"""Cutting an interrupted answer's text where the user stopped hearing it (the TUI, export).

The log says how much of an answer's audio was played (``audio_end_ms`` of the truncate) and, over
WebSocket, how much audio there was (the deltas' sizes); it never says which word was playing at
that moment. Decision: the heard share of the text is the heard share of the audio, counted in
characters, and only whole words are kept: a word the cut falls inside counts as not heard. Speech
is not spoken at an even rate, so this is an estimate; the unheard rest is kept beside the text
(the JSON export's ``unheard_text``) so a program can cut it differently.

When the log has no audio sizes (WebRTC carries the audio over RTP), the answer's length is
estimated from its text at :data:`CHARS_PER_SECOND`, about 150 spoken words a minute.
"""

from __future__ import annotations

CHARS_PER_SECOND = 14.0
"""Speaking rate used when the audio's length is unknown: ~2.5 words of ~5.6 characters a
second (150 words a minute, a usual text-to-speech pace)."""


def estimated_audio_ms(text: str) -> int:
    """How long ``text`` takes to say at :data:`CHARS_PER_SECOND`."""
    return round(len(text) / CHARS_PER_SECOND * 1000)


def cut_heard(text: str, heard_ms: int, audio_ms: int) -> tuple[str, str]:
    """``(heard, unheard)``: ``text`` split at the last word boundary within the heard share.

    ``heard + unheard == text`` always; a share of 1 or more keeps everything, 0 nothing.
    """
    if audio_ms <= 0 or heard_ms >= audio_ms:
        return text, ""
    if heard_ms <= 0:
        return "", text
    point = len(text) * heard_ms // audio_ms
    if point >= len(text):
        return text, ""
    if not text[point].isspace():  # inside a word, or at its first letter: back to its start
        while point > 0 and not text[point - 1].isspace():
            point -= 1
    return text[:point], text[point:]
