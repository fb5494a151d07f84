//! Audio devices through cpal: listing capture and playback devices by name, and a live
//! input level meter for the settings view.
//!
//! cpal streams are not `Send`, so one thread (`ringlet-audio`) owns them. The capture
//! callback only folds the block's peak into an atomic: no locks, allocation or logging.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use cpal::traits::{DeviceTrait as _, HostTrait as _, StreamTrait as _};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::engine::{Event, EventSink};

/// How often the meter reports while it runs.
const METER_INTERVAL: Duration = Duration::from_millis(50);

/// Which audio system the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioBackend {
    /// The system's devices through cpal (ALSA, PulseAudio/PipeWire via ALSA, JACK).
    #[default]
    System,
    /// No devices at all: for tests and servers.
    Disabled,
}

/// Requests to the audio thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioRequest {
    /// Report the devices present.
    ListDevices,
    /// Run the input meter on this device (`None`: the default one).
    StartMeter(Option<String>),
    /// Stop the input meter.
    StopMeter,
    /// End the thread.
    Stop,
}

/// Handle to the audio thread.
pub struct AudioService {
    requests: Sender<AudioRequest>,
    thread: Option<thread::JoinHandle<()>>,
}

impl AudioService {
    /// Starts the audio thread; it lists the devices once at start.
    pub fn start(backend: AudioBackend, events: EventSink) -> std::io::Result<AudioService> {
        let (requests, inbox) = crossbeam_channel::unbounded();
        let thread = thread::Builder::new()
            .name("ringlet-audio".into())
            .spawn(move || run(backend, &inbox, &events))?;
        let service = AudioService {
            requests,
            thread: Some(thread),
        };
        service.request(AudioRequest::ListDevices);
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

fn run(backend: AudioBackend, inbox: &Receiver<AudioRequest>, events: &EventSink) {
    let host = match backend {
        AudioBackend::System => Some(cpal::default_host()),
        AudioBackend::Disabled => None,
    };
    let mut meter: Option<Meter> = None;
    loop {
        let timeout = if meter.is_some() {
            METER_INTERVAL
        } else {
            Duration::from_secs(3600)
        };
        match inbox.recv_timeout(timeout) {
            Ok(AudioRequest::ListDevices) => {
                let (inputs, outputs) = host.as_ref().map(list_devices).unwrap_or_default();
                events.emit(Event::AudioDevices { inputs, outputs });
            }
            Ok(AudioRequest::StartMeter(device)) => {
                meter = None;
                if let Some(host) = &host {
                    match Meter::start(host, device.as_deref()) {
                        Ok(started) => meter = Some(started),
                        Err(error) => events.emit(Event::Notice {
                            text: format!("input level meter unavailable: {error}"),
                        }),
                    }
                }
            }
            Ok(AudioRequest::StopMeter) => meter = None,
            Ok(AudioRequest::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(meter) = &meter {
            events.emit(Event::InputLevel {
                peak: meter.take_peak(),
            });
        }
    }
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
    fn start(host: &cpal::Host, name: Option<&str>) -> Result<Meter, String> {
        let device = match name {
            Some(name) => host
                .input_devices()
                .map_err(|err| err.to_string())?
                .find(|device| device.name().is_ok_and(|found| found == name)),
            None => host.default_input_device(),
        }
        .ok_or_else(|| format!("no input device {:?}", name.unwrap_or("default")))?;
        let supported = device
            .default_input_config()
            .map_err(|err| err.to_string())?;
        let config = supported.config();
        let peak_bits = Arc::new(AtomicU32::new(0));
        let on_error = |err: cpal::StreamError| tracing::warn!(%err, "input meter stream error");
        let stream = match supported.sample_format() {
            cpal::SampleFormat::F32 => build::<f32>(&device, &config, &peak_bits, on_error),
            cpal::SampleFormat::I16 => build::<i16>(&device, &config, &peak_bits, on_error),
            cpal::SampleFormat::U16 => build::<u16>(&device, &config, &peak_bits, on_error),
            cpal::SampleFormat::I32 => build::<i32>(&device, &config, &peak_bits, on_error),
            other => return Err(format!("unsupported sample format {other}")),
        }
        .map_err(|err| err.to_string())?;
        stream.play().map_err(|err| err.to_string())?;
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
