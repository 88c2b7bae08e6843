"""The JSON export: a conversation as a document a program can use, and reading it back.

Shape (``"voicechat_conversation": 1`` comes first, so a reader can tell an export from an event
log by its first bytes)::

    {"voicechat_conversation": 1, "source": "session.jsonl", "log_format": "voicechat",
     "model": "gpt-realtime",
     "usage": {"responses": 3, "input_tokens": 1200, "output_tokens": 300, "cost_usd": 0.012,
               "cost_basis": "estimate, list prices of 2025-10"},
     "turns": [{"speaker": "user" | "assistant" | "tool", "text": "...", "t": 1.2,
                "ts": "2026-11-21T10:00:01.200Z", "item_id": "item_1", "status": "done",
                "interrupted": {"heard_ms": 1860, "audio_ms": 5200, "audio_ms_estimated": false,
                                "unheard_text": "..."},
                "tool": {"name": "get_weather", "arguments": "{...}", "call_id": "call_1",
                         "output": "...", "server": null, "kind": "function_call"},
                "usage": {"response_id": "resp_1", "input_tokens": 900, "output_tokens": 200,
                          "tokens": {...every count...}, "cost_usd": 0.009}}]}

``interrupted``, ``tool`` and ``usage`` appear only on the turns they concern. A conversation
that moved to another model mid-way (a new session with the conversation carried over) has
``"models": ["gpt-realtime", "gpt-realtime-mini"]`` in order of use, ``model`` is the first, and
each turn has the ``model`` of the session it was said in. ``text`` of an
interrupted answer is what the user heard (:mod:`voicechat.core.heard_text`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from voicechat.conversation.model import (
    AnswerUsage,
    Conversation,
    Interruption,
    ToolUse,
    Turn,
)
from voicechat.latency.model import turn_from_json
from voicechat.protocol.pricing import Tokens
from voicechat.protocol.text import escape_surrogates

VERSION = 1
MARKER = "voicechat_conversation"
SPEAKERS = ("user", "assistant", "tool")
STATUSES = ("done", "interrupted", "incomplete", "untranscribed", "failed", "pending")


def to_json(conversation: Conversation) -> str:
    """The export document, indented, ending in a newline."""
    c = conversation
    doc: dict[str, Any] = {
        MARKER: VERSION, "source": c.source, "log_format": c.log_format, "model": c.model,
        "usage": {"responses": c.responses, "input_tokens": c.total.input_total,
                  "output_tokens": c.total.output_total, "cost_usd": _usd(c.cost_usd),
                  "cost_basis": c.cost_label},
        "turns": [_turn(t) for t in c.turns],
    }
    if c.models:
        doc = {**{k: v for k, v in doc.items() if k != "turns"}, "models": list(c.models),
               "turns": doc["turns"]}
    # A lone surrogate (a log's "\\ud800" escape) is written as that escape again: raw, it
    # cannot be encoded, and printing or saving the export raised UnicodeEncodeError.
    return escape_surrogates(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def _turn(turn: Turn) -> dict[str, Any]:
    out: dict[str, Any] = {"speaker": turn.speaker, "text": turn.text, "t": turn.t,
                           "ts": turn.ts, "item_id": turn.item_id, "status": turn.status}
    if turn.interruption is not None:
        i = turn.interruption
        out["interrupted"] = {"heard_ms": i.heard_ms, "audio_ms": i.audio_ms,
                              "audio_ms_estimated": i.estimated, "unheard_text": i.unheard_text}
    if turn.tool is not None:
        out["tool"] = asdict(turn.tool)
    if turn.usage is not None:
        u = turn.usage
        out["usage"] = {"response_id": u.response_id, "input_tokens": u.tokens.input_total,
                        "output_tokens": u.tokens.output_total, "tokens": asdict(u.tokens),
                        "cost_usd": _usd(u.cost_usd)}
    if turn.latency is not None:
        out["latency"] = turn.latency.to_json()
    if turn.model is not None:
        out["model"] = turn.model
    return out


def _usd(value: float | None) -> float | None:
    """Exact (a float survives JSON unchanged): a program sums these, so no rounding here."""
    return value


def looks_like_export(head: str) -> bool:
    """Whether a file's first characters are those of an export (its marker comes first)."""
    return head.lstrip("\ufeff \t\r\n").startswith("{") and f'"{MARKER}"' in head[:200]


def from_json(text: str, where: str) -> Conversation:
    """Read an export back; :class:`ValueError` naming what is wrong (and ``where``)."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc}); export it again with "
                         "voicechat export LOG --format json") from None
    if not isinstance(doc, dict) or doc.get(MARKER) != VERSION:
        raise ValueError(f"{where}: not a voicechat conversation export (version {VERSION}); "
                         "export it again with voicechat export LOG --format json")
    raw_turns = doc.get("turns")
    if not isinstance(raw_turns, list):
        raise ValueError(f"{where}: \"turns\" must be a list of turns")
    turns = tuple(_read_turn(raw, f"{where}: turn {n + 1}") for n, raw in enumerate(raw_turns))
    raw_usage = doc.get("usage")
    usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
    model = doc.get("model")
    models = doc.get("models")
    return Conversation(
        models=tuple(m for m in models if isinstance(m, str)) if isinstance(models, list)
        else (),
        turns=turns, source=str(doc.get("source") or ""),
        log_format=str(doc.get("log_format") or ""),
        model=model if isinstance(model, str) else None,
        responses=_int(usage.get("responses")),
        total=Tokens(input_total=_int(usage.get("input_tokens")),
                     output_total=_int(usage.get("output_tokens"))),
        cost_usd=_float(usage.get("cost_usd")),
    )


def _read_turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not an object")
    speaker, text, status = raw.get("speaker"), raw.get("text"), raw.get("status", "done")
    if speaker not in SPEAKERS:
        raise ValueError(f"{where}: \"speaker\" must be one of {', '.join(SPEAKERS)}")
    if not isinstance(text, str):
        raise ValueError(f"{where}: \"text\" must be a string")
    if status not in STATUSES:
        status = "done"
    t, ts, item_id = raw.get("t"), raw.get("ts"), raw.get("item_id")
    interruption = None
    cut = raw.get("interrupted")
    if isinstance(cut, dict):
        audio = cut.get("audio_ms")
        interruption = Interruption(_int(cut.get("heard_ms")),
                                    _int(audio) if audio is not None else None,
                                    bool(cut.get("audio_ms_estimated")),
                                    str(cut.get("unheard_text") or ""))
    tool = None
    if isinstance(raw.get("tool"), dict):
        known = {f.name for f in fields(ToolUse)}
        values: dict[str, Any] = {k: v for k, v in raw["tool"].items() if k in known
                                  and (isinstance(v, str) or v is None)}
        tool = ToolUse(**{"kind": "function_call", **values,
                          "name": values.get("name") or "?",
                          "arguments": values.get("arguments") or ""})
    usage = None
    if isinstance(raw.get("usage"), dict):
        u = raw["usage"]
        counts = u.get("tokens") if isinstance(u.get("tokens"), dict) else {}
        tokens = Tokens(**{f.name: _int(counts.get(f.name)) for f in fields(Tokens)})
        rid = u.get("response_id")
        usage = AnswerUsage(rid if isinstance(rid, str) else None, tokens,
                            _float(u.get("cost_usd")))
    return Turn(
        speaker, text,
        t=float(t) if isinstance(t, int | float) and not isinstance(t, bool) else None,
        ts=ts if isinstance(ts, str) else None,
        item_id=item_id if isinstance(item_id, str) else None,
        status=status, interruption=interruption, tool=tool, usage=usage,
        latency=turn_from_json(raw.get("latency")),
        model=raw["model"] if isinstance(raw.get("model"), str) else None,
    )


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
