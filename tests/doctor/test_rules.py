"""Rule thresholds on small hand-written logs: what must fire, and what must stay quiet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from voicechat.doctor import diagnose

GA_SESSION = {"type": "realtime", "object": "realtime.session", "audio": {"input": {
    "transcription": {"model": "whisper-1"},
    "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                       "silence_duration_ms": 200}}}}


def rules_for(tmp_path: Path, rows: list[tuple[float, str, dict[str, Any]]]) -> set[str]:
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"t": t, "ts": "", "dir": d, "event": e}) + "\n"
                            for t, d, e in rows))
    return {f.rule for f in diagnose(path).findings}


def start() -> list[tuple[float, str, dict[str, Any]]]:
    return [(0.0, "in", {"type": "session.created", "session": GA_SESSION})]


def speech(t: float, item: str, start_ms: int, end_ms: int) -> list[tuple[float, str, dict]]:
    return [
        (t, "in", {"type": "input_audio_buffer.speech_started", "item_id": item,
                   "audio_start_ms": start_ms}),
        (t + (end_ms - start_ms) / 1000, "in", {"type": "input_audio_buffer.speech_stopped",
                                                "item_id": item, "audio_end_ms": end_ms}),
        (t + 0.1, "in", {"type": "input_audio_buffer.committed", "item_id": item}),
        (t + 0.3, "in", {"type": "conversation.item.input_audio_transcription.completed",
                         "item_id": item, "transcript": "hello"}),
    ]


def webrtc_response(t: float, rid: str, cut_at: float | None = None) -> list[tuple]:
    rows: list[tuple] = [
        (t, "in", {"type": "response.created", "response": {"id": rid}}),
        (t + 0.1, "in", {"type": "output_audio_buffer.started", "response_id": rid}),
    ]
    if cut_at is None:
        rows += [(t + 0.5, "in", {"type": "response.done",
                                  "response": {"id": rid, "status": "completed"}}),
                 (t + 2.0, "in", {"type": "output_audio_buffer.stopped", "response_id": rid})]
    else:
        rows += [(t + 0.1 + cut_at, "in", {"type": "input_audio_buffer.speech_started",
                                           "item_id": f"{rid}_u", "audio_start_ms": 0}),
                 (t + 0.15 + cut_at, "in", {"type": "output_audio_buffer.cleared",
                                            "response_id": rid})]
    return rows


def test_idle_user_after_playback_is_not_a_stuck_mic(tmp_path: Path) -> None:
    rows = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1")
    rows.append((15.0, "in", {"type": "rate_limits.updated", "rate_limits": []}))
    assert rules_for(tmp_path, rows) == set()  # 10 s of silence, then the user left
    rows.append((45.0, "in", {"type": "rate_limits.updated", "rate_limits": []}))
    assert rules_for(tmp_path, rows) == {"mic-not-resumed"}  # 40 s open, no user audio


def test_a_commit_after_playback_shows_presence_only_without_vad(tmp_path: Path) -> None:
    """With server VAD a client commit is teardown (a real GA WebRTC capture's Stop sends
    commit + cancel + clear right after the last reply); in push-to-talk it is a user who
    spoke into a mic that captured nothing."""
    stop = [(5.0, "out", {"type": "input_audio_buffer.commit"}),
            (5.3, "in", {"type": "error", "error": {
                "type": "invalid_request_error", "code": "input_audio_buffer_commit_empty",
                "message": "buffer only has 0.00ms of audio"}})]
    vad = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1") + stop
    assert "mic-not-resumed" not in rules_for(tmp_path, vad)
    ptt_session = {**GA_SESSION, "audio": {"input": {"transcription": None,
                                                     "turn_detection": None}}}
    ptt = [(0.0, "in", {"type": "session.created", "session": ptt_session}), *vad[1:]]
    assert "mic-not-resumed" in rules_for(tmp_path, ptt)


def test_our_log_unmuted_quickly_is_fine_late_unmute_is_not(tmp_path: Path) -> None:
    base = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1")
    base.insert(-2, (3.1, "local", {"type": "local.mic.muted", "reason": "playback"}))
    quick = [*base, (5.4, "local", {"type": "local.mic.unmuted"}),
             (40.0, "local", {"type": "local.transport.state", "state": "closed"})]
    assert rules_for(tmp_path, quick) == set()
    late = [*base, (12.0, "local", {"type": "local.mic.unmuted", "reason": "user"}),
            *speech(13.0, "u2", 12000, 13500)]
    assert rules_for(tmp_path, late) == {"mic-not-resumed"}


def test_a_mic_shut_for_its_own_reasons_is_not_stuck_after_playback(tmp_path: Path) -> None:
    """Issue 36, item 7: with no mic device our client logs ``local.mic.muted`` with reason
    ``no_device`` for the whole session; a cancel and a minute of keys later the doctor told the
    developer to fix their unmute code. A user's own mute is the same; a playback mute is not."""
    for reason, expected in (("no_device", set()), ("user", set()), ("ptt_idle", set()),
                             ("playback", {"mic-not-resumed"})):
        rows = [*start(), (0.1, "local", {"type": "local.mic.muted", "reason": reason})]
        rows += [(3.0, "in", {"type": "response.created", "response": {"id": "r1"}}),
                 (3.1, "in", {"type": "output_audio_buffer.started", "response_id": "r1"}),
                 (3.9, "local", {"type": "local.key", "action": "cancel"}),
                 (3.9, "out", {"type": "response.cancel", "response_id": "r1"}),
                 (3.95, "in", {"type": "response.done",
                               "response": {"id": "r1", "status": "cancelled"}}),
                 (3.96, "in", {"type": "output_audio_buffer.cleared", "response_id": "r1"}),
                 (30.0, "local", {"type": "local.key", "action": "mute"}),
                 (60.0, "local", {"type": "local.transport.state", "state": "closed"})]
        assert rules_for(tmp_path, rows) == expected, reason


def test_barge_in_after_real_playback_is_not_self_interruption(tmp_path: Path) -> None:
    rows = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1", cut_at=2.5)
    rows += speech(5.7, "u2", 5000, 6500)[1:]
    assert rules_for(tmp_path, rows) == set()
    echo = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1", cut_at=0.4)
    echo += speech(3.6, "u2", 5000, 6500)[1:]
    assert rules_for(tmp_path, echo) == {"self-interruption"}


def test_a_log_with_no_echo_path_never_reports_echo(tmp_path: Path) -> None:
    """``voicechat test``'s scripted mic and virtual speaker have no path from one to the
    other: a recorded caller going on after a pause cut the answer moments after it began,
    and ``doctor: clean`` failed on "interrupted by its own voice" (issue 79). The client
    logs where sound can reach the mic; a log without that word is judged as before."""
    echo = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1", cut_at=0.4)
    echo += speech(3.6, "u2", 5000, 6500)[1:]

    def sink(echo_path: bool) -> tuple:
        return (0.05, "local", {"type": "local.speaker.sink", "sink": "virtual",
                                "echo_path": echo_path})

    assert rules_for(tmp_path, [echo[0], sink(False), *echo[1:]]) == set()
    assert rules_for(tmp_path, [echo[0], sink(True), *echo[1:]]) == {"self-interruption"}


def test_a_cut_whose_truncation_rules_out_echo_is_not_reported(tmp_path: Path) -> None:
    """A real beta WebRTC log: speech_started right after playback began, but the server's
    truncation says 0 ms had been played, so the user was talking, not the speaker."""
    echo = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1", cut_at=0.05)

    def truncated(played_ms: int) -> tuple:
        return (3.3, "in", {"type": "conversation.item.truncated", "item_id": "r1_item",
                            "content_index": 0, "audio_end_ms": played_ms})

    assert rules_for(tmp_path, [*echo, truncated(0)]) == set()
    assert rules_for(tmp_path, [*echo, truncated(400)]) == {"self-interruption"}
    # a real GA WebRTC log: 3 transcript deltas (sent ahead of the sound) but 1640 ms heard
    assert rules_for(tmp_path, [*echo, truncated(1640)]) == set()


def test_one_short_blip_among_normal_turns_is_fine(tmp_path: Path) -> None:
    rows = start()
    for n, (a, b) in enumerate([(0, 1500), (3000, 3200), (5000, 7000), (9000, 11000)]):
        rows += speech(1.0 + n * 3, f"u{n}", a, b)
    assert rules_for(tmp_path, rows) == set()
    rows += speech(20.0, "u9", 20000, 20150)
    assert rules_for(tmp_path, rows) == {"short-speech-segments"}


def test_late_transcript_of_the_last_turn_is_not_reported(tmp_path: Path) -> None:
    rows = start() + speech(1.0, "u1", 1000, 2500)
    rows += speech(5.0, "u2", 5000, 6500)[:3]  # log ends before u2's transcript arrives
    assert rules_for(tmp_path, rows) == set()
    rows += speech(9.0, "u3", 9000, 10500)
    assert rules_for(tmp_path, rows) == {"transcription-off-or-empty"}  # u2 never got one


def test_cancel_after_the_assistant_spoke_is_a_normal_interruption(tmp_path: Path) -> None:
    def cancelled(after: float, deltas: int) -> list[tuple]:
        rows: list[tuple] = [(1.0, "in", {"type": "response.created", "response": {"id": "r"}})]
        rows += [(1.0 + 0.01 * i, "in", {"type": "response.output_audio_transcript.delta",
                                          "response_id": "r", "delta": "w"})
                 for i in range(deltas)]
        rows += [(1.0 + after, "out", {"type": "response.cancel"}),
                 (1.05 + after, "in", {"type": "response.done", "response": {
                     "id": "r", "status": "cancelled",
                     "status_details": {"type": "cancelled", "reason": "client_cancelled"}}})]
        return rows

    assert rules_for(tmp_path, start() + cancelled(2.5, 30)) == set()
    assert rules_for(tmp_path, start() + cancelled(0.2, 0)) == {"client-cancelled-response"}


def test_beta_event_sent_to_a_ga_server_is_a_dialect_mismatch(tmp_path: Path) -> None:
    rows = [*start(),
            (0.5, "out", {"type": "transcription_session.update", "event_id": "evt_1",
                          "session": {"input_audio_transcription": {"model": "whisper-1"}}}),
            (0.6, "in", {"type": "error", "error": {
                "type": "invalid_request_error", "code": "invalid_value", "param": "type",
                "event_id": "evt_1",
                "message": "Invalid value: 'transcription_session.update'. Supported values "
                           "are: 'session.update', 'response.create'."}})]
    assert rules_for(tmp_path, rows) == {"dialect-mismatch"}


def test_mismatch_fix_names_the_ga_replacement(tmp_path: Path) -> None:
    rows = [*start(), (0.5, "out", {"type": "transcription_session.update", "session": {
        "input_audio_transcription": {"model": "whisper-1"}}})]
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"t": t, "ts": "", "dir": d, "event": e}) + "\n"
                            for t, d, e in rows))
    [finding] = diagnose(path).findings
    assert "transcription_session.update in the beta shape" in finding.evidence[0].detail
    assert 'session.update with "type": "transcription"' in finding.fix


def test_typed_only_session_with_spoken_replies_is_not_a_stuck_mic(tmp_path: Path) -> None:
    rows = start()
    for n in range(3):
        t = 1.0 + n * 20
        rows.append((t, "out", {"type": "conversation.item.create", "item": {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "hi"}]}}))
        rows.append((t + 0.1, "out", {"type": "response.create"}))
        rows += webrtc_response(t + 0.2, f"r{n}")
    assert rules_for(tmp_path, rows) == set()


def test_short_segments_use_the_protocol_threshold_like_the_core(tmp_path: Path) -> None:
    """One constant: the rule and the core's timeline call the same segments short."""
    from tests.core.harness import Harness
    from voicechat.protocol.session_audio import SHORT_SPEECH_SEGMENT_MS as SHORT

    lengths = [SHORT - 1, SHORT - 100, SHORT, SHORT + 400]
    rows = start()
    h = Harness()
    h.start()
    for n, length in enumerate(lengths):
        start_ms = 1000 + n * 3000
        rows += speech(1.0 + n * 3, f"u{n}", start_ms, start_ms + length)
        h.ev("input_audio_buffer.speech_started", audio_start_ms=start_ms, item_id=f"u{n}")
        h.ev("input_audio_buffer.speech_stopped", audio_end_ms=start_ms + length, item_id=f"u{n}")
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"t": t, "ts": "", "dir": d, "event": e}) + "\n"
                            for t, d, e in rows))
    [finding] = [f for f in diagnose(path).findings if f.rule == "short-speech-segments"]
    flagged = {e.detail.split(":")[0].split()[-1] for e in finding.evidence}
    assert flagged == {"u0", "u1"}
    assert [s.too_short for s in h.view.vad_segments] == [True, True, False, False]
    assert f"under {SHORT} ms" in finding.fix


def lost_after(silence: float, *, detail: str = "ICE/DTLS connection failed",
               state: str = "failed", muted: bool = False) -> list[tuple]:
    """Our WebRTC log: a turn, the mic open (or muted by the user), then ``silence`` seconds
    with no server event before the transport reports ``state``."""
    rows = [(0.0, "local", {"type": "local.mic.source", "source": "default"}),
            *start(), *speech(1.0, "u1", 1000, 2500)]
    if muted:
        rows.append((2.0, "local", {"type": "local.mic.muted", "reason": "user"}))
    last = rows[-1][0] if not muted else 1.3
    rows.append((last + silence, "local", {"type": "local.transport.state", "state": state,
                                           "detail": detail}))
    return rows


def test_a_long_server_silence_ended_by_a_lost_link_is_a_dead_link(tmp_path: Path) -> None:
    assert rules_for(tmp_path, lost_after(12.0)) == {"server-silent"}
    assert rules_for(tmp_path, lost_after(12.0, state="closed",
                                          detail="peer connection closed")) == {"server-silent"}
    assert rules_for(tmp_path, lost_after(6.0)) == set()  # noticed soon enough
    # the user left, or muted the mic: nothing was sent into the silence
    assert rules_for(tmp_path, lost_after(40.0, state="closed", detail="")) == set()
    assert rules_for(tmp_path, lost_after(40.0, state="closed", detail="stopped")) == set()
    assert rules_for(tmp_path, lost_after(40.0, muted=True)) == set()
    # the client's own liveness check noticed: it waited seconds, however quiet the user was
    assert rules_for(tmp_path, lost_after(40.0, detail="the server sent nothing (no audio, no "
                                                       "events) for 3.5 s: the link is dead")) \
        == set()


def test_websocket_appends_must_run_up_to_the_lost_link(tmp_path: Path) -> None:
    def rows(stop_sending_at: float) -> list[tuple]:
        out = [*start(), *speech(1.0, "u1", 1000, 2500)]
        t = 2.0
        while t < stop_sending_at:
            out.append((t, "out", {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}}))
            t += 0.1
        out.append((20.0, "local", {"type": "local.transport.state", "state": "closed",
                                    "detail": "socket closed by the server (code 1006)"}))
        return out

    assert rules_for(tmp_path, rows(19.9)) == {"server-silent"}
    assert rules_for(tmp_path, rows(8.0)) == set()  # the client had stopped sending long before


def android_log(tmp_path: Path, rows: list[tuple[float, str, dict[str, Any]]],
                app: list[tuple[float, str]], stamp: str = "iso") -> Path:
    """An Android WebRTC app's text log: bracketed timestamps, events inline, the app's own
    lines between them (``stamp``: ``iso`` dates, or ``clock`` times of day)."""
    def when(t: float) -> str:
        whole = int(t)
        clock = f"10:{whole // 60:02d}:{whole % 60:02d}.{round((t - whole) * 1000):03d}"
        return f"[2026-11-21 {clock}]" if stamp == "iso" else f"[{clock}]"

    lines = [(t, n, f"{when(t)} D/DataChannel: {'onMessage' if d == 'in' else 'send'}: "
                    f"{json.dumps(e)}") for n, (t, d, e) in enumerate(rows)]
    lines += [(t, len(rows) + n, f"{when(t)} {text}") for n, (t, text) in enumerate(app)]
    path = tmp_path / "app.log"
    path.write_text("".join(line + "\n" for _, _, line in sorted(lines)))
    return path


def test_a_text_logs_own_lines_show_the_session_stayed_open(tmp_path: Path) -> None:
    """The seed's case: the last event is output_audio_buffer.stopped, the app logs on with
    its mic muted. Its own timestamps show how long the session stayed open; the 30 s bar the
    real logs taught still holds (10 s of lines is a user who left), and lines on another
    clock than the events' (a time of day against dated events) are not read as the end."""
    rows = start() + speech(1.0, "u1", 1000, 2500) + webrtc_response(3.0, "r1")
    quiet_app = [(5.0 + 5 * n, "D/AudioRecord: mic muted, 0 frames sent") for n in range(2)]
    assert rules_for_file(android_log(tmp_path, rows, quiet_app)) == set()
    long_app = [(5.0 + 5 * n, "D/AudioRecord: mic muted, 0 frames sent") for n in range(11)]
    long_app.append((55.5, "E/PeerConnection: onConnectionChange FAILED"))
    assert rules_for_file(android_log(tmp_path, rows, long_app)) == {"mic-not-resumed"}
    [finding] = diagnose(android_log(tmp_path, rows, long_app)).findings
    assert "for 50.5 s" in finding.evidence[0].detail and "t=55.500s" in finding.evidence[0].detail
    # the user spoke again 20 s later: not stuck, however long the app logs afterwards
    resumed = rows + speech(25.0, "u2", 24000, 25500)
    assert rules_for_file(android_log(tmp_path, resumed, long_app)) == set()
    # a typed-only session (no user audio ever) stays quiet whatever the timeline
    typed = [r for r in rows if not r[2]["type"].startswith(("input_audio", "conversation"))]
    assert rules_for_file(android_log(tmp_path, typed, long_app)) == set()
    # events stamped with a time of day, app lines with dates: another scale, not used
    path = android_log(tmp_path, rows, [], stamp="clock")
    with path.open("a") as handle:
        handle.writelines(f"[2026-11-21 10:00:{int(t):02d}.000] {text}\n" for t, text in long_app)
    assert rules_for_file(path) == set()
    assert rules_for_file(android_log(tmp_path, rows, long_app, stamp="clock")) == {
        "mic-not-resumed"}


def rules_for_file(path: Path) -> set[str]:
    return {f.rule for f in diagnose(path).findings}


def test_a_beta_answer_to_a_ga_client_names_the_gateway_that_forces_the_header() -> None:
    """Issue 37: since OpenAI retired the beta API, a beta-speaking server behind a GA client
    is most often new-api forcing the header upstream; the finding says so."""
    logs = Path(__file__).parent / "logs"
    [finding] = diagnose(logs / "dialect_ga_client_beta_server.json").findings
    assert finding.rule == "dialect-mismatch"
    assert "new-api" in finding.fix and "2026-05-12" in finding.fix


def test_playback_going_on_after_an_underrun_is_no_new_start() -> None:
    """Our own log (the weather example over WebSocket on a loaded machine, 2026-11-27): the
    speaker drained for 5 ms mid-answer and went on with the same item, and the user's "stop"
    1.27 s into the answer came 0.77 s after that restart: the doctor took the restart for the
    playback's start and the interruption for echo."""
    log = Path(__file__).parent / "logs" / "underrun_then_interrupted_ws_ours.jsonl"
    assert "self-interruption" not in rules_for_file(log)
