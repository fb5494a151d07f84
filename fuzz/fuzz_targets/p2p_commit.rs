//! A stored or received commit: decoding, then signature and certificate checks, then the
//! DAG rules of a conversation it claims to belong to.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use ringlet::p2p::commit::SignedCommit;
    use ringlet::p2p::dag::Conversation;
    let Ok(signed) = SignedCommit::from_bytes(data) else {
        return;
    };
    if let Ok(commit) = signed.clone().verify()
        && let Ok(conversation) = Conversation::new(&commit)
    {
        let _ = conversation.missing_for(&[commit.id], 10);
    }
    // A stored commit decoded without its signature checked must not panic either.
    let _ = signed.trusted();
});
