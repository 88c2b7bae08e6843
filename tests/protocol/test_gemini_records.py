"""A Gemini frame as the event log keeps it: audio blobs and resumption handles out."""

from __future__ import annotations

from voicechat.protocol.gemini import client_messages, server_messages
from voicechat.protocol.gemini.family import side_of
from voicechat.protocol.gemini.records import redacted


def test_audio_blobs_become_their_size() -> None:
    up = redacted(client_messages.audio("AAAAAAAA"))
    assert up == {"realtimeInput": {"audio": {"data": {"bytes": 6},
                                              "mimeType": "audio/pcm;rate=16000"}}}
    down = redacted(server_messages.model_audio("AAAA"))
    part = down["serverContent"]["modelTurn"]["parts"][0]
    assert part["inlineData"]["data"] == {"bytes": 3}
    assert side_of(up) == "client" and side_of(down) == "server"


def test_resumption_handles_are_left_out_but_their_presence_shows() -> None:
    setup = redacted(client_messages.setup(resume_handle="secret-handle"))
    assert setup["setup"]["sessionResumption"] == {"handle": "[redacted]"}
    update = redacted(server_messages.resumption_update("secret-handle"))
    assert "secret-handle" not in str(update) and update["sessionResumptionUpdate"]["resumable"]


def test_text_is_kept() -> None:
    frame = client_messages.user_turn("Hello")
    assert redacted(frame) == frame
