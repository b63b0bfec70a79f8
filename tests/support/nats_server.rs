//! A `nats-server` for a test: started on a free loopback port (JetStream on, its store in a
//! scratch directory), stopped when dropped. Without the binary the test is skipped, saying so
//! and how to install it, unless `HOOKS_REQUIRE_NATS=1` (CI), which makes it a failure.

#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    store: PathBuf,
    /// More command-line arguments (e.g. `--user`, `--pass`).
    args: Vec<String>,
    child: Option<Child>,
}

/// The server binary: `$NATS_SERVER` (none if it is not a file), else `nats-server` on the `PATH`,
/// else Debian's `/usr/sbin/nats-server`.
fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/bin")])
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

impl NatsServer {
    /// A running server, or `None` (the test is skipped, said on stderr) when there is no
    /// `nats-server` and `HOOKS_REQUIRE_NATS` is not `1`.
    pub fn start(test: &str) -> Option<NatsServer> {
        Self::start_with(test, &[])
    }

    /// [`start`](Self::start), with more command-line arguments for the server.
    pub fn start_with(test: &str, args: &[&str]) -> Option<NatsServer> {
        let Some(binary) = binary() else {
            let required = std::env::var("HOOKS_REQUIRE_NATS").is_ok_and(|v| v == "1");
            let message =
                "nats-server not found: install it with `apt-get install nats-server` (or set NATS_SERVER to its path)";
            if required {
                panic!("{message}; HOOKS_REQUIRE_NATS=1 makes this a failure ({test})");
            }
            // Past the test harness's capture (which takes `eprintln!`): said even when it passes.
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {message}");
            return None;
        };
        let store = std::env::temp_dir().join(format!("hooks-nats-{}-{test}-{}", std::process::id(), free_port()));
        let args = args.iter().map(|a| a.to_string()).collect();
        let mut server = NatsServer { binary, port: free_port(), store, args, child: None };
        server.launch();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let child = Command::new(&self.binary)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(&self.store)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen on port {} within 10 s", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again, same port, same JetStream store.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}
