"""The local server's GPT-Live side (``/v1/live/sessions``), beside its Realtime side.

It shares the offline pipeline (VAD, ASR, TTS and the responders of
:mod:`voicechat.server.voice`, through the server's one :class:`~voicechat.server.voicekit.
VoiceKit`), the HTTP app, auth and log scrubbing; everything GPT-Live-specific lives here:

* :mod:`.state` — the session resource, the startup and update rules, delegations (sans-IO);
* :mod:`.audio` — the session's audio format both ways, input audio to 16 kHz;
* :mod:`.listener` — the mic stream into user turns (VAD, the turn's audio, its timing);
* :mod:`.speaker` — the assistant's speech: TTS, real-time paced audio, timed transcript;
* :mod:`.backend` — the nested Responses events of a delegation (sans-IO builders);
* :mod:`.engine` — one session: commands, turns, replies, delegation, close;
* :mod:`.ws`, :mod:`.rtc`, :mod:`.routes` — WebSocket, WebRTC (the JSON create), the sideband.
"""
