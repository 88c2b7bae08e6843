#!/usr/bin/env bash
# Install everything voicechat needs on a Debian/Ubuntu machine, idempotently:
#   - Debian packages: PortAudio (sounddevice has none on Linux), a PulseAudio daemon with the
#     ALSA plugin (virtual mic/speaker for tests), libspeexdsp1 (the barge-in detector's linear
#     echo canceller, audio/echo/linear.py), espeak-ng + sox (test speech), tmux (TUI tests)
#   - a virtualenv in .venv with voicechat installed editable, plus the dev tools, the otel
#     extra (OpenTelemetry trace export) and the load extra (Locust, for voicechat load), at the
#     exact versions of constraints.txt
#     (pyproject.toml itself only gives compatible ranges)
# Safe to run again; it only installs what is missing.
#   --with-test-tools  also install what only the test suite needs (headless Chromium for the
#                      browser-client test; LiveKit Agents and Pipecat in .venv-livekit and
#                      .venv-pipecat for tests/foreign/); scripts/test.sh passes it.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins libspeexdsp1 espeak-ng
  sox tmux)
if [ "${1:-}" = "--with-test-tools" ]; then
  APT_PACKAGES+=(chromium)
fi
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install -q -U pip
fi
stamp=.venv/.voicechat-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing voicechat and its dependencies into .venv"
  # pyproject.toml has compatible ranges; constraints.txt pins the versions the tests run with
  .venv/bin/pip install -q -e '.[dev,otel,load]' -c constraints.txt
  touch "$stamp"
fi

# The agent frameworks the test suite drives as foreign clients of the local server
# (tests/foreign/): their pins clash with ours (livekit-agents needs livekit==1.1.21,
# pipecat-ai protobuf<7), so each gets a virtualenv of its own from its exact pins.
if [ "${1:-}" = "--with-test-tools" ]; then
  for framework in livekit pipecat; do
    venv=.venv-$framework
    requirements=tests/foreign/$framework-requirements.txt
    if [ ! -x "$venv/bin/python" ]; then
      echo "setup: creating $venv"
      "$PYTHON" -m venv "$venv"
    fi
    stamp=$venv/.voicechat-installed
    if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ]; then
      echo "setup: installing $requirements into $venv"
      "$venv/bin/pip" install -q -r "$requirements"
      touch "$stamp"
    fi
  done
fi
