//! `mxprobe resolve`: this shard's domains → one resolved JSON line each.

use std::collections::HashSet;
use std::pin::pin;
use std::process::ExitCode;

use anyhow::Context;
use futures::StreamExt;
use tokio::sync::mpsc;

use mxprobe::input::{DomainList, Item};
use mxprobe::model::{DomainStatus, Target};
use mxprobe::report::Format;
use mxprobe::scan::Scanner;
use mxprobe::shard::Shard;

use crate::cli::ResolveArgs;
use crate::progress::Progress;
use crate::scan_cmd::{count_lines, shutdown_signal, List, EXIT_INTERRUPTED};
use crate::EXIT_ERROR;

/// Targets read ahead of the lookups.
const READ_AHEAD: usize = 1024;

pub fn run(args: ResolveArgs) -> anyhow::Result<ExitCode> {
    let shard = args.shard.shard()?;
    let mut scan = args.scan;
    scan.format = Format::Jsonl;
    let plan = scan.plan()?;
    for line in &plan.rejected {
        eprintln!("mxprobe: {line}");
    }
    let list = List::open(plan.input.as_deref())?;
    let (mut out, done) =
        super::output(plan.output.as_deref(), plan.resume, |v| v["seq"].as_u64())?;
    let show = !plan.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let total = match &plan.input {
        Some(path) if path.as_os_str() != "-" => count_lines(path)
            .map(|n| (n + plan.targets.len() as u64).div_ceil(u64::from(shard.count()))),
        _ => None,
    };
    let progress = Progress::counting(show, total, "domains");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut bad_input = !plan.rejected.is_empty();
    let (mut written, mut failed) = (0u64, 0u64);
    let interrupted = runtime.block_on(async {
        let concurrency = plan.config.concurrency.max(1);
        let scanner = Scanner::new(plan.config)?;
        let (tx, mut rx) = mpsc::channel::<(u64, Target)>(READ_AHEAD);
        let reader = spawn_reader(plan.targets, list, shard, done, tx);
        let targets = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut resolved = targets
            .map(|(seq, t)| scanner.resolve(seq, t))
            .buffer_unordered(concurrency);
        let mut stop = pin!(shutdown_signal());
        loop {
            let r = tokio::select! {
                r = resolved.next() => r,
                () = &mut stop => return anyhow::Ok(true),
            };
            let Some(r) = r else { break };
            out.write(&r)?;
            written += 1;
            failed += u64::from(r.status != DomainStatus::Ok && r.status != DomainStatus::NullMx);
            progress.inc(|| format!("{failed} without mail exchangers"));
        }
        bad_input |= reader.await.unwrap_or(false);
        anyhow::Ok(false)
    })?;
    progress.finish();
    runtime.shutdown_background();
    if interrupted {
        eprintln!(
            "mxprobe: interrupted after {written} domains ({shard}); everything written is complete{}",
            if plan.output.is_some() {
                ": --resume completes it"
            } else {
                ""
            }
        );
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if !plan.quiet {
        eprintln!(
            "mxprobe: resolved {written} domains ({shard}), {failed} without mail exchangers"
        );
    }
    Ok(if bad_input {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// The key a target is sharded by: its A-label name.
fn shard_key(t: &Target) -> &str {
    t.ascii_domain().unwrap_or(t.name())
}

/// Command-line targets, then the list, each numbered by its place in the
/// input (command-line targets from 0, then the list's line numbers after
/// them), so that every shard numbers alike; only this shard's targets,
/// and only those not already done, go on. Reports bad lines; `true` if
/// any.
fn spawn_reader(
    first: Vec<Target>,
    list: Option<List>,
    shard: Shard,
    done: HashSet<u64>,
    tx: mpsc::Sender<(u64, Target)>,
) -> tokio::task::JoinHandle<bool> {
    tokio::task::spawn_blocking(move || {
        let base = first.len() as u64;
        let wanted = |seq: u64, t: &Target| shard.owns_name(shard_key(t)) && !done.contains(&seq);
        for (seq, t) in (0..).zip(first) {
            if wanted(seq, &t) && tx.blocking_send((seq, t)).is_err() {
                return false;
            }
        }
        let Some(List { name, reader }) = list else {
            return false;
        };
        let mut bad = false;
        // Only this shard's names are remembered (for duplicates): a shard
        // of a list of millions holds its share.
        let mut items = DomainList::new(reader).only(move |ascii| shard.owns_name(ascii));
        while let Some(item) = items.next() {
            match item {
                Ok(Item::Target(t)) => {
                    let seq = base + items.line();
                    if wanted(seq, &t) && tx.blocking_send((seq, t)).is_err() {
                        break;
                    }
                }
                Ok(Item::Invalid(e)) => {
                    // Every shard reads the whole list, and says so in
                    // its own log.
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
