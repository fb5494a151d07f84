//! Store throughput: message inserts (with the FTS index), full-text search over 10,000
//! messages, and secret sealing.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringlet::model::{AccountDetails, AccountId, AccountInfo, RegistrationState, SipAccountConfig};
use ringlet::store::{MessageRecord, SecretName, Store};

const WORDS: &[&str] = &[
    "meeting", "tomorrow", "call", "lunch", "project", "見面", "明天", "電話", "réunion", "Anruf",
    "llamada",
];

fn fill(store: &Store, count: usize) {
    for i in 0..count {
        let body = format!(
            "{} {} {} #{i}",
            WORDS[i % WORDS.len()],
            WORDS[(i * 7) % WORDS.len()],
            WORDS[(i * 3) % WORDS.len()]
        );
        store
            .insert_message(&MessageRecord {
                conversation_id: "c1".into(),
                commit_id: None,
                author: "peer".into(),
                body,
                sent_at: i as i64,
                outgoing: i % 2 == 0,
                ..MessageRecord::default()
            })
            .unwrap();
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), false).unwrap();
    let account = AccountInfo {
        id: AccountId("a1".into()),
        name: "bench".into(),
        enabled: true,
        created_at: 0,
        registration: RegistrationState::Offline,
        details: AccountDetails::Sip(SipAccountConfig::default()),
    };
    store.insert_account(&account).unwrap();
    store
        .ensure_conversation("c1", &account.id, "sip", "bench", None, 0)
        .unwrap();
    (tmp, store)
}

fn store_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("insert_1000_messages", |b| {
        b.iter_with_setup(open, |(_tmp, store)| fill(&store, 1000));
    });
    group.finish();

    let (_tmp, store) = open();
    fill(&store, 10_000);
    c.bench_function("search_10k_messages_trigram", |b| {
        b.iter(|| black_box(store.search_messages("meeting", 50).unwrap()))
    });
    c.bench_function("search_10k_messages_cjk_2_chars", |b| {
        b.iter(|| black_box(store.search_messages("明天", 50).unwrap()))
    });
    c.bench_function("seal_and_store_secret", |b| {
        b.iter(|| {
            store
                .set_secret("a1", SecretName::SipPassword, b"correct horse battery")
                .unwrap()
        })
    });
    c.bench_function("open_secret", |b| {
        b.iter(|| black_box(store.secret("a1", SecretName::SipPassword).unwrap()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = store_benches
}
criterion_main!(benches);
