"""The transcription ``language`` field: an ISO 639-1 code, checked before it is sent.

OpenAI's transcription models take ISO 639-1 codes (``zh``, ``en``); Whisper also accepts a
region (``zh-cn``, ``zh-tw``). Whisper backends refuse anything else with a 400 ("Unsupported
language: 'english'"), and ``"auto"``, which gateway documents suggest, is not a documented
value: the way to auto-detect is to leave the field out. Sources:
``../shared/reference/gateways.md`` (CJK section). Decision: refuse before connecting rather
than let the server refuse (or, through a gateway, silently ignore) the session's transcription,
and say which code was meant when the value is a language's name.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"^[a-z]{2}(-[a-z]{2,4})?$")

#: names people type for the languages voice users most often speak, to their codes
NAMED = {
    "english": "en", "chinese": "zh", "mandarin": "zh", "cantonese": "zh", "中文": "zh",
    "普通话": "zh", "汉语": "zh", "japanese": "ja", "日本語": "ja", "korean": "ko", "한국어": "ko",
    "spanish": "es", "español": "es", "french": "fr", "français": "fr", "german": "de",
    "deutsch": "de", "italian": "it", "portuguese": "pt", "russian": "ru", "arabic": "ar",
    "hindi": "hi", "dutch": "nl", "turkish": "tr", "vietnamese": "vi", "polish": "pl",
    "zh_cn": "zh-cn", "zh_tw": "zh-tw",
}
AUTO = frozenset({"auto", "automatic", "detect", "auto-detect", "autodetect"})


def language_problem(value: str, field: str = "transcription_language") -> str | None:
    """What is wrong with ``value`` as a transcription language, with the fix; ``None`` when it
    is a well-formed ISO 639-1 code (with an optional region). ``field``: what the fix calls
    the setting (voicechat's config key; the doctor names the protocol's field)."""
    text = value.strip()
    folded = text.lower()
    if folded in AUTO:
        return (f"{text!r} is not a language code: to let the model detect the language, leave "
                f"{field} out (or pass nothing)")
    if _CODE.match(folded):
        return None
    meant = NAMED.get(folded)
    if meant is not None:
        return f"{text!r} is a language's name, not its code: use {meant!r} (ISO 639-1)"
    return (f"{text!r} is not an ISO 639-1 language code; use two letters such as 'zh', 'en' or "
            "'ja' (a region may follow: 'zh-tw')")
