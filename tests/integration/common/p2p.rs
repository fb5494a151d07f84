//! Serverless accounts in tests: a `ringlet node` for bootstrap, daemons with one P2P
//! account each, and the contact handshake between two of them.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::{Daemon, stdout_ok, wait_until};

/// A `ringlet node`, killed when dropped.
pub struct Node {
    pub child: Child,
    /// Its TCP listen address with the `/p2p/` suffix.
    pub address: String,
}

impl Node {
    pub fn start(dir: &Path) -> Node {
        let mut child = super::ringlet(dir)
            .args(["node", "--listen", "/ip4/127.0.0.1/tcp/0"])
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("spawning ringlet node");
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.starts_with("peer-id "), "{first}");
        let address = lines
            .map(Result::unwrap)
            .find_map(|line| line.strip_prefix("listen ").map(str::to_owned))
            .expect("the node prints its listen address");
        Node { child, address }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A daemon with one P2P account; returns it and the account id.
pub fn p2p_daemon(dir: &Path, name: &str, bootstrap: &str) -> (Daemon, String) {
    let daemon = Daemon::start_with(dir, &["--bootstrap", bootstrap]);
    let id = add_p2p_account(&daemon, name);
    (daemon, id)
}

/// Adds a P2P account named `name` to a daemon; returns its id.
pub fn add_p2p_account(daemon: &Daemon, name: &str) -> String {
    let created = stdout_ok(&daemon.ctl(&["account", "add-p2p", "--name", name]));
    let json: serde_json::Value = serde_json::from_str(&created).unwrap_or_default();
    let id = json["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| created.trim().to_owned());
    assert_eq!(id.len(), 40, "account id: {created}");
    id
}

pub fn contacts(daemon: &Daemon, account: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&stdout_ok(&daemon.ctl(&["contacts", account]))).unwrap()
}

pub fn contact_state(daemon: &Daemon, account: &str, peer: &str) -> Option<String> {
    contacts(daemon, account)
        .into_iter()
        .find(|contact| contact["uri"] == peer)
        .and_then(|contact| contact["state"].as_str().map(str::to_owned))
}

pub fn messages(daemon: &Daemon, account: &str, peer: &str) -> Vec<serde_json::Value> {
    let output = daemon.ctl(&["messages", account, peer]);
    if !output.status.success() {
        return Vec::new();
    }
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The texts of messages as `ctl messages` lists them.
pub fn texts(messages: &[serde_json::Value]) -> Vec<String> {
    messages
        .iter()
        .map(|message| message["body"].as_str().unwrap_or("").to_owned())
        .collect()
}

pub fn node_info(daemon: &Daemon) -> serde_json::Value {
    serde_json::from_str(&stdout_ok(&daemon.ctl(&["node-info"]))).unwrap()
}

/// Alice asks Bob (each a daemon, account name and id); Bob accepts; both see it.
pub fn befriend(alice: (&Daemon, &str, &str), bob: (&Daemon, &str, &str)) {
    befriend_named(alice, bob, None);
}

/// [`befriend`], Alice naming Bob's contact `name` when given (as a person would type it).
pub fn befriend_named(
    alice: (&Daemon, &str, &str),
    bob: (&Daemon, &str, &str),
    name: Option<&str>,
) {
    let mut add = vec!["contact", "add", alice.1, bob.2];
    if let Some(name) = name {
        add.extend(["--name", name]);
    }
    stdout_ok(&alice.0.ctl(&add));
    let asked = wait_until(Duration::from_secs(20), || {
        contact_state(bob.0, bob.1, alice.2).as_deref() == Some("incoming")
    });
    assert!(asked, "the contact request did not arrive");
    stdout_ok(&bob.0.ctl(&["contact", "accept", bob.1, alice.2]));
    let confirmed = wait_until(Duration::from_secs(20), || {
        contact_state(alice.0, alice.1, bob.2).as_deref() == Some("confirmed")
    });
    assert!(confirmed, "the acceptance did not come back");
}

/// A bootstrap node and two befriended daemons, Alice and Bob, in `dir`.
pub struct Pair {
    /// The node (kept alive with the pair).
    pub node: Node,
    /// Alice's daemon and account id.
    pub alice: (Daemon, String),
    /// Bob's daemon and account id.
    pub bob: (Daemon, String),
    /// Bob's data directory.
    pub bob_dir: std::path::PathBuf,
}

impl Pair {
    /// Starts the node and both daemons (Bob's `config.toml` first, when given) and makes
    /// them contacts.
    pub fn befriended(dir: &Path, bob_config: Option<&str>) -> Pair {
        let node = Node::start(&dir.join("node"));
        let alice = p2p_daemon(&dir.join("alice"), "alice", &node.address);
        let bob_dir = dir.join("bob");
        if let Some(config) = bob_config {
            std::fs::create_dir_all(&bob_dir).unwrap();
            std::fs::write(bob_dir.join("config.toml"), config).unwrap();
        }
        let bob = p2p_daemon(&bob_dir, "bob", &node.address);
        befriend((&alice.0, "alice", &alice.1), (&bob.0, "bob", &bob.1));
        Pair {
            node,
            alice,
            bob,
            bob_dir,
        }
    }
}
