//! The `mxprobe` command: flags in, results out, an exit code.
//!
//! All scanning lives in the library; this binary parses arguments, writes
//! the output and picks the exit code.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::pin::pin;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use futures::StreamExt;

use mxprobe::report;
use mxprobe::scan::Scanner;

mod cli;
mod logs_cmd;

/// Exit code for usage, configuration and I/O errors.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        Some(cli::Command::Logs(args)) => logs_cmd::run(args),
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
    let mut writer = report::writer(plan.format, out);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let targets = plan.targets;
    runtime.block_on(async {
        let scanner = Scanner::new(plan.config)?;
        let mut reports = pin!(scanner.scan_all(futures::stream::iter(targets)));
        while let Some(r) = reports.next().await {
            writer.write(&r).context("cannot write the results")?;
        }
        writer.finish().context("cannot write the results")?;
        anyhow::Ok(())
    })?;
    if plan.rejected.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_ERROR))
    }
}
