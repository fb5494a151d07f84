#!/usr/bin/env bash
# Concurrent auto-answered G.711 calls with RTP both ways: a headless Ringlet and baresip
# 1.0 take the same sipp load in the same run (sipp streams a 440 Hz PCMU tone into each
# call with rtp_stream; each side sends its own audio back). For each, after the calls
# are all up: CPU per call-second (from /proc/PID/stat over a window), RSS, and for
# Ringlet the share of late 20 ms media ticks. Loopback only.
#
# Usage: benches/concurrent_calls.sh [CALLS] [WINDOW_SECONDS]   (ONLY=ringlet: no baresip)
# Needs a release binary: cargo build --release (RINGLET_BIN overrides its path).
set -euo pipefail
calls=${1:-100}
window=${2:-10}
target=${CARGO_TARGET_DIR:-/var/tmp/ringlet-target}
bin=${RINGLET_BIN:-$target/release/ringlet}
[ -x "$bin" ] || { echo "no release binary at $bin (cargo build --release)" >&2; exit 1; }
tmp=$(mktemp -d)
cleanup() { kill "${pids[@]}" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$tmp"; }
pids=()
trap cleanup EXIT
hz=$(getconf CLK_TCK)
ramp=$(( calls / 50 + 3 ))
hold_ms=$(( (ramp + window + 5) * 1000 ))

sox -n -r 8000 -c 1 -e u-law -t raw "$tmp/tone.ulaw" synth 5 sine 440
cat > "$tmp/uac.xml" <<XML
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="PCMU call with a streamed tone">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=ptime:20
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec rtp_stream="$tmp/tone.ulaw,-1,0"/></action></nop>
  <pause milliseconds="$hold_ms"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
XML

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# Loads PID at SIP port PORT with the calls, measures over the window, prints a line.
measure() {
  local name=$1 pid=$2 port=$3 sipp_port=$4 media_port=$5
  local rss_idle; rss_idle=$(rss_kb "$pid")
  sipp -sf "$tmp/uac.xml" -s desk "127.0.0.1:$port" -i 127.0.0.1 -p "$sipp_port" \
    -mp "$media_port" -l "$calls" -m "$calls" -r 50 -nostdin -timeout $(( hold_ms / 1000 + 60 ))s \
    -trace_stat -stf "$tmp/$name.csv" > "$tmp/$name-sipp.log" 2>&1 &
  local sipp_pid=$!
  sleep "$ramp"
  local before; before=$(cpu_ticks "$pid")
  local ticks_before="${6:-}"
  [ -n "$ticks_before" ] && ticks_before=$($ticks_before)
  sleep "$window"
  local after; after=$(cpu_ticks "$pid")
  local rss; rss=$(rss_kb "$pid")
  local ticks_after="${6:-}"
  [ -n "$ticks_after" ] && ticks_after=$($ticks_after)
  local cpu_ms=$(( (after - before) * 1000 / hz ))
  awk -v name="$name" -v cpu="$cpu_ms" -v n="$calls" -v w="$window" -v idle="$rss_idle" -v rss="$rss" \
    -v tb="$ticks_before" -v ta="$ticks_after" 'BEGIN {
      late = "";
      if (tb != "" && ta != "") { split(tb, b, " "); split(ta, a, " ");
        t = a[1] - b[1]; l = a[2] - b[2]; if (t > 0) late = sprintf(", late ticks %.2f %% of %d", 100 * l / t, t) }
      printf "%s: %d calls, %.2f ms CPU per call-second (%.1f %% of a core), RSS %.1f MB (+%.3f MB per call)%s\n",
        name, n, cpu / (n * w), cpu / (w * 10), rss / 1024, (rss - idle) / 1024 / n, late }'
  wait "$sipp_pid" || echo "$name: sipp reported failed calls (see $tmp/$name-sipp.log)" >&2
  grep -h "Successful call" "$tmp/$name-sipp.log" | tail -1 || true
}

# Ringlet
export RINGLET_NO_KEYRING=1 RINGLET_LOG=warn
"$bin" --data-dir "$tmp/ringlet" --headless --audio none --audio-in null --audio-out null &
pids+=($!); ringlet_pid=$!
for _ in $(seq 100); do "$bin" --data-dir "$tmp/ringlet" ctl status >/dev/null 2>&1 && break; sleep 0.1; done
"$bin" --data-dir "$tmp/ringlet" ctl account add-sip --name desk --aor sip:desk@127.0.0.1:17000 \
  --listen 127.0.0.1:17000 --auto-answer --codecs pcmu >/dev/null
sleep 1
ringlet_ticks() { "$bin" --data-dir "$tmp/ringlet" ctl status | python3 -c 'import json,sys; t=json.load(sys.stdin)["media_ticks"]; print(t[0], t[1])'; }
measure ringlet "$ringlet_pid" 17000 17100 20000 ringlet_ticks

# baresip (ONLY=ringlet skips it, for Ringlet's own limit)
[ "${ONLY:-}" = ringlet ] && exit 0
mkdir -p "$tmp/baresip"
cat > "$tmp/baresip/config" <<CONF
poll_method	epoll
sip_listen	127.0.0.1:17200
net_interface	127.0.0.1
call_max_calls	$(( calls + 10 ))
audio_player	aubridge,nil
audio_source	ausine,1000
audio_alert	aubridge,nil
ausrc_srate	48000
auplay_srate	48000
ausrc_channels	2
auplay_channels	2
module_path	/usr/lib/baresip/modules
module	g711.so
module	ausine.so
module	aubridge.so
module_app	account.so
CONF
echo "<sip:desk@127.0.0.1:17200>;regint=0;answermode=auto;audio_codecs=PCMU" > "$tmp/baresip/accounts"
baresip -f "$tmp/baresip" > "$tmp/baresip.log" 2>&1 &
pids+=($!); baresip_pid=$!
sleep 2
measure baresip "$baresip_pid" 17200 17300 40000
