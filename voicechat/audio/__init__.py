"""Audio for voicechat: devices, file and null sources/sinks, paced WebRTC tracks, and DSP.

Kept empty on purpose: importing ``voicechat.audio`` must not pull in numpy, sounddevice or
aiortc, so each submodule is imported where it is needed.
"""
