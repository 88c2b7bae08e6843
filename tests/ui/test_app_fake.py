"""Pilot tests of the app against the scripted handle (the real session core, a scripted server).

Each test drives the app with keys and real server event shapes and asserts what a user would
see: transcript text and order, status bar wording, timeline segments, the problem banner.
"""

from __future__ import annotations

from typing import Any

from tests.helpers import until
from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import (
    ScriptedHandle,
    deltas,
    finish_turn,
    response_start,
    user_speech,
    user_transcript,
    voice_turn,
)
from voicechat.ui.app import VoiceChatApp
from voicechat.ui.widgets.status_bar import StatusBar


def live_text(app: VoiceChatApp) -> str:
    return app.transcript.live_text()


def history_text(app: VoiceChatApp) -> str:
    return "\n".join(app.transcript.history_lines())


def status_text(app: VoiceChatApp) -> str:
    bar = app.query_one(StatusBar)
    return str(bar.render())


async def settle(app: VoiceChatApp, pilot: Any) -> None:
    app.sync()
    await pilot.pause()


async def started(app: VoiceChatApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await settle(app, pilot)


async def test_streaming_turn_late_user_transcript_and_commit() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.run(user_speech("item_u1") + response_start("resp_1", "item_a1", "item_u1")
                   + deltas("resp_1", "item_a1", ["Hel", "lo "]))
        await settle(app, pilot)
        # the user's transcript has not arrived: a placeholder, and the answer streams below it
        assert "You: … transcribing" in live_text(app)
        assert "Assistant: Hello" in live_text(app)
        assert history_text(app) == ""
        handle.run([*deltas("resp_1", "item_a1", ["there"]), user_transcript("item_u1", "hi")])
        await settle(app, pilot)
        assert "You: hi" in history_text(app)
        assert "Assistant: Hello there" in live_text(app)
        assert "answering" in status_text(app)
        handle.run(finish_turn("resp_1", "item_a1", "Hello there"))
        await settle(app, pilot)
        lines = history_text(app).splitlines()
        assert lines[:2] == ["You: hi", "Assistant: Hello there"]
        # under the answer, quietly: how long it took to start and where (issue 39)
        assert " ".join(lines[2:]).startswith("  0.55 s to first audio · VAD 0.20 ·"), lines
        assert live_text(app) == ""
        assert "answered" in status_text(app)


async def test_failed_transcription_shows_a_placeholder() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        failed = {"type": "conversation.item.input_audio_transcription.failed",
                  "item_id": "item_u1", "content_index": 0,
                  "error": {"type": "server_error", "code": None,
                            "message": "Input transcription failed for item 'item_u1'."}}
        handle.run([*user_speech("item_u1"), failed])
        await settle(app, pilot)
        assert "You: [transcription failed" in history_text(app)


async def test_mic_mutes_for_playback_and_reopens_after() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert "mic live" in status_text(app)
        handle.run(voice_turn("item_u1", "resp_1", "item_a1", ["Hi"], "hello"))
        await settle(app, pilot)
        assert "mic muted for playback" in status_text(app)
        handle.run(finish_turn("resp_1", "item_a1", "Hi"))
        handle.advance(1.0, mic_ms=0)  # past the settle delay after output_audio_buffer.stopped
        await settle(app, pilot)
        assert "mic live" in status_text(app)


async def test_mute_key_toggles_the_mic() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        assert handle.view.mic_reason is not None and handle.view.mic_reason.value == "user"
        assert "mic muted by you" in status_text(app)
        await pilot.press("m")
        await settle(app, pilot)
        assert "mic live" in status_text(app)


async def test_cancel_key_stops_the_response_and_marks_it_cut_off() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.run(voice_turn("item_u1", "resp_1", "item_a1", ["A long ", "answer"], "talk"))
        await pilot.press("c")
        await settle(app, pilot)
        assert "response.cancel" in [e["type"] for e in handle.sent]
        assert "output_audio_buffer.clear" in [e["type"] for e in handle.sent]
        assert "answer cancelled (client cancelled)" in status_text(app)
        # nothing had played: the answer is shown as not heard, as export shows it
        assert " ".join(history_text(app).split()).startswith(
            "You: talk Assistant: — cut off before a word was heard (not heard: A long answer)")


async def test_barge_in_key_toggles() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert "barge-in off" in status_text(app)
        await pilot.press("b")
        await settle(app, pilot)
        assert handle.view.barge_in is True
        assert "barge-in on" in status_text(app)


async def test_push_to_talk_toggle_completes_a_turn() -> None:
    handle = ScriptedHandle(mode="ptt", reply="Here you go.")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert "push-to-talk closed" in status_text(app)
        assert "push-to-talk (toggle)" in status_text(app)
        await pilot.press("space")
        await settle(app, pilot)
        assert "push-to-talk open" in status_text(app)
        handle.advance(1.5)  # 1.5 s of mic audio sent while open
        await pilot.press("space")
        handle.advance(1.0, mic_ms=0)
        await settle(app, pilot)
        sent = [e["type"] for e in handle.sent]
        assert sent.index("input_audio_buffer.commit") < sent.index("response.create")
        assert "Assistant: Here you go." in history_text(app)
        assert "push-to-talk closed" in status_text(app)


async def test_push_to_talk_too_short_is_not_sent() -> None:
    handle = ScriptedHandle(mode="ptt")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("space")
        handle.advance(0.2)
        await pilot.press("space")
        await settle(app, pilot)
        sent = [e["type"] for e in handle.sent]
        assert "input_audio_buffer.commit" not in sent and "response.create" not in sent
        assert any("short" in str(n.message) for n in app._notifications)


async def test_typed_message_is_sent_and_answered() -> None:
    handle = ScriptedHandle(reply="Typed reply.")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("slash")
        assert app.focused is not None and app.focused.id == "message"
        await pilot.press(*"hello m")  # letters go to the input, not to the hotkeys
        await pilot.press("enter")
        await settle(app, pilot)
        assert handle.calls.count("send_text:hello m") == 1
        assert "toggle_mute" not in handle.calls
        assert "You: hello m" in history_text(app)
        assert "Assistant: Typed reply." in history_text(app)
        assert app.focused is None


async def test_escape_leaves_the_input_without_sending() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("slash", "x", "escape")
        assert app.focused is None
        await pilot.press("m")
        assert "toggle_mute" in handle.calls
        assert not any(c.startswith("send_text") for c in handle.calls)


async def test_vad_markers_and_short_segments() -> None:
    handle = ScriptedHandle()
    app = make_app(handle, clock=lambda: handle.clock)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.run(user_speech("item_u1"), step=0.5)
        handle.run(user_speech("item_u2", 5000, 5100), step=0.05)
        await settle(app, pilot)
        user = [s for s in app.timeline.segments if s.kind == "user"]
        assert [s.short for s in user] == [False, True]
        rendered = str(app.timeline.render())
        assert "(too short)" in rendered and "█" in rendered


async def test_filter_key_cycles_the_event_pane() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.event_filter == "all"
        await pilot.press("f")
        assert app.event_filter == "no_deltas"
        await pilot.press("f")
        assert app.event_filter == "errors"
        await pilot.press("f")
        assert app.event_filter == "all"


async def test_quit_stops_the_handle() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("q")
        await pilot.pause()
    assert handle.stopped
    assert app.return_value == 0


async def test_start_failure_is_a_banner_not_a_traceback() -> None:
    handle = ScriptedHandle(start_error=ConnectionRefusedError(
        "Cannot connect to http://127.0.0.1:9 (key sk-abcdefgh12345678)"))
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        banner = str(app.problems.render())
        assert "The server is unreachable" in banner
        assert "--server local" in banner
        assert "sk-abcdefgh" not in banner and "[redacted]" in banner
        await pilot.press("q")
    assert app.return_value == 1
    assert handle.stopped  # stop() releases whatever a failed start half-opened


async def test_server_error_event_is_shown() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.server({"type": "error", "event_id": "event_9", "error": {
            "type": "invalid_request_error", "code": "session_expired",
            "message": "Your session hit the maximum duration of 60 minutes."}})
        await settle(app, pilot)
        banner = str(app.problems.render())
        assert "The session expired" in banner and "60 minutes" in banner


async def test_thousands_of_turns_stay_in_the_log() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        for n in range(1000):
            handle.run([*user_speech(f"item_u{n}"), user_transcript(f"item_u{n}", f"q{n}"),
                        *response_start(f"resp_{n}", f"item_a{n}", f"item_u{n}"),
                        *deltas(f"resp_{n}", f"item_a{n}", ["a", f"{n}"]),
                        *finish_turn(f"resp_{n}", f"item_a{n}", f"a{n}")], step=0)
            if n % 100 == 0:
                app.sync()
        await settle(app, pilot)
        tr = app.transcript
        assert tr.committed_count == 2000
        assert tr.rebuilds <= 2  # the initial theme one, nothing per turn
        said = [line for line in history_text(app).splitlines() if not line.startswith(" ")]
        assert said[-2:] == ["You: q999", "Assistant: a999"]
        assert live_text(app) == ""


async def test_resize_rewraps_the_history() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.run(voice_turn("item_u1", "resp_1", "item_a1", ["word "] * 40, "hi")
                   + finish_turn("resp_1", "item_a1", "word " * 40))
        await settle(app, pilot)
        before = app.transcript.rebuilds
        await pilot.resize_terminal(80, 30)
        await until(lambda: app.transcript.rebuilds > before, "the transcript to re-wrap",
                    sleep=pilot.pause)
        assert app.transcript.rebuilds == before + 1
        # at 80 columns the event pane hides (it follows the width until the user chooses), so
        # the transcript gets the whole width: its lines were wrapped at ~59, now at 78
        widest = max(len(line.rstrip()) for line in app.transcript.history_lines())
        assert 60 < widest <= 78


async def test_transcribe_mode_is_captions_beside_the_timeline() -> None:
    handle = ScriptedHandle(mode="transcribe")
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        delta = {"type": "conversation.item.input_audio_transcription.delta",
                 "item_id": "item_u1", "content_index": 0, "delta": "Good morn"}
        handle.run([*user_speech("item_u1"), delta])
        await settle(app, pilot)
        assert app.screen.has_class("-transcribe")
        assert "Good morn" in live_text(app) and "You:" not in live_text(app)
        handle.run([user_transcript("item_u1", "Good morning.")])
        await settle(app, pilot)
        assert history_text(app).strip() == "Good morning."
        assert "transcribe (captions)" in status_text(app)
        timeline, captions = app.timeline.region, app.transcript.region
        assert timeline.x >= captions.right - 1 and timeline.height > 10


async def test_event_pane_selection_shows_json() -> None:
    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.run(voice_turn("item_u1", "resp_1", "item_a1", ["Hi"], "hello"))
        await settle(app, pilot)
        await pilot.press("tab")
        assert app.focused is app.transcript  # scroll the transcript with the arrows
        await pilot.press("tab")
        assert app.focused is app.event_flow
        await pilot.press("up")
        await pilot.pause()
        detail = app.query_one("#event-detail")
        assert detail.has_class("-shown")
        shown = str(detail.render())
        assert '"type": "conversation.item.input_audio_transcription.completed"' in shown
        await pilot.press("escape")
        assert not detail.has_class("-shown") and app.focused is None


async def test_no_device_and_lost_connection_are_visible() -> None:
    from voicechat.core.inputs import SetMicAvailable

    handle = ScriptedHandle()
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle._apply(handle.session.handle(SetMicAvailable(False), handle.clock))
        handle._emit("local", {"type": "local.transport.state", "state": "failed",
                               "detail": "ICE failed"})
        await settle(app, pilot)
        assert "mic no device" in status_text(app)
        banner = str(app.problems.render())
        assert "The connection failed" in banner and "ICE failed" in banner


async def test_a_poll_tick_during_shutdown_does_nothing() -> None:
    # The 20 Hz poll timer may fire once more while the app tears down, after its screens are
    # gone; that must be a no-op, not a ScreenStackError traceback on the way out.
    app = make_app(ScriptedHandle(), start_handle=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert not app.screen_stack
    app._tick()
    app.sync()


async def test_the_status_bar_says_you_are_interrupting_while_the_local_detector_pauses() -> None:
    from voicechat.core import LocalTalk, PlaybackProgress, PlaybackStarted, SetLocalDetector
    from voicechat.core.local_barge_in import TalkFrame

    handle = ScriptedHandle(barge_in=True)
    app = make_app(handle)
    user = TalkFrame(20, 0.95, out_dbfs=-22.0, in_dbfs=-20.0, far_dbfs=-20.0, erle_db=40.0)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        handle.run(user_speech("item_u1") + response_start("resp_1", "item_a1", "item_u1"))
        handle.session.handle(SetLocalDetector(True), handle.clock)
        handle.session.handle(PlaybackStarted("item_a1"), handle.clock)
        handle.clock += 1.0
        handle.session.handle(PlaybackProgress("item_a1", 1000), handle.clock)
        await settle(app, pilot)
        assert "you're interrupting" not in status_text(app)
        for _ in range(3):  # the onset: three frames of the user's speech
            handle.clock += 0.02
            handle._apply(handle.session.handle(LocalTalk(user), handle.clock))
        await settle(app, pilot)
        assert "you're interrupting" in status_text(app)
