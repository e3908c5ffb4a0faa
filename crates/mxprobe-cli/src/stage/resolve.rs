//! `mxprobe resolve`: this shard's domains → one resolved JSON line each.

use std::process::ExitCode;

use anyhow::Context;
use futures::StreamExt;
use tokio::sync::mpsc;

use mxprobe::model::{DomainStatus, Target};
use mxprobe::report::Format;
use mxprobe::scan::Scanner;

use crate::cli::ResolveArgs;
use crate::progress::Progress;
use crate::scan_cmd::{count_lines, spawn_reader, List, Wanted, READ_AHEAD};

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
        let wanted = Wanted {
            seqs_done: done,
            shard,
            ..Wanted::default()
        };
        let reader = spawn_reader(plan.targets, list, wanted, tx);
        let targets = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let resolved = targets
            .map(|(seq, t)| scanner.resolve(seq, t))
            .buffer_unordered(concurrency);
        let interrupted = super::until_stopped(resolved, |r| {
            out.write(&r)?;
            written += 1;
            failed += u64::from(r.status != DomainStatus::Ok && r.status != DomainStatus::NullMx);
            progress.inc(|| format!("{failed} without mail exchangers"));
            Ok(())
        })
        .await?;
        if !interrupted {
            bad_input |= reader.await.unwrap_or(false);
        }
        anyhow::Ok(interrupted)
    })?;
    progress.finish();
    runtime.shutdown_background();
    if !interrupted && !plan.quiet {
        eprintln!(
            "mxprobe: resolved {written} domains ({shard}), {failed} without mail exchangers"
        );
    }
    let done = format!("{written} domains ({shard})");
    Ok(super::exit_code(
        interrupted,
        bad_input,
        &done,
        plan.output.is_some(),
    ))
}
