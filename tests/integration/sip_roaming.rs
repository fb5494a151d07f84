//! A SIP call that survives the host's move to a new address, as baresip's netroam does
//! and Jami and Linphone do not (they end the call): Ringlet in a network namespace of its
//! own, joined to this one by a veth pair, registers with a real Kamailio and calls a real
//! baresip registered there; mid-call its address is replaced. Ringlet re-REGISTERs and
//! re-INVITEs through Kamailio with the new address, and the audio goes on.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::audio::{hear, longest_gap, try_tail, wait_tone};
use crate::common::baresip::Baresip;
use crate::common::netns::{Namespaces, run};
use crate::common::{Daemon, calls, stdout_ok, wait_until};
use crate::kamailio::Kamailio;

const LIMIT: Duration = Duration::from_secs(15);
const RINGLET_TONE: f64 = 1_000.0;
const BARESIP_TONE: f64 = 440.0;
/// This namespace's end of the veth pair, where Kamailio and baresip listen.
const HOST: &str = "10.79.0.1";
const KAMAILIO_PORT: u16 = 15_990;
const BARESIP_PORT: u16 = 15_992;

#[test]
fn a_sip_call_to_baresip_survives_an_address_change_with_a_gap_under_a_second() {
    let tmp = tempfile::tempdir().unwrap();
    let namespaces = Namespaces::create(&["rlroam"]);
    let ns = namespaces.name(0);
    // A veth pair between this namespace and Ringlet's (10.79.0.2). Names carry the
    // process id, as the namespace's does; removing the namespace removes the pair.
    let (host_dev, ns_dev) = (
        format!("rlrm{}", std::process::id()),
        format!("rlrn{}", std::process::id()),
    );
    run(&[
        "ip", "link", "add", &host_dev, "type", "veth", "peer", "name", &ns_dev, "netns", ns,
    ]);
    run(&["ip", "addr", "add", &format!("{HOST}/24"), "dev", &host_dev]);
    run(&["ip", "link", "set", &host_dev, "up"]);
    namespaces.address(ns, &ns_dev, "10.79.0.2/24");

    let kamailio = Kamailio::start_at(&tmp.path().join("kamailio"), HOST, KAMAILIO_PORT);
    let domain = format!("{HOST}:{KAMAILIO_PORT}");
    let account = format!("<sip:bob@{domain}>;auth_pass=bob-secret;regint=600;answermode=auto");
    let baresip = Baresip::start_at(
        &tmp.path().join("baresip"),
        HOST,
        BARESIP_PORT,
        &format!("sip:alice@{domain}"),
        &account,
    );
    let registered = wait_until(LIMIT, || kamailio.seen("REGISTER", "bob") >= 2);
    assert!(
        registered,
        "baresip never registered:\n{}",
        kamailio.log_text()
    );

    // Ringlet names no listen address: it binds every address and names the one that
    // routes to its registrar.
    let dir = tmp.path().join("ringlet");
    let tone = format!("tone:{RINGLET_TONE}");
    let heard = dir.join("heard.wav");
    let heard_arg = format!("file:{}", heard.display());
    let child = namespaces
        .ringlet(ns, &dir.join("data"))
        .args(["--headless", "--audio-in", &tone, "--audio-out", &heard_arg])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let ringlet = Daemon::adopt(child, &dir.join("data"));
    let aor = format!("sip:alice@{domain}");
    let registrar = format!("sip:{domain}");
    stdout_ok(&ringlet.ctl(&[
        "account",
        "add-sip",
        "--name",
        "alice",
        "--aor",
        &aor,
        "--registrar",
        &registrar,
        "--password",
        "alice-secret",
    ]));
    let from_first = wait_until(LIMIT, || {
        kamailio
            .log_text()
            .contains("REGISTER from alice (10.79.0.2:")
    });
    assert!(from_first, "{}", kamailio.log_text());

    let call = stdout_ok(&ringlet.ctl(&["call", "alice", &format!("sip:bob@{domain}")]));
    assert!(
        baresip.wait_for("CALL_ESTABLISHED", LIMIT),
        "{}",
        baresip.log_text()
    );
    let active = wait_until(LIMIT, || {
        calls(&ringlet)
            .first()
            .is_some_and(|row| row["state"] == "active")
    });
    assert!(active, "{:#?}\n{}", calls(&ringlet), kamailio.log_text());
    wait_tone(&heard, BARESIP_TONE, "Ringlet hears baresip", LIMIT);
    let baresip_hears = || {
        baresip
            .dumps("dec")
            .last()
            .and_then(|path| try_tail(path, 0, 1.0).ok())
            .map(|(samples, rate)| hear(&samples, rate, RINGLET_TONE).amplitude)
            .unwrap_or(0.0)
    };
    assert!(
        wait_until(LIMIT, || baresip_hears() > 2_000.0),
        "baresip hears nothing"
    );

    // The host moves: a new address first, then the old one goes (as a DHCP renewal or
    // a switch between networks does).
    let promote = format!("net.ipv4.conf.{ns_dev}.promote_secondaries=1");
    namespaces.exec(ns, &["sysctl", "-q", "-w", &promote]);
    namespaces.exec(ns, &["ip", "addr", "add", "10.79.0.22/24", "dev", &ns_dev]);
    namespaces.exec(ns, &["ip", "addr", "del", "10.79.0.2/24", "dev", &ns_dev]);
    #[expect(clippy::disallowed_methods, reason = "the test measures real time")]
    let changed = Instant::now();

    // Ringlet re-REGISTERs from the new address and re-INVITEs through Kamailio.
    let told = wait_until(LIMIT, || {
        let log = kamailio.log_text();
        log.contains("REGISTER from alice (10.79.0.22:")
            && log.contains("INVITE from alice (10.79.0.22:")
    });
    assert!(told, "{}", kamailio.log_text());
    eprintln!(
        "Kamailio heard the new address {:?} after the change",
        changed.elapsed()
    );
    // Three more seconds of call, then the gap Ringlet heard is measured; baresip still
    // hears Ringlet at the end (its dumps hold only what arrived, so gaps do not show).
    assert!(wait_until(LIMIT, || changed.elapsed() >= Duration::from_secs(4)));
    let span = changed.elapsed().as_secs_f64() + 0.5;
    let gap = longest_gap(&heard, BARESIP_TONE, span);
    eprintln!("Ringlet's longest audio gap across the address change: {gap:?}");
    assert!(gap < Duration::from_secs(1), "a gap of {gap:?}");
    assert!(baresip_hears() > 2_000.0, "baresip no longer hears Ringlet");
    let row = calls(&ringlet);
    assert!(
        row.first().is_some_and(|row| row["state"] == "active"),
        "{row:#?}"
    );
    assert_eq!(kamailio.seen("BYE", "alice"), 0);
    stdout_ok(&ringlet.ctl(&["hangup", &call]));
    assert!(wait_until(LIMIT, || calls(&ringlet).is_empty()));
}
