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
mod output;
mod progress;
mod resume;
mod scan_cmd;
mod stage;
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
        Some(cli::Command::Senders { profile }) => senders(profile),
        Some(cli::Command::Resolve(args)) => stage::resolve(args),
        Some(cli::Command::Probe(args)) => stage::probe(args),
        Some(cli::Command::Join(args)) => stage::join(args),
        None => match cli.generate {
            Some(kind) => generate::run(&kind),
            None => scan_cmd::run(cli.scan),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mxprobe: {}", one_line(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The error and its causes on one line, each cause once: library errors
/// spell their cause into their own message, and repeating it as the next
/// link of the chain read "…: larger than 1024 KiB: larger than 1024 KiB".
pub(crate) fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
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

/// `mxprobe senders [ID|FILE]`: the built-in profiles, one built-in
/// profile's file as written, or a profile file checked.
fn senders(profile: Option<String>) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    let Some(id) = profile else {
        for p in mxprobe::senders::built_in() {
            let verify = match p.verify {
                mxprobe::senders::Verify::None => String::new(),
                v => format!(", verifies: {}", v.as_str()),
            };
            writeln!(out, "{:<21} {}{verify}", p.id, p.name)?;
            writeln!(out, "{:<21} {}", "", p.describes)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(text) = mxprobe::senders::source(&id) {
        out.write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = std::path::Path::new(&id);
    if !path.exists() {
        let known: Vec<String> = mxprobe::senders::built_in()
            .into_iter()
            .map(|p| p.id)
            .collect();
        anyhow::bail!(
            "no built-in sender profile {id:?} and no such file (built in: {})",
            known.join(", ")
        );
    }
    let p = cli::load_sender(path)?;
    writeln!(out, "{id}: valid sender profile {:?} ({})", p.id, p.name)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::other("larger than 1024 KiB");
        let inner = anyhow::Error::new(io).context("cannot read x: larger than 1024 KiB");
        assert_eq!(one_line(&inner), "cannot read x: larger than 1024 KiB");
        let plain = anyhow::Error::new(std::io::Error::other("denied")).context("cannot write y");
        assert_eq!(one_line(&plain), "cannot write y: denied");
    }
}
