"""Real-time media code shared by the local server and the client.

- ``dsp``: PCM16 and G.711 conversion, resampling, levels (numpy only; the Realtime audio
  formats on one side, Opus's 48 kHz frames on the other);
- ``loopback``: makes aiortc's ICE work on 127.0.0.1 (it skips loopback addresses);
- ``tracks``: the paced outgoing audio track (aiortc pulls frames as fast as it can unless the
  track paces itself); ``pacer``: the one 20 ms grid all strictly paced tracks share;
- ``opus``: the tracks' own Opus encoder, and the server's input decoder (mono, 16 kHz);
  ``libopus``: libopus's decoder through ctypes, so that input decodes at 16 kHz directly;
- ``jitter``: the adaptive receive jitter buffer, sans-IO (target delay follows measured jitter);
- ``aiortc_jitter``: installs it in aiortc's audio receiver (aiortc 1.16.0 internals);
- ``inline_receive``: the server's stand-in for that buffer: decodes each packet on arrival, in
  the event loop (same internals).

The server may import this package, :mod:`voicechat.protocol` and :mod:`voicechat.eventlog`,
and nothing else of the client's.
"""
