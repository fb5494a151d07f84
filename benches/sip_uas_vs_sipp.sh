#!/usr/bin/env bash
# CPU per answered call: Ringlet's headless engine (a UDP SIP account with auto-answer) against
# sipp's own `uas`, both receiving the same load from sipp's `uac` on loopback in one run.
# Prints the CPU time each answerer used and the ratio. BENCHMARKS.md records the figures.
# CPU times drift by tens of percent between runs on a shared machine, so RUNS=N repeats the
# pair N times and prints each run's figures and the median ratio.
#
#   bash benches/sip_uas_vs_sipp.sh [calls] [rate]
#   RINGLET_BIN=/path/to/ringlet bash benches/sip_uas_vs_sipp.sh   (a given build)
#   RUNS=10 bash benches/sip_uas_vs_sipp.sh 2000 200                 (ten runs, median)
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

# one_run: Ringlet, then sipp's own uas, under the same load; appends "ringlet_ticks
# sipp_ticks ringlet_wall_ms sipp_wall_ms" to $work/runs
one_run() {
  rm -rf "$work/r"
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
  wait "$pid" 2>/dev/null || true

  # sipp uas
  sipp -nostdin -sn uas -i 127.0.0.1 -p 25070 -bg > /dev/null 2>&1 || true
  sleep 0.5
  uas=$(pgrep -n -f "sipp -nostdin -sn uas -i 127.0.0.1 -p 25070")
  before=$(cpu_ticks "$uas"); start=$(date +%s%N)
  load 25070
  sipp_cpu=$(( $(cpu_ticks "$uas") - before )); sipp_wall=$(( ($(date +%s%N) - start) / 1000000 ))
  kill "$uas" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$uas" 2>/dev/null || break; sleep 0.1; done

  echo "$ringlet_cpu $sipp_cpu $ringlet_wall $sipp_wall" >> "$work/runs"
}

for _ in $(seq "${RUNS:-1}"); do one_run; done

python3 - "$calls" "$ticks" "$profile" "$work/runs" <<'PY'
import statistics, sys
calls, ticks, profile, runs = sys.argv[1:]
calls, ticks = int(calls), int(ticks)
rows = [[int(x) for x in line.split()] for line in open(runs) if line.strip()]
print(f"profile={profile} calls={calls} runs={len(rows)}")
ratios = []
for r, s, rw, sw in rows:
    rms, sms = r * 1000 / ticks, s * 1000 / ticks
    ratios.append(rms / max(sms, 1e-9))
    print(f"ringlet_uas cpu_ms={rms:.0f} cpu_us_per_call={rms*1000/calls:.0f} wall_ms={rw}")
    print(f"sipp_uas    cpu_ms={sms:.0f} cpu_us_per_call={sms*1000/calls:.0f} wall_ms={sw}")
    print(f"ratio ringlet/sipp = {ratios[-1]:.2f}")
if len(rows) > 1:
    print(f"median ratio ringlet/sipp = {statistics.median(ratios):.2f} "
          f"(runs at or under 2.0: {sum(r <= 2.0 for r in ratios)} of {len(ratios)})")
PY
