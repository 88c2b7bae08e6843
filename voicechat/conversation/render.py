"""A conversation as Markdown (the default export and what saving writes) or plain text.

Decisions: a turn's time is the UTC wall clock of the event that first mentioned it
(``HH:MM:SS``) when the log has one, else seconds into the log (``+12.3s``). An interrupted
answer shows what the user heard, then a line saying where it was cut and what went unheard.
A tool call shows its arguments and result as code, cut to :data:`MAX_TOOL_CHARS` (the JSON
export keeps them whole). Text from a log is shown with its control characters as escapes
(:func:`voicechat.protocol.text.printable`); secrets were masked when the conversation was built.
"""

from __future__ import annotations

import re

from voicechat.conversation.jsonform import to_json
from voicechat.conversation.model import Conversation, Turn
from voicechat.conversation.seed import is_earlier
from voicechat.latency.text import turn_line
from voicechat.protocol.pricing import cost_text, tokens_line
from voicechat.protocol.text import escape_surrogates, printable

FORMATS = ("md", "txt", "json")
MAX_TOOL_CHARS = 2000
LABELS = {"user": "You", "assistant": "Assistant", "tool": "Tool"}
FORMAT_WORDS = {"voicechat": "voicechat event log", "jsonl": "JSONL of events",
                "json-array": "JSON array of events", "text": "text log"}


def render(conversation: Conversation, fmt: str) -> str:
    """``md``, ``txt`` or ``json``; a :class:`ValueError` names the formats for another."""
    if fmt == "md":
        return markdown(conversation)
    if fmt == "txt":
        return plain(conversation)
    if fmt == "json":
        return to_json(conversation)
    raise ValueError(f"{fmt!r} is not an export format; use one of {', '.join(FORMATS)}")


def when(turn: Turn) -> str:
    """``10:00:01`` (UTC, from the log's wall clock), ``+12.3s``, or ``""``."""
    if turn.ts and len(turn.ts) >= 19 and turn.ts[10] == "T":
        return turn.ts[11:19]
    if turn.t is not None:
        return f"+{turn.t:.1f}s"
    return ""


def _date(conversation: Conversation) -> str:
    for turn in conversation.turns:
        if turn.ts and len(turn.ts) >= 10:
            return turn.ts[:10]
    return ""


def _summary(c: Conversation) -> str:
    parts = []
    if c.source:
        described = FORMAT_WORDS.get(c.log_format)
        parts.append(f"from {c.source}" + (f" ({described})" if described else ""))
    if date := _date(c):
        parts.append(f"{date}, times in UTC")
    if c.models:
        parts.append("models " + ", then ".join(c.models))
    elif c.model:
        parts.append(f"model {c.model}")
    parts.append(f"{c.responses} response(s)")
    if c.total.total:
        parts.append(f"{c.total.total} tokens")
        parts.append(cost_text(c.cost_usd) if c.cost_usd is None
                     else f"~${c.cost_usd:.4f} ({c.cost_label})")
    return " · ".join(parts)


def _clip(text: str) -> str:
    if len(text) <= MAX_TOOL_CHARS:
        return text
    return text[:MAX_TOOL_CHARS] + f"… ({len(text)} characters)"


def _cut_note(turn: Turn) -> str:
    cut = turn.interruption
    assert cut is not None
    heard = f"{cut.heard_ms / 1000:.1f} s"
    total = "" if cut.audio_ms is None else (
        f" of {'about ' if cut.estimated else ''}{cut.audio_ms / 1000:.1f} s")
    note = f"interrupted: the user heard {heard}{total}"
    unheard = printable(cut.unheard_text.strip(), keep_newlines=False)
    return note + (f"; not heard: “{unheard}”" if unheard else "")


def _status_note(turn: Turn) -> str:
    return {"incomplete": "the answer did not finish", "failed": "transcription failed",
            "untranscribed": "speech, not transcribed", "pending": "speech, no transcript yet",
            }.get(turn.status, "")


def _usage_note(turn: Turn) -> str:
    u = turn.usage
    return "" if u is None else f"{tokens_line(u.tokens)} · {cost_text(u.cost_usd)}"


# --- Markdown ------------------------------------------------------------------------------


def markdown(conversation: Conversation) -> str:
    lines = ["# Conversation", "", f"*{_summary(conversation)}*", ""]
    for turn, new_model in _with_model_changes(conversation):
        if new_model:
            lines += [f"*{new_session_note(new_model)}*", ""]
        lines += _md_turn(turn)
        lines.append("")
    return escape_surrogates("\n".join(lines).rstrip("\n") + "\n")  # (see to_json)


def new_session_note(model: str) -> str:
    return f"— a new session with model {model}: the turns above were carried over as text —"


def _with_model_changes(conversation: Conversation) -> list[tuple[Turn, str]]:
    """Each turn, with the new model where a session with another one begins (else "")."""
    out: list[tuple[Turn, str]] = []
    model = conversation.model
    for turn in conversation.turns:
        changed = turn.model is not None and turn.model != model
        out.append((turn, turn.model if changed and turn.model else ""))
        model = turn.model or model
    return out


def _md_turn(turn: Turn) -> list[str]:
    stamp = when(turn)
    head = f"**{LABELS[turn.speaker]}**" + (f" · {stamp}" if stamp else "")
    if is_earlier(turn.item_id):
        head += " · *earlier (resumed)*"
    if turn.tool is not None:
        tool = turn.tool
        name = f"{tool.server}.{tool.name}" if tool.server else tool.name
        lines = [f"{head} · `{printable(name)}`"]
        if tool.arguments:
            lines.append(f"- arguments: `{_md_code(tool.arguments)}`")
        if tool.output is not None:
            lines.append(f"- result: `{_md_code(tool.output)}`")
        elif turn.text and not tool.arguments:
            lines.append(f"- {printable(turn.text)}")
    else:
        text = _md_text(printable(turn.text.strip(), keep_newlines=True))
        lines = [f"{head}  ", text.replace("\n", "  \n")] if text else [head]
    notes = []
    if turn.interruption is not None:
        notes.append(_cut_note(turn))
    elif note := _status_note(turn):
        notes.append(note)
    if usage := _usage_note(turn):
        notes.append(f"usage: {usage}")
    if turn.latency is not None:
        notes.append(f"latency: {turn_line(turn.latency)}")
    lines += [f"> *{note}*  " for note in notes]
    return lines


_BLOCK_START = re.compile(r"^(\s*)(?:([#>*+|=-]|```|~~~)|(\d+)([.)]))", re.MULTILINE)


def _md_text(text: str) -> str:
    """Said text as Markdown text: a line that would open a heading, a quote, a list or a
    code fence is escaped (``\\#``, ``1\\.``), so what someone said reads as it was said."""
    def escape(m: re.Match[str]) -> str:
        if m.group(2) is not None:
            return f"{m.group(1)}\\{m.group(2)}"
        return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"

    return _BLOCK_START.sub(escape, text)


def _md_code(text: str) -> str:
    return printable(_clip(text)).replace("`", "ʼ")


# --- plain text ----------------------------------------------------------------------------


def plain(conversation: Conversation) -> str:
    lines = [_summary(conversation), ""]
    for turn, new_model in _with_model_changes(conversation):
        if new_model:
            lines.append(new_session_note(new_model))
        stamp = when(turn)
        prefix = f"[{stamp}] " if stamp else ""
        label = LABELS[turn.speaker] + (" (earlier)" if is_earlier(turn.item_id) else "")
        if turn.tool is not None:
            tool = turn.tool
            name = f"{tool.server}.{tool.name}" if tool.server else tool.name
            lines.append(f"{prefix}{label}: {printable(name)}({printable(_clip(tool.arguments))})")
            if tool.output is not None:
                lines.append(f"    result: {printable(_clip(tool.output))}")
        else:
            text = printable(turn.text.strip(), keep_newlines=True).replace("\n", "\n    ")
            if not text and (note := _status_note(turn)):
                text = f"({note})"
            lines.append(f"{prefix}{label}: {text}".rstrip())
        if turn.interruption is not None:
            lines.append(f"    ({_cut_note(turn)})")
        elif turn.text.strip() and (note := _status_note(turn)):
            lines.append(f"    ({note})")
        if usage := _usage_note(turn):
            lines.append(f"    (usage: {usage})")
        if turn.latency is not None:
            lines.append(f"    (latency: {turn_line(turn.latency)})")
    return escape_surrogates("\n".join(lines).rstrip("\n") + "\n")  # (see to_json)
