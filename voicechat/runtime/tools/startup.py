"""Starting a session's tool sources, for both runtimes (Realtime and GPT-Live).

The configured sources (commands, MCP servers: :func:`~voicechat.runtime.tools.sources.
tool_config`) are started before the first connection, so the first ``session.update`` (or
GPT-Live's ``session.start``) can carry their tools. Every problem is a warning notice and the
run goes on without the tool concerned; ``local.tool.sources`` records what was found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from voicechat.config import Settings
from voicechat.core.tool_specs import ToolSpec
from voicechat.runtime.fanout import EventFanout

if TYPE_CHECKING:
    from voicechat.runtime.tools.toolbox import ToolBox


async def start_toolbox(settings: Settings, events: EventFanout, *,
                        adopt: Callable[[ToolBox], None],
                        on_change: Callable[[], None] | None = None) -> ToolBox | None:
    """Start the configured sources; ``None`` when there are none. ``adopt`` gets the box
    before it starts (a source may report a change while starting)."""
    from voicechat.paths import user_log_dir
    from voicechat.runtime.tools.sources import tool_config

    config = tool_config(settings)  # ConfigError for an unreadable --mcp-config
    for problem in config.problems:
        events.notice("warning", problem)
    if config.empty:
        return None
    from voicechat.runtime.tools.toolbox import ToolBox

    box = ToolBox(config, user_log_dir(), on_change=on_change)
    adopt(box)
    await box.start()
    for problem in box.problems[len(config.problems):]:
        events.notice("warning", problem)
    return box


def announce_tools(box: ToolBox, events: EventFanout) -> tuple[ToolSpec, ...]:
    """Record the sources and their tools (``local.tool.sources``); the tools' specs."""
    specs = tuple(box.specs())
    events.local({
        "type": "local.tool.sources",
        "tools": [{"name": s.name, "source": s.source, "approval": s.approval} for s in specs],
        "servers": [{"name": s.name, "state": s.state, "tools": s.tools,
                     **({"error": s.error} if s.error else {})} for s in box.servers],
    })
    return specs
