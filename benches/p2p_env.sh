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
