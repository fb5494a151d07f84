#!/usr/bin/env bash
# N concurrent P2P calls between two release daemons on loopback (a release `ringlet node`
# between them): Alice calls Bob N times (paced under Bob's INVITE allowance), Bob answers
# each, both send a tone and discard what they hear. With every call up, each daemon's media
# thread ticks (20 ms) and late ticks are read from `status` before and after SECONDS;
# prints the late share per daemon and how the calls' media travel.
#
# Usage: benches/p2p_concurrent_calls.sh [N] [SECONDS]   Needs: cargo build --release
set -euo pipefail
calls=${1:-50}
seconds=${2:-20}
. "$(dirname "$0")/p2p_env.sh"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

start_node
declare -A tone=([alice]=440 [bob]=880)
for who in alice bob; do
  "$bin" --data-dir "$tmp/$who" --headless --audio-in "tone:${tone[$who]}" --audio-out null \
    --bootstrap "$bootstrap" &
  pids+=($!)
  for _ in $(seq 100); do ctl "$who" status >/dev/null 2>&1 && break; sleep 0.1; done
done
befriend

count() { # count WHO STATE
  ctl "$1" status | python3 -c "import json,sys; print(sum(c['state']=='$2' for c in json.load(sys.stdin)['calls']))"
}
answer_all() { # answers every call ringing at Bob
  for id in $(ctl bob status | python3 -c "import json,sys; print(' '.join(str(c['id']) for c in json.load(sys.stdin)['calls'] if c['state']=='incoming'))"); do
    ctl bob answer "$id" >/dev/null || true
  done
}
for i in $(seq "$calls"); do
  ctl alice call alice "$bob" >/dev/null
  answer_all
  # Bob takes bursts of 20 INVITEs, then two a second.
  [ "$i" -gt 18 ] && sleep 0.5
done
for _ in $(seq 200); do
  answer_all
  [ "$(count alice active)" -ge "$calls" ] && break
  sleep 0.1
done
up=$(count alice active)
ticks() { ctl "$1" status | json '["media_ticks"]' | tr -d '[]()' ; }
a0=$(ticks alice); b0=$(ticks bob)
sleep "$seconds"
a1=$(ticks alice); b1=$(ticks bob)
paths=$(ctl alice status | python3 -c "import json,sys,collections; print(dict(collections.Counter(c.get('path') for c in json.load(sys.stdin)['calls'])))")
python3 - "$up" "$calls" "$seconds" "$a0" "$a1" "$b0" "$b1" "$paths" <<'PY'
import sys
up, calls, seconds = sys.argv[1:4]
def late(before, after):
    t0, l0 = (int(x) for x in before.split(","))
    t1, l1 = (int(x) for x in after.split(","))
    return t1 - t0, l1 - l0
print(f"{up} of {calls} calls up for {seconds} s; paths at Alice: {sys.argv[8]}")
for who, (before, after) in (("alice", sys.argv[4:6]), ("bob", sys.argv[6:8])):
    ticks, lates = late(before, after)
    print(f"{who}: {ticks} media ticks, {lates} late ({100.0 * lates / max(ticks, 1):.2f} %)")
PY
