//! `mxprobe [DOMAIN...] [-i FILE]`: the scan, from flags to exit code.
//!
//! Targets from the command line come first, in order; a list (`-i`) is
//! read by a thread of its own into a bounded channel (memory stays flat
//! however long the list), its bad lines reported on standard error as
//! they come. Results are written as each domain completes, each in one
//! piece, and flushed; Ctrl-C or SIGTERM stops the scan cleanly, leaving a
//! valid file that `--resume` completes.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::pin::pin;
use std::process::ExitCode;

use anyhow::Context;
use futures::StreamExt;
use tokio::sync::mpsc;

use mxprobe::input::{DomainList, Item};
use mxprobe::model::{DomainReport, Target};
use mxprobe::policy::{self, Severity};
use mxprobe::scan::{self, Scanner};
use mxprobe::stats::Stats;

use crate::cli;
use crate::progress::Progress;
use crate::{EXIT_ERROR, EXIT_FINDINGS};

/// Exit code after Ctrl-C or SIGTERM (128 + SIGINT, as shells expect).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;
/// Targets read ahead of the scan.
pub(crate) const READ_AHEAD: usize = 1024;
/// File descriptors kept free of connections (resolver, output, input).
const FD_RESERVE: u64 = 64;

pub fn run(args: cli::Args) -> anyhow::Result<ExitCode> {
    let mut plan = args.plan()?;
    for line in &plan.rejected {
        eprintln!("mxprobe: {line}");
    }
    cap_connections(&mut plan.config);
    // The list first: a scan that cannot read its list does not start.
    let list = List::open(plan.input.as_deref())?;
    let (mut writer, done) = crate::output::report_writer(&plan)?;
    let bulk = plan.input.is_some();
    let show_progress =
        !plan.quiet && io::stderr().is_terminal() && (bulk || plan.targets.len() > 1);
    let total = match &plan.input {
        Some(path) if path.as_os_str() != "-" => {
            count_lines(path).map(|n| n + plan.targets.len() as u64)
        }
        Some(_) => None,
        None => Some(plan.targets.len() as u64),
    };
    let mut progress = Progress::new(show_progress, total);
    let mut stats = Stats::new();
    let mut worst: Option<Severity> = None;
    let mut bad_input = !plan.rejected.is_empty();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let interrupted = runtime.block_on(async {
        let scanner = Scanner::new(plan.config)?;
        let (tx, mut rx) = mpsc::channel::<(u64, Target)>(READ_AHEAD);
        let wanted = Wanted {
            names_done: done,
            ..Wanted::default()
        };
        let reader = spawn_reader(plan.targets, list, wanted, tx);
        let targets =
            futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(|(_, target)| target);
        let mut reports = if bulk {
            scanner.scan_unordered(targets).boxed()
        } else {
            scanner.scan_all(targets).boxed()
        };
        let mut stop = pin!(shutdown_signal());
        loop {
            let r = tokio::select! {
                r = reports.next() => r,
                () = &mut stop => return anyhow::Ok(true),
            };
            let Some(r) = r else { break };
            worst = worst.max(policy::worst(&r.findings));
            writer.write(&r).context("cannot write the results")?;
            progress.done(&r);
            stats.add_report(&r);
            if plan.verbose > 0 {
                for line in verbose_lines(&r, plan.verbose) {
                    progress.println(&line);
                }
            }
        }
        bad_input |= reader.await.unwrap_or(false);
        anyhow::Ok(false)
    })?;
    writer.finish().context("cannot write the results")?;
    progress.finish();
    // The runtime may still hold sessions of an interrupted scan; closing
    // them is all that is left to do.
    runtime.shutdown_background();
    let summary = stats.summary(10);
    if let Some(path) = &plan.stats {
        write_stats(path, &summary)?;
    }
    if bulk && !plan.quiet {
        let mut err = io::stderr().lock();
        writeln!(err)?;
        summary.write_text(&mut err)?;
    }
    if interrupted {
        eprintln!(
            "mxprobe: interrupted after {} domains; everything written is complete{}",
            summary.domains,
            if plan.output.is_some() {
                ": --resume completes the scan"
            } else {
                ""
            }
        );
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    Ok(if bad_input {
        ExitCode::from(EXIT_ERROR)
    } else if worst.is_some_and(|w| w >= plan.fail_on) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// Connections at most what the open-file limit (raised where allowed)
/// leaves room for: every connection is a file descriptor.
pub(crate) fn cap_connections(config: &mut mxprobe::scan::ScanConfig) {
    if let Some(limit) = scan::raise_open_file_limit() {
        let room = usize::try_from(limit.saturating_sub(FD_RESERVE).max(8)).unwrap_or(usize::MAX);
        config.max_connections = config.max_connections.min(room);
    }
}

/// An input file opened (a domain list `-i`, a stage's `--from`), with
/// the name its errors give it.
pub(crate) struct List {
    pub name: String,
    pub reader: Box<dyn BufRead + Send>,
}

impl List {
    /// The list at `path` (`-` is standard input), if any.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Option<List>> {
        path.map(List::open_path).transpose()
    }

    /// The file at `path`; `-` is standard input.
    pub fn open_path(path: &Path) -> anyhow::Result<List> {
        Ok(if path.as_os_str() == "-" {
            List {
                name: "standard input".into(),
                reader: Box::new(BufReader::new(io::stdin())),
            }
        } else {
            List {
                name: path.display().to_string(),
                reader: Box::new(BufReader::new(
                    File::open(path).with_context(|| format!("cannot read {}", path.display()))?,
                )),
            }
        })
    }
}

/// Which targets a reader passes on.
#[derive(Default)]
pub(crate) struct Wanted {
    /// Domains (A-label form) already done (`--resume` of a scan).
    pub names_done: HashSet<String>,
    /// Places in the input already done (`--resume` of `mxprobe resolve`).
    pub seqs_done: HashSet<u64>,
    /// Only this shard's domains (the list's others are not remembered).
    pub shard: mxprobe::shard::Shard,
}

/// Command-line targets, then the list, each numbered by its place in the
/// input (command-line targets from 0, then the list's line numbers after
/// them, so that every shard numbers alike), those `wanted` passed on;
/// reports bad lines (every shard reads, and names, all of them); `true`
/// if any.
pub(crate) fn spawn_reader(
    first: Vec<Target>,
    list: Option<List>,
    wanted: Wanted,
    tx: mpsc::Sender<(u64, Target)>,
) -> tokio::task::JoinHandle<bool> {
    tokio::task::spawn_blocking(move || {
        let base = first.len() as u64;
        let Wanted {
            names_done,
            seqs_done,
            shard,
        } = wanted;
        let pass = |seq: u64, t: &Target| shard.owns_name(t.key()) && !seqs_done.contains(&seq);
        for (seq, t) in (0..).zip(first) {
            if pass(seq, &t) && tx.blocking_send((seq, t)).is_err() {
                return false;
            }
        }
        let Some(List { name, reader }) = list else {
            return false;
        };
        let mut bad = false;
        let mut items = DomainList::new(reader)
            .skipping(names_done)
            .only(move |ascii| shard.owns_name(ascii));
        while let Some(item) = items.next() {
            match item {
                Ok(Item::Target(t)) => {
                    let seq = base + items.line();
                    if pass(seq, &t) && tx.blocking_send((seq, t)).is_err() {
                        break;
                    }
                }
                Ok(Item::Invalid(e)) => {
                    eprintln!("mxprobe: {name}: {e}");
                    bad = true;
                }
                Err(e) => {
                    eprintln!("mxprobe: cannot read {name}: {e}");
                    return true;
                }
            }
        }
        bad
    })
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// Lines that could name a domain (for the progress total): not blank, not
/// comments. An upper bound when the list has duplicates or a header.
pub(crate) fn count_lines(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    let mut n = 0;
    for line in BufReader::new(file).split(b'\n') {
        let line = line.ok()?;
        let t = line.trim_ascii();
        if !t.is_empty() && !t.starts_with(b"#") {
            n += 1;
        }
    }
    Some(n)
}

fn verbose_lines(r: &DomainReport, level: u8) -> Vec<String> {
    let addresses: usize = r.mx.iter().map(|m| m.addresses.len()).sum();
    let worst = policy::worst(&r.findings).map_or("none".to_string(), |s| s.to_string());
    let mut lines = vec![format!(
        "{}: {} ({} MX, {addresses} addresses, worst finding {worst})",
        r.target.name(),
        r.status,
        r.mx.len()
    )];
    if level > 1 {
        for mx in &r.mx {
            for a in &mx.addresses {
                let detail = a
                    .tls
                    .as_ref()
                    .map(|t| t.negotiated())
                    .or_else(|| a.error.clone())
                    .unwrap_or_default();
                lines.push(format!(
                    "  {} {}:{} {} {detail} ({})",
                    mx.host,
                    a.ip,
                    a.port,
                    a.status,
                    mxprobe::report::cost_summary(a)
                ));
            }
        }
    }
    lines
}

pub(crate) fn write_stats(path: &Path, summary: &mxprobe::stats::Summary) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = BufWriter::new(file);
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => summary.write_json(&mut out),
        Some("csv") => summary.write_csv(&mut out),
        _ => summary.write_text(&mut out),
    }
    .and_then(|()| out.flush())
    .with_context(|| format!("cannot write {}", path.display()))
}
