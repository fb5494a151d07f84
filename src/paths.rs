//! Where Ringlet keeps its files: the XDG directories by default, `--data-dir` when given,
//! or a folder beside the executable when a `ringlet.portable` file sits there.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

/// Name of the marker file that switches on portable mode when it sits beside the executable.
pub const PORTABLE_MARKER: &str = "ringlet.portable";
/// Folder created beside the executable in portable mode.
pub const PORTABLE_DIR: &str = "ringlet-data";

/// The resolved locations of everything Ringlet writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Database, secrets, control socket, lock file.
    pub data_dir: PathBuf,
    /// The TOML settings file.
    pub config_file: PathBuf,
    /// True when the paths come from a `ringlet.portable` marker.
    pub portable: bool,
}

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// No home directory could be found for the XDG defaults.
    #[error("cannot find a home directory for the default data directory; pass --data-dir")]
    NoHome,
    /// The data directory cannot be created or written.
    #[error("data directory {path} is not usable: {source}")]
    Unusable {
        /// The directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl Paths {
    /// Everything inside one directory (used for `--data-dir` and portable mode).
    pub fn in_dir(dir: &Path) -> Paths {
        Paths {
            data_dir: dir.to_path_buf(),
            config_file: dir.join("config.toml"),
            portable: false,
        }
    }

    /// Resolves the paths: an explicit directory wins, then portable mode, then XDG.
    pub fn resolve(explicit: Option<&Path>) -> Result<Paths, PathsError> {
        if let Some(dir) = explicit {
            return Ok(Paths::in_dir(dir));
        }
        if let Some(exe_dir) = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            && exe_dir.join(PORTABLE_MARKER).is_file()
        {
            let mut paths = Paths::in_dir(&exe_dir.join(PORTABLE_DIR));
            paths.portable = true;
            return Ok(paths);
        }
        let dirs = directories::ProjectDirs::from("net", "Ringlet", "ringlet")
            .ok_or(PathsError::NoHome)?;
        Ok(Paths {
            data_dir: dirs.data_dir().to_path_buf(),
            config_file: dirs.config_dir().join("config.toml"),
            portable: false,
        })
    }

    /// Creates the data directory if needed and proves it is writable, so that a bad
    /// directory is reported up front, naming the path, instead of failing half-way.
    pub fn ensure_writable(&self) -> Result<(), PathsError> {
        let unusable = |source| PathsError::Unusable {
            path: self.data_dir.clone(),
            source,
        };
        // Private to the user: it holds the database, the secret key and the control socket.
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.data_dir)
            .map_err(unusable)?;
        let probe = self.data_dir.join(".write-probe");
        let written = fs::File::create(&probe).and_then(|mut file| file.write_all(b"ok"));
        // The probe is only a test of permissions; a failure to remove it is harmless.
        fs::remove_file(&probe).ok();
        written.map_err(unusable)?;
        if let Some(parent) = self.config_file.parent() {
            fs::create_dir_all(parent).map_err(|source| PathsError::Unusable {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        Ok(())
    }

    /// The database file.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("ringlet.db")
    }

    /// The control socket of a running engine.
    pub fn control_socket(&self) -> PathBuf {
        self.data_dir.join("ringlet.sock")
    }

    /// The lock file that keeps two engines off one data directory.
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("ringlet.lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_holds_everything() {
        let paths = Paths::resolve(Some(Path::new("/x/y"))).unwrap();
        assert_eq!(paths.data_dir, PathBuf::from("/x/y"));
        assert_eq!(paths.config_file, PathBuf::from("/x/y/config.toml"));
        assert!(!paths.portable);
    }

    #[test]
    fn new_data_dirs_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let paths = Paths::in_dir(&tmp.path().join("fresh"));
        paths.ensure_writable().unwrap();
        let mode = fs::metadata(&paths.data_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn data_dir_under_a_file_is_reported_with_its_path() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("plain-file");
        fs::write(&file, b"x").unwrap();
        let paths = Paths::in_dir(&file.join("data"));
        let err = paths.ensure_writable().unwrap_err().to_string();
        assert!(err.contains("plain-file/data"), "{err}");
    }
}
