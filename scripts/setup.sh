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
# The installer: uv (its cache keeps every wheel it fetched, so a fresh clone on a machine that
# ran this before installs the three virtualenvs offline in seconds; pip fetched them afresh
# each time: 3 m 27 s on a fresh clone, the set-up's largest share of the suite's wall time).
# uv itself lives in a small tool venv keyed on its pinned version, in the user's cache; where
# uv cannot be had, pip does the same installs.
UV_VERSION=0.13.9
tool_cache=${XDG_CACHE_HOME:-$HOME/.cache}/voicechat
UV=$tool_cache/uv-$UV_VERSION/bin/uv
if [ ! -x "$UV" ]; then
  echo "setup: installing uv $UV_VERSION into $tool_cache"
  mkdir -p "$tool_cache"
  { "$PYTHON" -m venv "$tool_cache/uv-$UV_VERSION" \
      && "$tool_cache/uv-$UV_VERSION/bin/pip" install -q "uv==$UV_VERSION"; } >/dev/null 2>&1 \
    || { echo "setup: uv could not be installed; pip installs instead (slower)"; UV=""; }
fi
# make_venv DIR: a virtualenv with pip in it (tests build a wheel with it); `uv venv --seed`
# takes 1.7 s where `python -m venv` took 16-19 s (ensurepip under load).
make_venv() {
  if [ -n "$UV" ]; then
    "$UV" venv -q --seed --python "$PYTHON" "$1"
  else
    "$PYTHON" -m venv "$1"
  fi
}
# install_into VENV ARGS...: install ARGS (pip's syntax) into VENV; from uv's cache alone when
# it holds everything, from the registry otherwise.
install_into() {
  local venv=$1; shift
  if [ -n "$UV" ]; then
    # --compile-bytecode, as pip does: where PYTHONDONTWRITEBYTECODE is set (some machines
    # set it), nothing would ever write the .pyc files, and every start of voicechat would
    # compile its libraries afresh
    "$UV" pip install -q --offline --compile-bytecode --python "$venv/bin/python" "$@" \
      2>/dev/null || "$UV" pip install -q --compile-bytecode --python "$venv/bin/python" "$@"
  else
    "$venv/bin/pip" install -q "$@"
  fi
}

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  make_venv .venv
fi
stamp=.venv/.voicechat-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing voicechat and its dependencies into .venv"
  # pyproject.toml has compatible ranges; constraints.txt pins the versions the tests run with
  install_into .venv -e '.[dev,otel,load]' -c constraints.txt
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
      make_venv "$venv"
    fi
    stamp=$venv/.voicechat-installed
    if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ]; then
      echo "setup: installing $requirements into $venv"
      install_into "$venv" -r "$requirements"
      touch "$stamp"
    fi
  done
fi
