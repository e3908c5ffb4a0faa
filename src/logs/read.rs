//! Reading logs: files, `.gz` files, standard input; in rotation order.
//!
//! One thread reads (and decompresses) into a few recycled 1 MiB buffers
//! while the others count: on a machine with several cores, worker threads
//! count blocks of lines in parallel (see `parallel.rs`); on one core, the
//! calling thread does. Either way a scan never holds more than those
//! buffers and one partial line.
//! Compression is recognised by content, not by name: `mainlog.2.gz`
//! renamed, or piped in on standard input, is read all the same.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::scan::Splitter;
use super::{LogError, Tally};

use super::decode::{decoder, Failure, CHUNK};

/// Buffers in flight: one being filled, one being parsed, one queued.
const BUFFERS: usize = 3;

/// Counts every line of `path` (`-`: standard input) into `tally`.
///
/// A file that cannot be opened leaves `tally` unchanged; one that fails
/// part-way (a truncated `.gz`) leaves the lines before the failure counted.
pub fn scan_path(path: &Path, tally: &mut Tally) -> Result<(), LogError> {
    let result = if path == Path::new("-") {
        pump(io::stdin(), tally)
    } else {
        let file = File::open(path).map_err(|source| LogError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        pump(file, tally)
    };
    result.map_err(|f| match f {
        Failure::Io(source) => LogError::Read {
            path: path.to_path_buf(),
            source,
        },
        Failure::Unsupported(kind) => LogError::UnsupportedCompression {
            path: path.to_path_buf(),
            kind,
        },
    })
}

/// Counts every line read from `reader` (plain or gzip) into `tally`.
pub fn scan_reader<R: Read + Send>(reader: R, tally: &mut Tally) -> io::Result<()> {
    pump(reader, tally).map_err(|f| match f {
        Failure::Io(e) => e,
        Failure::Unsupported(kind) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{kind}-compressed input; decompress it first (only gzip is read)"),
        ),
    })
}

/// Threads counting lines: one per core, up to 4 (then reading and
/// ordered counting become the limit). With a single core, the plain
/// two-thread pipeline below.
fn pump<R: Read + Send>(reader: R, tally: &mut Tally) -> Result<(), Failure> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores >= 2 {
        super::parallel::pump(reader, tally, cores.min(4))
    } else {
        pump_sequential(reader, tally)
    }
}

/// One thread reads, the calling thread splits and counts.
pub(super) fn pump_sequential<R: Read + Send>(reader: R, tally: &mut Tally) -> Result<(), Failure> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(BUFFERS - 1);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS {
        // The receiver is alive: it is used below.
        let _ = empty_tx.send(Vec::with_capacity(CHUNK));
    }
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || -> Result<(), Failure> {
            let mut input = decoder(reader)?;
            // Ends when the parser hangs up (it never does early) or at EOF.
            while let Ok(mut buf) = empty_rx.recv() {
                buf.clear();
                let read = (&mut input).take(CHUNK as u64).read_to_end(&mut buf);
                // What was read before an error is still counted.
                if buf.is_empty() || full_tx.send(buf).is_err() {
                    return read.map(drop).map_err(Failure::Io);
                }
                read.map_err(Failure::Io)?;
            }
            Ok(())
        });
        let mut splitter = Splitter::default();
        for buf in full_rx {
            splitter.feed(&buf, tally);
            let _ = empty_tx.send(buf);
        }
        splitter.finish(tally);
        drop(empty_tx);
        reading
            .join()
            .unwrap_or_else(|_| Err(Failure::Io(io::Error::other("the reading thread failed"))))
    })
}

/// `paths` in the order logs were written, so that "last seen" is the
/// latest use and Postfix lines correlate across files: within each set of
/// rotated files, `name.N[.gz]` from the highest N down, then dated
/// `name-YYYYMMDD[.gz]` oldest first, then the live `name`. Sets are
/// ordered by name; `-` (standard input) comes last.
pub fn rotation_order(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut keyed: Vec<(RotationKey, &PathBuf)> =
        paths.iter().map(|p| (rotation_key(p), p)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, p)| p.clone()).collect()
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RotationKey {
    stdin: bool,
    dir: PathBuf,
    stem: String,
    /// 0: numbered, 1: dated, 2: live.
    class: u8,
    /// Reversed number for numbered files, the date for dated ones.
    order: u64,
}

fn rotation_key(path: &Path) -> RotationKey {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
    let (stem, class, order) = match base.rsplit_once('.') {
        Some((stem, n)) if all_digits(n) && !stem.is_empty() => {
            (stem, 0, u64::MAX - n.parse::<u64>().unwrap_or(0))
        }
        _ => match base.rsplit_once('-') {
            Some((stem, d)) if all_digits(d) && !stem.is_empty() => {
                (stem, 1, d.parse().unwrap_or(0))
            }
            _ => (base, 2, 0),
        },
    };
    RotationKey {
        stdin: path == Path::new("-"),
        dir,
        stem: stem.to_string(),
        class,
        order,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const LINES: &str = "2024-11-26 16:04:18 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] X=TLSv1.3:TLS_AES_256_GCM_SHA384:256\n\
                         2024-11-26 16:04:19 1tG0aa-000Abc-1x => c@d R=r T=t H=mx2 [192.0.2.2] X=TLSv1:DES-CBC3-SHA:168\n";

    fn gzip(parts: &[&str]) -> Vec<u8> {
        // Multi-member, as `cat a.gz b.gz` makes.
        let mut out = Vec::new();
        for p in parts {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(p.as_bytes()).expect("in memory");
            out.extend(enc.finish().expect("in memory"));
        }
        out
    }

    #[test]
    fn reads_plain_and_multi_member_gzip() {
        let mut plain = Tally::new();
        scan_reader(LINES.as_bytes(), &mut plain).expect("plain");
        let mut gz = Tally::new();
        scan_reader(&gzip(&[LINES, LINES])[..], &mut gz).expect("gzip");
        assert_eq!(plain.lines().counted, 2);
        assert_eq!(gz.lines().counted, 4);
    }

    #[test]
    fn large_input_spans_many_chunks() {
        let text = LINES.repeat(CHUNK / LINES.len() * 3 + 7);
        let mut t = Tally::new();
        scan_reader(text.as_bytes(), &mut t).expect("plain");
        assert_eq!(t.lines().counted, 2 * (CHUNK / LINES.len() * 3 + 7) as u64);
    }

    #[test]
    fn truncated_gzip_counts_what_came_before_and_fails() {
        let mut data = gzip(&[&LINES.repeat(2000)]);
        data.truncate(data.len() / 2);
        let mut t = Tally::new();
        assert!(scan_reader(&data[..], &mut t).is_err());
        assert!(t.lines().counted > 0);
    }

    #[test]
    fn other_compressors_are_refused() {
        let mut t = Tally::new();
        let e = scan_reader(&b"\x28\xb5\x2f\xfd rest"[..], &mut t).expect_err("zstd");
        assert!(e.to_string().contains("zstd"), "{e}");
        // Too short for any magic: plain text.
        scan_reader(&b"x"[..], &mut t).expect("one byte");
        assert_eq!(t.lines().total, 1);
    }

    #[test]
    fn missing_file_names_the_file() {
        let mut t = Tally::new();
        let e = scan_path(Path::new("/nonexistent/mainlog"), &mut t).expect_err("missing");
        assert!(
            e.to_string()
                .starts_with("cannot open /nonexistent/mainlog: "),
            "{e}"
        );
    }

    #[test]
    fn rotated_files_are_read_oldest_first() {
        let given: Vec<PathBuf> = [
            "/var/log/exim4/mainlog",
            "/var/log/exim4/mainlog.1",
            "-",
            "/var/log/exim4/mainlog.10.gz",
            "/var/log/exim4/mainlog.2.gz",
            "/var/log/mail.log-20241201.gz",
            "/var/log/mail.log",
            "/var/log/mail.log-20241124",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let want: Vec<PathBuf> = [
            "/var/log/mail.log-20241124",
            "/var/log/mail.log-20241201.gz",
            "/var/log/mail.log",
            "/var/log/exim4/mainlog.10.gz",
            "/var/log/exim4/mainlog.2.gz",
            "/var/log/exim4/mainlog.1",
            "/var/log/exim4/mainlog",
            "-",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(rotation_order(&given), want);
    }
}
