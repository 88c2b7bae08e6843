"""The conversation is kept in memory only where someone can ask for it: the TUI's ctrl+s, or
``save_transcripts``. ``--no-ui``, ``voicechat test`` and ``load`` without the key keep none
(feeding the builder every event cost a load run ~5 % of its CPU)."""

from __future__ import annotations

import pytest

from voicechat.config import Settings
from voicechat.runtime import Runtime


@pytest.mark.parametrize(("no_ui", "save_transcripts", "kept"), [
    (False, False, True), (False, True, True), (True, True, True), (True, False, False)])
async def test_the_conversation_is_kept_where_it_can_be_saved(
        no_ui: bool, save_transcripts: bool, kept: bool) -> None:
    runtime = Runtime(Settings(server="local", mic="none", speaker="none", no_ui=no_ui,
                               save_transcripts=save_transcripts))
    assert (runtime.keeping is not None) is kept
    assert (runtime.saver is not None) is kept
    assert runtime.save_conversation() is None  # no turn yet, or nothing kept
