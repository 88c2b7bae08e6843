"""The local server's Gemini Live side (``…GenerativeService.BidiGenerateContent``), beside its
Realtime and GPT-Live sides.

It shares the offline pipeline (VAD, ASR, TTS and the responders of
:mod:`voicechat.server.voice`, through the server's one :class:`~voicechat.server.voicekit.
VoiceKit`; GPT-Live's :class:`~voicechat.server.live.listener.Listener` and
:class:`~voicechat.server.live.speaker.Speaker`, which are protocol-free but for the speaker's
transcript event, translated here), the HTTP app, auth and log scrubbing. The wire's words come
from :mod:`voicechat.protocol.gemini`; everything else Gemini-specific lives here:

* :mod:`.options` — the knobs (connection lifetime, goAway lead, handle life);
* :mod:`.credentials` — project keys (``?key=``, ``x-goog-api-key``) and ephemeral tokens
  (``auth_tokens/…``: minted, constrained, used up);
* :mod:`.conversation` — a conversation that outlives its connection, and the resumption
  handles that find it again;
* :mod:`.output` — the model's audio (paced 24 kHz ``inlineData``) and transcript out;
* :mod:`.turns` — a turn: the responder's reply spoken, tool calls that block it, barge-in;
* :mod:`.session` — one connection: messages in, the listener, lifetime, goAway, close codes;
* :mod:`.ws`, :mod:`.routes` — the WebSocket handler, the paths and the token endpoint.
"""
