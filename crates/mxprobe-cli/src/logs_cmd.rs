//! `mxprobe logs`: which TLS protocols and ciphers a server negotiated,
//! counted from its Exim or Postfix logs, and who used the outdated ones.
//!
//! Flags become a [`Plan`] in one place ([`LogsArgs::plan`]); the library
//! does the counting and rendering; this module reports unreadable files
//! (one line each, the run goes on) and picks the exit code: 0, or 2 if
//! any file could not be read to its end.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

use mxprobe::logs::Format;
use mxprobe::logs::{
    self, Classifier, DefaultClassifier, Dimension, Direction, Naming, SortOrder, Summary,
    SummaryOptions, Tally,
};
use mxprobe::policy::{Policy, PolicyClassifier};

/// Exit code when a file could not be read (the others were counted).
const EXIT_UNREADABLE: u8 = 2;

/// Count the TLS protocols and ciphers negotiated in Exim or Postfix logs.
///
/// Reads Exim main logs (`/var/log/exim4/mainlog*`) and Postfix mail logs
/// (`/var/log/mail.log*`), plain or gzip-compressed, and counts each
/// message (Exim) or connection (Postfix) under its
/// `PROTOCOL:CIPHER:BITS`, or as plaintext. Rotated files are read oldest
/// first whatever order they are given in.
///
/// Ciphers are named as OpenSSL names them, whatever TLS library logged
/// them: Exim built on GnuTLS (Debian, Ubuntu) logs
/// `TLS1.2:ECDHE_SECP521R1__RSA_SHA512__AES_256_GCM:256`, counted as
/// `TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256` like the same suite from an
/// OpenSSL build; the key-exchange group and the server's signature
/// algorithm, where logged, are counted beside (`--by group`).
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Log files, plain or .gz; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    pub files: Vec<PathBuf>,

    /// Count received mail (in), sent mail (out) or both.
    #[arg(long, value_enum, default_value_t = DirectionArg::Both)]
    pub direction: DirectionArg,

    /// List the most used keys first (desc) or last (asc, as `uniq -c | sort -n`).
    #[arg(long, value_enum, default_value_t = SortArg::Desc)]
    pub sort: SortArg,

    /// List, for each weak protocol/cipher and for plaintext, the hosts
    /// that used it (host); or the TLS uses per key-exchange group (group)
    /// or per signature algorithm of the server (signature) instead of per
    /// protocol/cipher.
    #[arg(long = "by", value_enum, value_name = "host|group|signature")]
    pub by: Option<ByArg>,

    /// Keep cipher, group and signature names as logged (GnuTLS's
    /// `ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM`, `X25519`) instead
    /// of OpenSSL's; findings still judge the OpenSSL suite.
    #[arg(long)]
    pub as_logged: bool,

    /// Hosts listed per protocol/cipher with --by host.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    /// Output format.
    #[arg(short, long, default_value = "text", value_name = "text|csv|json")]
    pub format: Format,

    /// Write the results to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Decide which protocols and ciphers are weak by this policy (a
    /// built-in name or a TOML file; see `mxprobe policies`) instead of the
    /// built-in rules.
    #[arg(long, value_name = "NAME|FILE")]
    pub policy: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DirectionArg {
    In,
    Out,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortArg {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    Host,
    Group,
    Signature,
}

/// Everything [`run_with`] needs, validated.
pub struct Plan {
    /// In reading order (oldest rotated file first).
    pub files: Vec<PathBuf>,
    pub options: SummaryOptions,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub policy: Option<String>,
    pub naming: Naming,
}

impl LogsArgs {
    pub fn plan(self) -> anyhow::Result<Plan> {
        let stdin_count = self.files.iter().filter(|f| f.as_os_str() == "-").count();
        if stdin_count > 1 {
            bail!("`-` (standard input) can be given only once");
        }
        Ok(Plan {
            files: logs::rotation_order(&self.files),
            options: SummaryOptions {
                direction: match self.direction {
                    DirectionArg::In => Some(Direction::Inbound),
                    DirectionArg::Out => Some(Direction::Outbound),
                    DirectionArg::Both => None,
                },
                sort: match self.sort {
                    SortArg::Asc => SortOrder::Asc,
                    SortArg::Desc => SortOrder::Desc,
                },
                by_host: self.by == Some(ByArg::Host),
                by: match self.by {
                    Some(ByArg::Group) => Some(Dimension::Group),
                    Some(ByArg::Signature) => Some(Dimension::Signature),
                    Some(ByArg::Host) | None => None,
                },
                top: self.top,
            },
            format: self.format,
            output: self.output,
            policy: self.policy,
            naming: if self.as_logged {
                Naming::AsLogged
            } else {
                Naming::OpenSsl
            },
        })
    }
}

/// `mxprobe logs`: classified by `--policy` when given, else by the
/// built-in rules.
pub fn run(args: LogsArgs) -> anyhow::Result<ExitCode> {
    let plan = args.plan()?;
    let classifier: Box<dyn Classifier + Send + Sync> = match &plan.policy {
        Some(name) => Box::new(PolicyClassifier::new(Policy::load(name)?)),
        None => Box::new(DefaultClassifier),
    };
    run_with(plan, classifier)
}

/// Counts the files of `plan`, classifying with `classifier`, and writes
/// the results. Unreadable files are reported on standard error, one line
/// each, and make the exit code 2; an output that cannot be written is an
/// error.
pub fn run_with(
    plan: Plan,
    classifier: Box<dyn Classifier + Send + Sync>,
) -> anyhow::Result<ExitCode> {
    // Open the output first: a typo in -o should not cost a scan of
    // gigabytes of logs.
    let mut out: Box<dyn Write> = match &plan.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    // Keep enough peers that the --top list is exact on all but huge logs.
    let capacity = logs::DEFAULT_HOST_CAPACITY.max(plan.options.top.saturating_mul(4));
    let mut tally = Tally::with_classifier(classifier)
        .with_host_capacity(capacity)
        .with_naming(plan.naming);
    let mut unreadable = 0;
    for file in &plan.files {
        if let Err(e) = logs::scan_path(file, &mut tally) {
            eprintln!("mxprobe: {e}");
            unreadable += 1;
        }
    }
    let summary = Summary::new(&tally, &plan.options);
    // Text and JSON carry the notes; a CSV table has no place for them.
    if plan.format == Format::Csv {
        for note in &summary.notes {
            eprintln!("mxprobe: note: {note}");
        }
    }
    let target = match &plan.output {
        Some(path) => path.display().to_string(),
        None => "standard output".to_string(),
    };
    logs::write(&summary, plan.format, &mut out)
        .with_context(|| format!("cannot write {target}"))?;
    out.flush()
        .with_context(|| format!("cannot write {target}"))?;
    Ok(if unreadable == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UNREADABLE)
    })
}
