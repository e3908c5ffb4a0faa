//! One real mail server per test: its own directory and loopback address,
//! and a guard that stops its whole process group when dropped, also when
//! the test fails (the directory, with the server's log, then stays for a
//! look). A test process killed before its guards ran (Ctrl-C) leaves
//! daemons behind; the next run stops those first and removes what is left.

use std::fs;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::install::repo_path;
use crate::testkit::net;

/// Every instance directory lives here, named `<test pid>-<n>-<name>`.
fn base_dir() -> PathBuf {
    std::env::temp_dir().join("mxprobe-mta")
}

/// Names a leftover process may have (`/proc/PID/comm`): nothing else is
/// ever signalled by the sweep, whatever a stale file says.
const DAEMON_NAMES: &[&str] = &["master", "postfix-script", "exim4"];

/// The file in an instance directory listing the process groups to stop.
const GROUPS_FILE: &str = "process-groups";

/// A directory and an address for one server.
pub struct Instance {
    /// What it is for, in its directory's name and in messages.
    pub name: String,
    /// Its own directory: configuration, certificates, spool, log.
    pub dir: PathBuf,
    /// The address the server listens on.
    pub addr: SocketAddr,
}

impl Instance {
    /// A fresh directory (with a copy of `testdata/certs/` in `certs/`,
    /// readable by the servers' unprivileged users) and `addr`, or a fresh
    /// loopback address with a free port.
    pub fn new(name: &str, addr: Option<SocketAddr>) -> Instance {
        static SWEEP: Once = Once::new();
        SWEEP.call_once(sweep_leftovers);
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base_dir().join(format!("{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        mkdir(&dir);
        let certs = dir.join("certs");
        mkdir(&certs);
        for entry in fs::read_dir(repo_path("testdata/certs")).expect("testdata/certs") {
            let path = entry.expect("entry").path();
            let to = certs.join(path.file_name().expect("file name"));
            fs::copy(&path, &to).expect("copy certificate");
            fs::set_permissions(&to, fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        Instance {
            name: name.to_string(),
            dir,
            addr: addr.unwrap_or_else(|| free_addr(net::loopback())),
        }
    }

    /// `template` with the placeholders of `testdata/mta/README.md` filled in.
    pub fn render(&self, template: &str, exim: &Path) -> String {
        let text = template
            .replace("@DIR@", &self.dir.display().to_string())
            .replace("@ADDR@", &self.addr.ip().to_string())
            .replace("@PORT@", &self.addr.port().to_string())
            .replace("@CERTS@", &self.dir.join("certs").display().to_string())
            .replace("@EXIM@", &exim.display().to_string());
        if let Some(left) = unfilled(&text) {
            panic!("unknown placeholder in template: {left}");
        }
        text
    }

    /// Write `<dir>/<relative>`.
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.dir.join(relative);
        fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }
}

/// The first `@WORD@` left in `text` (a placeholder nobody filled in), and
/// what follows it. `@STRENGTH` in a cipher string is not one.
fn unfilled(text: &str) -> Option<&str> {
    text.match_indices('@')
        .find(|&(i, _)| {
            text[i + 1..]
                .split_once('@')
                .is_some_and(|(w, _)| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase()))
        })
        .map(|(i, _)| &text[i..])
}

#[cfg(test)]
#[test]
fn unfilled_placeholders_are_found() {
    assert_eq!(unfilled("a = @PORT@\n"), Some("@PORT@\n"));
    assert_eq!(unfilled("x = HIGH:@STRENGTH\ny = @DIR@/q"), Some("@DIR@/q"));
    assert_eq!(unfilled("x = HIGH:@STRENGTH:@SECLEVEL=0\nmail a@b"), None);
}

fn mkdir(dir: &Path) {
    fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A port nobody uses on `ip` (fresh to this process, so nobody else binds it).
fn free_addr(ip: Ipv4Addr) -> SocketAddr {
    let listener = TcpListener::bind((ip, 0)).expect("bind a loopback address");
    listener.local_addr().expect("local address")
}

/// A running server; stopped on drop.
pub struct Daemon {
    /// Its directory and address.
    pub instance: Instance,
    child: Child,
    /// The daemon's pid file, when it makes its own process group (Postfix's
    /// master calls setsid()).
    pid_file: Option<PathBuf>,
    /// Its log, for failure messages and for checking what it was told.
    log: PathBuf,
}

impl Daemon {
    /// Start `command` in a process group of its own and wait until the
    /// server greets on its address.
    pub async fn start(
        instance: Instance,
        mut command: Command,
        pid_file: Option<PathBuf>,
        log: PathBuf,
    ) -> Daemon {
        let output = fs::File::create(instance.dir.join("output")).expect("output file");
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("dup"))
            .stderr(output)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", instance.name));
        let mut daemon = Daemon {
            instance,
            child,
            pid_file,
            log,
        };
        daemon.record_group(daemon.child.id());
        daemon.wait_for_greeting().await;
        if let Some(pid) = daemon.daemon_pid() {
            daemon.record_group(pid);
        }
        daemon
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.instance.addr
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Everything the server said about itself, for failure messages.
    pub fn diagnostics(&self) -> String {
        let output = fs::read_to_string(self.instance.dir.join("output")).unwrap_or_default();
        format!(
            "{} on {} ({}):\n--- output\n{output}--- log\n{}",
            self.instance.name,
            self.instance.addr,
            self.instance.dir.display(),
            self.log()
        )
    }

    fn daemon_pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.pid_file.as_ref()?).ok()?;
        text.trim().parse().ok()
    }

    fn record_group(&self, pgid: u32) {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.instance.dir.join(GROUPS_FILE))
            .expect("process groups file");
        writeln!(f, "{pgid}").expect("write process group");
    }

    /// Bounded by a generous limit: it is a wait for start-up, not a
    /// measurement.
    async fn wait_for_greeting(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status})\n{}",
                    self.instance.name,
                    self.diagnostics()
                );
            }
            if greets(self.instance.addr).await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} never greeted\n{}",
                self.instance.name,
                self.diagnostics()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Connects, reads a 220 greeting and says QUIT.
async fn greets(addr: SocketAddr) -> bool {
    let attempt = async {
        let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).await.ok()? == 0 || !line.starts_with("220") {
                return None;
            }
            if line.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        }
        reader.get_mut().write_all(b"QUIT\r\n").await.ok()?;
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(5), attempt)
        .await
        .ok()
        .flatten()
        .is_some()
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let groups: Vec<u32> = self
            .daemon_pid()
            .into_iter()
            .chain([self.child.id()])
            .collect();
        for &g in &groups {
            signal_group(g, libc::SIGTERM);
        }
        // Both servers stop their children on SIGTERM and exit; give them
        // a moment to do it cleanly, then make sure.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !groups.iter().all(|&g| group_gone(g)) {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(20));
        }
        for &g in &groups {
            signal_group(g, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.instance.dir);
        }
    }
}

fn signal_group(pgid: u32, signal: libc::c_int) {
    crate::ffi::os::signal_group(pgid, signal);
}

/// No live (non-zombie) process is left in the group.
fn group_gone(pgid: u32) -> bool {
    let Ok(procs) = fs::read_dir("/proc") else {
        return true;
    };
    !procs.flatten().any(|p| {
        let stat = fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split after ')'.
        let mut fields = stat.rsplit_once(')').map_or("", |s| s.1).split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|f| f.parse::<u32>().ok());
        pgrp == Some(pgid) && state != Some("Z")
    })
}

/// Stop the daemons of earlier test processes that died before their
/// guards ran, and remove their directories.
fn sweep_leftovers() {
    let Ok(entries) = fs::read_dir(base_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = name.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        let groups = fs::read_to_string(entry.path().join(GROUPS_FILE)).unwrap_or_default();
        for pgid in groups.lines().filter_map(|l| l.trim().parse::<u32>().ok()) {
            let comm = fs::read_to_string(format!("/proc/{pgid}/comm")).unwrap_or_default();
            if DAEMON_NAMES.contains(&comm.trim()) {
                signal_group(pgid, libc::SIGKILL);
            }
        }
        let _ = fs::remove_dir_all(entry.path());
    }
}
