"""A Gemini Live frame as transcript pieces for the observer: who said what, and turn ends.

The observer's transcript is built from Realtime events keyed by item id; a Gemini frame has
neither a ``type`` nor ids (the proxy records it as it came). So each frame is read here into
the few pieces a transcript needs, in either proto-JSON spelling, and the session state keeps
its own turn numbers. Pure: no widgets, no state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from voicechat.protocol.gemini import names, spelling

PieceKind = Literal["user", "assistant", "end", "call", "output"]


@dataclass(frozen=True)
class Piece:
    """``user``/``assistant``: text to append; ``end``: the model's turn is over
    (``note`` says if it was interrupted); ``call``/``output``: a tool call or its answer,
    by ``call_id``, with the call's ``name`` and ``text`` (arguments or response)."""

    kind: PieceKind
    text: str = ""
    call_id: str = ""
    name: str = ""
    note: str = ""


def pieces(frame: Mapping[str, Any], direction: str) -> list[Piece]:
    """The transcript pieces one frame carries (none for audio, setup and the like)."""
    if direction == "out":
        body = spelling.get(frame, names.TOOL_RESPONSE)
        if not isinstance(body, Mapping):
            return []
        return [Piece("output", text=json.dumps(spelling.get(r, "response", {})),
                      call_id=str(r.get("id", "")), name=str(r.get("name", "")))
                for r in spelling.get_list(body, "functionResponses") if isinstance(r, Mapping)]
    found: list[Piece] = []
    calls = spelling.get(frame, names.TOOL_CALL)
    if isinstance(calls, Mapping):
        found += [Piece("call", text=json.dumps(c.get("args", {})), call_id=str(c.get("id", "")),
                        name=str(c.get("name", "")))
                  for c in spelling.get_list(calls, "functionCalls") if isinstance(c, Mapping)]
    content = spelling.get(frame, names.SERVER_CONTENT)
    if not isinstance(content, Mapping):
        return found
    heard = spelling.get(content, names.INPUT_TRANSCRIPTION)
    if isinstance(heard, Mapping) and isinstance(heard.get("text"), str):
        found.append(Piece("user", heard["text"]))
    spoken = spelling.get(content, names.OUTPUT_TRANSCRIPTION)
    if isinstance(spoken, Mapping) and isinstance(spoken.get("text"), str):
        found.append(Piece("assistant", spoken["text"]))
    turn = spelling.get(content, names.MODEL_TURN)
    if isinstance(turn, Mapping):
        found += [Piece("assistant", part["text"]) for part in spelling.get_list(turn, "parts")
                  if isinstance(part, Mapping) and isinstance(part.get("text"), str)
                  and not part.get("thought")]
    if spelling.get(content, names.INTERRUPTED):
        found.append(Piece("end", note="interrupted"))
    elif spelling.get(content, names.TURN_COMPLETE):
        found.append(Piece("end"))
    return found
