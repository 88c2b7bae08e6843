"""Which turns of an earlier conversation a resumed session is seeded with.

A resumed session (``voicechat --resume LOG``) starts with the earlier conversation's spoken
turns as text items, the way a reconnect seeds the transcript (:mod:`voicechat.runtime.link`).
Tool calls and their results are not seeded: a call item needs a tool this session may not
declare, and the answers that followed already say what the results were.

Budget (decision): at most :data:`MAX_SEED_TURNS` turns and :data:`MAX_SEED_CHARS` characters
of text, the newest turns that fit whole; the oldest are left out and the caller says how many.
24,000 characters are about 6,000 text tokens (~4 characters a token), under a fifth of
gpt-realtime's 32k-token context, leaving room for the instructions, the tools and the new
conversation's audio (~600 tokens a minute of input); 100 items keep the seed's burst of
``conversation.item.create`` events short. An interrupted answer is seeded as the user heard it.

Seeded items carry ids with :data:`EARLIER_ID_PREFIX` (the API lets a client choose an item's
id), so the server's echo of them can be shown marked as earlier.

A new server session of the *same* conversation (a reconnect, or the TUI's "New session with
model …") is seeded with the turns so far, with ids of :data:`CARRIED_ID_PREFIX`: those turns
are already in the conversation, so whoever rebuilds it from the records (saving, export)
leaves the copies out (issue 55, item 12: ``ctrl+s`` saved them twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from voicechat.conversation.model import Conversation

MAX_SEED_TURNS = 100
MAX_SEED_CHARS = 24_000
EARLIER_ID_PREFIX = "earlier_"
CARRIED_ID_PREFIX = "carried_"


@dataclass(frozen=True)
class SeedPlan:
    """The (role, text) turns to seed, oldest first, and how many older ones were left out."""

    turns: tuple[tuple[str, str], ...]
    left_out: int
    source: str = ""


def plan_seed(conversation: Conversation, *, max_turns: int = MAX_SEED_TURNS,
              max_chars: int = MAX_SEED_CHARS) -> SeedPlan:
    """The newest spoken turns of ``conversation`` that fit the budget."""
    spoken = [(turn.speaker, turn.text.strip()) for turn in conversation.spoken]
    kept: list[tuple[str, str]] = []
    used = 0
    for role, text in reversed(spoken):
        if len(kept) >= max_turns or used + len(text) > max_chars:
            break
        kept.append((role, text))
        used += len(text)
    kept.reverse()
    return SeedPlan(tuple(kept), len(spoken) - len(kept), conversation.source)


def earlier_item_id(index: int) -> str:
    """The id of the ``index``-th seeded earlier turn (``earlier_0007``)."""
    return f"{EARLIER_ID_PREFIX}{index:04d}"


def is_earlier(item_id: str | None) -> bool:
    """Whether an item is a turn of the earlier conversation seeded by ``--resume``."""
    return bool(item_id) and str(item_id).startswith(EARLIER_ID_PREFIX)


def carried_item_id(index: int) -> str:
    """The id of the ``index``-th turn carried into a new session of this conversation."""
    return f"{CARRIED_ID_PREFIX}{index:04d}"


def is_carried(item_id: object) -> bool:
    """Whether an item is a copy of this conversation's own turn, seeded into a new session."""
    return isinstance(item_id, str) and item_id.startswith(CARRIED_ID_PREFIX)


def resume_notice(plan: SeedPlan) -> tuple[str, str]:
    """``(level, message)`` saying what was seeded; a warning when turns were left out."""
    where = f" from {plan.source}" if plan.source else ""
    message = f"resumed: {len(plan.turns)} earlier turn(s){where} seeded as text"
    if not plan.left_out:
        return "info", message
    return "warning", (f"{message}; the oldest {plan.left_out} turn(s) were left out (a "
                       f"resumed session holds at most {MAX_SEED_TURNS} turns and "
                       f"{MAX_SEED_CHARS:,} characters)")
