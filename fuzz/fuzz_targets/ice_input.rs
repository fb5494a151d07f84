//! A call's ICE session fed what the other device and the network can send it: signal
//! lines (credentials, candidates) and datagrams on its socket (STUN checks, answers,
//! media), with time moving on between them. Nothing may panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};
    let local: SocketAddr = "10.0.0.1:5000".parse().expect("an address");
    let stun: SocketAddr = "198.51.100.1:3478".parse().expect("an address");
    let mut now = Instant::now();
    let mut session = ringlet::ice::IceSession::new(&[local], &[stun], 1, now);
    session.set_controlling(data.first().is_some_and(|b| b & 1 == 1));
    // Pieces separated by 0xff: a piece whose first byte is even is a signal line, odd a
    // datagram from one of four sources (the STUN server among them).
    for piece in data.split(|&b| b == 0xff) {
        let Some((&kind, body)) = piece.split_first() else {
            continue;
        };
        now += Duration::from_millis(u64::from(kind) * 4);
        if kind % 2 == 0 {
            let _ = session.on_signal(&String::from_utf8_lossy(body), now);
        } else {
            let from = match kind % 8 {
                1 => stun,
                3 => "10.0.0.2:6000".parse().expect("an address"),
                5 => "203.0.113.5:7000".parse().expect("an address"),
                _ => "[2001:db8::1]:8000".parse().expect("an address"),
            };
            let _ = session.on_datagram(now, from, local, body);
        }
        session.on_timeout(now);
        while session.poll_transmit().is_some() {}
        while session.poll_signal().is_some() {}
        let _ = session.route(now);
    }
});
