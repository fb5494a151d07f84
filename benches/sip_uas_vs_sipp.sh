#!/usr/bin/env bash
# CPU per answered call: Ringlet's headless engine (a UDP SIP account with auto-answer) against
# sipp's own `uas`, both receiving the same load from sipp's `uac` on loopback in one run.
# Prints the CPU time each answerer used and the ratio. BENCHMARKS.md records the figures.
#
#   bash benches/sip_uas_vs_sipp.sh [calls] [rate]
#   RINGLET_BIN=/path/to/ringlet bash benches/sip_uas_vs_sipp.sh   (a given build)
set -euo pipefail
cd "$(dirname "$0")/.."
calls="${1:-2000}"
rate="${2:-200}"
profile="${PROFILE:-release}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ringlet-target}"
flag=""
[ "$profile" = release ] && flag="--release"
if [ -n "${RINGLET_BIN:-}" ]; then
  ringlet="$RINGLET_BIN" # a binary built before, e.g. an older commit's to compare
else
  cargo build $flag --bin ringlet 2>/dev/null
  ringlet="$CARGO_TARGET_DIR/$([ "$profile" = release ] && echo release || echo debug)/ringlet"
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

load() { # load PORT: sipp uac against 127.0.0.1:PORT; fails if any call fails
  sipp -nostdin -sn uac "127.0.0.1:$1" -i 127.0.0.1 -p 25999 -m "$calls" -r "$rate" -l 200 -d 0 \
    -timeout 300s > /dev/null
}

# Ringlet
RINGLET_NO_KEYRING=1 RINGLET_LOG=warn "$ringlet" --headless --audio none --data-dir "$work/r" &
pid=$!
for _ in $(seq 100); do "$ringlet" ctl --data-dir "$work/r" status > /dev/null 2>&1 && break; sleep 0.1; done
"$ringlet" ctl --data-dir "$work/r" account add-sip --name bench --aor sip:bench@127.0.0.1 \
  --listen 127.0.0.1:25060 --auto-answer > /dev/null
sleep 0.5
before=$(cpu_ticks $pid); start=$(date +%s%N)
load 25060
ringlet_cpu=$(( $(cpu_ticks $pid) - before )); ringlet_wall=$(( ($(date +%s%N) - start) / 1000000 ))
"$ringlet" ctl --data-dir "$work/r" shutdown > /dev/null || true

# sipp uas
sipp -nostdin -sn uas -i 127.0.0.1 -p 25070 -bg > /dev/null 2>&1 || true
sleep 0.5
uas=$(pgrep -n -f "sipp -nostdin -sn uas -i 127.0.0.1 -p 25070")
before=$(cpu_ticks "$uas"); start=$(date +%s%N)
load 25070
sipp_cpu=$(( $(cpu_ticks "$uas") - before )); sipp_wall=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$uas" 2>/dev/null || true

python3 - "$calls" "$ticks" "$ringlet_cpu" "$sipp_cpu" "$ringlet_wall" "$sipp_wall" "$profile" <<'PY'
import sys
calls, ticks, r, s, rw, sw, profile = sys.argv[1:]
calls, ticks, r, s = int(calls), int(ticks), int(r), int(s)
rms, sms = r * 1000 / ticks, s * 1000 / ticks
print(f"profile={profile} calls={calls}")
print(f"ringlet_uas cpu_ms={rms:.0f} cpu_us_per_call={rms*1000/calls:.0f} wall_ms={rw}")
print(f"sipp_uas    cpu_ms={sms:.0f} cpu_us_per_call={sms*1000/calls:.0f} wall_ms={sw}")
print(f"ratio ringlet/sipp = {rms/max(sms,1e-9):.2f}")
PY
