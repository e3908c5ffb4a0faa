//! Every cap on a buffer or table that untrusted input fills, in one place.
//!
//! mxprobe reads from servers it does not control (SMTP replies, TLS
//! handshakes, HTTPS for MTA-STS, DNS answers) and from files users hand it
//! (domain lists, policies, mail logs). Whatever they send, memory stays
//! bounded by the constants here; the modules that enforce them re-export
//! them under their own names. Input beyond a cap is an error or a counted,
//! skipped line, never a panic and never a truncation passed off as whole.
//!
//! Bounded by others, not by a constant here:
//!
//! * DNS answers: a message is at most 64 KiB (the TCP length prefix), so
//!   the MX hosts, addresses and TXT/TLSA records of one name are too;
//!   hickory decodes them.
//! * The strict (rustls) handshake: rustls refuses a handshake message above
//!   64 KiB, which caps the certificate chain it reads.
//! * Our own output files read back (`--resume`, `mxprobe stats`): read as
//!   streams, one row at a time.

// ---- SMTP (src/smtp) -------------------------------------------------------

/// Longest accepted SMTP reply line, line ending included. RFC 5321
/// §4.5.3.1.5 allows 512; real servers exceed that, none by this much.
pub const SMTP_LINE: usize = 4096;
/// Most lines in one SMTP reply (a generous EHLO reply has about 20).
pub const SMTP_LINES: usize = 128;
/// Most bytes in one SMTP reply, line endings included.
pub const SMTP_REPLY_BYTES: usize = 64 * 1024;
/// Bytes read per call while waiting for a reply.
pub const SMTP_READ_CHUNK: usize = 1024;
/// Bytes kept, as evidence, of plaintext a server sends after its
/// `220 ready to start TLS` (STARTTLS injection).
pub const SMTP_INJECTION_PREVIEW: usize = 32;

// ---- TLS (src/tls, src/cert) ----------------------------------------------

/// Largest certificate chain (bytes of the Certificate message) the OpenSSL
/// prober accepts; beyond it the handshake fails with "excessive message
/// size". OpenSSL's own default, set explicitly so it is ours.
pub const CERT_CHAIN_BYTES: usize = 100 * 1024;
/// Longest certification path built below a trust anchor; real chains have
/// two or three certificates.
pub const CERT_PATH: usize = 8;

/// Most bytes read of a server's first flight by the raw handshake
/// (`tls::raw`) before it gives up on finding a ServerHello, an SSLv2
/// SERVER-HELLO or an alert: the ServerHello comes first and is a few
/// hundred bytes, and a 16 KiB record (RFC 8446 §5.1) of something else
/// before it is already wrong. Also caps the records skipped while waiting
/// for a heartbeat response.
pub const RAW_FIRST_FLIGHT_BYTES: usize = 64 * 1024;
/// Most records read of a server's first flight by the raw handshake: a
/// ServerHello of 300 bytes cut into one-byte records (legal before TLS
/// 1.3, never seen) still fits.
pub const RAW_FIRST_FLIGHT_RECORDS: usize = 512;

// ---- DNS and trust (src/dns, src/trust) -------------------------------------

/// Names of a PTR answer that are followed forward (forward-confirmed
/// reverse DNS), at most.
pub const PTR_NAMES: usize = 8;
/// CNAMEs followed from one name (a reverse name through RFC 2317
/// delegations, an MX host through aliases) before the chain is reported as
/// too long: hickory follows as many, and real chains have one or two.
pub const CNAME_CHAIN: usize = 8;

// ---- MTA-STS (src/mtasts) --------------------------------------------------

/// Most bytes of HTTP status line and headers read for an MTA-STS policy.
pub const MTA_STS_HEAD: usize = 16 * 1024;
/// Largest MTA-STS policy body (RFC 8461 §3.3 leaves it to the sender; a
/// real policy is a few hundred bytes).
pub const MTA_STS_BODY: usize = 64 * 1024;

// ---- Files users hand us -----------------------------------------------------

/// Longest domain-list line (`-i FILE`); longer ones are reported, not
/// buffered further.
pub const DOMAIN_LIST_LINE: usize = 4096;
/// Largest policy file (`--policy FILE`); the built-ins are about 4 KiB.
pub const POLICY_FILE_BYTES: u64 = 1024 * 1024;
/// Bytes of a `--ca-file` (Mozilla's whole bundle is about 220 KiB).
pub const CA_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Longest log line (`mxprobe logs`): longer ones are counted as too long
/// and skipped without being buffered. Real Exim and Postfix lines stay far
/// below it.
pub const LOG_LINE: usize = 64 * 1024;
/// Distinct `PROTOCOL:CIPHER:BITS` keys counted from logs; lines with
/// further keys are counted as overflow. A real server has a few dozen.
pub const LOG_KEYS: usize = 4096;
/// Distinct spellings of a key as logged (cipher, group, signature: the
/// same suite from OpenSSL- and GnuTLS-built servers) whose normalised key
/// is remembered; further ones are normalised again on every line.
pub const LOG_SPELLINGS: usize = 2 * LOG_KEYS;
/// Key-exchange groups, and signature algorithms, counted per key; further
/// ones are counted together as `other`.
pub const LOG_GROUPS_PER_KEY: usize = 32;
/// Logged spellings listed per key (`logged` in CSV and JSON).
pub const LOG_SPELLINGS_PER_KEY: usize = 8;
/// Peers remembered per weak key and direction in a log summary, unless
/// `--top` asks for more.
pub const LOG_PEERS_PER_KEY: usize = 1024;
/// Postfix processes whose state is kept while correlating `smtp`/`smtpd`
/// lines. Postfix runs at most `default_process_limit` (100) of each
/// service; the margin is for processes whose exit was not logged.
pub const LOG_POSTFIX_PROCESSES: usize = 4096;
/// Size of one block a log is read in; a fixed set of them circulates
/// between the reader and the counting threads.
pub const LOG_BLOCK: usize = 1 << 20;

// ---- The scan ---------------------------------------------------------------

/// Addresses whose probe results are kept for reuse by later domains of a
/// bulk scan (least recently used beyond it are forgotten and re-probed).
pub const PROBE_CACHE_ENTRIES: usize = 20_000;

/// The bytes of the file at `path`, refusing one larger than `cap` without
/// reading more than one byte beyond it (a device such as `/dev/zero` or a
/// huge file must not fill memory). The error says the cap and `hint`
/// (what such a file usually measures).
pub fn read_file(path: &std::path::Path, cap: u64, hint: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        const MIB: u64 = 1024 * 1024;
        let size = if cap >= 8 * MIB {
            format!("{} MiB", cap / MIB)
        } else {
            format!("{} KiB", cap / 1024)
        };
        return Err(std::io::Error::other(format!("larger than {size}; {hint}")));
    }
    Ok(bytes)
}
