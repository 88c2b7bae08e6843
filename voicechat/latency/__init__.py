"""Latency: every answered turn timed and broken down (sans-IO), for every face.

:class:`TurnTimeline` reads a session's events with their time and reports
:class:`TurnLatency` (one per answered turn) and :class:`BargeIn` (one per interruption);
:func:`summarize` gives the percentiles; :mod:`voicechat.latency.text` words them.
"""

from voicechat.latency.model import BargeIn, Stage, Summary, ToolSpan, TurnLatency, summarize
from voicechat.latency.timeline import TurnTimeline

__all__ = ["BargeIn", "Stage", "Summary", "ToolSpan", "TurnLatency", "TurnTimeline",
           "summarize"]
