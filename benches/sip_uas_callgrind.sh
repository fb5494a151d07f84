#!/usr/bin/env bash
# Instructions (callgrind) an answerer spends on N calls from sipp's `uac` at 20 calls/s:
# Ringlet's headless engine (a UDP SIP account with auto-answer), then sipp's own `uas`, each
# counted only while the load runs (instrumentation switched on just before it and off just
# after), plus each one's count for 10 s with no load. Repeats to well under 1 %, where the
# CPU times of benches/sip_uas_vs_sipp.sh drift by tens of percent on a shared machine.
#
#   bash benches/sip_uas_callgrind.sh [calls]          (builds the release binary)
#   RINGLET_BIN=/path/to/ringlet bash benches/sip_uas_callgrind.sh 200
set -euo pipefail
cd "$(dirname "$0")/.."
calls="${1:-200}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ringlet-target}"
if [ -n "${RINGLET_BIN:-}" ]; then
  ringlet="$RINGLET_BIN"
else
  cargo build --release --bin ringlet 2>/dev/null
  ringlet="$CARGO_TARGET_DIR/release/ringlet"
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

load() { # load PORT: sipp uac against 127.0.0.1:PORT; fails if any call fails
  sipp -nostdin -sn uac "127.0.0.1:$1" -i 127.0.0.1 -p 25999 -m "$calls" -r 20 -l 50 -d 0 \
    -timeout 300s > /dev/null
}
collected() { grep -o 'Collected : [0-9]*' "$1" | grep -o '[0-9]*$'; }

# count NAME PID WHAT: instructions of valgrind'd PID while WHAT runs ("load PORT" or "idle")
count() {
  callgrind_control -i on "$2" > /dev/null 2>&1
  if [ "$3" = idle ]; then sleep 10; else load "$4"; fi
  callgrind_control -i off "$2" > /dev/null 2>&1
}

for what in load idle; do
  dir="$work/r-$what"
  RINGLET_NO_KEYRING=1 RINGLET_LOG=warn valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$work/ringlet-$what.out" "$ringlet" --headless --audio none \
    --data-dir "$dir" 2> "$work/ringlet-$what.log" &
  pid=$!
  for _ in $(seq 300); do "$ringlet" ctl --data-dir "$dir" status > /dev/null 2>&1 && break; sleep 0.2; done
  "$ringlet" ctl --data-dir "$dir" account add-sip --name bench --aor sip:bench@127.0.0.1 \
    --listen 127.0.0.1:25060 --auto-answer > /dev/null
  sleep 2
  count ringlet "$pid" "$what" 25060
  "$ringlet" ctl --data-dir "$dir" shutdown > /dev/null || true
  wait "$pid" || true
  eval "ringlet_$what=$(collected "$work/ringlet-$what.log")"

  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/sipp-$what.out" \
    sipp -nostdin -sn uas -i 127.0.0.1 -p 25070 > /dev/null 2> "$work/sipp-$what.log" &
  vpid=$!
  for _ in $(seq 100); do pgrep -f "sn uas -i 127.0.0.1 -p 25070" > /dev/null && break; sleep 0.1; done
  sleep 2
  count sipp "$(pgrep -n -f "sn uas -i 127.0.0.1 -p 25070")" "$what" 25070
  kill "$vpid" 2>/dev/null || true
  wait "$vpid" 2>/dev/null || true
  eval "sipp_$what=$(collected "$work/sipp-$what.log")"
done

python3 - "$calls" "$ringlet_load" "$ringlet_idle" "$sipp_load" "$sipp_idle" <<'PY'
import sys
calls, rl, ri, sl, si = map(int, sys.argv[1:])
print(f"calls={calls}")
print(f"ringlet_uas instructions={rl} idle_10s={ri} per_call={(rl - ri) / calls:.0f}")
print(f"sipp_uas    instructions={sl} idle_10s={si} per_call={(sl - si) / calls:.0f}")
print(f"per-call ratio ringlet/sipp = {(rl - ri) / max(sl - si, 1):.2f}")
PY
