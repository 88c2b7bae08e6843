"""The one path of a ``--no-ui`` run, whatever the API family.

Print the records (:class:`~voicechat.lines.printer.Printer`), start the family's runtime or
say why not, ask about tool calls on the terminal when stdin is one (the next typed line is
the answer), send stdin's lines (a terminal's as they are typed, piped ones one per answer as
the family paces them; Ctrl+D or the end of the pipe is the end of the input), and run the
frame until the run is finished; the exit code.
"""

from __future__ import annotations

import sys
from typing import TextIO

from voicechat.conversation.seed import SeedPlan
from voicechat.lines.approval import TerminalApproval
from voicechat.lines.family import LineFamily
from voicechat.lines.frame import run_until_finished, start_or_say_why
from voicechat.lines.printer import Printer


async def run_lines(family: LineFamily, *, turns: int | None, events: bool = False,
                    out: TextIO | None = None, earlier: SeedPlan | None = None) -> int:
    """Run ``family``'s conversation as printed lines (the event flow if ``events``);
    ``earlier``: the turns ``--resume`` seeds, shown once, marked, before anything else."""
    stream = out if out is not None else sys.stdout
    runtime = family.runtime
    end = family.end_watch(turns)
    printer = Printer(stream, events=events, gone=runtime.finished.set,
                      usage_after=family.usage_after)
    if earlier is not None:
        printer.show_earlier(earlier)
    runtime.subscribe(printer.show)
    if not await start_or_say_why(runtime, with_fix=family.start_fix):
        return 1
    lines = family.stdin_lines(turns)
    if sys.stdin.isatty():
        approval = TerminalApproval(runtime, printer.say)
        runtime.set_tool_prompt(approval.ask)
        lines.intercept, lines.at_eof = approval.take_line, approval.input_over
    return await run_until_finished(runtime, end, lines, stream=stream,
                                    usage=family.usage_summary, name="lines-end")
