#!/usr/bin/env bash
# Turn the private PulseAudio daemon into a laptop on speakers: loop the virtual speaker back
# into the virtual mic with a set latency and attenuation, so the assistant hears itself.
#
#   scripts/pulse-echo.sh on [LATENCY_MS [GAIN_DB [adaptive]]]   # default 30 ms, -6 dB
#   scripts/pulse-echo.sh off                          # remove the loop
#   scripts/pulse-echo.sh status                       # "on MODULE 30ms -6.00dB" | "off"
#
# Run after `. scripts/start-pulse.sh` (it needs PULSE_SERVER), or set VOICECHAT_PULSE_ECHO=1
# before sourcing start-pulse.sh to get the loop at start-up. The loop is a module-loopback from
# speaker.monitor into micfeed (whose monitor is the "mic" source the app records), tagged
# media.name=voicechat-echo; its sink-input volume sets the attenuation. The loop keeps a fixed
# latency (adjust_time=0) unless "adaptive" is given: then PulseAudio's default adaptive rate
# resamples the loop to hold its latency, so the echo path drifts slowly, as it does between a
# USB or Bluetooth speaker and a built-in mic (issue 53).
set -euo pipefail
TAG=voicechat-echo

loop_modules() {
  pactl list short modules | awk -v tag="media.name=$TAG" '$2 == "module-loopback" && index($0, tag) {print $1}'
}

sink_input_of() {  # the sink-input owned by module $1
  pactl list sink-inputs | awk -v m="$1" '
    /^Sink Input #/ {id = substr($3, 2)}
    /Owner Module:/ && $3 == m {print id}'
}

case "${1:-status}" in
  on)
    latency=${2:-30}
    gain_db=${3:--6}
    adjust="adjust_time=0"
    if [ "${4:-}" = adaptive ]; then adjust=""; fi
    "$0" off >/dev/null
    # shellcheck disable=SC2086  # $adjust is one word or none
    module=$(pactl load-module module-loopback source=speaker.monitor sink=micfeed \
      latency_msec="$latency" $adjust source_dont_move=true sink_dont_move=true \
      sink_input_properties=media.name=$TAG)
    linear=$(awk -v db="$gain_db" 'BEGIN {printf "%.4f", 10 ^ (db / 20)}')
    input=""
    for _ in $(seq 50); do
      input=$(sink_input_of "$module")
      [ -n "$input" ] && break
      sleep 0.05
    done
    if [ -z "$input" ]; then
      echo "pulse-echo: the loopback (module $module) has no sink input; see pulse.log" >&2
      exit 1
    fi
    pactl set-sink-input-volume "$input" "$linear"
    echo "pulse-echo: speaker.monitor -> mic, ${latency} ms, ${gain_db} dB, ${4:-fixed} (module $module)"
    ;;
  off)
    for module in $(loop_modules); do pactl unload-module "$module"; done
    echo "pulse-echo: off"
    ;;
  status)
    module=$(loop_modules | head -n 1)
    if [ -z "$module" ]; then echo off; exit 0; fi
    latency=$(pactl list short modules | awk -v m="$module" '$1 == m' | grep -o 'latency_msec=[0-9]*' | cut -d= -f2)
    input=$(sink_input_of "$module")
    volume=$(pactl list sink-inputs \
      | awk -v i="$input" '/^Sink Input #/ {on = (substr($3, 2) == i)} on && /Volume:/ {print; exit}' \
      | grep -o -- '-\?[0-9.]* dB' | head -n 1 | tr -d ' ')
    echo "on $module ${latency}ms ${volume}"
    ;;
  *)
    echo "usage: $0 on [LATENCY_MS [GAIN_DB [adaptive]]] | off | status" >&2
    exit 2
    ;;
esac
