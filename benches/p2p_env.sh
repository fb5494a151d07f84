# Sourced by the benchmark scripts that run P2P daemons: finds the release binary, makes a
# scratch directory removed on exit (killing every pid in `pids`), sets the daemons' loopback
# environment, and defines `ctl DIR ARGS…`.
target=${CARGO_TARGET_DIR:-/var/tmp/ringlet-target}
bin=${RINGLET_BIN:-$target/release/ringlet}
[ -x "$bin" ] || { echo "no release binary at $bin (cargo build --release)" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
export RINGLET_NO_KEYRING=1 RINGLET_LOG=warn RINGLET_NO_MDNS=1
export RINGLET_P2P_LISTEN=/ip4/127.0.0.1/udp/0/quic-v1,/ip4/127.0.0.1/tcp/0
ctl() { local dir=$1; shift; "$bin" --data-dir "$tmp/$dir" ctl "$@"; }

# start_node: a release `ringlet node` on loopback (no STUN service); sets `bootstrap`.
start_node() {
  "$bin" --data-dir "$tmp/node" node --listen /ip4/127.0.0.1/tcp/0 --stun-port 0 > "$tmp/node.out" &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^listen ' "$tmp/node.out" && break; sleep 0.1; done
  bootstrap=$(grep -m1 '^listen ' "$tmp/node.out" | cut -d' ' -f2)
}

# befriend: P2P accounts `alice` and `bob` on the daemons of the same names, each a
# confirmed contact of the other; sets `alice` and `bob` to their ids.
befriend() {
  alice=$(ctl alice account add-p2p --name alice)
  bob=$(ctl bob account add-p2p --name bob)
  ctl alice contact add alice "$bob" >/dev/null
  for _ in $(seq 200); do ctl bob contacts bob | grep -q '"incoming"' && break; sleep 0.1; done
  ctl bob contact accept bob "$alice" >/dev/null
  for _ in $(seq 200); do ctl alice contacts alice | grep -q '"confirmed"' && break; sleep 0.1; done
}
