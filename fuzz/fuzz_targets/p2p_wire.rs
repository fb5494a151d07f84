//! The P2P wire decoders (requests and responses from other devices), and verification of
//! every commit a decoded message carries.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use ringlet::p2p::wire::{Request, Response, decode_request, decode_response};
    let commits = match decode_request(data) {
        Ok(
            Request::Push { commits }
            | Request::ContactRequest { commits, .. }
            | Request::Invite { commits },
        ) => commits,
        _ => match decode_response(data) {
            Ok(Response::Commits { commits, .. }) => commits,
            _ => Vec::new(),
        },
    };
    for commit in commits {
        let _ = commit.verify();
    }
});
