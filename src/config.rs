//! The settings file (`config.toml`): plain user preferences, never secrets.
//!
//! A file that cannot be parsed is an error naming the file; it is never overwritten, so a
//! hand edit with a typo loses nothing.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Light or dark look of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// Dark backgrounds (the default, as in most softphones).
    #[default]
    Dark,
    /// Light backgrounds.
    Light,
}

/// User preferences kept in `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// BCP 47 tag of the interface language, e.g. `en-US` or `zh-TW`.
    pub language: String,
    /// Window theme.
    pub theme: Theme,
    /// Capture device by name; `None` is the system default.
    pub audio_input: Option<String>,
    /// Playback device by name; `None` is the system default.
    pub audio_output: Option<String>,
    /// Ringtone file (FLAC, Vorbis, WAV, MP3); `None` is the bundled one.
    pub ringtone: Option<PathBuf>,
    /// Cancel the echo of what is played in the microphone.
    pub echo_cancellation: bool,
    /// Suppress steady background noise in the microphone.
    pub noise_suppression: bool,
    /// Keep the microphone's level steady.
    pub gain_control: bool,
    /// Files offered in P2P conversations up to this size (MiB) are fetched at once;
    /// larger ones wait to be accepted.
    pub auto_accept_files_mb: u64,
    /// Larger files (MiB) are neither sent nor received.
    pub max_file_mb: u64,
    /// Open links received in chat messages in the browser as they arrive.
    pub open_urls: bool,
    /// Do not disturb: calls still arrive in the window, but nothing rings, no desktop
    /// notification is shown and the window does not ask for attention.
    pub do_not_disturb: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: crate::i18n::DEFAULT_LANGUAGE.to_owned(),
            theme: Theme::Dark,
            audio_input: None,
            audio_output: None,
            ringtone: None,
            echo_cancellation: true,
            noise_suppression: true,
            gain_control: true,
            auto_accept_files_mb: 20,
            max_file_mb: 4_096,
            open_urls: false,
            do_not_disturb: false,
        }
    }
}

impl Settings {
    /// The capture chain's stages as chosen.
    pub fn dsp(&self) -> crate::media::dsp::DspOptions {
        crate::media::dsp::DspOptions {
            echo_cancellation: self.echo_cancellation,
            noise_suppression: self.noise_suppression,
            gain_control: self.gain_control,
        }
    }
}

/// Why the settings file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read settings file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not valid TOML for Ringlet's settings.
    #[error("settings file {path} is invalid (left untouched; fix or remove it): {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What the parser said, with line and column.
        message: String,
    },
    /// The file cannot be written.
    #[error("cannot write settings file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl Settings {
    /// Reads the settings; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Settings::default());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Settings::parse(&text, path)
    }

    /// Parses settings text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, ConfigError> {
        toml::from_str(text).map_err(|err| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: err.to_string().trim().to_owned(),
        })
    }

    /// Writes the settings atomically (temporary file, then rename), so a crash mid-write
    /// leaves the old file whole.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let write_err = |source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        let text =
            toml::to_string_pretty(self).map_err(|err| write_err(std::io::Error::other(err)))?;
        let tmp = path.with_extension("toml.tmp");
        let mut file = fs::File::create(&tmp).map_err(write_err)?;
        file.write_all(text.as_bytes()).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        fs::rename(&tmp, path).map_err(write_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_save_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        let settings = Settings {
            language: "zh-TW".into(),
            theme: Theme::Light,
            audio_input: Some("USB Mic".into()),
            audio_output: None,
            ringtone: Some("/tmp/ring.flac".into()),
            echo_cancellation: false,
            noise_suppression: true,
            gain_control: false,
            auto_accept_files_mb: 0,
            max_file_mb: 100,
            open_urls: true,
            do_not_disturb: true,
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), settings);
    }

    #[test]
    fn invalid_file_is_reported_by_name_and_left_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        fs::write(&path, "language = [oops\n").unwrap();
        let err = Settings::load(&path).unwrap_err().to_string();
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains("invalid"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "language = [oops\n");
    }

    #[test]
    fn unknown_keys_are_rejected_rather_than_silently_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        fs::write(&path, "langauge = \"fr\"\n").unwrap();
        assert!(matches!(
            Settings::load(&path),
            Err(ConfigError::Invalid { .. })
        ));
    }
}
