"""The event pane of the main screen: the event flow, and the JSON of the selected event.

``Tab`` focuses the flow; arrows move the cursor, ``Enter`` (or a click) shows the event's JSON
below it, ``Esc`` hides the JSON and goes back to following new events.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical

from voicechat.ui.event_flow import EventDetail, EventFlow
from voicechat.ui.event_rows import FILTERS, FilterMode


class EventPane(Vertical):
    """:class:`EventFlow` over an :class:`EventDetail` shown on selection."""

    def compose(self) -> ComposeResult:
        yield EventFlow(max_lines=5000, id="events")
        yield EventDetail("", id="event-detail")

    def cycle_filter(self) -> FilterMode:
        flow = self.query_one(EventFlow)
        mode = FILTERS[(FILTERS.index(flow.filter) + 1) % len(FILTERS)]
        flow.set_filter(mode)
        return mode

    @on(EventFlow.Selected)
    def _show_event(self, event: EventFlow.Selected) -> None:
        detail = self.query_one(EventDetail)
        detail.show_record(event.record, event.count)
        detail.add_class("-shown")

    def on_key(self, event: Any) -> None:
        flow = self.query_one(EventFlow)
        if event.key == "escape" and self.app.focused is flow:
            event.stop()
            self.query_one(EventDetail).remove_class("-shown")
            flow.action_last()
            self.app.set_focus(None)
