//! The media thread: every 20 ms it takes a frame from the microphone (a device, a tone,
//! a file or silence), reads each call's packets, plays out what each peer said, mixes what
//! the user hears (all calls, files played into calls, the ringtone) and what each peer
//! hears (the microphone, files played into that call, and in a conference the other
//! participants: mix-minus), records, encodes and sends. Commands come in on a channel;
//! events go out to the engine.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use tokio::sync::mpsc::UnboundedSender;

use super::dsp::CaptureChain;
use super::mixer::{add, mix_minus};
use super::player::FilePlayer;
use super::stream::{MediaStats, Stream, StreamEvent};
use super::tone::ToneGenerator;
use super::wav::WavWriter;
use super::{FRAME_SAMPLES, SAMPLE_RATE};
use crate::model::CallId;

mod commands;
pub use commands::{AudioInput, AudioOutput, MediaCommand, MediaEvent};

/// The tick.
pub const FRAME: Duration = Duration::from_millis(20);
/// The echo path's delay the canceller starts from (device buffers both ways); it then
/// finds the real one by itself.
const DEVICE_ECHO_DELAY_MS: i32 = 60;
/// Statistics go to the engine this often.
const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// A tick this late counts as a late frame.
const LATE_AFTER: Duration = Duration::from_millis(10);
/// Further behind than this, the schedule restarts instead of bursting to catch up.
const MAX_BEHIND: Duration = Duration::from_millis(200);

/// Handle to the media thread.
pub struct MediaHandle {
    commands: Sender<MediaCommand>,
    thread: Option<thread::JoinHandle<()>>,
}

impl MediaHandle {
    /// Starts the thread.
    pub fn start(
        input: AudioInput,
        output: AudioOutput,
        events: UnboundedSender<MediaEvent>,
    ) -> std::io::Result<MediaHandle> {
        // Bounded: a stalled media thread must not let commands pile up without end.
        let (commands, inbox) = crossbeam_channel::bounded(1_024);
        let thread = thread::Builder::new()
            .name("ringlet-media".into())
            .spawn(move || {
                let scheduling = super::priority::raise_current_thread();
                tracing::info!(%scheduling, "media thread");
                let mut mixer = Mixer::new(input, output, events);
                mixer.run(&inbox);
            })?;
        Ok(MediaHandle {
            commands,
            thread: Some(thread),
        })
    }

    /// A sender for others that talk to the media thread (the audio device thread).
    pub fn sender(&self) -> Sender<MediaCommand> {
        self.commands.clone()
    }

    /// Sends a command; false when the thread is gone or hopelessly behind. An idle thread
    /// wakes for it; a ticking one takes it at its next tick, at most 20 ms later, where
    /// the tick would have carried its effect out anyway. Waking the thread early for each
    /// cost two thread switches a call under a sipp load and changed nothing heard
    /// (BENCHMARKS.md, "SIP answering", session 18).
    pub fn send(&self, command: MediaCommand) -> bool {
        self.commands.try_send(command).is_ok()
    }
}

impl Drop for MediaHandle {
    fn drop(&mut self) {
        // A full queue still lets the thread end: it reads Shutdown eventually or the
        // channel closes when this handle is gone.
        self.commands.try_send(MediaCommand::Shutdown).ok();
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

enum Source {
    Null,
    Tone(ToneGenerator),
    File(Box<FilePlayer>),
    Device(super::ring::CaptureRing),
}

enum Sink {
    Null,
    Wav(WavWriter),
    Device(super::ring::PlaybackRing),
}

/// A call's state on this thread.
struct CallMedia {
    stream: Stream,
    player: Option<Box<FilePlayer>>,
    recorder: Option<WavWriter>,
    conference: bool,
    /// Silenced by the host: what it says reaches nobody.
    silenced: bool,
    /// The peer's audio this tick.
    heard: Vec<i16>,
    /// The file's audio this tick (its mid, for a stereo file).
    file: Vec<i16>,
    /// A stereo file's side ((L−R)/2) this tick, when the peer takes stereo.
    file_side: Vec<i16>,
    /// `file_side` holds a stereo file's side this tick.
    file_stereo: bool,
    /// The other conference members' audio this tick.
    others: Vec<i16>,
    /// What the peer hears this tick.
    outgoing: Vec<i16>,
    /// Recorder frame (ours, theirs interleaved).
    stereo: Vec<i16>,
    /// Digits found this tick.
    events: Vec<StreamEvent>,
    /// A failure of this tick, reported after it.
    failure: Option<String>,
    /// Peaks (sent, heard) since the last statistics.
    peaks: (u16, u16),
}

impl CallMedia {
    fn new(stream: Stream) -> CallMedia {
        CallMedia {
            stream,
            player: None,
            recorder: None,
            conference: false,
            silenced: false,
            heard: vec![0; FRAME_SAMPLES],
            file: vec![0; FRAME_SAMPLES],
            file_side: vec![0; FRAME_SAMPLES],
            file_stereo: false,
            others: vec![0; FRAME_SAMPLES],
            outgoing: vec![0; FRAME_SAMPLES],
            stereo: vec![0; FRAME_SAMPLES * 2],
            events: Vec::new(),
            failure: None,
            peaks: (0, 0),
        }
    }
}

/// Calls from which the per-call work is split over two threads.
const PARALLEL_MIN_CALLS: usize = 32;

/// Runs `work` on every call: on this thread for a few calls, split in two halves (this
/// thread and one scoped helper) for many, so a 2-core machine carries twice the calls.
fn for_each_call(calls: &mut BTreeMap<CallId, CallMedia>, work: &(dyn Fn(&mut CallMedia) + Sync)) {
    if calls.len() < PARALLEL_MIN_CALLS {
        calls.values_mut().for_each(work);
        return;
    }
    let mut all: Vec<&mut CallMedia> = calls.values_mut().collect();
    let half = all.len() / 2;
    let (first, second) = all.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| first.iter_mut().for_each(|media| work(media)));
        second.iter_mut().for_each(|media| work(media));
    });
}

/// A call's packets in, its peer's next 20 ms out.
fn hear(media: &mut CallMedia, now: Instant, wall: SystemTime) {
    media.events.clear();
    media.stream.receive(now, wall, &mut media.events);
    media.stream.playout(&mut media.heard);
    media.stream.take_detected(&mut media.events);
}

/// What the peer hears, recorded and sent.
fn speak(
    media: &mut CallMedia,
    capture: &[i16],
    in_conference: bool,
    now: Instant,
    wall: SystemTime,
) {
    media.outgoing.copy_from_slice(capture);
    if media.stream.muted() {
        media.outgoing.fill(0);
    }
    if media.player.is_some() {
        add(&mut media.outgoing, &media.file);
    }
    if media.conference && in_conference {
        add(&mut media.outgoing, &media.others);
    }
    if let Some(recorder) = media.recorder.as_mut() {
        for (index, pair) in media.stereo.chunks_exact_mut(2).enumerate() {
            pair[0] = media.outgoing.get(index).copied().unwrap_or(0);
            pair[1] = media.heard.get(index).copied().unwrap_or(0);
        }
        if let Err(err) = recorder.write(&media.stereo) {
            media.recorder = None;
            media.failure = Some(format!("recording stopped: {err}"));
        }
    }
    media.peaks.0 = media.peaks.0.max(peak(&media.outgoing));
    media.peaks.1 = media.peaks.1.max(peak(&media.heard));
    // A stereo file goes out in stereo to a peer that asked for it (Opus): the side rides
    // along with the mono mix.
    let side = (media.player.is_some() && media.file_stereo).then_some(media.file_side.as_slice());
    media.stream.send_with_side(&mut media.outgoing, side);
    media.stream.report(now, wall);
}

struct Mixer {
    source: Source,
    sink: Sink,
    events: UnboundedSender<MediaEvent>,
    calls: BTreeMap<CallId, CallMedia>,
    ring: Option<Box<FilePlayer>>,
    capture: Vec<i16>,
    local: Vec<i16>,
    seed: u64,
    ticks: u64,
    late: u64,
    next_stats: Instant,
    conference_out: Vec<Vec<i16>>,
    conference_total: Vec<i32>,
    volume: f32,
    /// The microphone's processing; it runs on device input only (a tone or file is
    /// already clean).
    dsp: Option<CaptureChain>,
}

#[expect(
    clippy::disallowed_methods,
    reason = "the media thread is a driver: it reads the clock for its 20 ms schedule"
)]
fn now() -> (Instant, SystemTime) {
    (Instant::now(), SystemTime::now())
}

impl Mixer {
    fn new(input: AudioInput, output: AudioOutput, events: UnboundedSender<MediaEvent>) -> Mixer {
        let mut seed = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let mut mixer = Mixer {
            source: Source::Null,
            sink: Sink::Null,
            events,
            calls: BTreeMap::new(),
            ring: None,
            capture: vec![0; FRAME_SAMPLES],
            local: vec![0; FRAME_SAMPLES],
            seed: u64::from_le_bytes(seed),
            ticks: 0,
            late: 0,
            next_stats: now().0 + STATS_INTERVAL,
            conference_out: Vec::new(),
            conference_total: Vec::with_capacity(FRAME_SAMPLES),
            volume: 1.0,
            dsp: None,
        };
        mixer.set_input(input);
        mixer.set_output(output);
        mixer
    }

    fn emit(&self, event: MediaEvent) {
        // The engine going away ends us soon through Shutdown or a closed channel.
        self.events.send(event).ok();
    }

    fn fail(&self, call: Option<CallId>, reason: String) {
        tracing::info!(?call, %reason, "media");
        self.emit(MediaEvent::Failed { call, reason });
    }

    fn set_input(&mut self, input: AudioInput) {
        self.source = match input {
            AudioInput::Null => Source::Null,
            AudioInput::Tone(hz) => Source::Tone(ToneGenerator::new(SAMPLE_RATE, hz, 8_000.0)),
            AudioInput::File(path) => match FilePlayer::open(&path, true) {
                Ok(player) => Source::File(Box::new(player)),
                Err(err) => {
                    self.fail(None, format!("audio input: {err}"));
                    Source::Null
                }
            },
            AudioInput::Device(ring) => Source::Device(ring),
        };
    }

    fn set_output(&mut self, output: AudioOutput) {
        self.sink = match output {
            AudioOutput::Null => Sink::Null,
            AudioOutput::Wav(path) => match WavWriter::create(&path, SAMPLE_RATE, 1) {
                Ok(writer) => Sink::Wav(writer),
                Err(err) => {
                    self.fail(None, format!("audio output {}: {err}", path.display()));
                    Sink::Null
                }
            },
            AudioOutput::Device(ring) => Sink::Device(ring),
        };
    }

    fn run(&mut self, inbox: &Receiver<MediaCommand>) {
        let mut next_tick = now().0;
        loop {
            if self.idle() {
                // Nothing to play or send: sleep until told otherwise, so an idle
                // Ringlet costs no CPU (no 50 wake-ups a second).
                match inbox.recv() {
                    Ok(MediaCommand::Shutdown) | Err(_) => return,
                    Ok(command) => self.handle(command),
                }
                next_tick = now().0;
                continue;
            }
            match inbox.try_recv() {
                Ok(MediaCommand::Shutdown) | Err(TryRecvError::Disconnected) => return,
                Ok(command) => {
                    self.handle(command);
                    continue;
                }
                Err(TryRecvError::Empty) => {}
            }
            // Sleep until the tick; commands wait for it. Not the channel's own
            // timed wait: it spins and yields the processor several times before it sleeps,
            // at every tick and after every command (measured: ten `sched_yield` calls per
            // call answered under a sipp load, each a chance to switch threads).
            let (instant, wall) = now();
            if instant < next_tick {
                thread::park_timeout(next_tick - instant);
                continue;
            }
            if instant > next_tick + LATE_AFTER {
                self.late += 1;
            }
            self.ticks += 1;
            self.tick(instant, wall);
            next_tick += FRAME;
            if instant > next_tick + MAX_BEHIND {
                next_tick = instant + FRAME;
            }
        }
    }

    /// No call, no ringtone: the ticks would only move silence.
    fn idle(&self) -> bool {
        self.calls.is_empty() && self.ring.is_none()
    }

    fn handle(&mut self, command: MediaCommand) {
        match command {
            MediaCommand::Start {
                call,
                sockets,
                params,
            } => {
                self.seed = self
                    .seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                match Stream::new(sockets, params, self.seed, now().0) {
                    Ok(stream) => {
                        self.calls.insert(call, CallMedia::new(stream));
                    }
                    Err(err) => self.fail(Some(call), format!("call {}: no audio: {err}", call.0)),
                }
            }
            MediaCommand::Update { call, params } => {
                let result = self
                    .calls
                    .get_mut(&call)
                    .map(|media| media.stream.update(params));
                if let Some(Err(err)) = result {
                    self.fail(Some(call), format!("call {}: {err}", call.0));
                }
            }
            MediaCommand::Stop(call) => {
                if let Some(mut media) = self.calls.remove(&call) {
                    let stats = media.stream.stats(now().0);
                    self.emit(MediaEvent::Stats { call, stats });
                    if media.recorder.take().is_some() {
                        self.emit(MediaEvent::Recording { call, path: None });
                    }
                }
            }
            MediaCommand::Mute { call, muted } => {
                if let Some(media) = self.calls.get_mut(&call) {
                    media.stream.set_muted(muted);
                }
            }
            MediaCommand::Silence { call, silenced } => {
                if let Some(media) = self.calls.get_mut(&call) {
                    media.silenced = silenced;
                }
            }
            MediaCommand::Dtmf { call, digits } => {
                let refused = self
                    .calls
                    .get_mut(&call)
                    .map(|media| media.stream.queue_dtmf(&digits))
                    .unwrap_or_default();
                if !refused.is_empty() {
                    self.fail(Some(call), format!("not DTMF digits: {refused:?}"));
                }
            }
            MediaCommand::Record { call, path } => self.record(call, path),
            MediaCommand::Play { call, path } => self.play(call, path),
            MediaCommand::PlayControl { call, paused, seek } => {
                let Some(player) = self
                    .calls
                    .get_mut(&call)
                    .and_then(|media| media.player.as_mut())
                else {
                    return;
                };
                if let Some(paused) = paused {
                    player.set_paused(paused);
                }
                if let Some(position) = seek
                    && let Err(err) = player.seek(position)
                {
                    self.fail(Some(call), err.to_string());
                }
            }
            MediaCommand::Conference { calls, join } => {
                for call in calls {
                    if let Some(media) = self.calls.get_mut(&call) {
                        media.conference = join;
                    }
                }
            }
            MediaCommand::Ring(path) => {
                self.ring = match path.map(|path| FilePlayer::open(&path, true)) {
                    Some(Ok(player)) => Some(Box::new(player)),
                    Some(Err(err)) => {
                        self.fail(None, format!("ringtone: {err}"));
                        None
                    }
                    None => None,
                };
            }
            MediaCommand::SetVolume(volume) => self.volume = volume.clamp(0.0, 2.0),
            MediaCommand::SetDsp(options) => {
                self.dsp = if options.any() {
                    match CaptureChain::new(options, DEVICE_ECHO_DELAY_MS) {
                        Ok(chain) => Some(chain),
                        Err(err) => {
                            self.fail(None, err.to_string());
                            None
                        }
                    }
                } else {
                    None
                };
            }
            MediaCommand::SetInput(input) => self.set_input(input),
            MediaCommand::SetOutput(output) => self.set_output(output),
            MediaCommand::Shutdown => {}
        }
    }

    fn record(&mut self, call: CallId, path: Option<PathBuf>) {
        let Some(media) = self.calls.get_mut(&call) else {
            self.fail(
                Some(call),
                format!("call {} has no audio to record", call.0),
            );
            return;
        };
        let Some(path) = path else {
            if media.recorder.take().is_some() {
                self.emit(MediaEvent::Recording { call, path: None });
            }
            return;
        };
        // Stereo: left is what the user says (and plays in), right what the peer says.
        match WavWriter::create(&path, SAMPLE_RATE, 2) {
            Ok(writer) => {
                media.recorder = Some(writer);
                self.emit(MediaEvent::Recording {
                    call,
                    path: Some(path),
                });
            }
            Err(err) => self.fail(
                Some(call),
                format!("cannot record to {}: {err}", path.display()),
            ),
        }
    }

    fn play(&mut self, call: CallId, path: Option<PathBuf>) {
        let Some(media) = self.calls.get_mut(&call) else {
            self.fail(
                Some(call),
                format!("call {} has no audio to play into", call.0),
            );
            return;
        };
        let Some(path) = path else {
            if media.player.take().is_some() {
                self.emit(MediaEvent::Playing { call, path: None });
            }
            return;
        };
        match FilePlayer::open(&path, false) {
            Ok(player) => {
                media.player = Some(Box::new(player));
                self.emit(MediaEvent::Playing {
                    call,
                    path: Some(path),
                });
            }
            Err(err) => self.fail(Some(call), err.to_string()),
        }
    }

    fn tick(&mut self, now: Instant, wall: SystemTime) {
        self.capture_frame();
        self.local.fill(0);
        if let Some(ring) = self.ring.as_mut() {
            ring.mix_into(&mut self.local, 0.5);
        }
        // What each peer said (in parallel when there are many calls).
        for_each_call(&mut self.calls, &|media| hear(media, now, wall));
        for media in self.calls.values_mut().filter(|media| media.silenced) {
            media.heard.fill(0);
        }
        let mut ended = Vec::new();
        for (&call, media) in self.calls.iter_mut() {
            for event in media.events.drain(..) {
                let StreamEvent::Dtmf(digit) = event;
                self.events.send(MediaEvent::Dtmf { call, digit }).ok();
            }
            add(&mut self.local, &media.heard);
            // A file played into the call: both sides hear it.
            media.file.fill(0);
            media.file_stereo = false;
            let wants_side = media.stream.sends_stereo();
            if let Some(player) = media.player.as_mut() {
                if wants_side {
                    media.file_side.fill(0);
                    player.mix_into_stereo(&mut media.file, Some(&mut media.file_side), 1.0);
                    media.file_stereo = player.is_stereo();
                } else {
                    player.mix_into(&mut media.file, 1.0);
                }
                add(&mut self.local, &media.file);
                if player.ended() {
                    ended.push(call);
                }
            }
        }
        // A conference: each member hears the others (mix-minus).
        let members: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, media)| media.conference)
            .map(|(&call, _)| call)
            .collect();
        if members.len() > 1 {
            let inputs: Vec<&[i16]> = members
                .iter()
                .filter_map(|call| self.calls.get(call).map(|media| media.heard.as_slice()))
                .collect();
            self.conference_out.resize(inputs.len(), Vec::new());
            mix_minus(
                &inputs,
                &mut self.conference_out,
                &mut self.conference_total,
            );
        }
        for (index, call) in members.iter().enumerate() {
            if let (Some(media), Some(others)) =
                (self.calls.get_mut(call), self.conference_out.get(index))
            {
                media.others.copy_from_slice(others);
            }
        }
        // What each peer hears: the microphone, its file, the rest of a conference.
        let capture = &self.capture;
        let in_conference = members.len() > 1;
        for_each_call(&mut self.calls, &|media| {
            speak(media, capture, in_conference, now, wall)
        });
        for (&call, media) in self.calls.iter_mut() {
            if let Some(reason) = media.failure.take() {
                self.events
                    .send(MediaEvent::Failed {
                        call: Some(call),
                        reason,
                    })
                    .ok();
                self.events
                    .send(MediaEvent::Recording { call, path: None })
                    .ok();
            }
        }
        for call in ended {
            if let Some(media) = self.calls.get_mut(&call) {
                media.player = None;
            }
            self.emit(MediaEvent::Playing { call, path: None });
        }
        self.play_frame();
        if now >= self.next_stats {
            self.next_stats = now + STATS_INTERVAL;
            let stats: Vec<(CallId, MediaStats)> = self
                .calls
                .iter_mut()
                .map(|(&call, media)| {
                    let mut stats = media.stream.stats(now);
                    stats.silenced = media.silenced;
                    stats.sent_level = f32::from(media.peaks.0) / 32_768.0;
                    stats.heard_level = f32::from(media.peaks.1) / 32_768.0;
                    media.peaks = (0, 0);
                    (call, stats)
                })
                .collect();
            for (call, stats) in stats {
                self.emit(MediaEvent::Stats { call, stats });
            }
            self.emit(MediaEvent::Health {
                ticks: self.ticks,
                late: self.late,
            });
        }
    }

    fn capture_frame(&mut self) {
        match &mut self.source {
            Source::Null => self.capture.fill(0),
            Source::Tone(tone) => tone.fill(&mut self.capture),
            Source::File(player) => {
                self.capture.fill(0);
                player.mix_into(&mut self.capture, 1.0);
            }
            Source::Device(ring) => {
                ring.read_frame(&mut self.capture);
                if let Some(chain) = self.dsp.as_mut() {
                    // The far end is what was played last tick.
                    chain.render(&self.local);
                    chain.capture(&mut self.capture);
                }
            }
        }
    }

    fn play_frame(&mut self) {
        if (self.volume - 1.0).abs() > f32::EPSILON {
            for sample in self.local.iter_mut() {
                *sample = super::resample::saturate(f32::from(*sample) * self.volume);
            }
        }
        match &mut self.sink {
            Sink::Null => {}
            Sink::Wav(writer) => {
                if let Err(err) = writer.write(&self.local) {
                    self.sink = Sink::Null;
                    self.fail(None, format!("audio output stopped: {err}"));
                }
            }
            Sink::Device(ring) => ring.write_frame(&self.local),
        }
    }
}

/// The largest magnitude in a frame.
fn peak(frame: &[i16]) -> u16 {
    frame
        .iter()
        .map(|sample| sample.unsigned_abs())
        .max()
        .unwrap_or(0)
}
