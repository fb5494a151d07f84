//! Full-text search over one million stored messages (the P2P issue's goal: < 20 ms).
//!
//! Builds a database of 1,000,000 messages in 100 conversations once (about a minute; kept
//! in `$RINGLET_BENCH_DIR`, default `/var/tmp/ringlet-search-1m`, and reused), then times
//! searches the way the window and `ctl messages --search` run them: a rare word, a common
//! word (the 50 newest of ~270,000 hits), texts below the trigram length (a common
//! Chinese two-character word, a rare one, absent ones of one and two characters), and a
//! search inside one conversation. Prints the median and worst of 21 runs each.

use std::time::{Duration, Instant};

use ringlet::model::{AccountDetails, AccountId, AccountInfo, RegistrationState, SipAccountConfig};
use ringlet::store::{MessageRecord, Store};

const MESSAGES: usize = 1_000_000;
/// Under `cargo test` (no `--bench` argument) a small smoke run in a temporary directory.
const SMOKE_MESSAGES: usize = 20_000;
const CONVERSATIONS: usize = 100;
const WORDS: &[&str] = &[
    "meeting", "tomorrow", "call", "lunch", "project", "見面", "明天", "電話", "réunion", "Anruf",
    "llamada",
];

fn build(store: &Store, messages: usize) {
    let account = AccountInfo {
        id: AccountId("a1".into()),
        name: "bench".into(),
        enabled: true,
        created_at: 0,
        registration: RegistrationState::Offline,
        details: AccountDetails::Sip(SipAccountConfig::default()),
    };
    store.insert_account(&account).unwrap();
    for c in 0..CONVERSATIONS {
        store
            .ensure_conversation(&format!("c{c}"), &account.id, "sip", "bench", None, 0)
            .unwrap();
    }
    for chunk in 0..messages / 10_000 {
        store
            .atomically(|store| {
                for j in 0..10_000 {
                    let i = chunk * 10_000 + j;
                    let mut body = format!(
                        "{} {} {} note {i} zq{}",
                        WORDS[i % WORDS.len()],
                        WORDS[(i * 7) % WORDS.len()],
                        WORDS[(i * 3) % WORDS.len()],
                        i % 9973
                    );
                    if i % 100_000 == 7 {
                        body.push_str(" 稀有");
                    }
                    store.insert_message(&MessageRecord {
                        conversation_id: format!("c{}", i % CONVERSATIONS),
                        commit_id: None,
                        author: "peer".into(),
                        body,
                        sent_at: i as i64,
                        outgoing: i % 2 == 0,
                        ..MessageRecord::default()
                    })?;
                }
                Ok(())
            })
            .unwrap();
    }
}

/// One search, returning the rows found.
type Search<'a> = Box<dyn FnMut() -> usize + 'a>;

#[expect(clippy::disallowed_methods, reason = "a benchmark reads the clock")]
fn time(mut run: impl FnMut() -> usize) -> (Duration, Duration, usize) {
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..21 {
        let start = Instant::now();
        found = run();
        times.push(start.elapsed());
    }
    times.sort();
    (times[10], times[20], found)
}

#[expect(clippy::disallowed_methods, reason = "a benchmark reads the clock")]
fn main() {
    let benching = std::env::args().any(|arg| arg == "--bench");
    let smoke_dir = tempfile::tempdir().unwrap();
    let (dir, messages) = if benching {
        let dir = std::env::var("RINGLET_BENCH_DIR")
            .unwrap_or_else(|_| "/var/tmp/ringlet-search-1m".into());
        (std::path::PathBuf::from(dir), MESSAGES)
    } else {
        (smoke_dir.path().to_path_buf(), SMOKE_MESSAGES)
    };
    let fresh = !dir.join("ringlet.db").exists();
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&dir, false).unwrap();
    if fresh {
        let start = Instant::now();
        build(&store, messages);
        println!(
            "built {messages} messages in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
    let db = dir.join("ringlet.db");
    let cases: [(&str, Search<'_>); 7] = [
        (
            "rare word (zq4242, ~100 hits), 50 newest",
            Box::new(|| store.search_messages("zq4242", 50).unwrap().len()),
        ),
        (
            "common word (meeting, ~270k hits), 50 newest",
            Box::new(|| store.search_messages("meeting", 50).unwrap().len()),
        ),
        (
            "Chinese 2 characters (明天, found among the newest rows), 50 newest",
            Box::new(|| store.search_messages("明天", 50).unwrap().len()),
        ),
        (
            "rare 2 characters (稀有, one message in 100,000: the term list)",
            Box::new(|| store.search_messages("稀有", 50).unwrap().len()),
        ),
        (
            "absent 2 characters (再見, no term starts with it)",
            Box::new(|| store.search_messages("再見", 50).unwrap().len()),
        ),
        (
            "absent 1 character (x)",
            Box::new(|| store.search_messages("x", 50).unwrap().len()),
        ),
        (
            "one conversation (c42, zq42), as ctl messages --search",
            Box::new(|| {
                ringlet::store::read_messages(&db, "c42", Some("zq42"), 1000)
                    .unwrap()
                    .len()
            }),
        ),
    ];
    for (name, mut run) in cases {
        let (median, worst, found) = time(&mut run);
        println!(
            "{name}: median {:.2} ms, worst {:.2} ms ({found} rows)",
            median.as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3
        );
    }
}
