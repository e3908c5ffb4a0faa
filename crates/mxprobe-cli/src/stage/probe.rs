//! `mxprobe probe`: this shard's distinct addresses in the resolved files
//! → one probe result (a JSON line) each.

use std::collections::HashMap;
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::Context;
use futures::StreamExt;

use mxprobe::model::ProbeStatus;
use mxprobe::report::Format;
use mxprobe::scan::{Probed, Resolved, Scanner};

use crate::cli::ProbeArgs;
use crate::progress::Progress;

/// An address to probe: the earliest target naming it (its place in the
/// input) and the MX name it is probed as.
struct Wanted {
    seq: u64,
    sni: Option<String>,
}

pub fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let shard = args.shard.shard()?;
    let mut scan = args.scan;
    scan.format = Format::Jsonl;
    let mut plan = scan.plan_from_files("probe")?;
    crate::scan_cmd::cap_connections(&mut plan.config);
    // Every address of this shard, once, with the SNI a single scan would
    // most likely have used: that of the earliest target in the input.
    let mut wanted: HashMap<(IpAddr, u16), Wanted> = HashMap::new();
    let parse = |line: &str| serde_json::from_str::<Resolved>(line).map_err(|e| e.to_string());
    let bad_input = super::read_lines(&args.from, "a resolved target", parse, |r| {
        for (ip, port, sni) in r.probes() {
            if !shard.owns_address(ip) {
                continue;
            }
            let w = wanted.entry((ip, port)).or_insert(Wanted {
                seq: u64::MAX,
                sni: None,
            });
            if r.seq < w.seq {
                *w = Wanted {
                    seq: r.seq,
                    sni: sni.map(str::to_owned),
                };
            }
        }
        Ok(())
    })?;
    let (mut out, done) = super::output(plan.output.as_deref(), plan.resume, |v| {
        let ip: IpAddr = v["ip"].as_str()?.parse().ok()?;
        let port = u16::try_from(v["port"].as_u64()?).ok()?;
        Some((ip, port))
    })?;
    let mut todo: Vec<(u64, IpAddr, u16, Option<String>)> = wanted
        .into_iter()
        .filter(|(key, _)| !done.contains(key))
        .map(|((ip, port), w)| (w.seq, ip, port, w.sni))
        .collect();
    // In input order, as a single scan would reach them.
    todo.sort_unstable();
    let show = !plan.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = Progress::counting(show, Some(todo.len() as u64), "addresses");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (mut written, mut failed, mut handshakes) = (0u64, 0u64, 0u64);
    let interrupted = runtime.block_on(async {
        let concurrency = plan.config.concurrency.max(1);
        let scanner = Scanner::new(plan.config)?;
        let probes = futures::stream::iter(&todo)
            .map(|(_, ip, port, sni)| scanner.probe_address(*ip, *port, sni.as_deref()))
            .buffer_unordered(concurrency);
        super::until_stopped(probes, |r| {
            handshakes += u64::from(r.handshakes);
            failed += u64::from(r.status != ProbeStatus::Ok);
            out.write(&Probed::new(r))?;
            written += 1;
            progress.inc(|| format!("{handshakes} handshakes, {failed} addresses failing"));
            Ok(())
        })
        .await
    })?;
    progress.finish();
    runtime.shutdown_background();
    if !interrupted && !plan.quiet {
        eprintln!(
            "mxprobe: probed {written} addresses ({shard}; {} done before), {handshakes} handshakes, {failed} not ok",
            done.len()
        );
    }
    let finished = format!("{written} addresses ({shard})");
    Ok(super::exit_code(
        interrupted,
        bad_input,
        &finished,
        plan.output.is_some(),
    ))
}
