"""Every conversation handle declares what the UI and the commands read of it.

The UI reads ``settings_unavailable`` and ``unavailable_keys`` of any handle, and the piped
lines of a GPT-Live run read ``speaking``, so each handle has them: none is probed with a
default. mypy checks the annotated assignments below (this file is in ``[tool.mypy] files``):
a handle that lacks a member of the protocol it is assigned to, or has it with another type,
fails the type check. The test checks what each family says.
"""

from __future__ import annotations

from tests.ui.fakes import ScriptedHandle
from voicechat.config import Settings
from voicechat.lines.family import LineFamily, LineRuntime
from voicechat.lines.frame import LinesRuntime
from voicechat.lines.live import LiveLines
from voicechat.lines.live_pacing import AnswerPacedHandle
from voicechat.lines.realtime import RealtimeLines
from voicechat.lines.stdin import LinesHandle
from voicechat.runtime import Runtime
from voicechat.runtime.live import LiveRuntime
from voicechat.runtime.live.unsupported import FIXED_AT_START, NO_BARGE_IN_SWITCH, NO_PUSH_TO_TALK
from voicechat.ui.handle import ConversationHandle


def _realtime() -> Runtime:
    return Runtime(Settings(server="local", mic="none", speaker="none"))


def _live() -> LiveRuntime:
    return LiveRuntime(Settings(server="local", api="live", model="gpt-live-1", mic="none",
                                speaker="none"))


async def test_a_realtime_handle_opens_its_settings_and_every_key() -> None:
    for handle in (_realtime(), ScriptedHandle()):
        checked: ConversationHandle = handle
        assert checked.settings_unavailable == ""
        assert dict(checked.unavailable_keys) == {}


async def test_a_live_handle_says_why_settings_and_keys_do_nothing() -> None:
    live: ConversationHandle = _live()
    assert live.settings_unavailable == FIXED_AT_START
    assert dict(live.unavailable_keys) == {"talk": NO_PUSH_TO_TALK,
                                           "barge_in": NO_BARGE_IN_SWITCH}


async def test_the_runtimes_are_what_the_headless_commands_drive() -> None:
    realtime, live = _realtime(), _live()
    runs: tuple[LinesRuntime, ...] = (realtime, live)
    lines: tuple[LinesHandle, ...] = (realtime, live)
    faced: tuple[LineRuntime, ...] = (realtime, live)
    paced: AnswerPacedHandle = live
    assert all(not run.finished.is_set() and run.exit_code == 0 for run in runs)
    assert len(lines) == len(faced) == 2
    assert paced.speaking is False  # nothing played yet


async def test_each_family_feeds_the_line_face() -> None:
    families: tuple[LineFamily, ...] = (
        RealtimeLines(Settings(server="local", mic="none", speaker="none")),
        LiveLines(Settings(server="local", api="live", model="gpt-live-1", mic="none",
                           speaker="none")))
    assert [f.start_fix for f in families] == [True, False]
    assert all(not f.runtime.finished.is_set() for f in families)


async def test_the_gemini_family_feeds_the_line_face_too() -> None:
    from voicechat.lines.gemini import GeminiLines, gemini_lines
    from voicechat.runtime.gemini import GeminiRuntime, GeminiTarget

    settings = Settings(server="local", model="gemini-live", mic="none", speaker="none")
    family: LineFamily = gemini_lines(settings, GeminiTarget(server="local", api_key=None))
    assert isinstance(family, GeminiLines) and family.start_fix is False
    runtime: GeminiRuntime = family.runtime
    faced: LineRuntime = runtime
    lines: LinesHandle = runtime
    assert not faced.finished.is_set() and lines is runtime
    assert runtime.speaking is False
