//! The `-o` file: opened without truncating, locked against a second
//! mxprobe writing it at the same time, then emptied or (with `--resume`)
//! appended to.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::{bail, Context};

use mxprobe::html::{HtmlOptions, HtmlWriter};
use mxprobe::report::{
    CiphersWriter, CsvWriter, Format, JsonLinesWriter, JsonWriter, ReportWriter, SendersWriter,
    TextWriter,
};

/// The output file, locked for this process, positioned for writing; the
/// domains it already holds and whether it has content (with `--resume`).
pub fn open(
    path: &Path,
    resume: bool,
    format: Format,
) -> anyhow::Result<(File, HashSet<String>, bool)> {
    open_with(path, resume, |path| {
        crate::resume::done_domains(path, format)
    })
}

/// [`open`], with `done` reading what the file already holds (with
/// `--resume`; its file is cut back to its last complete line first).
pub fn open_with<T: Default>(
    path: &Path,
    resume: bool,
    done: impl FnOnce(&Path) -> anyhow::Result<(T, bool)>,
) -> anyhow::Result<(File, T, bool)> {
    let shown = path.display();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot write {shown}"))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let who = holder(&file).unwrap_or_else(|| "another process".to_string());
            bail!("cannot write {shown}: {who} is writing it (wait for it, or choose another -o)");
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {shown}"));
        }
    }
    // Locked: nothing else of ours changes the file from here on.
    let (done, append) = if resume {
        done(path)?
    } else {
        file.set_len(0)
            .with_context(|| format!("cannot write {shown}"))?;
        (T::default(), false)
    };
    file.seek(SeekFrom::End(0))
        .with_context(|| format!("cannot write {shown}"))?;
    Ok((file, done, append))
}

/// Who holds the lock on `file`: `pid N (command line)`, from the
/// kernel's lock table (`/proc/locks`, Linux); `None` elsewhere.
fn holder(file: &File) -> Option<String> {
    let inode = file.metadata().ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = locks.lines().find_map(|line| lock_holder(line, inode))?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let command: Vec<String> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some(if command.is_empty() {
        format!("pid {pid}")
    } else {
        let mut shown = command.join(" ");
        if shown.chars().count() > 120 {
            shown = shown.chars().take(117).collect::<String>() + "...";
        }
        format!("pid {pid} ({})", shown.escape_debug())
    })
}

/// The pid in one `/proc/locks` line if it is a `flock` lock on `inode`
/// (`1: FLOCK  ADVISORY  WRITE 4321 08:01:131090 0 EOF`).
fn lock_holder(line: &str, inode: u64) -> Option<u32> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let at = fields.iter().position(|f| *f == "FLOCK")?;
    let pid: u32 = fields.get(at + 3)?.parse().ok()?;
    let ino: u64 = fields.get(at + 4)?.rsplit(':').next()?.parse().ok()?;
    (ino == inode).then_some(pid)
}

/// The writer of the plan's format on `out`. `color`: ANSI colours in
/// text (for a terminal); `append`: the output already has its header
/// (`--resume`); the HTML page also names the policy and the `--fail-on`
/// it judges domains by.
fn writer<'a>(
    plan: &crate::cli::Plan,
    out: Box<dyn std::io::Write + Send + 'a>,
    color: bool,
    append: bool,
) -> Box<dyn ReportWriter + Send + 'a> {
    match plan.format {
        Format::Text => Box::new(TextWriter::new(out).with_color(color)),
        Format::Csv if append => Box::new(CsvWriter::appending(out)),
        Format::Csv => Box::new(CsvWriter::new(out)),
        Format::Json => Box::new(JsonWriter::new(out)),
        Format::Jsonl => Box::new(JsonLinesWriter::new(out)),
        Format::Ciphers => Box::new(CiphersWriter::new(out)),
        Format::Senders => Box::new(SendersWriter::new(out)),
        Format::Html => Box::new(HtmlWriter::new(out, html_options(plan))),
    }
}

/// The report writer of a scan or join: on `-o FILE` (locked; with
/// `--resume`, appending, and the domains the file already holds) or on
/// standard output, in colour only for a person at a terminal
/// (https://no-color.org).
pub fn report_writer(
    plan: &crate::cli::Plan,
) -> anyhow::Result<(Box<dyn ReportWriter + Send>, HashSet<String>)> {
    let (out, done, append): (Box<dyn std::io::Write + Send>, _, _) = match &plan.output {
        Some(path) => {
            let (file, done, append) = open(path, plan.resume, plan.format)?;
            (Box::new(std::io::BufWriter::new(file)), done, append)
        }
        None => (Box::new(std::io::stdout()), HashSet::new(), false),
    };
    let color = plan.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Ok((writer(plan, out, color, append), done))
}

/// How the HTML page judges: the scan's policy and `--fail-on`.
pub fn html_options(plan: &crate::cli::Plan) -> HtmlOptions {
    HtmlOptions {
        policy: plan
            .config
            .policy
            .as_ref()
            .map_or_else(|| "default".to_string(), |p| p.name.clone()),
        fail_on: plan.fail_on,
    }
}

#[cfg(test)]
mod tests {
    use super::lock_holder;

    #[test]
    fn lock_table_lines() {
        let line = "3: FLOCK  ADVISORY  WRITE 4321 08:01:131090 0 EOF";
        assert_eq!(lock_holder(line, 131_090), Some(4321));
        assert_eq!(lock_holder(line, 131_091), None);
        let blocked = "3: -> FLOCK  ADVISORY  WRITE 99 08:01:131090 0 EOF";
        assert_eq!(lock_holder(blocked, 131_090), Some(99));
        assert_eq!(
            lock_holder("1: POSIX  ADVISORY  WRITE 7 00:2a:5 0 EOF", 5),
            None
        );
    }
}
