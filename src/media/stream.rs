//! One call's audio stream: its RTP and RTCP sockets, codec, SRTP contexts, jitter buffer,
//! DTMF and statistics. The media thread calls it every 20 ms: `receive` drains the
//! sockets, `playout` gives the next frame to hear, `send` encodes and sends the next
//! frame, `report` sends RTCP when due. Nothing here blocks: the sockets are non-blocking.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::batch::{BATCH, DatagramBatch, MAX_DATAGRAM};
use super::codecs::{self, AudioCodec, CodecError};
use super::direct::DirectRoute;
use super::dtmf::{DtmfReceiver, DtmfSender, DtmfSlot, InBandDetector, InBandSender};
use super::jitter::{JitterBuffer, Playout};
use super::rtcp::{self, Report, ReportBlock, SenderInfo};
use super::rtp::{RtpError, RtpPacket, SequenceExtender};
use super::srtp::{SrtpError, SrtpReceiver, SrtpSender, SrtpSuite};
use super::{FRAME_SAMPLES, rtcp::RtcpError};
use crate::model::DtmfMode;
use crate::sdp::Codec;

/// Datagrams read per socket per tick at most, so one flooded call cannot starve others.
const MAX_READS_PER_TICK: usize = 64;
/// RTCP report interval (RFC 3550 §6.2 minimum of 5 s for a two-party call).
const RTCP_INTERVAL: Duration = Duration::from_secs(5);
/// Peak of the comfort noise played in the sender's pauses (about −70 dBFS).
const COMFORT_NOISE_PEAK: u32 = 16;
/// Ticks between looks at the separate RTCP socket.
const RTCP_POLL_TICKS: u64 = 10;
/// SRTP keys agreed in SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    /// RFC 4568 suite name.
    pub suite: String,
    /// The peer's inline key (decrypts what it sends).
    pub remote_key: String,
    /// Our inline key (encrypts what we send).
    pub local_key: String,
}

/// What offer/answer settled for a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamParams {
    /// Where to send RTP.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP.
    pub remote_rtcp: SocketAddr,
    /// RTCP shares the RTP port.
    pub rtcp_mux: bool,
    /// The codec.
    pub codec: Codec,
    /// Its payload type in this session.
    pub payload_type: u8,
    /// telephone-event's payload type, when both have it.
    pub dtmf_payload_type: Option<u8>,
    /// We send audio.
    pub send: bool,
    /// We play what arrives.
    pub receive: bool,
    /// SRTP, when agreed.
    pub srtp: Option<SrtpKeys>,
    /// How digits are sent.
    pub dtmf: DtmfMode,
    /// Discontinuous transmission for Opus and Speex.
    pub dtx: bool,
    /// The peer asked for stereo (Opus): a stereo source is sent as stereo.
    pub stereo: bool,
}

impl StreamParams {
    /// Plain RTP both ways with `codec` (its offered payload type), RTCP muxed, no
    /// telephone-event, no SRTP: for tools, benches and tests.
    pub fn plain(codec: &Codec, remote: SocketAddr) -> StreamParams {
        StreamParams {
            remote_rtp: remote,
            remote_rtcp: remote,
            rtcp_mux: true,
            codec: *codec,
            payload_type: codec.offered_payload_type(),
            dtmf_payload_type: None,
            send: true,
            receive: true,
            srtp: None,
            dtmf: DtmfMode::Rfc4733,
            dtx: false,
            stereo: false,
        }
    }
}

pub use crate::model::MediaStats;

/// What a stream tells the media thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// A digit arrived by RFC 4733.
    Dtmf(char),
}

/// One call's audio.
pub struct Stream {
    sockets: Arc<RtpSockets>,
    params: StreamParams,
    codec: Box<dyn AudioCodec>,
    jitter: JitterBuffer,
    srtp_tx: Option<SrtpSender>,
    srtp_rx: Option<SrtpReceiver>,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    /// A talkspurt starts with the marker bit (after DTX or at the start).
    talkspurt: bool,
    /// Where the peer's RTP actually comes from (symmetric RTP, RFC 4961).
    latched: Option<SocketAddr>,
    decoded: VecDeque<i16>,
    scratch: Vec<i16>,
    dtmf_tx: DtmfSender,
    inband_tx: InBandSender,
    dtmf_rx: DtmfReceiver,
    /// In-band digit detection, when the peer has no telephone-event or the account
    /// asks for in-band DTMF.
    inband_rx: Option<InBandDetector>,
    /// Digits found in played-out audio, for the media thread to collect.
    detected: Vec<char>,
    /// Comfort-noise generator state.
    noise: u32,
    muted: bool,
    // Reception statistics (RFC 3550 A.3).
    remote_ssrc: Option<u32>,
    extender: SequenceExtender,
    base_sequence: Option<u64>,
    highest_sequence: u64,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// The peer's last SR: its middle NTP bits and when it came.
    last_sr: Option<(u32, Instant)>,
    next_report: Option<Instant>,
    stats: MediaStats,
    octets_sent: u64,
    bytes_window: (u64, u64, Instant),
    packet: Vec<u8>,
    payload: Vec<u8>,
    /// Datagrams read in one system call (taken out while they are handled).
    batch: Option<Box<DatagramBatch>>,
    /// A received packet, copied out of the batch (SRTP decrypts it in place).
    packet_in: Vec<u8>,
    ticks: u64,
    /// The direct path in use, and the version of `sockets.direct` it was taken from.
    direct: Option<DirectRoute>,
    direct_seen: u64,
}

impl Stream {
    /// A stream on `sockets` with `params`; `seed` picks SSRC, first sequence and timestamp.
    pub fn new(
        sockets: Arc<RtpSockets>,
        params: StreamParams,
        seed: u64,
        now: Instant,
    ) -> Result<Stream, StreamError> {
        let codec = codecs::make(&params.codec, params.dtx)?;
        let (srtp_tx, srtp_rx) = srtp_contexts(params.srtp.as_ref())?;
        let stats = MediaStats {
            codec: params.codec.id.to_owned(),
            srtp: srtp_tx.is_some(),
            ..MediaStats::default()
        };
        Ok(Stream {
            sockets,
            jitter: JitterBuffer::new(params.codec.clock_rate),
            codec,
            srtp_tx,
            srtp_rx,
            ssrc: (seed >> 32) as u32 | 1,
            sequence: seed as u16,
            timestamp: (seed >> 16) as u32,
            talkspurt: true,
            latched: None,
            decoded: VecDeque::with_capacity(FRAME_SAMPLES * 4),
            scratch: Vec::with_capacity(FRAME_SAMPLES * 6),
            dtmf_tx: DtmfSender::default(),
            inband_tx: InBandSender::default(),
            dtmf_rx: DtmfReceiver::default(),
            inband_rx: wants_inband_detection(&params).then(InBandDetector::default),
            detected: Vec::new(),
            noise: seed as u32,
            muted: false,
            remote_ssrc: None,
            extender: SequenceExtender::default(),
            base_sequence: None,
            highest_sequence: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            last_sr: None,
            next_report: Some(now + RTCP_INTERVAL / 2),
            stats,
            octets_sent: 0,
            bytes_window: (0, 0, now),
            packet: Vec::with_capacity(MAX_DATAGRAM),
            payload: Vec::with_capacity(MAX_DATAGRAM),
            batch: Some(Box::default()),
            packet_in: Vec::with_capacity(MAX_DATAGRAM),
            ticks: 0,
            direct: None,
            direct_seen: 0,
            params,
        })
    }

    /// Applies a new offer/answer outcome (hold, resume, a new address or codec).
    pub fn update(&mut self, params: StreamParams) -> Result<(), StreamError> {
        if params.codec != self.params.codec || params.dtx != self.params.dtx {
            self.codec = codecs::make(&params.codec, params.dtx)?;
            self.jitter = JitterBuffer::new(params.codec.clock_rate);
            self.stats.codec = params.codec.id.to_owned();
        }
        if params.srtp != self.params.srtp {
            let (tx, rx) = srtp_contexts(params.srtp.as_ref())?;
            self.srtp_tx = tx;
            self.srtp_rx = rx;
            self.stats.srtp = self.srtp_tx.is_some();
        }
        if params.remote_rtp != self.params.remote_rtp {
            self.latched = None;
        }
        if !params.receive {
            self.decoded.clear();
        }
        self.talkspurt = true;
        if wants_inband_detection(&params) != self.inband_rx.is_some() {
            self.inband_rx = wants_inband_detection(&params).then(InBandDetector::default);
        }
        self.params = params;
        Ok(())
    }

    /// Mutes or unmutes our side (silence is sent instead of the microphone).
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
        self.stats.muted = muted;
    }

    /// Our side is muted.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// Queues DTMF digits by the stream's method; returns the characters refused. SIP INFO
    /// digits are the signalling's business, not ours.
    pub fn queue_dtmf(&mut self, digits: &str) -> Vec<char> {
        match (self.params.dtmf, self.params.dtmf_payload_type) {
            (DtmfMode::Rfc4733, Some(_)) => self.dtmf_tx.queue(digits),
            _ => self.inband_tx.queue(digits),
        }
    }

    fn drop_packet(&mut self, reason: impl std::fmt::Display) {
        self.stats.dropped += 1;
        let reason = reason.to_string();
        if self.stats.last_drop.as_deref() != Some(reason.as_str()) {
            tracing::debug!(%reason, "media packet dropped");
        }
        self.stats.last_drop = Some(reason);
    }

    /// Reads what has arrived on both sockets, and on the direct path when there is one.
    pub fn receive(&mut self, now: Instant, wall: SystemTime, events: &mut Vec<StreamEvent>) {
        if let Some(route) = self.sockets.direct.changed(&mut self.direct_seen) {
            tracing::debug!(route = ?route.as_ref().map(|r| (r.local, r.remote)), "media path");
            // Whoever sent from where before, the path starts afresh.
            self.latched = None;
            self.direct = route;
        }
        // One batch and one packet buffer per stream, lent out while the packets are
        // handled (the handlers need `&mut self`).
        let mut batch = self.batch.take().unwrap_or_default();
        let mut packet = std::mem::take(&mut self.packet_in);
        let mut read = 0;
        while read < MAX_READS_PER_TICK {
            // An error (ICMP port-unreachable surfacing) ends this tick's reading too.
            let count = batch.recv(&self.sockets.rtp).unwrap_or(0);
            for index in 0..count {
                if let Some((data, from)) = batch.get(index) {
                    packet.clear();
                    packet.extend_from_slice(data);
                    self.on_datagram(now, wall, Some(from), &mut packet, events);
                }
            }
            read += count;
            if count < BATCH {
                break;
            }
        }
        if let Some(route) = self.direct.take() {
            self.receive_direct(&route, now, wall, &mut batch, &mut packet, events);
            self.direct = Some(route);
        }
        // The separate RTCP socket carries a report every few seconds: look at it every
        // tenth tick only (one syscall fewer per call and tick), never when RTCP is muxed.
        self.ticks = self.ticks.wrapping_add(1);
        if !self.params.rtcp_mux && self.ticks.is_multiple_of(RTCP_POLL_TICKS) {
            let count = batch.recv(&self.sockets.rtcp).unwrap_or(0);
            for index in 0..count {
                if let Some((data, _)) = batch.get(index) {
                    packet.clear();
                    packet.extend_from_slice(data);
                    self.on_rtcp(now, wall, &mut packet);
                }
            }
        }
        self.batch = Some(batch);
        self.packet_in = packet;
    }

    /// Reads the direct path's socket: media from its remote address is ours, everything
    /// else (STUN checks and answers, strangers) goes back to the path's finder.
    fn receive_direct(
        &mut self,
        route: &DirectRoute,
        now: Instant,
        wall: SystemTime,
        batch: &mut DatagramBatch,
        packet: &mut Vec<u8>,
        events: &mut Vec<StreamEvent>,
    ) {
        let mut read = 0;
        while read < MAX_READS_PER_TICK {
            let count = batch.recv(&route.socket).unwrap_or(0);
            for index in 0..count {
                let Some((data, from)) = batch.get(index) else {
                    continue;
                };
                if from != route.remote || crate::stun::is_stun(data) {
                    // Full: dropped, as the network might have (STUN retransmits).
                    route
                        .others
                        .try_send((route.local, from, data.to_vec()))
                        .ok();
                    continue;
                }
                self.sockets.direct.media_at(route, now);
                packet.clear();
                packet.extend_from_slice(data);
                self.on_datagram(now, wall, None, packet, events);
            }
            read += count;
            if count < BATCH {
                break;
            }
        }
    }

    /// A datagram from `from`, or from the direct path's remote address (`None`: proven
    /// by ICE, never latched onto).
    fn on_datagram(
        &mut self,
        now: Instant,
        wall: SystemTime,
        from: Option<SocketAddr>,
        packet: &mut Vec<u8>,
        events: &mut Vec<StreamEvent>,
    ) {
        if self.is_stun(packet) {
            return;
        }
        match RtpPacket::parse(packet) {
            Err(RtpError::Rtcp) => {
                self.on_rtcp(now, wall, packet);
                return;
            }
            Err(err) => {
                self.drop_packet(err);
                return;
            }
            Ok(_) => {}
        }
        if let (Some(latched), Some(from)) = (self.latched, from)
            && latched != from
        {
            self.drop_packet(format!("RTP from unexpected address {from}"));
            return;
        }
        if let Some(srtp) = self.srtp_rx.as_mut()
            && let Err(err) = srtp.unprotect_rtp(packet)
        {
            self.drop_packet(err);
            return;
        }
        let Ok(rtp) = RtpPacket::parse(packet) else {
            self.drop_packet("RTP header damaged");
            return;
        };
        if self.latched.is_none() && from.is_some() {
            // Symmetric RTP: answer where the peer really sends from (it may be NATed).
            self.latched = from;
        }
        if Some(rtp.payload_type) == self.params.dtmf_payload_type {
            match self.dtmf_rx.on_packet(rtp.timestamp, rtp.payload) {
                Ok(Some(digit)) => events.push(StreamEvent::Dtmf(digit)),
                Ok(None) => {}
                Err(err) => self.drop_packet(err),
            }
            self.count_received(rtp.ssrc, rtp.sequence, packet.len());
            return;
        }
        if rtp.payload_type != self.params.payload_type {
            // Comfort noise (13) and others we did not agree on are ignored.
            self.drop_packet(format!("payload type {}", rtp.payload_type));
            return;
        }
        self.count_received(rtp.ssrc, rtp.sequence, packet.len());
        if self.params.receive {
            self.jitter
                .push(now, rtp.sequence, rtp.timestamp, rtp.payload);
        }
    }

    fn count_received(&mut self, ssrc: u32, sequence: u16, len: usize) {
        if self.remote_ssrc != Some(ssrc) {
            self.remote_ssrc = Some(ssrc);
            self.extender = SequenceExtender::default();
            self.base_sequence = None;
            self.received = 0;
            self.expected_prior = 0;
            self.received_prior = 0;
        }
        let extended = self.extender.extend(sequence);
        let base = *self.base_sequence.get_or_insert(extended);
        self.highest_sequence = self.highest_sequence.max(extended).max(base);
        self.received += 1;
        self.stats.packets_received += 1;
        self.bytes_window.1 += len as u64;
    }

    /// RFC 7983 §7: a datagram whose first byte is 0–3 (and that carries STUN's magic
    /// cookie) is STUN, not RTP or RTCP: counted apart, never as a broken packet.
    fn is_stun(&mut self, packet: &[u8]) -> bool {
        let stun = crate::stun::is_stun(packet);
        if stun {
            self.stats.stun_received += 1;
        }
        stun
    }

    fn on_rtcp(&mut self, now: Instant, wall: SystemTime, packet: &mut Vec<u8>) {
        if self.is_stun(packet) {
            return;
        }
        if let Some(srtp) = self.srtp_rx.as_mut()
            && let Err(err) = srtp.unprotect_rtcp(packet)
        {
            if rtcp::is_plain_compound(packet) {
                // jami-daemon 13 sends its RTCP unprotected on SRTP calls (its RTP muxer
                // writes reports past its SRTP context). Unauthenticated, it is not used.
                self.drop_packet("plain RTCP on an SRTP call (the peer does not protect it)");
            } else {
                self.drop_packet(format!("SRTCP: {err}"));
            }
            return;
        }
        let reports = match rtcp::parse_reports(packet) {
            Ok(reports) => reports,
            Err(err) => {
                self.drop_packet(format!("RTCP: {}", describe(err)));
                return;
            }
        };
        for report in reports {
            if let Some(sender) = report.sender {
                self.last_sr = Some(((sender.ntp >> 16) as u32, now));
            }
            for block in report.blocks.iter().filter(|block| block.ssrc == self.ssrc) {
                self.stats.remote_loss_percent =
                    Some(f32::from(block.fraction_lost) * 100.0 / 256.0);
                let now_ntp = (ntp_time(wall) >> 16) as u32;
                if let Some(rtt) = rtcp::round_trip(block, now_ntp) {
                    self.stats.rtt_ms = Some(rtt.as_secs_f32() * 1_000.0);
                }
            }
        }
    }

    /// Writes the next 20 ms the peer sent into `frame` (silence when there is none).
    pub fn playout(&mut self, frame: &mut [i16]) {
        if !self.params.receive {
            frame.fill(0);
            return;
        }
        while self.decoded.len() < frame.len() {
            self.scratch.clear();
            match self.jitter.pop() {
                Playout::Packet(payload) => {
                    if self.codec.decode(&payload, &mut self.scratch).is_err() {
                        self.drop_packet("undecodable payload");
                        self.codec.conceal(None, &mut self.scratch);
                    }
                }
                Playout::Conceal { next } => self.codec.conceal(next.as_deref(), &mut self.scratch),
                Playout::Silence if self.stats.packets_received > 0 => {
                    // The sender paused (DTX): comfort noise rather than dead air.
                    for _ in 0..FRAME_SAMPLES {
                        self.noise = self.noise.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        let value = ((self.noise >> 16) % (2 * COMFORT_NOISE_PEAK + 1)) as i16;
                        self.scratch.push(value - COMFORT_NOISE_PEAK as i16);
                    }
                }
                Playout::Silence => self.scratch.resize(FRAME_SAMPLES, 0),
            }
            if self.scratch.is_empty() {
                self.scratch.resize(FRAME_SAMPLES, 0);
            }
            self.decoded.extend(self.scratch.iter().copied());
        }
        for sample in frame.iter_mut() {
            *sample = self.decoded.pop_front().unwrap_or(0);
        }
        if let Some(digit) = self
            .inband_rx
            .as_mut()
            .and_then(|detector| detector.frame(frame))
        {
            self.detected.push(digit);
        }
    }

    /// Moves the in-band digits found since the last call into `events`.
    pub fn take_detected(&mut self, events: &mut Vec<StreamEvent>) {
        events.extend(self.detected.drain(..).map(StreamEvent::Dtmf));
    }

    /// Encodes and sends the next 20 ms of `frame` (our microphone's share for this call).
    pub fn send(&mut self, frame: &mut [i16]) {
        self.send_with_side(frame, None);
    }

    /// The peer asked for stereo: a side channel given to [`Stream::send_with_side`] is sent.
    pub fn sends_stereo(&self) -> bool {
        self.params.stereo
    }

    /// As [`Stream::send`], with `frame` the mid of a stereo frame and `side` its side
    /// ((L−R)/2): sent as stereo when the peer asked for it, else as the mono mid.
    pub fn send_with_side(&mut self, frame: &mut [i16], side: Option<&[i16]>) {
        let units = codecs::rtp_units_per_frame(&self.params.codec);
        let timestamp = self.timestamp;
        self.timestamp = self.timestamp.wrapping_add(units);
        if !self.params.send {
            self.talkspurt = true;
            return;
        }
        if self.muted {
            frame.fill(0);
        }
        self.inband_tx.mix(frame);
        self.payload.clear();
        let dtmf_units =
            u16::try_from(units * 8_000 / self.params.codec.clock_rate.max(1)).unwrap_or(160);
        let (payload_type, marker, packet_timestamp) =
            match self.dtmf_tx.next_slot(timestamp, dtmf_units) {
                DtmfSlot::Event {
                    event,
                    marker,
                    timestamp,
                } => {
                    event.write(&mut self.payload);
                    (
                        self.params.dtmf_payload_type.unwrap_or(101),
                        marker,
                        timestamp,
                    )
                }
                DtmfSlot::Audio => match match side {
                    Some(side) if self.params.stereo && !self.muted => {
                        self.codec.encode_stereo(frame, side, &mut self.payload)
                    }
                    _ => self.codec.encode(frame, &mut self.payload),
                } {
                    Ok(true) => {
                        let marker = std::mem::take(&mut self.talkspurt);
                        (self.params.payload_type, marker, timestamp)
                    }
                    Ok(false) => {
                        self.talkspurt = true;
                        return;
                    }
                    Err(err) => {
                        self.drop_packet(format!("encoder: {err}"));
                        return;
                    }
                },
            };
        let rtp = RtpPacket {
            marker,
            payload_type,
            sequence: self.sequence,
            timestamp: packet_timestamp,
            ssrc: self.ssrc,
            payload: &self.payload,
        };
        rtp.write(&mut self.packet);
        self.sequence = self.sequence.wrapping_add(1);
        if let Some(srtp) = self.srtp_tx.as_mut()
            && srtp.protect_rtp(&mut self.packet).is_err()
        {
            return;
        }
        let (socket, to) = match &self.direct {
            Some(route) => (&*route.socket, route.remote),
            None => (
                &self.sockets.rtp,
                self.latched.unwrap_or(self.params.remote_rtp),
            ),
        };
        // A send error (no route, ICMP from a gone peer) loses this packet only.
        if socket.send_to(&self.packet, to).is_ok() {
            self.stats.packets_sent += 1;
            self.octets_sent += self.payload.len() as u64;
            self.bytes_window.0 += self.packet.len() as u64;
        }
    }

    /// Sends an SR or RR when one is due.
    pub fn report(&mut self, now: Instant, wall: SystemTime) {
        let Some(due) = self.next_report else { return };
        if now < due {
            return;
        }
        self.next_report = Some(now + RTCP_INTERVAL);
        let expected = self
            .base_sequence
            .map_or(0, |base| self.highest_sequence + 1 - base);
        let lost = expected as i64 - self.received as i64;
        let expected_interval = expected - self.expected_prior;
        let received_interval = self.received - self.received_prior;
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        self.stats.packets_lost = lost;
        self.stats.loss_percent = f32::from(fraction_lost) * 100.0 / 256.0;
        let blocks = self
            .remote_ssrc
            .map(|ssrc| {
                let (last_sr, delay) = self.last_sr.map_or((0, 0), |(middle, at)| {
                    let delay = now.duration_since(at).as_secs_f64() * 65_536.0;
                    (middle, delay as u32)
                });
                ReportBlock {
                    ssrc,
                    fraction_lost,
                    cumulative_lost: lost.clamp(-0x80_0000, 0x7F_FFFF) as i32,
                    highest_sequence: self.highest_sequence as u32,
                    jitter: self.jitter.jitter_units(),
                    last_sr,
                    delay_since_last_sr: delay,
                }
            })
            .into_iter()
            .collect();
        let sender = (self.stats.packets_sent > 0).then(|| SenderInfo {
            ntp: ntp_time(wall),
            rtp_timestamp: self.timestamp,
            packets: self.stats.packets_sent as u32,
            octets: self.octets_sent as u32,
        });
        let report = Report {
            ssrc: self.ssrc,
            sender,
            blocks,
        };
        self.packet.clear();
        rtcp::write_report(&report, &mut self.packet);
        write_sdes(self.ssrc, &mut self.packet);
        if let Some(srtp) = self.srtp_tx.as_mut()
            && srtp.protect_rtcp(&mut self.packet).is_err()
        {
            return;
        }
        let (socket, to) = if let Some(route) = &self.direct {
            // The direct path muxes RTCP with RTP (RFC 5761).
            (&*route.socket, route.remote)
        } else if self.params.rtcp_mux {
            (
                &self.sockets.rtp,
                self.latched.unwrap_or(self.params.remote_rtcp),
            )
        } else {
            (&self.sockets.rtcp, self.params.remote_rtcp)
        };
        // Best effort, as for RTP.
        socket.send_to(&self.packet, to).ok();
    }

    /// The statistics now; bitrates cover the time since the last call.
    pub fn stats(&mut self, now: Instant) -> MediaStats {
        let (sent, received, since) = self.bytes_window;
        let seconds = now.duration_since(since).as_secs_f32().max(0.001);
        self.stats.send_kbps = sent as f32 * 8.0 / 1_000.0 / seconds;
        self.stats.receive_kbps = received as f32 * 8.0 / 1_000.0 / seconds;
        self.bytes_window = (0, 0, now);
        let clock = self.params.codec.clock_rate.max(1) as f32;
        self.stats.jitter_ms = self.jitter.jitter_units() as f32 * 1_000.0 / clock;
        self.stats.buffer_ms =
            self.jitter.buffered().as_millis() as u32 + (self.decoded.len() / 48) as u32;
        let jitter = self.jitter.stats();
        self.stats.concealed = jitter.concealed;
        self.stats.clone()
    }
}

/// In-band detection costs eight Goertzel filters per frame: only where digits may come
/// in the audio.
fn wants_inband_detection(params: &StreamParams) -> bool {
    params.dtmf == DtmfMode::InBand || params.dtmf_payload_type.is_none()
}

/// Why a call's media cannot start or change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The codec cannot be made.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The SRTP keys or suite are unusable.
    #[error(transparent)]
    Srtp(#[from] SrtpError),
}

fn srtp_contexts(
    keys: Option<&SrtpKeys>,
) -> Result<(Option<SrtpSender>, Option<SrtpReceiver>), StreamError> {
    let Some(keys) = keys else {
        return Ok((None, None));
    };
    let suite = SrtpSuite::from_name(&keys.suite)?;
    let sender = SrtpSender::new(suite, &keys.local_key)?;
    let receiver = SrtpReceiver::new(suite, &keys.remote_key)?;
    Ok((Some(sender), Some(receiver)))
}

fn describe(err: RtcpError) -> String {
    err.to_string()
}

/// An SDES chunk with a CNAME, which every compound RTCP packet carries (RFC 3550 §6.1).
fn write_sdes(ssrc: u32, out: &mut Vec<u8>) {
    let cname = b"ringlet";
    // SSRC + CNAME item (type, length, text) + end item, padded to 32 bits.
    let chunk_len = 4 + 2 + cname.len() + 1;
    let padded = chunk_len.div_ceil(4) * 4;
    out.push(0x81);
    out.push(202);
    out.extend_from_slice(&((padded / 4) as u16).to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.push(1);
    out.push(cname.len() as u8);
    out.extend_from_slice(cname);
    out.extend(std::iter::repeat_n(0, padded - 4 - 2 - cname.len()));
}

/// NTP time (RFC 5905 64-bit fixed point) of `wall`.
pub fn ntp_time(wall: SystemTime) -> u64 {
    const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
    let since = wall
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since.as_secs() + NTP_UNIX_OFFSET;
    let fraction = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

mod sockets;
pub use sockets::RtpSockets;

#[cfg(test)]
mod tests;
