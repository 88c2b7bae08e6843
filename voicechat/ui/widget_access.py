"""The main screen's widgets by name, mixed into the app.

They are looked up once at mount (:class:`~voicechat.ui.screen_sync.Widgets`: a tick during
shutdown must not fail on a query); the app's own code, its mixins and the tests read them
through these properties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voicechat.ui.banner import ProblemBanner
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.event_rows import FilterMode
from voicechat.ui.screen_sync import Widgets
from voicechat.ui.widgets.status_bar import StatusBar
from voicechat.ui.widgets.transcript import Transcript
from voicechat.ui.widgets.vad_timeline import VadTimeline

if TYPE_CHECKING:
    from voicechat.ui.themes import ThemeSwitch


class WidgetAccess:
    """See the module docstring."""

    _widgets: Widgets
    themes: ThemeSwitch
    available_themes: Any

    @property
    def problems(self) -> ProblemBanner:
        return self._widgets.problems

    @property
    def transcript(self) -> Transcript:
        return self._widgets.transcript

    @property
    def timeline(self) -> VadTimeline:
        return self._widgets.timeline

    @property
    def status_bar(self) -> StatusBar:
        return self._widgets.status

    @property
    def event_flow(self) -> EventFlow:
        return self._widgets.events

    @property
    def theme_cycle(self) -> list[str]:
        """Themes the theme key cycles through: ours (shipped + user), in file order."""
        return self.themes.names or list(self.available_themes)

    @property
    def event_filter(self) -> FilterMode:
        return self.event_flow.filter
