//! `--resume`: which domains an earlier, interrupted scan already wrote.
//!
//! Each domain's rows are written in one piece, so a file cut short ends at
//! most with a partial last line; it is cut back to the last complete line
//! before appending.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{bail, Context};

use mxprobe::model::Target;
use mxprobe::report::{CsvReader, Format};

/// The A-label names of the domains in `path` (empty if it does not exist),
/// after cutting a partial last line; whether the file already has content
/// (a CSV header at least), so that appended output must not repeat it.
pub fn done_domains(path: &Path, format: Format) -> anyhow::Result<(HashSet<String>, bool)> {
    let Some(file) = open_whole_lines(path)? else {
        return Ok((HashSet::new(), false));
    };
    let mut done = HashSet::new();
    let mut any = false;
    match format {
        Format::Csv => {
            let mut csv = CsvReader::new(&file)
                .with_context(|| format!("cannot resume {}", path.display()))?;
            if !csv.has_header() {
                return Ok((done, false));
            }
            if !csv.is_current() {
                bail!(
                    "cannot resume {}: its columns are not those of this mxprobe's CSV",
                    path.display()
                );
            }
            any = true;
            for rec in csv.records() {
                let rec = rec.with_context(|| format!("cannot resume {}", path.display()))?;
                if let Some(ascii) = ascii_of(rec.domain()) {
                    done.insert(ascii);
                }
            }
        }
        Format::Jsonl => {
            for (n, line) in BufReader::new(&file).lines().enumerate() {
                let line = line?;
                any = true;
                let v: serde_json::Value = serde_json::from_str(&line).with_context(|| {
                    format!(
                        "cannot resume {}: line {} is not JSON",
                        path.display(),
                        n + 1
                    )
                })?;
                let name = v["target"]["ascii"]
                    .as_str()
                    .or(v["target"]["name"].as_str());
                if let Some(ascii) = name.and_then(ascii_of) {
                    done.insert(ascii);
                }
            }
        }
        _ => bail!("--resume needs -f csv or -f jsonl"),
    }
    Ok((done, any))
}

/// The keys of the JSON lines in `path` (a `resolve` or `probe` output),
/// after cutting a partial last line; `key` reads one line's key (`None`:
/// the line is not of this stage).
pub fn done_keys<K: Eq + std::hash::Hash>(
    path: &Path,
    key: impl Fn(&serde_json::Value) -> Option<K>,
) -> anyhow::Result<(HashSet<K>, bool)> {
    let Some(file) = open_whole_lines(path)? else {
        return Ok((HashSet::new(), false));
    };
    let mut done = HashSet::new();
    for (n, line) in BufReader::new(&file).lines().enumerate() {
        let line = line?;
        let v: serde_json::Value = serde_json::from_str(&line)
            .ok()
            .filter(serde_json::Value::is_object)
            .with_context(|| {
                format!(
                    "cannot resume {}: line {} is not a JSON object",
                    path.display(),
                    n + 1
                )
            })?;
        let Some(k) = key(&v) else {
            bail!(
                "cannot resume {}: line {} is not of this stage's output",
                path.display(),
                n + 1
            );
        };
        done.insert(k);
    }
    let any = !done.is_empty();
    Ok((done, any))
}

/// The A-label form of a domain; anything else (a `--host` target) as
/// written, which no domain can spell.
fn ascii_of(name: &str) -> Option<String> {
    match Target::domain(name) {
        Ok(Target::Domain { ascii, .. }) => Some(ascii),
        _ => Some(name.to_owned()),
    }
}

/// The file at `path` (`None`: there is none yet), cut back to its last
/// complete line and positioned at its start.
fn open_whole_lines(path: &Path) -> anyhow::Result<Option<File>> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot resume {}", path.display())),
    };
    cut_partial_line(&mut file).with_context(|| format!("cannot resume {}", path.display()))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(Some(file))
}

/// Truncate `file` after its last newline.
fn cut_partial_line(file: &mut File) -> std::io::Result<()> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(());
    }
    // Look back in blocks for the last newline.
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|b| *b == b'\n') {
            let keep = start + i as u64 + 1;
            if keep < len {
                file.set_len(keep)?;
            }
            return Ok(());
        }
        end = start;
    }
    file.set_len(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_partial_last_line_is_cut_and_domains_are_read() {
        let dir = std::env::temp_dir().join(format!("mxprobe-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("out.jsonl");
        let mut f = File::create(&path).expect("create");
        write!(
            f,
            "{{\"target\":{{\"kind\":\"domain\",\"name\":\"Bücher.test\",\"ascii\":\"xn--bcher-kva.test\"}}}}\n{{\"target\":{{\"kind\":\"dom"
        )
        .expect("write");
        drop(f);
        let (done, any) = done_domains(&path, Format::Jsonl).expect("readable");
        assert!(any);
        assert_eq!(done, HashSet::from(["xn--bcher-kva.test".to_string()]));
        assert!(std::fs::read_to_string(&path)
            .expect("read")
            .ends_with("}}\n"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
