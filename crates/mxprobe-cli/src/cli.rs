//! Command-line flags, and the one place where they become a validated scan.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;

use mxprobe::cert::anchors::Anchors;
use mxprobe::dns::{DnssecConfig, DnssecMode, Families, ResolverConfig};
use mxprobe::model::Target;
use mxprobe::policy::{Policy, Severity};
use mxprobe::report::Format;
use mxprobe::scan::{EhloName, ScanConfig};
use mxprobe::senders::{Profile, Senders};
use mxprobe::tls::LegacyMode;
use mxprobe::trust::TrustConfig;

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on (default: high)
  1  at least one finding at or above --fail-on
  2  usage, configuration or I/O error (bad flag, invalid input, unreadable
     policy file, output not writable, output file in use by another mxprobe)
  130  interrupted (Ctrl-C or SIGTERM); everything written is complete, and
     --resume completes the scan";

/// Probe mail servers' STARTTLS and say precisely what is wrong.
///
/// Looks up the MX hosts of each DOMAIN, speaks SMTP up to STARTTLS with
/// each of their addresses (never further: no mail is ever sent), and
/// reports which protocol versions and ciphers each accepts, in which order
/// it prefers them, and the certificate it presents.
#[derive(Debug, Parser)]
#[command(
    name = "mxprobe",
    version,
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub scan: Args,
    /// Print the man page (`man`, roff) or a shell's completion script
    /// (`complete-bash`, `complete-zsh`, `complete-fish`) and exit.
    #[arg(long, value_name = "KIND", hide = true, exclusive = true)]
    pub generate: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Count the TLS protocols and ciphers in Exim or Postfix logs, and who
    /// used the outdated ones.
    Logs(crate::logs_cmd::LogsArgs),
    /// List the built-in policies (or, with --findings, every finding ID).
    Policies {
        /// List the finding IDs with their default severity instead.
        #[arg(long)]
        findings: bool,
    },
    /// Show or check a policy.
    Policy {
        #[command(subcommand)]
        action: PolicyAction,
    },
    /// Statistics of an earlier scan's output (CSV or JSON Lines): cipher
    /// frequencies, STARTTLS and TLS 1.3 shares, findings and their hosts.
    Stats(StatsArgs),
    /// List the sender profiles whose outcomes a scan predicts, or print
    /// one as TOML (to copy, edit and pass with --sender FILE).
    Senders {
        /// A profile's id (or a profile file, to check it).
        #[arg(value_name = "ID|FILE")]
        profile: Option<String>,
    },
    /// Sharded scans, stage 1: look up domains' MX hosts, addresses, DANE
    /// records, MTA-STS and TLS-RPT; write them as JSON Lines. Takes the
    /// domains whose hash falls in --shard K of --shards N.
    Resolve(ResolveArgs),
    /// Sharded scans, stage 2: probe every distinct address named in the
    /// resolved files (--from), once; write each result as a JSON line.
    /// Takes the addresses whose hash falls in --shard K of --shards N, so
    /// no address is probed by two shards.
    Probe(ProbeArgs),
    /// Sharded scans, stage 3: join the resolved and probed files into the
    /// per-domain reports and findings a single scan makes, in any format.
    Join(JoinArgs),
}

/// `--shards N --shard K`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ShardArgs {
    /// Split the work into N shards (zmap's convention), one per machine
    /// or job.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub shards: u32,
    /// Do shard K (0 to N-1): e.g. $JOB_COMPLETION_INDEX on Kubernetes,
    /// $SLURM_ARRAY_TASK_ID on Slurm.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub shard: u32,
}

impl ShardArgs {
    pub fn shard(self) -> anyhow::Result<mxprobe::shard::Shard> {
        Ok(mxprobe::shard::Shard::new(self.shards, self.shard)?)
    }
}

/// `mxprobe resolve` flags: the scan's targets and DNS flags; -f is always
/// JSON Lines.
#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub shard: ShardArgs,
    #[command(flatten)]
    pub scan: Args,
}

/// `mxprobe probe` flags.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// Resolved files (`mxprobe resolve` output, every shard's); a
    /// directory stands for its *.jsonl files; `-` reads standard input.
    #[arg(long = "from", value_name = "FILE", required = true, num_args = 1..)]
    pub from: Vec<PathBuf>,
    #[command(flatten)]
    pub shard: ShardArgs,
    #[command(flatten)]
    pub scan: Args,
}

/// `mxprobe join` flags.
#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// Resolved files (`mxprobe resolve` output, every shard's); a
    /// directory stands for its *.jsonl files.
    #[arg(long = "from", value_name = "FILE", required = true, num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// Probed files (`mxprobe probe` output, every shard's); a directory
    /// stands for its *.jsonl files.
    #[arg(long = "probed", value_name = "FILE", required = true, num_args = 1..)]
    pub probed: Vec<PathBuf>,
    #[command(flatten)]
    pub scan: Args,
}

/// `mxprobe stats` flags.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Scan output files (`-f csv` or `-f jsonl`); `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Rows per ranked list (hosts per finding, top MX hosts).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Output format.
    #[arg(short, long, default_value = "text", value_name = "text|csv|json")]
    pub format: StatsFormat,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the HTML report of the scan to OUT: charts, every
    /// domain's verdict (its findings as the scan recorded them, judged by
    /// --fail-on), findings and fixes, addresses.
    #[arg(long, value_name = "OUT")]
    pub html: Option<PathBuf>,
    /// The severity at which the HTML report fails a domain (with --html).
    #[arg(
        long,
        default_value = "high",
        value_name = "critical|high|medium|low|info",
        requires = "html"
    )]
    pub fail_on: Severity,
}

/// `--legacy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LegacyArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatsFormat {
    Text,
    Csv,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum PolicyAction {
    /// Print a built-in policy as TOML, to copy and edit.
    Show {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Check that a policy file (or built-in name) is valid.
    Check {
        #[arg(value_name = "NAME|FILE")]
        policy: String,
    },
}

/// Scan flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mail domains to check (their MX hosts are looked up).
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,

    /// Read domains from FILE, one per line (`#` comments, blank lines
    /// ignored) or a CSV file with a `domain` column; `-` reads standard
    /// input. Results stream out as each domain completes.
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Skip the domains already in the output file (-o, CSV or JSON Lines)
    /// and append the rest: completes an interrupted scan.
    #[arg(long, requires = "output")]
    pub resume: bool,

    /// No progress bar and no statistics on standard error.
    #[arg(short, long)]
    pub quiet: bool,

    /// One line per domain on standard error (-vv: per address too).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Write statistics of the scan to FILE (format by extension: .json,
    /// .csv, else text). A list scan (-i) also prints them on standard
    /// error unless -q.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    /// Probe this mail server directly, skipping the MX lookup
    /// (HOST, HOST:PORT, IP, [IPv6]:PORT). Repeatable.
    #[arg(long = "host", value_name = "HOST[:PORT]")]
    pub hosts: Vec<String>,

    /// Port of the MX hosts (and of --host targets given without one).
    #[arg(long, default_value_t = 25, value_name = "N")]
    pub port: u16,

    /// Query this nameserver instead of the system's. Repeatable.
    #[arg(long = "resolver", value_name = "IP[:PORT]")]
    pub resolvers: Vec<String>,

    /// Probe IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6_only")]
    pub ipv4_only: bool,

    /// Probe IPv6 addresses only.
    #[arg(short = '6')]
    pub ipv6_only: bool,

    /// Name to send in EHLO [default: this machine's FQDN, else the address
    /// literal of the local end of the connection].
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,

    /// Timeout in seconds of each network step (connect, each SMTP reply, a
    /// TLS handshake, a DNS query).
    #[arg(long, default_value_t = 15.0, value_name = "SECS")]
    pub timeout: f64,

    /// One handshake per address, as a broadly compatible client: no
    /// enumeration of versions, ciphers and groups.
    #[arg(long)]
    pub quick: bool,

    /// Do not test key-exchange groups (saves one handshake per supported
    /// group and one or two more, about 10 per address).
    #[arg(long)]
    pub no_groups: bool,

    /// Hand-written ClientHellos for what no OpenSSL 3 can offer: `auto`
    /// asks for SSLv2 and the EXPORT, DES, RC2, IDEA, GOST, PSK … suites
    /// where the OpenSSL pass found SSLv3 or legacy ciphers (or nothing),
    /// and runs the classic checks (renegotiation, compression, Heartbleed,
    /// CCS injection, fallback SCSV: 2 to 4 connections) everywhere;
    /// `always` asks for the suites everywhere; `never` sends none.
    #[arg(long, default_value = "auto", value_name = "auto|always|never")]
    pub legacy: LegacyArg,

    /// Simultaneous connections, all addresses together (capped by the
    /// open-file limit).
    #[arg(long, default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Simultaneous DNS lookups.
    #[arg(long, default_value_t = 32, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub dns_concurrency: u32,

    /// Connections per second to one address, at most (default: no limit
    /// beyond --per-host).
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// Simultaneous connections to one address. Mail servers limit
    /// connections per client; mxprobe lowers this further when told
    /// "too many connections".
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub per_host: u16,

    /// Refusals in a row (421, 4xx, resets, timeouts) after which an address
    /// is given up on; any success resets the count.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub retries: u32,

    /// Seconds to wait after the first refusal; doubled after each further
    /// one in a row (at most 8 s).
    #[arg(long, default_value_t = 0.25, value_name = "SECS")]
    pub backoff: f64,

    /// Predict these senders' outcomes at each address: built-in profile
    /// ids, comma-separated (see `mxprobe senders`), `all` (the default) or
    /// `none`. Profiles added with --sender are included unless not named.
    #[arg(long, value_name = "ID,ID,…|all|none", value_delimiter = ',')]
    pub senders: Vec<String>,

    /// Add a sender profile of one's own (TOML, as `mxprobe senders ID`
    /// prints one); repeatable. One with a built-in profile's id replaces it.
    #[arg(long = "sender", value_name = "FILE")]
    pub sender_files: Vec<PathBuf>,

    /// Judge the results by this policy: a built-in name (see `mxprobe
    /// policies`) or a TOML file.
    #[arg(long, default_value = "default", value_name = "NAME|FILE")]
    pub policy: String,

    /// Exit with 1 when a finding has this severity or a higher one.
    #[arg(
        long,
        default_value = "high",
        value_name = "critical|high|medium|low|info"
    )]
    pub fail_on: Severity,

    /// Output format: `jsonl` is one JSON report per line (for bulk scans
    /// and `--resume`); `ciphers` is a CSV table with one row per accepted
    /// cipher, protocol version and address, in the server's order;
    /// `senders` a CSV table with one row per sender profile and address:
    /// what that sender negotiates there and what it does with the mail;
    /// `html` one self-contained page (charts for a list, each domain's
    /// verdict, findings and fixes), best with -o report.html.
    #[arg(
        short,
        long,
        default_value = "text",
        value_name = "text|csv|json|jsonl|ciphers|senders|html"
    )]
    pub format: Format,

    /// Write results to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    // --- Trust checks (chain, names, strict TLS, reverse DNS) ---
    /// Also trust the CA certificates in this PEM file (a private CA), on top
    /// of Mozilla's roots: for SMTP certificates, the strict sender and the
    /// MTA-STS policy host. Repeatable.
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_files: Vec<PathBuf>,

    // --- Trust checks in DNS and HTTPS: DANE, DNSSEC, MTA-STS, TLS-RPT ---
    /// Skip DANE: no TLSA lookups, no DNSSEC validation.
    #[arg(long)]
    pub no_dane: bool,

    /// How DANE learns DNSSEC status: `validate` checks signatures in
    /// mxprobe from a trust anchor; `ad` trusts the AD bit of the
    /// nameservers (--resolver), which must be a local validating resolver,
    /// as Postfix does with smtp_dns_support_level = dnssec.
    #[arg(long, default_value = "validate", value_name = "validate|ad", value_parser = parse_dnssec_mode)]
    pub dnssec: DnssecMode,

    /// DNSSEC trust anchor for --dnssec validate: DNSKEY records in
    /// zone-file format [default: the IANA root keys].
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,

    /// Skip MTA-STS and TLS-RPT.
    #[arg(long)]
    pub no_mta_sts: bool,

    /// Port of MTA-STS policy hosts. For testing against a local server:
    /// real policies are only ever fetched from port 443.
    #[arg(long, default_value_t = 443, value_name = "N", hide = true)]
    pub mta_sts_port: u16,
}

fn parse_dnssec_mode(s: &str) -> Result<DnssecMode, String> {
    match s {
        "validate" => Ok(DnssecMode::Validate),
        "ad" => Ok(DnssecMode::Ad),
        _ => Err(format!(
            "unknown DNSSEC mode {s:?} (expected validate or ad)"
        )),
    }
}

/// Everything `main` needs, validated.
pub struct Plan {
    pub config: ScanConfig,
    pub fail_on: Severity,
    pub input: Option<PathBuf>,
    pub resume: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub stats: Option<PathBuf>,
    pub targets: Vec<Target>,
    /// One line per rejected input, already worded for the user.
    pub rejected: Vec<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
}

impl Args {
    pub fn plan(self) -> anyhow::Result<Plan> {
        if self.domains.is_empty() && self.hosts.is_empty() && self.input.is_none() {
            bail!("nothing to scan: give a DOMAIN, --host HOST or -i FILE (see --help)");
        }
        self.plan_stage()
    }

    /// The plan of `probe` and `join`, whose work comes from stage files:
    /// no targets of their own.
    pub fn plan_from_files(self, stage: &str) -> anyhow::Result<Plan> {
        if !self.domains.is_empty() || !self.hosts.is_empty() || self.input.is_some() {
            bail!(
                "mxprobe {stage} takes its work from --from files, not from DOMAIN, --host or -i"
            );
        }
        self.plan_stage()
    }

    /// The plan, targets or none.
    pub fn plan_stage(self) -> anyhow::Result<Plan> {
        if let Some(rate) = self.rate {
            if !(rate.is_finite() && rate > 0.0) {
                bail!("--rate must be a positive number of connections per second, not {rate}");
            }
        }
        if self.resume && !matches!(self.format, Format::Csv | Format::Jsonl) {
            bail!("--resume needs -f csv or -f jsonl (other formats cannot be appended to)");
        }
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0) {
            bail!(
                "--timeout must be between 0 and 3600 seconds, not {}",
                self.timeout
            );
        }
        let timeout = Duration::from_secs_f64(self.timeout);
        if !(self.backoff.is_finite() && (0.0..=60.0).contains(&self.backoff)) {
            bail!(
                "--backoff must be between 0 and 60 seconds, not {}",
                self.backoff
            );
        }
        let nameservers = self
            .resolvers
            .iter()
            .map(|r| parse_resolver(r))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let ehlo = match self.ehlo {
            Some(name) if name.trim().is_empty() || name.contains(char::is_whitespace) => {
                bail!("--ehlo {name:?}: a host name or address literal without spaces")
            }
            Some(name) => EhloName::Fixed(name),
            None => EhloName::Auto,
        };
        let families = match (self.ipv4_only, self.ipv6_only) {
            (true, _) => Families::V4,
            (_, true) => Families::V6,
            _ => Families::Both,
        };
        if self.trust_anchor.is_some() && self.dnssec == DnssecMode::Ad {
            bail!(
                "--trust-anchor is for --dnssec validate; with --dnssec ad the resolver validates"
            );
        }
        if self.mta_sts_port == 0 {
            bail!("--mta-sts-port must be 1-65535");
        }
        let mut rejected = Vec::new();
        let mut targets = Vec::new();
        for d in &self.domains {
            match Target::domain(d) {
                Ok(t) => targets.push(t),
                Err(e) => rejected.push(e.to_string()),
            }
        }
        for h in &self.hosts {
            match Target::host(h) {
                Ok(t) => targets.push(t),
                Err(e) => rejected.push(format!("--host: {e}")),
            }
        }
        let policy = Policy::load(&self.policy)?;
        let trust = trust_config(&self.ca_files)?;
        let senders = senders(&self.senders, &self.sender_files)?;
        // A misspelt id in the policy would silently count no one.
        let known: Vec<String> = mxprobe::senders::built_in()
            .into_iter()
            .map(|p| p.id)
            .chain(senders.profiles().iter().map(|p| p.id.clone()))
            .collect();
        if let Some(bad) = policy
            .senders
            .named()
            .find(|id| !known.iter().any(|k| k == id))
        {
            bail!(
                "policy {}: unknown sender profile {bad:?} in [senders] (see mxprobe senders)",
                self.policy
            );
        }
        let config = ScanConfig {
            policy: Some(Arc::new(policy)),
            resolver: ResolverConfig {
                nameservers,
                timeout: timeout.min(Duration::from_secs(10)),
                attempts: 2,
                families,
            },
            port: self.port,
            ehlo,
            timeout,
            enumerate: !self.quick,
            groups: !self.no_groups,
            per_host: usize::from(self.per_host),
            max_connections: self.concurrency as usize,
            concurrency: (self.concurrency as usize * 4).max(16),
            dns_concurrency: self.dns_concurrency as usize,
            min_interval: self
                .rate
                .map_or(Duration::ZERO, |r| Duration::from_secs_f64(1.0 / r)),
            retries: self.retries,
            backoff: Duration::from_secs_f64(self.backoff),
            trust,
            dane: !self.no_dane,
            dnssec: DnssecConfig {
                mode: self.dnssec,
                trust_anchor: self.trust_anchor,
            },
            mta_sts: !self.no_mta_sts,
            mta_sts_port: self.mta_sts_port,
            senders,
            legacy: match self.legacy {
                LegacyArg::Auto => LegacyMode::Auto,
                LegacyArg::Always => LegacyMode::Always,
                LegacyArg::Never => LegacyMode::Never,
            },
            ..ScanConfig::default()
        };
        Ok(Plan {
            config,
            fail_on: self.fail_on,
            input: self.input,
            resume: self.resume,
            quiet: self.quiet,
            verbose: self.verbose,
            stats: self.stats,
            targets,
            rejected,
            format: self.format,
            output: self.output,
        })
    }
}

/// The built-in sender profiles and every `--sender FILE`, narrowed to
/// `--senders` (profiles from files are kept unless the list leaves them
/// out).
fn senders(ids: &[String], files: &[PathBuf]) -> anyhow::Result<Senders> {
    let mut senders = Senders::default();
    let mut own = Vec::new();
    for path in files {
        let profile = load_sender(path)?;
        own.push(profile.id.clone());
        senders.add(profile);
    }
    let ids: Vec<&str> = ids
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if ids.iter().any(|id| id.eq_ignore_ascii_case("none")) {
        if ids.len() > 1 {
            bail!("--senders none cannot be combined with profile ids");
        }
        return Ok(Senders::none());
    }
    if !ids.is_empty() && !ids.iter().any(|id| id.eq_ignore_ascii_case("all")) {
        let mut keep: Vec<&str> = ids.clone();
        keep.extend(own.iter().map(String::as_str).filter(|o| !ids.contains(o)));
        senders
            .select(&keep)
            .map_err(|e| anyhow::anyhow!("--senders: {e}"))?;
    }
    Ok(senders)
}

/// One `--sender FILE`, read (capped) and checked.
pub fn load_sender(path: &std::path::Path) -> anyhow::Result<Profile> {
    let bytes = mxprobe::limits::read_file(
        path,
        mxprobe::limits::POLICY_FILE_BYTES,
        "a sender profile is a few KiB of TOML",
    )
    .with_context(|| format!("sender profile {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("sender profile {}: not UTF-8 text", path.display()))?;
    Profile::from_toml(&text).with_context(|| format!("sender profile {}", path.display()))
}

/// Mozilla's roots plus every `--ca-file`, each read and checked here.
fn trust_config(ca_files: &[PathBuf]) -> anyhow::Result<TrustConfig> {
    let mut anchors = Anchors::mozilla();
    for path in ca_files {
        let pem = mxprobe::limits::read_file(
            path,
            mxprobe::limits::CA_FILE_BYTES,
            "a CA bundle is at most a few MiB",
        )
        .with_context(|| format!("--ca-file: cannot read {}", path.display()))?;
        anchors = anchors
            .with_pem(&pem, &path.display().to_string())
            .context("--ca-file")?;
    }
    Ok(TrustConfig { anchors, at: None })
}

/// `IP`, `IP:PORT`, `[IPv6]:PORT`.
fn parse_resolver(s: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    s.parse::<SocketAddr>()
        .with_context(|| format!("--resolver {s:?}: expected IP, IP:PORT or [IPv6]:PORT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_exit_code_and_format() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        for code in [
            "0  no finding",
            "1  at least one",
            "2  usage",
            "130  interrupted",
        ] {
            assert!(help.contains(code), "{code:?} missing from --help");
        }
        for format in ["text", "csv", "json", "jsonl", "ciphers", "senders"] {
            let listed =
                help.contains(&format!("|{format}|")) || help.contains(&format!("|{format}>"));
            assert!(
                listed || help.contains(&format!("<{format}|")),
                "{format} missing from --help"
            );
        }
    }

    #[test]
    fn resolvers_parse() {
        assert_eq!(
            parse_resolver("127.0.0.53").ok(),
            Some("127.0.0.53:53".parse().expect("addr"))
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353").ok(),
            Some("127.0.0.1:5353".parse().expect("addr"))
        );
        assert_eq!(
            parse_resolver("::1").ok(),
            Some("[::1]:53".parse().expect("addr"))
        );
        assert!(parse_resolver("[::1]:5353").is_ok());
        assert!(parse_resolver("dns.example").is_err());
    }

    #[test]
    fn ca_files_add_anchors_or_say_what_is_wrong() {
        let certs = mxprobe::testkit::pki::testdata_path("certs");
        let trust =
            trust_config(&[certs.join("ca.crt"), certs.join("intermediate.crt")]).expect("anchors");
        assert_eq!(trust.anchors.extra(), 2);
        // A device that never ends is refused, not read into memory.
        let e = trust_config(&["/dev/zero".into()]).expect_err("endless");
        assert_eq!(
            crate::one_line(&e),
            "--ca-file: cannot read /dev/zero: larger than 16 MiB; a CA bundle is at most a few MiB"
        );
        let e = trust_config(&[certs.join("missing.pem")]).expect_err("missing");
        assert!(
            format!("{e:#}").starts_with("--ca-file: cannot read "),
            "{e:#}"
        );
        let e = trust_config(&[certs.join("ca.key")]).expect_err("a key");
        assert!(format!("{e:#}").starts_with("--ca-file: "), "{e:#}");
        assert!(format!("{e:#}").contains("ca.key"), "{e:#}");
    }
}
