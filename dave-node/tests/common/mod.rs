//! Test harness: `dave-node` processes on loopback addresses, their logs and status lines.
//!
//! Each node gets its own 127.0.N.1 address, a different /24 for every N, so the protocol's
//! network-group limits (§5: 2 per bucket, 8 per table for one /24) treat them as independent
//! hosts rather than one crowded subnet.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_dave-node");

/// Protocol settings every test node and client uses: low proof-of-work, intervals ÷ 10.
pub const FAST: [&str; 4] = ["--min-work", "8", "--time-scale", "10"];

/// Held around every process this harness starts, and by a test while it holds a locked
/// backup open in its own process. A child forked by another test thread holds copies of this
/// process's descriptors until it execs (std marks them close-on-exec), and a copy keeps an
/// `flock`: on a loaded machine a dave-node started just after its test had dropped the backup
/// it wrote found the file "in use by another process" (seen once, in a fresh-clone CI run).
/// `Command::spawn` returns only once the child has exec'd, so holding this around it closes
/// the window.
static DESCRIPTORS: Mutex<()> = Mutex::new(());

/// Takes [`DESCRIPTORS`] (a test that panicked while holding it leaves nothing to protect).
pub fn descriptors() -> std::sync::MutexGuard<'static, ()> {
    DESCRIPTORS.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`Command::output`], with the spawn under [`DESCRIPTORS`] (the wait is not).
pub fn output(cmd: &mut Command) -> Output {
    let child = {
        let _spawning = descriptors();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn dave-node")
    };
    child.wait_with_output().expect("wait for dave-node")
}

/// A free UDP port on `ip` (bound then released; the OS does not hand it out again at once).
pub fn free_addr(ip: &str) -> SocketAddr {
    let socket = UdpSocket::bind((ip, 0)).expect("bind probe socket");
    socket.local_addr().unwrap()
}

/// `127.0.N.1`, one /24 per N.
pub fn host(n: u8) -> String {
    format!("127.0.{n}.1")
}

/// Runs `dave-node keygen` and returns the key file and the printed public key.
pub fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let out = output(Command::new(BIN).args(["keygen", "--out"]).arg(&path));
    assert!(
        out.status.success(),
        "keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pubkey = String::from_utf8(out.stdout).unwrap().trim().to_string();
    (path, pubkey)
}

/// The latest numbers of a node's status line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Status {
    pub peers: u64,
    pub active: u64,
    pub records: u64,
}

/// A running `dave-node run`.
pub struct NodeProc {
    child: Child,
    pub addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
}

impl NodeProc {
    /// Starts a node on `addr` with the given edges, key and optional backup.
    pub fn spawn(
        addr: SocketAddr,
        edges: &[SocketAddr],
        key: &Path,
        backup: Option<&Path>,
    ) -> NodeProc {
        Self::spawn_with(addr, edges, key, backup, &FAST)
    }

    /// As [`NodeProc::spawn`] with the given `run` flags instead of [`FAST`].
    pub fn spawn_with(
        addr: SocketAddr,
        edges: &[SocketAddr],
        key: &Path,
        backup: Option<&Path>,
        protocol: &[&str],
    ) -> NodeProc {
        let mut cmd = Command::new(BIN);
        cmd.arg("run")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--key")
            .arg(key)
            .args(["--status-every", "0.2"])
            .args(protocol)
            .env(
                "RUST_LOG",
                std::env::var("DAVE_NODE_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for edge in edges {
            cmd.arg("--edge").arg(edge.to_string());
        }
        if let Some(backup) = backup {
            cmd.arg("--backup").arg(backup);
        }
        let mut child = {
            let _spawning = descriptors();
            cmd.spawn().expect("spawn dave-node")
        };
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        NodeProc { child, addr, lines }
    }

    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// The last status line's numbers, if one was printed.
    pub fn status(&self) -> Option<Status> {
        let lines = self.lines.lock().unwrap();
        let line = lines.iter().rev().find(|l| l.contains("status "))?;
        let field = |name: &str| -> Option<u64> {
            let start = line.find(&format!(" {name}="))? + name.len() + 2;
            line[start..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        };
        Some(Status {
            peers: field("peers")?,
            active: field("active")?,
            records: field("records")?,
        })
    }

    /// Waits until `check` holds for the node's status, or `timeout` passes.
    pub fn wait_for(&self, timeout: Duration, check: impl Fn(Status) -> bool) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.status().is_some_and(&check) {
                return true;
            }
            thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Whether the process has exited (reaping it if so).
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// SIGKILL: no flush, no goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit and returns its code (Unix: signals).
    #[cfg(unix)]
    pub fn terminate(&mut self) -> Option<i32> {
        self.signal(libc::SIGTERM)
    }

    /// SIGINT (Ctrl-C), then waits for the exit and returns its code (Unix: signals).
    #[cfg(unix)]
    pub fn interrupt(&mut self) -> Option<i32> {
        self.signal(libc::SIGINT)
    }

    #[cfg(unix)]
    fn signal(&mut self, signal: i32) -> Option<i32> {
        // SAFETY: kill(2) on our own child's pid with a valid signal number.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        None
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs a short-lived `dave-node put` through `edge`.
pub fn put(edge: SocketAddr, key: &Path, record_key: &str, value: &str, from: &str) -> Output {
    put_with(edge, key, record_key, value, from, &FAST)
}

/// As [`put`] with the given protocol (and client) flags instead of [`FAST`].
pub fn put_with(
    edge: SocketAddr,
    key: &Path,
    record_key: &str,
    value: &str,
    from: &str,
    flags: &[&str],
) -> Output {
    let mut put = client("put", edge, from);
    put.arg("--key")
        .arg(key)
        .args(["--work", "8"])
        .args(flags)
        .args([record_key, value]);
    output(&mut put)
}

/// A short-lived client command (`put` or `get`) through `edge`, listening on `from`.
fn client(verb: &str, edge: SocketAddr, from: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg(verb)
        .arg("--edge")
        .arg(edge.to_string())
        .args(["--timeout", "10", "--listen"])
        .arg(format!("{from}:0"))
        .env(
            "RUST_LOG",
            std::env::var("DAVE_NODE_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        );
    cmd
}

/// Runs a short-lived `dave-node get` through `edge`.
pub fn get(edge: SocketAddr, pubkey: &str, record_key: &str, from: &str) -> Output {
    get_with(edge, pubkey, record_key, from, &FAST)
}

/// As [`get`] with the given protocol (and client) flags instead of [`FAST`].
pub fn get_with(
    edge: SocketAddr,
    pubkey: &str,
    record_key: &str,
    from: &str,
    flags: &[&str],
) -> Output {
    let mut get = client("get", edge, from);
    get.args(flags).args([pubkey, record_key]);
    output(&mut get)
}
