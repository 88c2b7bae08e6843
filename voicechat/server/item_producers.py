"""Turning one tool call into its output item: the pluggable step between responder and events.

When the responder yields a :class:`~voicechat.server.voice.tools.ToolCall`, the runner asks
its producers, in order, which one :meth:`~ItemProducer.handles` the call, and awaits that
producer's :meth:`~ItemProducer.produce`. A producer opens its item through the response's
:class:`~voicechat.server.response.ResponseEvents` (``open_item``/``close_item`` keep the
conversation and the ``output_index`` in step; ``emit`` sends the item's own events) and
returns when the item is closed. :class:`FunctionCallProducer` takes any call (the last in the
list): it is the ``function_call`` item the client answers. Hosted tools (MCP) put their own
producer before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from voicechat.server.response import ResponseEvents, ResponseRun
from voicechat.server.voice.tools import ToolCall

#: how many ``.function_call_arguments.delta`` events a call's arguments are split into at most
#: (real streams send a delta per token: REC-01 has 75 for one call; a few are enough to
#: exercise a client's concatenation)
ARGUMENT_DELTAS = 8


@dataclass
class ProduceContext:
    """What a producer may use: the response, its events, and the pace of streamed deltas."""

    run: ResponseRun
    events: ResponseEvents
    #: await between streamed deltas (the model's token pace; nothing in tests)
    pace: Callable[[], Awaitable[None]]


class ItemProducer(Protocol):
    """Makes the output item of a call it handles."""

    def handles(self, call: ToolCall, ctx: ProduceContext) -> bool: ...

    async def produce(self, call: ToolCall, ctx: ProduceContext) -> None: ...


def argument_chunks(arguments: str, parts: int = ARGUMENT_DELTAS) -> list[str]:
    """``arguments`` in up to ``parts`` pieces that concatenate back to it."""
    if not arguments:
        return []
    size = max(1, -(-len(arguments) // parts))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


class FunctionCallProducer:
    """A ``function_call`` item: added in progress with empty arguments, the arguments
    streamed, then ``.function_call_arguments.done`` and the completed item."""

    def handles(self, call: ToolCall, ctx: ProduceContext) -> bool:
        return True

    async def produce(self, call: ToolCall, ctx: ProduceContext) -> None:
        item = ctx.events.open_function_call(ctx.run, call.name, call.call_id)
        for chunk in argument_chunks(call.arguments):
            ctx.events.arguments_delta(ctx.run, item, chunk)
            await ctx.pace()
        ctx.events.close_item(ctx.run, item, "completed")


def pick(producers: list[ItemProducer], call: ToolCall, ctx: ProduceContext) -> ItemProducer:
    """The first producer that handles ``call``."""
    for producer in producers:
        if producer.handles(call, ctx):
            return producer
    raise LookupError(f"no item producer handles a call to {call.name!r}")
