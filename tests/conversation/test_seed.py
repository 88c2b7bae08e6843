"""The resume budget: the newest spoken turns that fit, in order, and how many were left out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voicechat.conversation.model import Conversation, ToolUse, Turn
from voicechat.conversation.seed import is_earlier, plan_seed, resume_notice

TURNS = st.lists(st.tuples(st.sampled_from(["user", "assistant", "tool"]),
                           st.text(max_size=40)), max_size=40)


@given(TURNS, st.integers(0, 12), st.integers(0, 200))
def test_the_seed_is_the_newest_spoken_turns_within_the_budget(
        raw: list[tuple[str, str]], max_turns: int, max_chars: int) -> None:
    turns = tuple(Turn(who, text, tool=ToolUse("f", "{}") if who == "tool" else None)  # type: ignore[arg-type]
                  for who, text in raw)
    spoken = [(t.speaker, t.text.strip()) for t in turns if t.speaker != "tool" and t.text.strip()]
    plan = plan_seed(Conversation(turns), max_turns=max_turns, max_chars=max_chars)
    assert len(plan.turns) <= max_turns
    assert sum(len(text) for _, text in plan.turns) <= max_chars
    assert plan.left_out + len(plan.turns) == len(spoken)
    assert list(plan.turns) == spoken[len(spoken) - len(plan.turns):]


def test_the_notice_says_how_many_were_left_out() -> None:
    turns = tuple(Turn("user", f"turn {n}") for n in range(5))
    plan = plan_seed(Conversation(turns, source="old.jsonl"), max_turns=3)
    assert plan.left_out == 2
    level, message = resume_notice(plan)
    assert level == "warning"
    assert "3 earlier turn(s) from old.jsonl" in message
    assert "oldest 2 turn(s) were left out" in message
    assert resume_notice(plan_seed(Conversation(turns)))[0] == "info"


def test_earlier_ids_are_recognised() -> None:
    assert is_earlier("earlier_0003")
    assert not is_earlier("item_abc") and not is_earlier(None)
