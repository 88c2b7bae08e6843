"""Tests of the offline voice pipeline and the audio DSP."""
