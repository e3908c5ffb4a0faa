//! The `mxprobe` command: flags in, results out, an exit code.
//!
//! All scanning lives in the library; this binary parses arguments, writes
//! the output and picks the exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use mxprobe::policy::{self, Policy};

mod cli;
mod generate;
mod logs_cmd;
mod progress;
mod resume;
mod scan_cmd;
mod stats_cmd;

/// Exit code when a finding reaches `--fail-on`.
pub(crate) const EXIT_FINDINGS: u8 = 1;
/// Exit code for usage, configuration and I/O errors.
pub(crate) const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        Some(cli::Command::Logs(args)) => logs_cmd::run(args),
        Some(cli::Command::Policies { findings }) => policies(findings),
        Some(cli::Command::Policy { action }) => policy(action),
        Some(cli::Command::Stats(args)) => stats_cmd::run(args),
        None => match cli.generate {
            Some(kind) => generate::run(&kind),
            None => scan_cmd::run(cli.scan),
        },
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
