//! Loopback addresses for test servers.
//!
//! Linux routes all of 127.0.0.0/8 to the loopback interface, so every test
//! can have addresses of its own and MX hosts can share one port (as real
//! ones share port 25) without colliding.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

use super::smtp::{ServerConfig, SmtpServer};

/// A fresh address in 127.0.0.0/8, distinct for every call in this process
/// and, through the process id, unlikely to be another process's.
pub fn loopback() -> Ipv4Addr {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let second = (std::process::id() % 200) as u8 + 20;
    Ipv4Addr::new(127, second, (n / 250 % 250) as u8, (n % 250) as u8 + 2)
}

/// Start one SMTP server per configuration, each on a fresh loopback address,
/// all on the same port. Returns the port and the servers, in order.
pub async fn smtp_servers(configs: Vec<ServerConfig>) -> io::Result<(u16, Vec<SmtpServer>)> {
    let mut last_error = None;
    'attempt: for _ in 0..20 {
        let mut servers: Vec<SmtpServer> = Vec::with_capacity(configs.len());
        let mut port = 0;
        for config in &configs {
            let bind = SocketAddr::from((loopback(), port));
            match SmtpServer::start(bind, config.clone()).await {
                Ok(server) => {
                    port = server.addr().port();
                    servers.push(server);
                }
                Err(e) => {
                    // The port is taken on that address: start over.
                    last_error = Some(e);
                    continue 'attempt;
                }
            }
        }
        return Ok((port, servers));
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no common port found")))
}

/// A fresh loopback address with a port nobody listens on.
pub fn closed_port() -> SocketAddr {
    let ip = loopback();
    // Bind and drop: the port was free a moment ago and nothing listens now.
    let port = std::net::TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map_or(9, |a| a.port());
    SocketAddr::from((ip, port))
}
