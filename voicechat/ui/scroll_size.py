"""Tell a line-API ``ScrollView`` its new line count without a whole-screen relayout.

Assigning ``virtual_size`` lays out the whole screen (it is a ``layout=True`` reactive), once per
new line: bench/bench_tui.py profiled those relayouts, each with a near full-screen composite, as
the dearest part of streaming. A pane whose box is fixed by CSS only needs its scrollbar to learn
the count. So (public means only) the size is stored with ``set_reactive`` and the scrollbar gets
the extent through its own reactives; only a scrollbar that comes or goes (about once per session)
assigns ``virtual_size`` and gets its layout. Used by the event pane and the transcript.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_line_count(view: ScrollView, lines: int) -> bool:
    """Make ``view``'s virtual height ``lines``; True if done without a layout (the scroll
    machinery knows the count now), False if a layout was scheduled (the view is not laid out
    yet, or its scrollbar comes or goes) or nothing changed."""
    # lines are cropped to the width (no horizontal scrolling): width 0 never overflows
    size = Size(0, lines)
    if size == view.virtual_size:
        return False
    view_height = view.container_size.height
    if not view.is_mounted or not view_height or (lines > view_height) != (
            view.show_vertical_scrollbar):
        view.virtual_size = size  # needs the layout (first one, or the scrollbar comes or goes)
        return False
    view.set_reactive(ScrollView.virtual_size, size)
    if view.show_vertical_scrollbar:
        bar = view.vertical_scrollbar
        bar.window_virtual_size = size.height
        bar.window_size = view_height
    if view.scroll_y > view.max_scroll_y:  # fewer lines (a filter, a clear)
        view.scroll_to(y=view.max_scroll_y, animate=False, immediate=True)
    return True
