//! Bad files at start-up: each gives a clear error naming the file, a non-zero exit, and
//! leaves the file exactly as it was.

use std::fs;
use std::path::Path;

use crate::common::ringlet;

/// Runs `ringlet --headless` and returns its stderr; it must fail.
fn start_fails(data_dir: &Path) -> String {
    let output = ringlet(data_dir)
        .args(["--headless", "--audio", "none"])
        .output()
        .expect("running ringlet");
    assert!(
        !output.status.success(),
        "ringlet started despite bad input"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn corrupt_database_is_named_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ringlet.db");
    let garbage = b"this is not a database, just some text that happens to be here\n".repeat(100);
    fs::write(&db, &garbage).unwrap();
    let stderr = start_fails(tmp.path());
    assert!(
        stderr.contains("ringlet.db") && stderr.contains("not a SQLite database"),
        "{stderr}"
    );
    assert_eq!(fs::read(&db).unwrap(), garbage);
}

#[test]
fn foreign_database_is_named_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ringlet.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE invoices (id INTEGER, total REAL); INSERT INTO invoices VALUES (1, 9.5);",
        )
        .unwrap();
    }
    let before = fs::read(&db).unwrap();
    let stderr = start_fails(tmp.path());
    assert!(
        stderr.contains("ringlet.db") && stderr.contains("another program"),
        "{stderr}"
    );
    assert_eq!(fs::read(&db).unwrap(), before);
}

#[test]
fn invalid_config_is_named_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    fs::write(&config, "theme = \"purple\"\n").unwrap();
    let stderr = start_fails(tmp.path());
    assert!(
        stderr.contains("config.toml") && stderr.contains("invalid"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), "theme = \"purple\"\n");
}

#[test]
fn unusable_data_dir_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    let stderr = start_fails(&file.join("data"));
    assert!(
        stderr.contains("not-a-dir/data") && stderr.contains("not usable"),
        "{stderr}"
    );
}

#[test]
fn wrong_length_key_file_is_named_and_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("secrets.key");
    fs::write(&key, b"short").unwrap();
    let stderr = start_fails(tmp.path());
    assert!(
        stderr.contains("secrets.key") && stderr.contains("expected 32 bytes"),
        "{stderr}"
    );
    assert_eq!(fs::read(&key).unwrap(), b"short");
}
