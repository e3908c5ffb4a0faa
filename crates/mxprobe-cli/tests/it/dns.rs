//! The resolver stage against the in-process DNS server, over loopback only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use mxprobe::dns::{
    DnsError, Families, MxAnswer, MxRecord, QueryType, Resolver, ResolverConfig, TlsaRecord,
};
use mxprobe::testkit::dns::{DnsServer, Zone};

const MX_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const MX_IP6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10);

fn zone() -> Zone {
    let mut zone = Zone::new();
    zone.mx("example.org", 20, "mx2.example.org")
        .mx("example.org", 10, "MX1.example.org.")
        .mx("example.org", 20, "mx0.example.org")
        .a("mx1.example.org", MX_IP)
        .aaaa("mx1.example.org", MX_IP6)
        .a("v4only.example.org", MX_IP)
        .aaaa("v6only.example.org", MX_IP6)
        .a("twice.example.org", Ipv4Addr::new(192, 0, 2, 1))
        .a("twice.example.org", Ipv4Addr::new(192, 0, 2, 2))
        .mx("null.example", 0, ".")
        .mx("mixed.example", 0, ".")
        .mx("mixed.example", 10, "mx1.example.org")
        .a("nomx.example", MX_IP)
        .txt("nomx.example", "v=spf1 -all")
        .cname("www.example.org", "alias.example.net")
        .cname("alias.example.net", "mx1.example.org")
        .cname("dangling.example.org", "gone.example.org")
        .mx("single", 10, "mx1.example.org")
        .servfail("broken.example")
        .no_answer("slow.example");
    zone
}

async fn setup(zone: Zone) -> (DnsServer, Resolver) {
    setup_with(zone, Families::Both).await
}

async fn setup_with(zone: Zone, families: Families) -> (DnsServer, Resolver) {
    let server = DnsServer::start(loopback(), zone)
        .await
        .expect("start dns server");
    let resolver = Resolver::new(&config(server.addr(), families)).expect("resolver");
    (server, resolver)
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().expect("addr")
}

fn config(server: SocketAddr, families: Families) -> ResolverConfig {
    ResolverConfig {
        nameservers: vec![server],
        timeout: Duration::from_secs(2),
        attempts: 2,
        families,
    }
}

fn mx(preference: u16, exchange: &str) -> MxRecord {
    MxRecord {
        preference,
        exchange: exchange.into(),
    }
}

#[tokio::test]
async fn mx_records_sorted_by_preference_then_name() {
    let (_server, resolver) = setup(zone()).await;
    let answer = resolver.mx("example.org").await.expect("mx");
    assert_eq!(
        answer,
        MxAnswer::Records(vec![
            mx(10, "mx1.example.org"),
            mx(20, "mx0.example.org"),
            mx(20, "mx2.example.org"),
        ])
    );
}

#[tokio::test]
async fn null_mx() {
    let (_server, resolver) = setup(zone()).await;
    assert_eq!(
        resolver.mx("null.example").await.expect("mx"),
        MxAnswer::Null
    );
    assert_eq!(
        resolver.mx("mixed.example").await.expect("mx"),
        MxAnswer::Records(vec![mx(10, "mx1.example.org")])
    );
}

#[tokio::test]
async fn nodata_means_implicit_mx() {
    let (_server, resolver) = setup(zone()).await;
    assert_eq!(
        resolver.mx("nomx.example").await.expect("mx"),
        MxAnswer::None
    );
    // An empty non-terminal is NODATA too.
    assert_eq!(resolver.mx("org").await.expect("mx"), MxAnswer::None);
}

#[tokio::test]
async fn single_label_names_are_queried_as_absolute() {
    let (server, resolver) = setup(zone()).await;
    assert_eq!(
        resolver.mx("single").await.expect("mx"),
        MxAnswer::Records(vec![mx(10, "mx1.example.org")])
    );
    assert_eq!(server.queries(), 1, "no search-list variants tried");
}

#[tokio::test]
async fn nxdomain() {
    let (_server, resolver) = setup(zone()).await;
    let err = resolver.mx("nope.example").await.expect_err("nxdomain");
    assert!(err.is_nx_domain(), "{err:?}");
    assert!(!err.is_timeout() && !err.is_servfail());
    assert_eq!(err.to_string(), "nope.example does not exist (NXDOMAIN)");
    assert_eq!(err.query_type(), Some(QueryType::Mx));

    let err = resolver
        .addresses("nope.example.org")
        .await
        .expect_err("nxdomain");
    assert!(err.is_nx_domain(), "{err:?}");
    // A CNAME to a name that does not exist.
    let err = resolver
        .addresses("dangling.example.org")
        .await
        .expect_err("nxdomain");
    assert!(err.is_nx_domain(), "{err:?}");
}

#[tokio::test]
async fn servfail() {
    let (server, resolver) = setup(zone()).await;
    let err = resolver.mx("broken.example").await.expect_err("servfail");
    assert!(err.is_servfail(), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "MX lookup for broken.example failed: server failure (SERVFAIL) from nameserver {}",
            server.addr()
        )
    );
}

#[tokio::test]
async fn dropped_query_times_out_in_time() {
    let server = DnsServer::start(loopback(), zone()).await.expect("server");
    let resolver = Resolver::new(&ResolverConfig {
        nameservers: vec![server.addr()],
        timeout: Duration::from_millis(300),
        attempts: 1,
        families: Families::Both,
    })
    .expect("resolver");
    let started = Instant::now();
    let err = resolver.mx("slow.example").await.expect_err("timeout");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "MX lookup for slow.example timed out after 1 attempt of 300ms (nameserver {})",
            server.addr()
        )
    );
    assert_eq!(server.queries(), 0);
}

#[tokio::test]
async fn no_nameserver_listening() {
    // A port that was just free: nothing answers there.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = socket.local_addr().expect("addr");
    drop(socket);
    let resolver = Resolver::new(&ResolverConfig {
        nameservers: vec![addr],
        timeout: Duration::from_millis(300),
        attempts: 1,
        families: Families::Both,
    })
    .expect("resolver");
    let started = Instant::now();
    let err = resolver.mx("example.org").await.expect_err("no server");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(
            err,
            DnsError::NoConnection { .. } | DnsError::Timeout { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test]
async fn addresses_v4_first_then_v6() {
    let (_server, resolver) = setup(zone()).await;
    assert_eq!(
        resolver
            .addresses("mx1.example.org")
            .await
            .expect("addresses"),
        vec![IpAddr::V4(MX_IP), IpAddr::V6(MX_IP6)]
    );
    assert_eq!(
        resolver.addresses("v6only.example.org").await.expect("v6"),
        vec![IpAddr::V6(MX_IP6)]
    );
    assert_eq!(
        resolver.addresses("twice.example.org").await.expect("two"),
        vec![
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))
        ]
    );
    // The name exists but has no address: NODATA twice.
    assert_eq!(
        resolver.addresses("example.org").await.expect("nodata"),
        Vec::<IpAddr>::new()
    );
}

#[tokio::test]
async fn families_filter_what_is_queried() {
    let (server, resolver) = setup_with(zone(), Families::V4).await;
    assert_eq!(
        resolver.addresses("mx1.example.org").await.expect("v4"),
        vec![IpAddr::V4(MX_IP)]
    );
    assert_eq!(server.queries(), 1, "only A queried");

    let (server, resolver) = setup_with(zone(), Families::V6).await;
    assert_eq!(
        resolver.addresses("mx1.example.org").await.expect("v6"),
        vec![IpAddr::V6(MX_IP6)]
    );
    assert_eq!(
        resolver
            .addresses("v4only.example.org")
            .await
            .expect("none"),
        Vec::<IpAddr>::new()
    );
    assert_eq!(server.queries(), 2, "only AAAA queried");
}

#[tokio::test]
async fn cname_chain_is_followed() {
    let (_server, resolver) = setup(zone()).await;
    assert_eq!(
        resolver.addresses("www.example.org").await.expect("cname"),
        vec![IpAddr::V4(MX_IP), IpAddr::V6(MX_IP6)]
    );
}

#[tokio::test]
async fn ptr_records() {
    let mut zone = zone();
    zone.ptr(IpAddr::V4(MX_IP), "MX1.example.org.")
        .ptr(IpAddr::V4(MX_IP), "alt.example.org")
        .ptr(IpAddr::V6(MX_IP6), "mx1.example.org");
    let (_server, resolver) = setup(zone).await;
    assert_eq!(
        resolver.ptr(IpAddr::V4(MX_IP)).await.expect("ptr"),
        vec!["mx1.example.org", "alt.example.org"]
    );
    assert_eq!(
        resolver.ptr(IpAddr::V6(MX_IP6)).await.expect("ptr6"),
        vec!["mx1.example.org"]
    );
    let err = resolver
        .ptr(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 99)))
        .await
        .expect_err("no ptr");
    assert!(err.is_nx_domain(), "{err:?}");
    assert_eq!(err.name(), Some("99.2.0.192.in-addr.arpa"));
}

#[tokio::test]
async fn txt_longer_than_255_bytes_round_trips() {
    let policy = format!("v=STSv1; id={}", "x".repeat(600));
    let mut zone = zone();
    zone.txt("_mta-sts.example.org", &policy)
        .txt("example.org", "v=spf1 mx -all");
    let (_server, resolver) = setup(zone).await;
    assert_eq!(
        resolver.txt("_mta-sts.example.org").await.expect("txt"),
        vec![policy]
    );
    assert_eq!(
        resolver.txt("example.org").await.expect("spf"),
        vec!["v=spf1 mx -all"]
    );
    assert_eq!(
        resolver.txt("mx1.example.org").await.expect("nodata"),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn tlsa_records() {
    let digest: Vec<u8> = (0..32).collect();
    let mut zone = zone();
    zone.tlsa("_25._tcp.mx1.example.org", 3, 1, 1, &digest)
        .tlsa("_25._tcp.mx1.example.org", 2, 0, 2, &[0xab; 64]);
    let (_server, resolver) = setup(zone).await;
    let records = resolver
        .tlsa("_25._tcp.mx1.example.org")
        .await
        .expect("tlsa");
    assert_eq!(
        records,
        vec![
            TlsaRecord {
                usage: 3,
                selector: 1,
                matching: 1,
                data: digest
            },
            TlsaRecord {
                usage: 2,
                selector: 0,
                matching: 2,
                data: vec![0xab; 64]
            },
        ]
    );
    assert_eq!(
        resolver.tlsa("_25._tcp.v4only.example.org").await,
        Err(DnsError::NxDomain {
            name: "_25._tcp.v4only.example.org".into(),
            qtype: QueryType::Tlsa
        })
    );
}

#[tokio::test]
async fn large_answer_falls_back_to_tcp() {
    // 100 A records (about 1.6 kB) exceed the 1232-byte EDNS size hickory
    // advertises, so the UDP answer is truncated.
    let mut zone = Zone::new();
    let ips: Vec<Ipv4Addr> = (0..100).map(|i| Ipv4Addr::new(198, 51, 100, i)).collect();
    for ip in &ips {
        zone.a("big.example", *ip);
    }
    let (server, resolver) = setup_with(zone, Families::V4).await;
    let got = resolver.addresses("big.example").await.expect("big");
    assert_eq!(got, ips.iter().copied().map(IpAddr::V4).collect::<Vec<_>>());
    assert_eq!(server.tcp_queries(), 1);
    assert_eq!(server.queries(), 2, "truncated UDP answer, then TCP");
}

#[tokio::test]
async fn answers_are_cached_and_clones_share_the_cache() {
    let (server, resolver) = setup(zone()).await;
    let first = resolver.mx("example.org").await.expect("mx");
    assert_eq!(server.queries(), 1);
    assert_eq!(resolver.mx("example.org").await.expect("mx"), first);
    let clone = resolver.clone();
    let task = tokio::spawn(async move { clone.mx("example.org").await });
    assert_eq!(task.await.expect("join").expect("mx"), first);
    assert_eq!(server.queries(), 1, "answered from the cache");

    resolver.addresses("mx1.example.org").await.expect("a");
    resolver.addresses("mx1.example.org").await.expect("a");
    assert_eq!(server.queries(), 3, "one A and one AAAA query");
}

#[tokio::test]
async fn zone_can_be_replaced_live() {
    let (server, resolver) = setup(zone()).await;
    let mut next = Zone::new();
    next.mx("new.example", 5, "mx.new.example");
    server.set_zone(next);
    assert_eq!(
        resolver.mx("new.example").await.expect("mx"),
        MxAnswer::Records(vec![mx(5, "mx.new.example")])
    );
    let err = resolver.mx("null.example").await.expect_err("gone");
    assert!(err.is_nx_domain());
}

#[tokio::test]
async fn explicit_nameservers_ignore_the_hosts_file() {
    // "localhost" is answered by hickory itself (RFC 6761); any other name,
    // even one in /etc/hosts, must come from the configured server.
    let hostname = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty() && !h.contains("localhost"))
        .unwrap_or_else(|| "ip6-loopback".into());
    let (server, resolver) = setup(zone()).await;
    let result = resolver.addresses(&hostname).await;
    assert!(
        matches!(&result, Err(e) if e.is_nx_domain()),
        "{hostname}: {result:?}"
    );
    assert!(server.queries() >= 1);
}

#[tokio::test]
async fn server_survives_garbage() {
    let (server, resolver) = setup(zone()).await;
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    for junk in [&b""[..], &[0xff; 3], &[0u8; 12], &[0x41; 700]] {
        socket.send_to(junk, server.addr()).await.expect("send");
    }
    let mut tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut tcp, &[0, 5, 1, 2, 3, 4, 5])
        .await
        .expect("write");
    assert_eq!(
        resolver.mx("null.example").await.expect("still serving"),
        MxAnswer::Null
    );
}
