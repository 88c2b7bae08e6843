"""Gemini Live (``BidiGenerateContent``): Google's voice API, as voicechat's third sans-IO family.

Beside the Realtime dialects and GPT-Live (:mod:`voicechat.protocol.live`), not one more of
them: Gemini Live has one ``setup`` message fixed for the connection, no items, no responses,
no cancel or truncate, and no error event — a refusal is a WebSocket close code. This package
holds what the local server's peer (:mod:`voicechat.server.gemini`), the client family built on
it and the doctor share, stdlib only:

* :mod:`.names` — paths, message keys, the audio formats, models, voices, limits;
* :mod:`.spelling` — proto-JSON's two spellings of every field (``realtimeInput`` and
  ``realtime_input``), read as one;
* :mod:`.close_codes` — what 1007, 1008 and 1011 mean and what a user should do;
* :mod:`.errors` — a refusal (:class:`~.errors.Refusal`: the close code and its reason);
* :mod:`.audio` — the ``audio/pcm;rate=N`` mime type, durations (``"9.5s"``);
* :mod:`.validation` — a client message checked as the service checks it;
* :mod:`.client_messages` / :mod:`.server_messages` — builders of each side's frames;
* :mod:`.events` — one server frame decoded into typed events (never raises);
* :mod:`.family` — whether a JSON object is a Gemini Live frame, and whose.

Source of truth: ``/work/shared/reference/providers.md`` §2, §9 and §13 for behaviour; where
sources disagree the official SDK (``google-genai`` 3.3.0, ``google.genai.types``) decides,
and tests/server/gemini/ checks every frame the local peer sends against its pydantic types.
"""
