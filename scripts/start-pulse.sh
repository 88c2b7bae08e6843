#!/usr/bin/env bash
# Start a private PulseAudio daemon with a virtual speaker and a virtual microphone.
#   sink "speaker"        : what the app plays; record it from "speaker.monitor"
#   sink "micfeed"        : play a WAV into it (paplay --device=micfeed x.wav)...
#   source "mic"          : ...and the app hears it here (the default input)
# Source this file (". scripts/start-pulse.sh") so XDG_RUNTIME_DIR and PULSE_SERVER stay set.
# There is no sound card or kernel sound support on our machines; this is the only audio path.
export VOICECHAT_PULSE_DIR=${VOICECHAT_PULSE_DIR:-/tmp/voicechat-pulse-$(id -u)}
mkdir -p "$VOICECHAT_PULSE_DIR"; chmod 700 "$VOICECHAT_PULSE_DIR"
export XDG_RUNTIME_DIR="$VOICECHAT_PULSE_DIR"
export PULSE_SERVER="unix:$VOICECHAT_PULSE_DIR/pulse/native"
if ! pactl info >/dev/null 2>&1; then
  cat > "$VOICECHAT_PULSE_DIR/virt.pa" <<'PA'
load-module module-native-protocol-unix
load-module module-always-sink
load-module module-null-sink sink_name=speaker rate=48000 sink_properties=device.description=VirtualSpeaker
load-module module-null-sink sink_name=micfeed rate=48000 sink_properties=device.description=MicFeed
load-module module-remap-source master=micfeed.monitor source_name=mic source_properties=device.description=VirtualMic
set-default-sink speaker
set-default-source mic
PA
  pulseaudio --daemonize=yes --exit-idle-time=-1 -n --file="$VOICECHAT_PULSE_DIR/virt.pa" \
    --log-target=file:"$VOICECHAT_PULSE_DIR/pulse.log" --use-pid-file=yes 2>/dev/null || true
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
fi
if pactl info >/dev/null 2>&1; then
  echo "start-pulse: PulseAudio ready at $PULSE_SERVER"
else
  echo "start-pulse: PulseAudio did not start; see $VOICECHAT_PULSE_DIR/pulse.log" >&2
fi
# Opt-in: the speaker echoing into the mic (laptop speakers), for echo-cancellation work.
if [ "${VOICECHAT_PULSE_ECHO:-0}" = 1 ] && pactl info >/dev/null 2>&1; then
  "$(dirname "${BASH_SOURCE[0]}")/pulse-echo.sh" on "${VOICECHAT_PULSE_ECHO_MS:-30}" \
    "${VOICECHAT_PULSE_ECHO_DB:--6}"
fi
