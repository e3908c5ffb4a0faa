//! `mxprobe logs` as a stand-alone program, until the subcommand is wired
//! into the `mxprobe` command; the benchmark (`bench/logs.sh`) runs it.
//!
//! ```sh
//! cargo run --release --example logs -- --by host /var/log/exim4/mainlog*
//! ```

use std::io;
use std::process::ExitCode;

use clap::Parser;

#[path = "../src/logs_cmd.rs"]
mod logs_cmd;

#[derive(Debug, Parser)]
#[command(name = "mxprobe-logs", version)]
struct Cli {
    #[command(flatten)]
    args: logs_cmd::LogsArgs,
}

fn main() -> ExitCode {
    match logs_cmd::run(Cli::parse().args) {
        Ok(code) => code,
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mxprobe: {e:#}");
            ExitCode::from(2)
        }
    }
}
