"""Rules that explain one server error each: ``commit-too-small``, ``truncate-out-of-range``,
``session-expired`` and ``rate-limited``.

The server's message says what went wrong; these rules add the values from the log (how much
audio was buffered, how much was played, how long the session ran) and the client change.
"""

from __future__ import annotations

import re
from typing import Any

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import ERRORS, Rule, error_of, since
from voicechat.eventlog.entry import Entry


class CommitTooSmall(Rule):
    id = "commit-too-small"
    title = "input_audio_buffer.commit with less than 100 ms of audio"
    feeds_on = ERRORS

    def __init__(self) -> None:
        super().__init__()
        self.buffered: list[float] = []

    def feed(self, entry: Entry, ctx: Context) -> None:
        error = error_of(entry)
        if error is None:
            return
        message = str(error.get("message") or "")
        if error.get("code") != "input_audio_buffer_commit_empty" and "buffer too small" not in \
                message:
            return
        match = re.search(r"only has ([\d.]+)\s*ms", message)
        amount = f"{match.group(1)} ms buffered" if match else "buffer too small"
        if match and len(self.buffered) < 50:
            self.buffered.append(float(match.group(1)))
        client = ctx.client_event_for(entry, "input_audio_buffer.commit")
        where = f" (commit at {client.where()})" if client is not None else ""
        self.add(entry, f"{amount}{where}")

    def fix(self, ctx: Context) -> str:
        td = ctx.turn_detection
        text = ("Commit only when at least 100 ms of audio is buffered; for push-to-talk require "
                "a minimum hold (voicechat uses 900 ms) and send input_audio_buffer.clear instead "
                "of commit for shorter presses.")
        if td is not None:
            text += (f" The session uses {td.get('type', 'server_vad')}: the server commits by "
                     "itself, so the client should not send input_audio_buffer.commit at all.")
        if self.buffered and max(self.buffered) == 0:
            text += (" 0 ms means no audio reached the buffer: the mic was muted, appends were "
                     "not sent, or the commit came right after a clear.")
        return text


class TruncateOutOfRange(Rule):
    id = "truncate-out-of-range"
    title = "conversation.item.truncate asked for more audio than the item has"
    feeds_on = ERRORS

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[tuple[str, Any, Any]] = []

    def feed(self, entry: Entry, ctx: Context) -> None:
        error = error_of(entry)
        if error is None:
            return
        message = str(error.get("message") or "")
        param = str(error.get("param") or "")
        if not (param.endswith("audio_end_ms") or "already shorter than" in message):
            return
        client = ctx.client_event_for(entry, "conversation.item.truncate")
        sent = dig(client.canonical, "audio_end_ms") if client is not None else None
        item = dig(client.canonical, "item_id") if client is not None else None
        match = re.search(r"of (\d+)\s*ms", message)
        actual = int(match.group(1)) if match else None
        detail = f'"{message}"'
        if client is not None:
            detail += f"; truncate at {client.where()} sent item_id {item}, audio_end_ms {sent}"
        if actual is not None:
            detail += f" but the item has {actual} ms of audio"
        self.add(entry, detail)
        if len(self.limits) < 5:
            self.limits.append((str(item or "?"), sent, actual))

    def fix(self, ctx: Context) -> str:
        parts = [f"{item}: at most {actual} ms (sent {sent})" for item, sent, actual in self.limits
                 if actual is not None]
        text = ("Set audio_end_ms to the audio actually played, counted from the samples written "
                "to the speaker (not wall-clock time since playback started, which runs on after "
                "the audio ends), and never above the item's audio length")
        return text + (": " + "; ".join(parts) + "." if parts else ".")


class SessionExpired(Rule):
    id = "session-expired"
    title = "The session hit the server's maximum duration"
    feeds_on = ERRORS

    def feed(self, entry: Entry, ctx: Context) -> None:
        error = error_of(entry)
        if error is None or (error.get("code") != "session_expired"
                             and "maximum duration" not in str(error.get("message") or "")):
            return
        ran = since(ctx.first, entry)
        detail = f'"{error.get("message")}"'
        if ran is not None:
            detail += f" after {ran / 60:.1f} minutes of log"
        self.add(entry, detail)

    def fix(self, ctx: Context) -> str:
        return ("Realtime sessions end after 60 minutes (the socket then closes with 1001). "
                "Reconnect before the limit (e.g. at 55 minutes) and carry the conversation over "
                "with conversation.item.create for the turns worth keeping, and handle the close "
                "as a reconnect rather than a crash.")


class RateLimited(Rule):
    id = "rate-limited"
    title = "Requests were rate limited"
    feeds_on = ERRORS | {"rate_limits.updated", "response.done"}

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[dict[str, Any]] = []
        self.reset_s: float | None = None  # longest reset time seen when limited

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir != "in":
            return
        if entry.type == "rate_limits.updated":
            limits = entry.canonical.get("rate_limits")
            if isinstance(limits, list):
                self.limits = [x for x in limits if isinstance(x, dict)][:4]
            return
        error = error_of(entry)
        if error is not None:
            code = str(error.get("code") or "")
            kind = str(error.get("type") or "")
            if "rate_limit" in code or "rate_limit" in kind or code == "insufficient_quota":
                self.add(entry, f"error {code or kind}: \"{error.get('message')}\"{self._now()}")
            return
        if entry.type == "response.done":
            response = entry.canonical.get("response")
            err = dig(response, "status_details", "error")
            code = str(dig(err, "code") or "")
            if dig(response, "status") == "failed" and ("rate_limit" in code
                                                       or code == "insufficient_quota"):
                self.add(entry, f"{dig(response, 'id')} failed: {code}{self._now()}")

    def _now(self) -> str:
        if not self.limits:
            return ""
        resets = [x["reset_seconds"] for x in self.limits
                  if isinstance(x.get("reset_seconds"), int | float)]
        if resets:
            self.reset_s = max(self.reset_s or 0.0, float(max(resets)))
        parts = [f"{x.get('name')} {x.get('remaining')}/{x.get('limit')} remaining, reset in "
                 f"{x.get('reset_seconds')} s" for x in self.limits]
        return "; last rate_limits.updated: " + ", ".join(parts)

    def fix(self, ctx: Context) -> str:
        wait = f" (here up to {self.reset_s:g} s)" if self.reset_s is not None else ""
        return ("Back off and retry after the reset time in rate_limits.updated" + wait + "; "
                "lower max_output_tokens and keep instructions short to use fewer tokens per "
                "response; avoid extra response.create calls; check the project's Realtime "
                "limits (insufficient_quota means billing, not speed).")
