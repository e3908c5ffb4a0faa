//! `mxprobe --generate KIND`: the man page and the shell completions, made
//! from the flags' definitions in `cli`, so they never drift from `--help`.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::bail;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// What `--generate` makes, in the order the error message lists them.
const KINDS: &[&str] = &["man", "complete-bash", "complete-zsh", "complete-fish"];

/// Writes the man page (roff) or the completion script for one shell to
/// standard output.
pub fn run(kind: &str) -> anyhow::Result<ExitCode> {
    // Made whole before anything is written: the completion generators
    // cannot report a failed write (a closed pipe); a Vec cannot fail.
    let mut out = Vec::new();
    match kind {
        // One page, of the top-level command; its SUBCOMMANDS section names
        // them as clap_mangen names pages (`mxprobe-logs(1)`), and their
        // flags are in `mxprobe COMMAND --help`. No `help` subcommand there.
        "man" => {
            clap_mangen::Man::new(Cli::command().disable_help_subcommand(true)).render(&mut out)?
        }
        "complete-bash" => completion(Shell::Bash, &mut out),
        "complete-zsh" => completion(Shell::Zsh, &mut out),
        "complete-fish" => completion(Shell::Fish, &mut out),
        _ => bail!(
            "--generate {kind:?}: unknown (expected one of {})",
            KINDS.join(", ")
        ),
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn completion(shell: Shell, out: &mut Vec<u8>) {
    clap_complete::generate(shell, &mut Cli::command(), "mxprobe", out);
}
