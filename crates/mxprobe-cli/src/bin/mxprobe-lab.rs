//! `mxprobe-lab`: the test servers, started by hand.
//!
//! Starts a DNS server and one SMTP/STARTTLS test server per scenario
//! (`mxprobe::testkit::scenarios`) on loopback, serves `<scenario>.lab.test`
//! MX records pointing at them, prints how to scan them, and runs until
//! interrupted. `--mx DOMAIN=IP` (repeatable) adds MX records for servers
//! running elsewhere, such as the real Postfix and Exim of `docker/lab/`.
//! Built only with the `lab` feature (the library's `testkit`):
//!
//! ```sh
//! cargo run --features lab --bin mxprobe-lab
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;

use mxprobe::testkit::dns::{DnsServer, Zone};
use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::SmtpServer;

/// Start mxprobe's test DNS and SMTP servers on loopback.
#[derive(Debug, Parser)]
#[command(name = "mxprobe-lab")]
struct Args {
    /// Address of the DNS server.
    #[arg(long, default_value = "127.0.0.53:5353")]
    dns: SocketAddr,
    /// Port of every SMTP server.
    #[arg(long, default_value_t = 2525)]
    port: u16,
    /// First three octets of the SMTP servers' addresses (one each, from .10).
    #[arg(long, default_value = "127.0.1")]
    net: String,
    /// Also serve DOMAIN with the MX host mx.DOMAIN at IP, for a mail
    /// server started elsewhere. Repeatable.
    #[arg(long, value_name = "DOMAIN=IP", value_parser = parse_mx)]
    mx: Vec<(String, Ipv4Addr)>,
    /// Only these scenarios (default: all).
    #[arg(value_name = "SCENARIO")]
    only: Vec<String>,
}

fn parse_mx(spec: &str) -> Result<(String, Ipv4Addr), String> {
    let (domain, ip) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?}: expected DOMAIN=IP"))?;
    let ip = ip
        .parse()
        .map_err(|_| format!("{spec:?}: {ip:?} is not an IPv4 address"))?;
    Ok((domain.trim_end_matches('.').to_ascii_lowercase(), ip))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mxprobe-lab: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mxprobe-lab: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let base: Vec<u8> = args
        .net
        .split('.')
        .map(|o| o.parse::<u8>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("--net {:?}: three octets like 127.0.1", args.net))?;
    let [a, b, c] = base[..] else {
        return Err(format!("--net {:?}: three octets like 127.0.1", args.net));
    };
    let mut zone = Zone::new();
    let mut servers: Vec<(SmtpServer, String, &'static str)> = Vec::new();
    let chosen: Vec<_> = scenarios::all()
        .into_iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| o == s.name))
        .collect();
    if chosen.is_empty() {
        let names: Vec<_> = scenarios::all().iter().map(|s| s.name).collect();
        return Err(format!("no such scenario; there are: {}", names.join(", ")));
    }
    for (i, s) in chosen.into_iter().enumerate() {
        let ip = Ipv4Addr::new(a, b, c, 10 + i as u8);
        let server = SmtpServer::start(SocketAddr::from((ip, args.port)), s.config)
            .await
            .map_err(|e| format!("cannot listen on {ip}:{}: {e}", args.port))?;
        let domain = format!("{}.lab.test", s.name);
        zone.mx(&domain, 10, &format!("mx.{domain}"));
        zone.a(&format!("mx.{domain}"), ip);
        // Forward-confirmed reverse DNS, as a well-kept MX has.
        zone.ptr(ip.into(), &format!("mx.{domain}"));
        servers.push((server, domain, s.description));
    }
    for (domain, ip) in &args.mx {
        zone.mx(domain, 10, &format!("mx.{domain}"));
        zone.a(&format!("mx.{domain}"), *ip);
    }
    let dns = DnsServer::start(args.dns, zone)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.dns))?;
    println!(
        "DNS server on {}; SMTP servers on port {}:",
        dns.addr(),
        args.port
    );
    for (server, domain, description) in &servers {
        println!("  {domain:<30} {:<18} {description}", server.addr().ip());
    }
    for (domain, ip) in &args.mx {
        println!("  {domain:<30} {ip:<18} (--mx)");
    }
    let first = servers.first().map_or("modern.lab.test", |s| s.1.as_str());
    println!(
        "\nTry:\n  mxprobe --resolver {} --port {} {first}\nCtrl-C stops the lab.",
        dns.addr(),
        args.port
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    Ok(())
}
