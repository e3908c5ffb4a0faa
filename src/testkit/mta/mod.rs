//! Real mail servers for tests and benchmarks: Debian's Postfix (on the
//! system OpenSSL) and Exim (on GnuTLS), installed by `tests/mta/setup.sh`
//! and started on loopback with the configurations in `testdata/mta/`.
//! Starting them needs root (they drop to their own users).

use std::fs;
use std::net::SocketAddr;
use std::process::Command;

mod daemon;
mod install;

pub use daemon::{Daemon, Instance};
pub use install::{binaries, repo_path, Binaries};

fn template(relative: &str) -> String {
    let path = repo_path("testdata/mta").join(relative);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn chown(user: &str, dir: &std::path::Path) {
    let status = Command::new("chown")
        .arg(format!("{user}:"))
        .arg(dir)
        .status()
        .expect("run chown");
    assert!(status.success(), "chown {user} {}", dir.display());
}

/// Postfix with `postfix/main.cf` + `postfix/<variant>.cf`: `postfix -c DIR
/// start-fg`, whose master runs in a session of its own until stopped.
/// `variant` may join several files with `+` (`modern+slow`), later ones
/// winning.
pub async fn postfix(variant: &str) -> Daemon {
    postfix_at(variant, None).await
}

/// The same on a given address (a port of our own otherwise).
pub async fn postfix_at(variant: &str, addr: Option<SocketAddr>) -> Daemon {
    let bin = binaries();
    let instance = Instance::new(&format!("postfix-{variant}"), addr);
    let mut main = template("postfix/main.cf");
    for part in variant.split('+') {
        main.push_str(&format!(
            "\n# --- {part}.cf\n{}",
            template(&format!("postfix/{part}.cf"))
        ));
    }
    fs::create_dir(instance.dir.join("etc")).expect("mkdir etc");
    instance.write("etc/main.cf", &instance.render(&main, &bin.exim));
    instance.write(
        "etc/master.cf",
        &instance.render(&template("postfix/master.cf"), &bin.exim),
    );
    // `postfix check` makes the queue's subdirectories; the data directory
    // must be the mail owner's.
    fs::create_dir(instance.dir.join("queue")).expect("mkdir queue");
    fs::create_dir(instance.dir.join("data")).expect("mkdir data");
    chown("postfix", &instance.dir.join("data"));
    let mut command = Command::new(&bin.postfix);
    command
        .arg("-c")
        .arg(instance.dir.join("etc"))
        .arg("start-fg");
    let pid_file = instance.dir.join("queue/pid/master.pid");
    let log = instance.dir.join("maillog");
    Daemon::start(instance, command, Some(pid_file), log).await
}

/// Exim with `exim/<variant>.conf` + `exim/base.conf` (which ends with the
/// ACL section): `exim4 -bdf -C FILE`, a daemon in the foreground, forking
/// one child per connection.
pub async fn exim(variant: &str) -> Daemon {
    exim_at(variant, None).await
}

/// The same on a given address (a port of our own otherwise).
pub async fn exim_at(variant: &str, addr: Option<SocketAddr>) -> Daemon {
    let bin = binaries();
    let instance = Instance::new(&format!("exim-{variant}"), addr);
    let conf = format!(
        "{}\n# --- base.conf\n{}",
        template(&format!("exim/{variant}.conf")),
        template("exim/base.conf")
    );
    let conf = instance.write("exim.conf", &instance.render(&conf, &bin.exim));
    // Its children run as Debian-exim and write spool files and logs.
    for dir in ["spool", "log"] {
        fs::create_dir(instance.dir.join(dir)).expect("mkdir");
        chown("Debian-exim", &instance.dir.join(dir));
    }
    let mut command = Command::new(&bin.exim);
    command.arg("-bdf").arg("-C").arg(conf);
    let log = instance.dir.join("log/mainlog");
    Daemon::start(instance, command, None, log).await
}
