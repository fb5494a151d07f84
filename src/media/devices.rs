//! Audio devices through cpal: listing capture and playback devices by name, a live input
//! level meter for the settings view, and the microphone and speaker of calls.
//!
//! cpal streams are not `Send`, so one thread (`ringlet-audio`) owns them. The callbacks
//! only fold a peak into an atomic or move samples through lock-free rings: no locks,
//! allocation or logging. A device that fails (unplugged) is replaced by the default one,
//! with a notice, and the call goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait as _, HostTrait as _, StreamTrait as _};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::ring::{RingCounters, capture_ring, playback_ring};
use super::thread::{AudioInput, AudioOutput, MediaCommand};
use crate::model::Problem;

/// Calls `build::<T>(args)` with `T` the device's sample type, or returns an error for
/// a sample format Ringlet does not convert.
macro_rules! with_sample_type {
    ($format:expr, $build:ident($($arg:expr),* $(,)?)) => {
        match $format {
            cpal::SampleFormat::F32 => $build::<f32>($($arg),*),
            cpal::SampleFormat::I16 => $build::<i16>($($arg),*),
            cpal::SampleFormat::I32 => $build::<i32>($($arg),*),
            cpal::SampleFormat::U16 => $build::<u16>($($arg),*),
            other => return Err(DeviceError::Format(other.to_string())),
        }
    };
}

/// How often the meter reports while it runs.
const METER_INTERVAL: Duration = Duration::from_millis(50);

/// Which audio system the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioBackend {
    /// The system's devices through cpal (ALSA, PulseAudio/PipeWire via ALSA, JACK).
    #[default]
    System,
    /// The JACK server's ports (pro audio, or PipeWire's JACK layer).
    Jack,
    /// No devices at all: for tests and servers.
    Disabled,
}

/// Requests to the audio thread.
#[derive(Debug, Clone)]
pub enum AudioRequest {
    /// Report the devices present.
    ListDevices,
    /// Run the input meter on this device (`None`: the default one).
    StartMeter(Option<String>),
    /// Stop the input meter.
    StopMeter,
    /// Open the microphone and speaker for calls (`None`: the default devices) and hand
    /// their rings to the media thread through `media`.
    OpenCallAudio {
        /// Open the microphone.
        capture: bool,
        /// Open the speaker.
        playback: bool,
        /// Capture device name.
        input: Option<String>,
        /// Playback device name.
        output: Option<String>,
        /// The media thread's command channel.
        media: crossbeam_channel::Sender<MediaCommand>,
    },
    /// Close the call devices (the media thread gets silence).
    CloseCallAudio,
    /// End the thread.
    Stop,
}

/// What the audio thread reports to its owner (the engine turns these into events).
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceReport {
    /// Something the user should know (a device missing or replaced).
    Notice(crate::model::Problem),
    /// The devices present.
    Devices {
        /// Capture devices.
        inputs: Vec<String>,
        /// Playback devices.
        outputs: Vec<String>,
    },
    /// The input meter's peak since the last report, 0.0 to 1.0.
    InputLevel(f32),
}

/// Where the audio thread's reports go.
pub type DeviceReporter = Box<dyn Fn(DeviceReport) + Send + 'static>;

/// Handle to the audio thread.
pub struct AudioService {
    requests: Sender<AudioRequest>,
    thread: Option<thread::JoinHandle<()>>,
}

impl AudioService {
    /// Starts the audio thread; with `list_now` it lists the devices at once.
    pub fn start(
        backend: AudioBackend,
        list_now: bool,
        events: DeviceReporter,
    ) -> std::io::Result<AudioService> {
        let (requests, inbox) = crossbeam_channel::unbounded();
        let thread = thread::Builder::new()
            .name("ringlet-audio".into())
            .spawn(move || run(backend, &inbox, &events))?;
        let service = AudioService {
            requests,
            thread: Some(thread),
        };
        if list_now {
            service.request(AudioRequest::ListDevices);
        }
        Ok(service)
    }

    /// Sends a request; a stopped thread ignores it.
    pub fn request(&self, request: AudioRequest) {
        // The thread only ends on Stop or engine shutdown; a request after that has no one to serve.
        self.requests.send(request).ok();
    }
}

impl Drop for AudioService {
    fn drop(&mut self) {
        self.request(AudioRequest::Stop);
        if let Some(thread) = self.thread.take() {
            // A panic on the audio thread has already been reported by the panic hook.
            thread.join().ok();
        }
    }
}

fn run(backend: AudioBackend, inbox: &Receiver<AudioRequest>, events: &DeviceReporter) {
    let host = match backend {
        AudioBackend::System => Some(cpal::default_host()),
        AudioBackend::Jack => match cpal::host_from_id(cpal::HostId::Jack) {
            Ok(host) => Some(host),
            Err(err) => {
                events(DeviceReport::Notice(Problem::new(
                    "problem-no-jack",
                    &[("error", &err.to_string())],
                )));
                Some(cpal::default_host())
            }
        },
        AudioBackend::Disabled => None,
    };
    let mut meter: Option<Meter> = None;
    let mut call_audio: Option<CallAudio> = None;
    loop {
        let timeout = if meter.is_some() || call_audio.is_some() {
            METER_INTERVAL
        } else {
            Duration::from_secs(3600)
        };
        match inbox.recv_timeout(timeout) {
            Ok(AudioRequest::ListDevices) => {
                let (inputs, outputs) = host.as_ref().map(list_devices).unwrap_or_default();
                events(DeviceReport::Devices { inputs, outputs });
            }
            Ok(AudioRequest::StartMeter(device)) => {
                meter = None;
                if let Some(host) = &host {
                    match Meter::start(host, device.as_deref()) {
                        Ok(started) => meter = Some(started),
                        Err(error) => events(DeviceReport::Notice(Problem::new(
                            "problem-no-meter",
                            &[("error", &error.to_string())],
                        ))),
                    }
                }
            }
            Ok(AudioRequest::StopMeter) => meter = None,
            Ok(AudioRequest::OpenCallAudio {
                capture,
                playback,
                input,
                output,
                media,
            }) => {
                call_audio = None;
                if let Some(host) = &host {
                    let wanted = (capture, playback);
                    call_audio = Some(CallAudio::open(host, wanted, input, output, media, events));
                }
            }
            Ok(AudioRequest::CloseCallAudio) => {
                if let Some(audio) = call_audio.take() {
                    audio.close();
                }
            }
            Ok(AudioRequest::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(meter) = &meter {
            events(DeviceReport::InputLevel(meter.take_peak()));
        }
        if let (Some(host), Some(audio)) = (&host, call_audio.as_mut()) {
            audio.recover(host, events);
        }
    }
}

/// The microphone and speaker of calls, as cpal streams feeding the media thread's rings.
struct CallAudio {
    input_name: Option<String>,
    output_name: Option<String>,
    media: crossbeam_channel::Sender<MediaCommand>,
    capture: Option<DeviceStream>,
    playback: Option<DeviceStream>,
}

/// One running device stream, the flag its error callback raises, and when its callbacks
/// were last seen to move on.
struct DeviceStream {
    fault: Arc<StreamFault>,
    counters: Arc<RingCounters>,
    progress: Progress,
    _stream: cpal::Stream,
}

/// How long a playback stream may go without a callback before it counts as failed: an
/// unplugged device whose backend reports no error (ALSA's PulseAudio plugin after the
/// server went, at times) just stops calling back.
const STALL: Duration = Duration::from_secs(4);

/// A stream's callback count as last seen, and since when.
#[derive(Debug, Clone, Copy)]
struct Progress {
    callbacks: u64,
    since: Instant,
}

impl Progress {
    fn start() -> Progress {
        Progress {
            callbacks: 0,
            since: now(),
        }
    }

    /// Takes the count seen `at`; true once it has not moved for [`STALL`] after the
    /// stream ran (a stream may take a while to start on a loaded machine).
    fn stalled(&mut self, callbacks: u64, at: Instant) -> bool {
        if callbacks != self.callbacks || callbacks == 0 {
            *self = Progress {
                callbacks,
                since: at,
            };
            return false;
        }
        at.duration_since(self.since) >= STALL
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the audio device thread is a driver: it reads the clock to find stalled streams"
)]
fn now() -> Instant {
    Instant::now()
}

impl CallAudio {
    fn open(
        host: &cpal::Host,
        (capture, playback): (bool, bool),
        input_name: Option<String>,
        output_name: Option<String>,
        media: crossbeam_channel::Sender<MediaCommand>,
        events: &DeviceReporter,
    ) -> CallAudio {
        let mut audio = CallAudio {
            input_name,
            output_name,
            media,
            capture: None,
            playback: None,
        };
        if capture {
            audio.open_capture(host, events);
        }
        if playback {
            audio.open_playback(host, events);
        }
        audio
    }

    fn open_capture(&mut self, host: &cpal::Host, events: &DeviceReporter) {
        match open_capture(host, self.input_name.as_deref()) {
            Ok((stream, ring)) => {
                self.capture = Some(stream);
                self.media
                    .try_send(MediaCommand::SetInput(AudioInput::Device(ring)))
                    .ok();
            }
            Err(error) => {
                self.capture = None;
                self.media
                    .try_send(MediaCommand::SetInput(AudioInput::Null))
                    .ok();
                events(DeviceReport::Notice(Problem::new(
                    "problem-no-device",
                    &[("device", "microphone"), ("error", &error.to_string())],
                )));
            }
        }
    }

    fn open_playback(&mut self, host: &cpal::Host, events: &DeviceReporter) {
        match open_playback(host, self.output_name.as_deref()) {
            Ok((stream, ring)) => {
                self.playback = Some(stream);
                self.media
                    .try_send(MediaCommand::SetOutput(AudioOutput::Device(ring)))
                    .ok();
            }
            Err(error) => {
                self.playback = None;
                self.media
                    .try_send(MediaCommand::SetOutput(AudioOutput::Null))
                    .ok();
                events(DeviceReport::Notice(Problem::new(
                    "problem-no-device",
                    &[("device", "speaker"), ("error", &error.to_string())],
                )));
            }
        }
    }

    /// Replaces a failed device by the default one (hot-unplug), keeping the call.
    fn recover(&mut self, host: &cpal::Host, events: &DeviceReporter) {
        // Failed: an error reported, or, for the speaker, no callback for a while. (A
        // microphone may rightly go quiet: a PulseAudio monitor of a suspended sink gives
        // no data until something plays there.)
        let at = now();
        let failed = |stream: &mut Option<DeviceStream>, may_stall: bool| {
            stream.as_mut().and_then(|stream| {
                let callbacks = stream.counters.callbacks.load(Ordering::Relaxed);
                let stalled = may_stall && stream.progress.stalled(callbacks, at);
                (stream.fault.failed() || stalled).then(|| stream.fault.errors())
            })
        };
        if let Some(errors) = failed(&mut self.capture, false) {
            let name = self.input_name.take();
            let name = name.as_deref().unwrap_or("(default)");
            tracing::warn!(device = %name, errors, "microphone failed; using the default one");
            events(DeviceReport::Notice(Problem::new(
                "problem-device-failed",
                &[("device", "microphone"), ("name", name)],
            )));
            self.open_capture(host, events);
        }
        if let Some(errors) = failed(&mut self.playback, true) {
            let name = self.output_name.take();
            let name = name.as_deref().unwrap_or("(default)");
            tracing::warn!(device = %name, errors, "speaker failed; using the default one");
            events(DeviceReport::Notice(Problem::new(
                "problem-device-failed",
                &[("device", "speaker"), ("name", name)],
            )));
            self.open_playback(host, events);
        }
        for stream in [&self.capture, &self.playback].into_iter().flatten() {
            let starved = stream.counters.starved.swap(0, Ordering::Relaxed);
            let overflowed = stream.counters.overflowed.swap(0, Ordering::Relaxed);
            if starved + overflowed > 0 {
                tracing::trace!(starved, overflowed, "audio device ring trouble");
            }
        }
    }

    fn close(self) {
        if self.capture.is_some() {
            self.media
                .try_send(MediaCommand::SetInput(AudioInput::Null))
                .ok();
        }
        if self.playback.is_some() {
            self.media
                .try_send(MediaCommand::SetOutput(AudioOutput::Null))
                .ok();
        }
    }
}

/// Why an audio device cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// No device of that name (or no default one).
    #[error("no device {0:?}")]
    NotFound(String),
    /// A sample format the media thread does not convert.
    #[error("unsupported sample format {0}")]
    Format(String),
    /// The audio host (ALSA, JACK) refused.
    #[error("{0}")]
    Host(String),
}

/// What the audio host said, as a [`DeviceError`].
fn host_error(error: impl std::fmt::Display) -> DeviceError {
    DeviceError::Host(error.to_string())
}

fn find_device(
    host: &cpal::Host,
    name: Option<&str>,
    input: bool,
) -> Result<cpal::Device, DeviceError> {
    let found = match name {
        Some(name) => {
            let mut devices = if input {
                host.input_devices()
            } else {
                host.output_devices()
            }
            .map_err(host_error)?;
            devices.find(|device| device.name().is_ok_and(|found| found == name))
        }
        None if input => host.default_input_device(),
        None => host.default_output_device(),
    };
    found.ok_or_else(|| DeviceError::NotFound(name.unwrap_or("default").to_owned()))
}

/// A stream's fault as its error callback sees it: the first real error raises the flag
/// and is logged once; later ones (a vanished ALSA device calls back thousands of times a
/// second) are only counted, and the count goes with the one report of the replacement.
#[derive(Debug, Default)]
pub(crate) struct StreamFault {
    failed: std::sync::atomic::AtomicBool,
    errors: std::sync::atomic::AtomicU64,
}

impl StreamFault {
    /// Takes one error; true for the first real one (the one to log).
    pub(crate) fn record(&self, err: &cpal::StreamError) -> bool {
        if is_transient(err) {
            return false;
        }
        self.errors.fetch_add(1, Ordering::Relaxed);
        !self.failed.swap(true, Ordering::Relaxed)
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

/// A stream's fault record and the error callback that feeds it.
fn failure_flag(
    what: &'static str,
) -> (
    Arc<StreamFault>,
    impl FnMut(cpal::StreamError) + Send + 'static,
) {
    let fault = Arc::new(StreamFault::default());
    let record = fault.clone();
    let on_error = move |err: cpal::StreamError| {
        if record.record(&err) {
            tracing::debug!(%err, "{what} stream error; further errors are counted");
        }
    };
    (fault, on_error)
}

/// An over- or underrun that the stream survives (cpal's JACK host reports every xrun
/// through the error callback): no reason to give the device up.
fn is_transient(err: &cpal::StreamError) -> bool {
    match err {
        cpal::StreamError::DeviceNotAvailable => false,
        cpal::StreamError::BackendSpecific { err } => err.description.contains("xrun"),
    }
}

fn open_capture(
    host: &cpal::Host,
    name: Option<&str>,
) -> Result<(DeviceStream, super::ring::CaptureRing), DeviceError> {
    let device = find_device(host, name, true)?;
    let supported = device.default_input_config().map_err(host_error)?;
    let config = supported.config();
    let (producer, ring, counters) = capture_ring(config.sample_rate.0);
    let (fault, on_error) = failure_flag("capture");
    let channels = usize::from(config.channels.max(1));
    let stream = with_sample_type!(
        supported.sample_format(),
        capture_stream(
            &device,
            &config,
            channels,
            producer,
            counters.clone(),
            on_error
        )
    )
    .map_err(host_error)?;
    stream.play().map_err(host_error)?;
    Ok((
        DeviceStream {
            fault,
            counters,
            progress: Progress::start(),
            _stream: stream,
        },
        ring,
    ))
}

fn capture_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    channels: usize,
    mut producer: rtrb::Producer<i16>,
    counters: Arc<RingCounters>,
    on_error: impl FnMut(cpal::StreamError) + Send + 'static,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: cpal::SizedSample,
    f32: cpal::FromSample<T>,
{
    device.build_input_stream(
        config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            let mut dropped = 0u64;
            for frame in data.chunks(channels) {
                let sum: f32 = frame
                    .iter()
                    .map(|sample| cpal::Sample::to_sample::<f32>(*sample))
                    .sum();
                let mono = (sum / channels as f32 * 32_767.0).clamp(-32_768.0, 32_767.0) as i16;
                if producer.push(mono).is_err() {
                    dropped += 1;
                }
            }
            if dropped > 0 {
                counters.overflowed.fetch_add(dropped, Ordering::Relaxed);
            }
            counters.callbacks.fetch_add(1, Ordering::Relaxed);
        },
        on_error,
        None,
    )
}

fn open_playback(
    host: &cpal::Host,
    name: Option<&str>,
) -> Result<(DeviceStream, super::ring::PlaybackRing), DeviceError> {
    let device = find_device(host, name, false)?;
    let supported = device.default_output_config().map_err(host_error)?;
    let config = supported.config();
    let (ring, consumer, counters) = playback_ring(config.sample_rate.0);
    let (fault, on_error) = failure_flag("playback");
    let channels = usize::from(config.channels.max(1));
    let stream = with_sample_type!(
        supported.sample_format(),
        playback_stream(
            &device,
            &config,
            channels,
            consumer,
            counters.clone(),
            on_error
        )
    )
    .map_err(host_error)?;
    stream.play().map_err(host_error)?;
    Ok((
        DeviceStream {
            fault,
            counters,
            progress: Progress::start(),
            _stream: stream,
        },
        ring,
    ))
}

fn playback_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    channels: usize,
    mut consumer: rtrb::Consumer<i16>,
    counters: Arc<RingCounters>,
    on_error: impl FnMut(cpal::StreamError) + Send + 'static,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: cpal::SizedSample + cpal::FromSample<f32>,
{
    device.build_output_stream(
        config,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            let mut starved = 0u64;
            for frame in data.chunks_mut(channels) {
                let sample = consumer.pop().unwrap_or_else(|_| {
                    starved += 1;
                    0
                });
                let value: T = cpal::Sample::from_sample(f32::from(sample) / 32_768.0);
                frame.fill(value);
            }
            if starved > 0 {
                counters.starved.fetch_add(starved, Ordering::Relaxed);
            }
            counters.callbacks.fetch_add(1, Ordering::Relaxed);
        },
        on_error,
        None,
    )
}

/// Names of the capture and playback devices.
pub fn list_devices(host: &cpal::Host) -> (Vec<String>, Vec<String>) {
    let names = |devices: Result<Vec<cpal::Device>, cpal::DevicesError>| -> Vec<String> {
        let mut names: Vec<String> = devices
            .unwrap_or_default()
            .iter()
            .filter_map(|device| device.name().ok())
            .collect();
        names.dedup();
        names
    };
    (
        names(host.input_devices().map(Iterator::collect)),
        names(host.output_devices().map(Iterator::collect)),
    )
}

/// A running capture stream that records its peak level.
struct Meter {
    peak_bits: Arc<AtomicU32>,
    _stream: cpal::Stream,
}

impl Meter {
    fn start(host: &cpal::Host, name: Option<&str>) -> Result<Meter, DeviceError> {
        let device = find_device(host, name, true)?;
        let supported = device.default_input_config().map_err(host_error)?;
        let config = supported.config();
        let peak_bits = Arc::new(AtomicU32::new(0));
        let on_error = |err: cpal::StreamError| tracing::warn!(%err, "input meter stream error");
        let stream = with_sample_type!(
            supported.sample_format(),
            build(&device, &config, &peak_bits, on_error)
        )
        .map_err(host_error)?;
        stream.play().map_err(host_error)?;
        Ok(Meter {
            peak_bits,
            _stream: stream,
        })
    }

    fn take_peak(&self) -> f32 {
        f32::from_bits(self.peak_bits.swap(0, Ordering::Relaxed))
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    peak_bits: &Arc<AtomicU32>,
    on_error: impl FnMut(cpal::StreamError) + Send + 'static,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: cpal::SizedSample,
    f32: cpal::FromSample<T>,
{
    let peak_bits = Arc::clone(peak_bits);
    device.build_input_stream(
        config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            let block_peak = data
                .iter()
                .map(|sample| cpal::Sample::to_sample::<f32>(*sample).abs())
                .fold(0.0f32, f32::max);
            // Non-negative floats order like their bit patterns, so fetch_max on bits is a
            // lock-free max of the levels.
            peak_bits.fetch_max(block_peak.min(1.0).to_bits(), Ordering::Relaxed);
        },
        on_error,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_whose_callbacks_stop_for_the_stall_time_counts_as_failed() {
        let start = now();
        let mut progress = Progress {
            callbacks: 0,
            since: start,
        };
        let at = |ms: u64| start + Duration::from_millis(ms);
        assert!(
            !progress.stalled(0, at(9_000)),
            "not started yet: not stalled"
        );
        assert!(!progress.stalled(5, at(10_000)), "moving");
        assert!(
            !progress.stalled(5, at(13_000)),
            "still within the stall time"
        );
        assert!(progress.stalled(5, at(14_000)), "4 s without a callback");
        assert!(!progress.stalled(6, at(14_100)), "moving again");
    }

    #[test]
    fn a_vanished_device_is_reported_once_and_its_errors_counted() {
        let fault = StreamFault::default();
        let gone = cpal::StreamError::BackendSpecific {
            err: cpal::BackendSpecificError {
                description: "snd_pcm_poll_descriptors_revents (-5)".into(),
            },
        };
        let logged = (0..3_504).filter(|_| fault.record(&gone)).count();
        assert_eq!(logged, 1);
        assert!(fault.failed());
        assert_eq!(fault.errors(), 3_504);
        // An xrun is no fault.
        let xrun = cpal::StreamError::BackendSpecific {
            err: cpal::BackendSpecificError {
                description: "xrun".into(),
            },
        };
        let healthy = StreamFault::default();
        assert!(!healthy.record(&xrun));
        assert!(!healthy.failed());
    }
}
