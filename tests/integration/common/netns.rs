//! Network namespaces a test makes itself (LANs, NAT routers, an "internet"), joined by veth
//! pairs, with `ringlet` started inside them; all removed when dropped, also when the test
//! fails halfway.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs a command that must succeed.
pub fn run(args: &[&str]) {
    let status = Command::new(args[0])
        .args(&args[1..])
        .status()
        .unwrap_or_else(|err| panic!("{args:?}: {err}"));
    assert!(status.success(), "{args:?} failed");
}

/// Namespaces named by a prefix and this process's id, each with its loopback up.
pub struct Namespaces {
    names: Vec<String>,
}

impl Namespaces {
    /// One namespace per prefix, in that order.
    pub fn create(prefixes: &[&str]) -> Namespaces {
        let id = std::process::id();
        let mut namespaces = Namespaces { names: Vec::new() };
        for prefix in prefixes {
            let name = format!("{prefix}{id}");
            run(&["ip", "netns", "add", &name]);
            // Pushed at once: a later step that panics still has it removed.
            namespaces.names.push(name.clone());
            namespaces.exec(&name, &["ip", "link", "set", "lo", "up"]);
        }
        namespaces
    }

    /// The namespace made from prefix number `index`.
    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// Runs a command inside `namespace`; it must succeed.
    pub fn exec(&self, namespace: &str, args: &[&str]) {
        let mut full = vec!["ip", "netns", "exec", namespace];
        full.extend_from_slice(args);
        run(&full);
    }

    /// Runs a command inside `namespace` and returns what it printed; it must succeed.
    pub fn output(&self, namespace: &str, args: &[&str]) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", namespace])
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("{args:?}: {err}"));
        assert!(out.status.success(), "{args:?} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A veth pair: `a_dev` in namespace `a`, `b_dev` in namespace `b`.
    pub fn veth(&self, a: &str, a_dev: &str, b: &str, b_dev: &str) {
        run(&[
            "ip", "link", "add", a_dev, "netns", a, "type", "veth", "peer", "name", b_dev, "netns",
            b,
        ]);
    }

    /// Gives `dev` in `namespace` an address (with its prefix length) and brings it up.
    pub fn address(&self, namespace: &str, dev: &str, address: &str) {
        self.exec(namespace, &["ip", "addr", "add", address, "dev", dev]);
        self.exec(namespace, &["ip", "link", "set", dev, "up"]);
    }

    /// Makes `namespace` a router that hides what it forwards behind its address on `out`.
    pub fn masquerade(&self, namespace: &str, out: &str) {
        self.exec(namespace, &["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
        self.exec(
            namespace,
            &[
                "iptables",
                "-t",
                "nat",
                "-A",
                "POSTROUTING",
                "-o",
                out,
                "-j",
                "MASQUERADE",
            ],
        );
    }

    /// `ringlet --data-dir DIR` inside `namespace`, with the tests' defaults (no keyring,
    /// quiet logs) and none of their loopback listen addresses: the caller picks.
    pub fn ringlet(&self, namespace: &str, dir: &Path) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", namespace, super::ringlet_bin()])
            .arg("--data-dir")
            .arg(dir)
            .env("RINGLET_NO_KEYRING", "1")
            .env(
                "RINGLET_LOG",
                std::env::var("RINGLET_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("RINGLET_P2P_LISTEN");
        command
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in &self.names {
            Command::new("ip")
                .args(["netns", "del", name])
                .status()
                .ok();
        }
    }
}

/// Two namespaces (named after `tag`, unique per test) joined by a veth pair (10.77.0.1 and 10.77.0.2), multicast routed, for
/// daemons that find each other by mDNS with no node.
pub struct Lan(pub Namespaces);

impl Lan {
    pub fn create(tag: &str) -> Lan {
        let lan = Namespaces::create(&[&format!("rl{tag}a"), &format!("rl{tag}b")]);
        let (a, b) = (lan.name(0), lan.name(1));
        let (a_dev, b_dev) = (format!("rl{tag}0"), format!("rl{tag}1"));
        lan.veth(a, &a_dev, b, &b_dev);
        for (ns, dev, address) in [(a, &a_dev, "10.77.0.1/24"), (b, &b_dev, "10.77.0.2/24")] {
            lan.address(ns, dev, address);
            // mDNS sends to 224.0.0.251: multicast needs a route out of the LAN device.
            lan.exec(ns, &["ip", "route", "add", "224.0.0.0/4", "dev", dev]);
        }
        Lan(lan)
    }

    /// A daemon in namespace `index` with mDNS on and no bootstrap node.
    pub fn daemon(&self, index: usize, dir: &Path, address: &str) -> super::Daemon {
        self.daemon_with(index, dir, address, &["--audio", "none"])
    }

    /// As [`Lan::daemon`], with other options (audio devices, say).
    pub fn daemon_with(
        &self,
        index: usize,
        dir: &Path,
        address: &str,
        extra: &[&str],
    ) -> super::Daemon {
        let child = self
            .0
            .ringlet(self.0.name(index), dir)
            .arg("--headless")
            .args(extra)
            .args(["--p2p-listen", &format!("/ip4/{address}/tcp/0")])
            .env_remove("RINGLET_NO_MDNS")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        super::Daemon::adopt(child, dir)
    }
}
