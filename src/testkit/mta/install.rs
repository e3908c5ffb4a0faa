//! The real servers' binaries, installed by `tests/mta/setup.sh` when missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where the binaries are.
pub struct Binaries {
    /// Debian's `postfix` command (from the installed package).
    pub postfix: PathBuf,
    /// Debian's `exim4` binary, unpacked privately (Exim on GnuTLS).
    pub exim: PathBuf,
}

/// `<crate>/…`.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The binaries, after running the setup script once per test process: it
/// only checks when everything is there, and installs what is missing
/// (as root, with apt) otherwise, so `cargo test` works on a fresh machine.
pub fn binaries() -> &'static Binaries {
    static ONCE: OnceLock<Binaries> = OnceLock::new();
    ONCE.get_or_init(|| {
        let root = crate::ffi::os::is_root();
        assert!(
            root,
            "the real-MTA tests start Postfix and Exim, which must be started \
             as root (they drop to their own users): run them as root, as CI does"
        );
        let script = repo_path("tests/mta/setup.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed ({}):\n{}{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Binaries {
            postfix: PathBuf::from("/usr/sbin/postfix"),
            exim: repo_path("target/mta/exim4/usr/sbin/exim4"),
        }
    })
}
