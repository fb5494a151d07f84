#!/usr/bin/env bash
# Start-up time, idle CPU and memory of the Ringlet window next to a bare eframe glow window
# built with the same dependencies (benches/bare_window.rs), both under a private Xvfb with
# Mesa's software GL. Prints one line per figure; BENCHMARKS.md records them.
#
#   bash benches/window_figures.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
# PROFILE=dev (default; dependencies at opt-level 2 as in Cargo.toml) or PROFILE=release.
# AUDIO=none (default) or AUDIO=system (the audio service opened as a user's window does).
profile="${PROFILE:-dev}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/ringlet-target}"
flag=""
[ "$profile" = release ] && flag="--release"
# executable KIND NAME: the path cargo built for target NAME (--bin or --bench).
executable() {
  cargo build $flag "--$1" "$2" --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys; name=sys.argv[1]; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable") and m["target"]["name"] == name][-1])' "$2"
}
# RINGLET_BIN: a Ringlet executable built before (an older commit's, to compare).
ringlet="${RINGLET_BIN:-$(executable bin ringlet)}"
bare=$(executable bench bare_window)
echo "profile=$profile ringlet=$ringlet bare=$bare"

work=$(mktemp -d)
Xvfb -displayfd 3 -screen 0 1024x700x24 -nolisten tcp 3>"$work/display" 2>/dev/null &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.05; done
export DISPLAY=":$(cat "$work/display")" LIBGL_ALWAYS_SOFTWARE=1 RINGLET_REPORT_FIRST_FRAME=1
unset WAYLAND_DISPLAY
ticks=$(getconf CLK_TCK)

# measure NAME CMD...: prints first-frame ms, CPU % over 10 s idle, RSS and its anonymous
# part in MiB.
measure() {
  local name=$1; shift
  local start log pid t0 t1 c0 c1 rss ms
  log="$work/$name.log"
  start=$(date +%s%N)
  "$@" 2>"$log" &
  pid=$!
  for _ in $(seq 600); do grep -q first-frame-unix-ns "$log" && break; sleep 0.01; done
  ms=$(( ($(grep -m1 first-frame-unix-ns "$log" | cut -d' ' -f2) - start) / 1000000 ))
  sleep 2  # let start-up work finish before measuring idle
  c0=$(awk '{print $14+$15}' "/proc/$pid/stat"); t0=$(date +%s%N)
  sleep 10
  c1=$(awk '{print $14+$15}' "/proc/$pid/stat"); t1=$(date +%s%N)
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  # The part of RSS the process owns (heap, stacks), without clean file pages the kernel
  # maps around each page fault in the executable and libraries.
  anon=$(awk '/RssAnon/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c "print(f'$name first_frame_ms=$ms idle_cpu_pct={($c1-$c0)/$ticks/(($t1-$t0)/1e9)*100:.2f} rss_mib=$rss anon_mib=$anon')"
}

for run in $(seq "$runs"); do
  data="$work/data-$run"
  measure ringlet "$ringlet" --data-dir "$data" --no-keyring --audio "${AUDIO:-none}"
  RINGLET_BARE_WINDOW=1 measure bare "$bare"
done
