"""Render a doctor :class:`Report` as text for people or JSON for CI."""

from __future__ import annotations

import json

import orjson

from voicechat.doctor.model import LatencySection, Report
from voicechat.latency import summarize
from voicechat.latency.text import seconds
from voicechat.protocol.text import escape_surrogates, printable


def render_json(report: Report) -> str:
    """The report as indented JSON, written by orjson (a dependency already): the stdlib
    cannot use its C encoder with ``indent``, and its Python one cost ~6 % of a whole run on a
    log of many answered turns (the latency section nests each turn's figures four levels
    down; issue 39). The text is the stdlib's but for small floats' spelling (``0.00001``
    for ``1e-05``: the same number) and a NaN written as ``null`` (valid JSON; the stdlib
    wrote ``NaN``, which JSON has not). orjson refuses a lone surrogate a log's JSON escaped
    and an int over 64 bits: such a rare report takes the stdlib's way (where a surrogate is
    escaped again, since it cannot be printed raw)."""
    data = report.to_json()
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:
        return escape_surrogates(json.dumps(data, indent=2, ensure_ascii=False))


def render_text(report: Report) -> str:
    """The report for a terminal; everything taken from the log has its control characters
    shown as escapes (the doctor reads other people's logs)."""
    return printable(_render_text(report), keep_newlines=True)


def _render_text(report: Report) -> str:
    lines = [
        f"{report.source}: {report.format}, dialect {report.dialect}"
        + (f", provider {report.provider}" if report.provider else ""),
        f"read {report.events} events from {report.lines} lines; skipped {report.skipped_lines} "
        "lines that were not events" + (" (the last line was torn: the writer was killed "
                                        "mid-line)" if report.torn_last_line else "")
        + (f"; {report.oversized_lines} of them were over 16 MB and were not read"
           if report.oversized_lines else ""),
    ]
    if report.unreadable:
        lines.append(f"{report.unreadable} time(s) a rule skipped an event whose fields had "
                     f"unexpected types (first: {report.first_unreadable}); the verdicts below "
                     "leave those events out. Check that the log was not edited or cut.")
    if not report.findings:
        lines.append("No problems found.")
        lines.extend(_latency_lines(report.latency))
        return "\n".join(lines)
    lines.append(f"{len(report.findings)} problem(s) found:")
    for finding in report.findings:
        lines.append("")
        lines.append(f"[{finding.rule}] {finding.title} ({finding.count}×)")
        for evidence in finding.evidence:
            lines.append(f"  - {printable(evidence.detail)}")
        if finding.count > len(finding.evidence):
            lines.append(f"  … and {finding.count - len(finding.evidence)} more")
        fix_lines = finding.fix.splitlines()
        lines.append(f"  fix: {fix_lines[0]}")
        lines.extend(f"       {line}" for line in fix_lines[1:])
    lines.extend(_latency_lines(report.latency))
    return "\n".join(lines)


def _latency_lines(section: LatencySection | None) -> list[str]:
    """``latency: 4 answered turns, first audio median 0.41 s, p95 0.90 s, slowest 0.90 s``
    and the slowest turn with what dominated it."""
    if section is None:
        return []
    summary = summarize(turn.first_audio_ms for turn in section.turns)
    if summary is None:
        return ["", f"latency: not measured: {section.note}"] if section.note else []
    lines = ["", f"latency (the end of the user's turn to the first audio): {summary.turns} "
                 f"answered turn{'s' if summary.turns != 1 else ''}, median "
                 f"{seconds(summary.p50)} s, p95 {seconds(summary.p95)} s, slowest "
                 f"{seconds(summary.max)} s"]
    heard = summarize(turn.heard_ms for turn in section.turns)
    if heard is not None and heard != summary:
        # what the lines under each answer (TUI, --no-ui, replay) and the slow rule count: the
        # same turns read the same wherever a user compares them
        lines.append(f"  as heard (the server VAD's wait and the client's playback "
                     f"included, as under each answer): median {seconds(heard.p50)} s, p95 "
                     f"{seconds(heard.p95)} s, slowest {seconds(heard.max)} s")
    slowest = max(section.turns, key=lambda turn: turn.first_audio_ms)
    parts = ", ".join(f"{stage.name} {seconds(stage.ms)}" for stage in slowest.stages)
    dominant = max(slowest.stages, key=lambda stage: stage.ms)
    where = "" if slowest.clock == "audio" else f" at t={slowest.end_t:.3f}s"
    lines.append(f"  slowest: {slowest.response_id or 'a response'}{where}, ended by "
                 f"{slowest.end_kind}: {parts}; {dominant.name} dominated")
    if slowest.vad_wait_ms:
        lines.append(f"  (before that end the server VAD waited {seconds(slowest.vad_wait_ms)} s "
                     "of silence)")
    elif slowest.vad_note:
        lines.append(f"  (the VAD's own wait: {slowest.vad_note})")
    if section.barge_ins:
        lines.append(f"  {len(section.barge_ins)} barge-in(s)")
    if section.note:
        lines.append(f"  note: {section.note}")
    return lines
