#!/usr/bin/env bash
# P2P file transfer throughput on loopback: a release `ringlet node` and two headless
# daemons that are contacts; Alice sends a file of SIZE_MB random bytes and the script times
# Bob's `file accept` to the end of the download (every chunk verified, the whole hashed,
# moved into place), then checks the received file's SHA-256. Loopback only, no mDNS.
#
# Usage: benches/file_transfer.sh [SIZE_MB]   Needs: cargo build --release
set -euo pipefail
size_mb=${1:-100}
. "$(dirname "$0")/p2p_env.sh"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

start_node
for who in alice bob; do
  "$bin" --data-dir "$tmp/$who" --headless --audio none --bootstrap "$bootstrap" &
  pids+=($!)
  for _ in $(seq 100); do ctl "$who" status >/dev/null 2>&1 && break; sleep 0.1; done
done
befriend

head -c $((size_mb * 1024 * 1024)) /dev/urandom > "$tmp/payload.bin"
sent=$(sha256sum "$tmp/payload.bin" | cut -d' ' -f1)
id=$(ctl alice send-file alice "$bob" "$tmp/payload.bin" | json '["id"]')
for _ in $(seq 300); do
  ctl bob files bob | grep -q "$id" && break; sleep 0.1
done
start=$(date +%s.%N)
ctl bob file accept bob "$id" >/dev/null
while :; do
  state=$(ctl bob files bob | python3 -c "import json,sys; print([t['state'] for t in json.load(sys.stdin) if t['id']=='$id'][0])")
  [ "$state" = done ] && break
  [ "$state" = failed ] && { echo "the transfer failed" >&2; exit 1; }
  sleep 0.02
done
end=$(date +%s.%N)
path=$(ctl bob files bob | python3 -c "import json,sys; print([t['path'] for t in json.load(sys.stdin) if t['id']=='$id'][0])")
received=$(sha256sum "$path" | cut -d' ' -f1)
[ "$sent" = "$received" ] || { echo "SHA-256 differs" >&2; exit 1; }
awk -v s="$start" -v e="$end" -v mb="$size_mb" 'BEGIN {
  printf "%d MiB in %.2f s: %.1f MiB/s, SHA-256 identical\n", mb, e - s, mb / (e - s) }'
