//! `mxprobe resolve`, `mxprobe probe`, `mxprobe join`: a scan in three
//! stages with JSON Lines between them, the first two sharded, for scans
//! spread over many machines (see the library's `scan` and `shard`
//! modules).
//!
//! Every stage streams: rows are written as they complete, each line in
//! one piece and flushed, so an interrupted stage leaves a valid file that
//! `--resume` completes. A bad line of an input file is named on standard
//! error (file and line) and skipped; the stage goes on and exits 2.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use std::pin::pin;
use std::process::ExitCode;

use anyhow::Context;
use futures::{Stream, StreamExt};
use serde_json::Value;

use crate::scan_cmd::{shutdown_signal, List, EXIT_INTERRUPTED};
use crate::EXIT_ERROR;

mod join;
mod probe;
mod resolve;

pub use join::run as join;
pub use probe::run as probe;
pub use resolve::run as resolve;

/// `each` item of `items` as it comes, until there are no more (`false`)
/// or Ctrl-C or SIGTERM stops the stage (`true`).
async fn until_stopped<T>(
    items: impl Stream<Item = T>,
    mut each: impl FnMut(T) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    let mut items = pin!(items);
    let mut stop = pin!(shutdown_signal());
    loop {
        let item = tokio::select! {
            item = items.next() => item,
            () = &mut stop => return Ok(true),
        };
        let Some(item) = item else {
            return Ok(false);
        };
        each(item)?;
    }
}

/// A sharded stage's exit code: 130 when interrupted (saying how far it
/// got, `done`), 2 after bad input, 0 otherwise.
fn exit_code(interrupted: bool, bad_input: bool, done: &str, to_file: bool) -> ExitCode {
    if interrupted {
        eprintln!(
            "mxprobe: interrupted after {done}; everything written is complete{}",
            if to_file {
                ": --resume completes it"
            } else {
                ""
            }
        );
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    if bad_input {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// Each line of the JSON Lines files `paths` (`-`: standard input), parsed
/// with `parse`; bad lines are named on standard error. Returns whether
/// any line was bad.
fn read_lines<T>(
    paths: &[PathBuf],
    what: &str,
    mut parse: impl FnMut(&str) -> Result<T, String>,
    mut each: impl FnMut(T) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    let mut bad = false;
    for path in expand(paths)? {
        let List { name, reader } = List::open_path(&path)?;
        for (n, line) in reader.split(b'\n').enumerate() {
            let line = line.with_context(|| format!("cannot read {name}"))?;
            let text = String::from_utf8_lossy(&line);
            if text.trim().is_empty() {
                continue;
            }
            match parse(&text) {
                Ok(item) => each(item)?,
                Err(e) => {
                    eprintln!("mxprobe: {name}: line {}: not {what}: {e}", n + 1);
                    bad = true;
                }
            }
        }
    }
    Ok(bad)
}

/// The files named, a directory standing for its `*.jsonl` files (by
/// name), as a scheduler's shards leave them.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.is_file())
            .collect();
        if inside.is_empty() {
            anyhow::bail!("{} has no .jsonl files", path.display());
        }
        inside.sort();
        files.extend(inside);
    }
    Ok(files)
}

/// A stage's JSON Lines output: `-o FILE` (locked; with `--resume`, the
/// keys already in it, read by `key`) or standard output.
fn output<K: Eq + std::hash::Hash>(
    path: Option<&Path>,
    resume: bool,
    key: impl Fn(&Value) -> Option<K>,
) -> anyhow::Result<(Lines, std::collections::HashSet<K>)> {
    Ok(match path {
        Some(path) => {
            let (file, done, _) =
                crate::output::open_with(path, resume, |p| crate::resume::done_keys(p, &key))?;
            (
                Lines {
                    out: Box::new(BufWriter::new(file)),
                },
                done,
            )
        }
        None => (
            Lines {
                out: Box::new(io::stdout()),
            },
            Default::default(),
        ),
    })
}

/// Writes one JSON value per line, each flushed as it is written.
struct Lines {
    out: Box<dyn Write>,
}

impl Lines {
    fn write(&mut self, row: &impl serde::Serialize) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(row).context("cannot write the results")?;
        line.push(b'\n');
        self.out
            .write_all(&line)
            .and_then(|()| self.out.flush())
            .context("cannot write the results")
    }
}
