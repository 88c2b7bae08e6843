"""GPT-Live (``/v1/live/sessions``): OpenAI's second voice API, as its own sans-IO family.

Beside the Realtime dialects (:mod:`voicechat.protocol.dialect`), not one more of them: GPT-Live
has no items, no responses for the voice, no turn detection and one strict config fixed at
start, so nothing maps between the two. This package holds what the client core, the local
server, the validator and the doctor share: event names and limits (:mod:`.names`), the
server's error wording (:mod:`.errors`) and validation of the session config and client events
(:mod:`.validation`).

Source of truth: ``/work/shared/reference/gpt-live.md`` for behaviour; where sources disagree or
are unsure, the official SDK's types (``openai==3.52.0``, ``openai.types.live``) decide, and a
test compares our field lists with the SDK's models (tests/protocol/test_live_protocol.py).
"""
