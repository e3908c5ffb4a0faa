//! `mxprobe join`: resolved targets + probe results → the reports a
//! single scan writes, in any format, with its statistics and exit code.
//!
//! The probe results are held in memory (one per distinct address, read
//! once); the resolved files stream through, in the order given. A target
//! whose addresses are not all in the probed files is named and left out
//! (`--resume` adds it once its probes are in).

use std::collections::HashMap;
use std::io::{self, IsTerminal};
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::Context;

use mxprobe::model::{AddressReport, Severity};
use mxprobe::policy;
use mxprobe::scan::{Probed, Resolved, Scanner};
use mxprobe::stats::Stats;

use crate::cli::JoinArgs;
use crate::progress::Progress;
use crate::scan_cmd::write_stats;
use crate::{EXIT_ERROR, EXIT_FINDINGS};

pub fn run(args: JoinArgs) -> anyhow::Result<ExitCode> {
    let plan = args.scan.plan_from_files("join")?;
    let mut bad_input = false;
    let mut probed: HashMap<(IpAddr, u16), AddressReport> = HashMap::new();
    let parse = |line: &str| {
        serde_json::from_str::<Probed>(line)
            .map_err(|e| e.to_string())
            .and_then(Probed::into_report)
    };
    bad_input |= super::read_lines(&args.probed, "a probe result", parse, |a| {
        let key = (a.ip, a.port);
        if probed.insert(key, a).is_some() {
            // Two shards probed it, or a file was given twice: the later
            // result stands, and the run says so.
            eprintln!(
                "mxprobe: {} port {} is in the probed files twice; the later result is used",
                key.0, key.1
            );
            bad_input = true;
        }
        Ok(())
    })?;
    let (mut writer, done) = crate::output::report_writer(&plan)?;
    let show = !plan.quiet && io::stderr().is_terminal();
    let progress = Progress::counting(show, None, "domains");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let _context = runtime.enter();
    let scanner = Scanner::new(plan.config)?;
    let mut stats = Stats::new();
    let mut worst: Option<Severity> = None;
    let mut seen = Seen::default();
    let (mut missing, mut duplicates, mut findings) = (0u64, 0u64, 0u64);
    let parse = |line: &str| serde_json::from_str::<Resolved>(line).map_err(|e| e.to_string());
    bad_input |= super::read_lines(&args.from, "a resolved target", parse, |r| {
        if !seen.insert(r.seq) {
            duplicates += 1;
            return Ok(());
        }
        if done.contains(r.target.key()) {
            return Ok(());
        }
        match scanner.join(&r, |ip, port| probed.get(&(ip, port)).cloned()) {
            Ok(report) => {
                worst = worst.max(policy::worst(&report.findings));
                writer.write(&report).context("cannot write the results")?;
                stats.add_report(&report);
                findings += report.findings.len() as u64;
                progress.inc(|| format!("{findings} findings"));
            }
            Err(e) => {
                eprintln!("mxprobe: {}: {e}", r.target.name());
                missing += 1;
            }
        }
        Ok(())
    })?;
    writer.finish().context("cannot write the results")?;
    progress.finish();
    if duplicates > 0 {
        eprintln!("mxprobe: {duplicates} targets are in the resolved files more than once; each was joined once");
    }
    let summary = stats.summary(10);
    if let Some(path) = &plan.stats {
        write_stats(path, &summary)?;
    }
    if missing > 0 {
        eprintln!(
            "mxprobe: {missing} targets left out for want of probe results; probe them, then join again with --resume"
        );
    }
    if !plan.quiet && plan.output.is_some() {
        let mut err = io::stderr().lock();
        summary.write_text(&mut err)?;
    }
    Ok(if bad_input || missing > 0 {
        ExitCode::from(EXIT_ERROR)
    } else if worst.is_some_and(|w| w >= plan.fail_on) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// The input places (`seq`) joined so far: one bit each, so that 17
/// million targets cost 2 MB.
#[derive(Default)]
struct Seen(Vec<u64>);

impl Seen {
    /// Whether `seq` is new; marks it seen.
    fn insert(&mut self, seq: u64) -> bool {
        let Ok(word) = usize::try_from(seq / 64) else {
            return true;
        };
        // A corrupt seq far beyond any list would ask for gigabytes.
        if word > 1 << 26 {
            return true;
        }
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        let bit = 1u64 << (seq % 64);
        let new = self.0[word] & bit == 0;
        self.0[word] |= bit;
        new
    }
}
