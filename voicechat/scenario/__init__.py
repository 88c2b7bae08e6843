"""Spoken conversation tests for any voice agent (issue 52): the scenario file and its checks.

A scenario is a YAML file of turns (spoken, typed or recorded) with what each turn's answer must
show (tool calls, words in the reply, latency, an interruption honoured). This package is the
file's contract and the verdicts, without I/O beyond reading the file:

* :mod:`voicechat.scenario.yaml_lines` reads YAML keeping each value's line, so every error
  names the file, the line and the key;
* :mod:`voicechat.scenario.spec` turns that into a checked
  :class:`~voicechat.scenario.spec.Scenario`;
* :mod:`voicechat.scenario.checks` judges one turn as observed against its expectations.

The runner that speaks the turns to an endpoint (``voicechat test``) is built on these.
"""
