"""A session's records with known times (as tests/latency/test_timeline.py builds them): a
spoken turn, a tool turn and a barge-in, with a transcript and a key in the events."""

from __future__ import annotations

from typing import Any

Record = tuple[float, str, dict[str, Any]]

KEY = "sk-proj-abcdef0123456789XYZ"
SAID = "my card is under Elm Street"
ANSWER = "The weather in Paris is mild"
TOOL_ARGS = '{"city": "Paris-Nord"}'
TOOL_RESULT = '{"temp": "17C secret-tool-result"}'
TYPED = "what about Lyon-Saint-Exupery"


def session_records() -> list[Record]:
    records: list[Record] = [
        (0.0, "in", {"type": "session.created", "session": {
            "id": "sess_abc", "audio": {"input": {"turn_detection": {
                "type": "server_vad", "silence_duration_ms": 500}}}}}),
        (0.01, "out", {"type": "session.update", "session": {
            "instructions": f"use the key {KEY}"}}),
        # a spoken turn: first audio 310 ms after speech_stopped
        (1.0, "in", {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1000}),
        (2.0, "in", {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 2000}),
        (2.02, "in", {"type": "input_audio_buffer.committed", "item_id": "u1"}),
        (2.05, "in", {"type": "response.created", "response": {"id": "r1"}}),
        (2.1, "in", {"type": "conversation.item.input_audio_transcription.completed",
                     "item_id": "u1", "transcript": f"{SAID}, key {KEY}"}),
        (2.2, "in", {"type": "response.output_audio_transcript.delta", "response_id": "r1",
                     "delta": "The"}),
        (2.31, "in", {"type": "response.output_audio.delta", "response_id": "r1",
                      "delta": {"bytes": 4800}}),
        (2.9, "in", {"type": "response.output_audio_transcript.done", "response_id": "r1",
                     "transcript": ANSWER}),
        (3.0, "in", {"type": "response.done", "response": {"id": "r1", "status": "completed"}}),
        # a typed turn that calls a tool: first audio 2.0 s after the response.create
        (5.0, "out", {"type": "conversation.item.create", "item": {
            "type": "message", "role": "user", "content": [{"type": "input_text",
                                                            "text": TYPED}]}}),
        (5.01, "out", {"type": "response.create"}),
        (5.1, "in", {"type": "response.created", "response": {"id": "r2"}}),
        (5.5, "in", {"type": "response.output_item.done", "response_id": "r2", "item": {
            "type": "function_call", "call_id": "c1", "name": "weather",
            "arguments": TOOL_ARGS}}),
        (5.6, "in", {"type": "response.done", "response": {"id": "r2"}}),
        (6.5, "out", {"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": "c1", "output": TOOL_RESULT}}),
        (6.51, "out", {"type": "response.create"}),
        (6.7, "in", {"type": "response.created", "response": {"id": "r3"}}),
        (7.01, "in", {"type": "response.output_audio.delta", "response_id": "r3"}),
        (7.5, "in", {"type": "response.done", "response": {"id": "r3"}}),
        # a spoken turn the user interrupts (the local detector paused the speaker)
        (9.0, "local", {"type": "local.transport.state", "state": "connected"}),
        (10.0, "in", {"type": "input_audio_buffer.speech_stopped"}),
        (10.02, "in", {"type": "input_audio_buffer.committed", "item_id": "u3"}),
        (10.05, "in", {"type": "response.created", "response": {"id": "r4"}}),
        (10.45, "in", {"type": "response.output_audio.delta", "response_id": "r4"}),
        (10.6, "local", {"type": "local.playback.started", "item_id": "a4"}),
        (11.0, "local", {"type": "local.bargein.paused", "speech_ms": 120}),
        (11.3, "local", {"type": "local.bargein.confirmed"}),
        (11.31, "out", {"type": "response.cancel"}),
        (11.4, "in", {"type": "response.done", "response": {"id": "r4",
                                                            "status": "cancelled"}}),
    ]
    return records
