//! The `mxprobe` command: flags in, results out, an exit code.
//!
//! All scanning lives in the library; this binary parses arguments, writes
//! the output and picks the exit code.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::pin::pin;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use futures::StreamExt;

use mxprobe::policy::{self, Policy, Severity};
use mxprobe::report;
use mxprobe::scan::Scanner;

mod cli;
mod logs_cmd;

/// Exit code when a finding reaches `--fail-on`.
const EXIT_FINDINGS: u8 = 1;
/// Exit code for usage, configuration and I/O errors.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        Some(cli::Command::Logs(args)) => logs_cmd::run(args),
        Some(cli::Command::Policies { findings }) => policies(findings),
        Some(cli::Command::Policy { action }) => policy(action),
        None => run(cli.scan),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mxprobe: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(args: cli::Args) -> anyhow::Result<ExitCode> {
    let plan = args.plan()?;
    for line in &plan.rejected {
        eprintln!("mxprobe: {line}");
    }
    let out: Box<dyn Write + Send> = match &plan.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(io::stdout()),
    };
    // Colour only for a person at a terminal (https://no-color.org).
    let color = plan.output.is_none()
        && io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut writer = report::writer(plan.format, out, color);
    let mut worst: Option<Severity> = None;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let targets = plan.targets;
    runtime.block_on(async {
        let scanner = Scanner::new(plan.config)?;
        let mut reports = pin!(scanner.scan_all(futures::stream::iter(targets)));
        while let Some(r) = reports.next().await {
            worst = worst.max(policy::worst(&r.findings));
            writer.write(&r).context("cannot write the results")?;
        }
        writer.finish().context("cannot write the results")?;
        anyhow::Ok(())
    })?;
    Ok(if !plan.rejected.is_empty() {
        ExitCode::from(EXIT_ERROR)
    } else if worst.is_some_and(|w| w >= plan.fail_on) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// `mxprobe policies [--findings]`.
fn policies(findings: bool) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if findings {
        for k in policy::catalogue::KINDS {
            writeln!(out, "{:<26} {:<8} {}", k.id, k.severity, k.title)?;
        }
    } else {
        for name in policy::builtin::NAMES {
            let p = policy::builtin::get(name).context("a built-in policy does not parse")?;
            writeln!(out, "{name:<21} {}", p.description)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `mxprobe policy show NAME` and `mxprobe policy check NAME|FILE`.
fn policy(action: cli::PolicyAction) -> anyhow::Result<ExitCode> {
    match action {
        cli::PolicyAction::Show { name } => {
            let text = policy::builtin::source(&name).with_context(|| {
                format!(
                    "no built-in policy {name:?} (there are: {})",
                    policy::builtin::NAMES.join(", ")
                )
            })?;
            io::stdout().lock().write_all(text.as_bytes())?;
        }
        cli::PolicyAction::Check { policy } => {
            let p = Policy::load(&policy)?;
            println!("{policy}: valid policy {:?}", p.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
