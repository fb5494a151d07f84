#!/usr/bin/env bash
# CPU of a P2P call next to a SIP call, same daemons, same run: two release daemons on
# loopback (a release `ringlet node` between them), each with a P2P account (contacts) and a
# SIP account, both sending a tone and discarding what they hear. One P2P call (SIP and
# SRTP over libp2p streams), then one SIP call (UDP, SRTP mandatory on both accounts so
# that both calls do the same media work), each held up for SECONDS; the CPU time both
# daemons used meanwhile is read from /proc/PID/stat (utime + stime), idle time before the
# first call subtracted. Prints both figures and their ratio.
#
# Usage: benches/p2p_call_cpu.sh [SECONDS]   Needs: cargo build --release
set -euo pipefail
seconds=${1:-20}
. "$(dirname "$0")/p2p_env.sh"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
both_ticks() { echo $(( $(ticks "${daemon[alice]}") + $(ticks "${daemon[bob]}") )); }
wait_for() { # wait_for WHO STATE: until WHO's first call is in STATE (bounded)
  for _ in $(seq 200); do
    [ "$(ctl "$1" status | json '["calls"][0]["state"] if d["calls"] else ""' 2>/dev/null)" = "$2" ] && return 0
    sleep 0.05
  done
  echo "$1: no call in state $2" >&2; exit 1
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

start_node
declare -A daemon tone=([alice]=440 [bob]=880) port=([alice]=17460 [bob]=17470)
for who in alice bob; do
  "$bin" --data-dir "$tmp/$who" --headless --audio-in "tone:${tone[$who]}" --audio-out null \
    --bootstrap "$bootstrap" &
  daemon[$who]=$!
  pids+=($!)
  for _ in $(seq 100); do ctl "$who" status >/dev/null 2>&1 && break; sleep 0.1; done
  ctl "$who" account add-sip --name "sip$who" --aor "sip:$who@127.0.0.1:${port[$who]}" \
    --listen "127.0.0.1:${port[$who]}" --srtp mandatory --codecs opus >/dev/null
done
befriend

hz=$(getconf CLK_TCK)
idle_start=$(both_ticks); sleep "$seconds"; idle=$(( $(both_ticks) - idle_start ))

# measure KIND FROM TO: one call, answered by Bob, up for $seconds; prints CPU ticks.
measure() {
  ctl alice call "$1" "$2" >/dev/null
  wait_for bob incoming
  ctl bob answer "$(ctl bob status | json '["calls"][0]["id"]')" >/dev/null
  wait_for alice active
  local start; start=$(both_ticks)
  sleep "$seconds"
  local used=$(( $(both_ticks) - start ))
  echo "codec $(ctl alice status | json '["calls"][0]["media"]["codec"]'), path $(ctl alice status | json '["calls"][0]["path"]')" >&2
  ctl alice hangup "$(ctl alice status | json '["calls"][0]["id"]')" >/dev/null
  for _ in $(seq 100); do [ "$(ctl alice status | json '["calls"]')" = "[]" ] && break; sleep 0.05; done
  echo "$used"
}
p2p=$(measure alice "$bob")
sip=$(measure sipalice "sip:bob@127.0.0.1:${port[bob]}")
python3 - "$p2p" "$sip" "$idle" "$hz" "$seconds" <<'EOF'
import sys
p2p, sip, idle, hz, seconds = (float(x) for x in sys.argv[1:])
def pct(ticks):
    return 100.0 * (ticks - idle) / hz / seconds
print(f"idle, both daemons: {100.0 * idle / hz / seconds:.1f} % of a core")
print(f"P2P call: {pct(p2p):.1f} % of a core above idle (both daemons)")
print(f"SIP call: {pct(sip):.1f} % of a core above idle (both daemons)")
print(f"P2P / SIP: {pct(p2p) / pct(sip):.2f}")
EOF
