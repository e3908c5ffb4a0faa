//! Command-line flags, and the one place where they become a validated scan.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;

use mxprobe::dns::{DnssecConfig, DnssecMode, Families, ResolverConfig};
use mxprobe::model::Target;
use mxprobe::report::Format;
use mxprobe::scan::{EhloName, ScanConfig};

const EXIT_CODES: &str = "\
Exit codes:
  0  the scan ran
  2  usage, configuration or I/O error (bad flag, unreadable input, output not writable)";

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
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Count the TLS protocols and ciphers in Exim or Postfix logs, and who
    /// used the outdated ones.
    Logs(crate::logs_cmd::LogsArgs),
}

/// Scan flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mail domains to check (their MX hosts are looked up).
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,

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

    /// Do not test key-exchange groups (saves about 20 handshakes per
    /// address with TLS 1.3).
    #[arg(long)]
    pub no_groups: bool,

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

    /// Output format: `ciphers` is a CSV table with one row per accepted
    /// cipher, protocol version and address, in the server's order.
    #[arg(
        short,
        long,
        default_value = "text",
        value_name = "text|csv|json|ciphers"
    )]
    pub format: Format,

    /// Write results to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

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

    /// Also trust the CA certificates in FILE (PEM), besides Mozilla's
    /// roots. Repeatable.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_files: Vec<PathBuf>,
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
    pub targets: Vec<Target>,
    /// One line per rejected input, already worded for the user.
    pub rejected: Vec<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
}

impl Args {
    pub fn plan(self) -> anyhow::Result<Plan> {
        if self.domains.is_empty() && self.hosts.is_empty() {
            bail!("nothing to scan: give a DOMAIN or --host HOST (see --help)");
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
        let config = ScanConfig {
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
            retries: self.retries,
            backoff: Duration::from_secs_f64(self.backoff),
            dane: !self.no_dane,
            dnssec: DnssecConfig {
                mode: self.dnssec,
                trust_anchor: self.trust_anchor,
            },
            mta_sts: !self.no_mta_sts,
            mta_sts_port: self.mta_sts_port,
            ca_files: self.ca_files,
            ..ScanConfig::default()
        };
        Ok(Plan {
            config,
            targets,
            rejected,
            format: self.format,
            output: self.output,
        })
    }
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
}
