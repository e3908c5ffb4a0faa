//! The resolver stage against the in-process DNS server, over loopback only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use mxprobe::dns::{
    DnsError, Families, MxAnswer, MxRecord, QueryType, Resolver, ResolverConfig, TlsaRecord,
};
use mxprobe::testkit::dns::{reverse_name, DnsServer, Zone};

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
    // An AAAA each, and for the name without addresses one CNAME question
    // to tell "no address" from a CNAME loop.
    assert_eq!(server.queries(), 3, "only AAAA queried");
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

/// hickory answers reverse names under 127.0.0.0/8 and ::1 itself
/// (`localhost`); mxprobe asks the configured nameservers for them like for
/// any other address.
#[tokio::test]
async fn loopback_ptr_questions_reach_the_nameserver() {
    let lo: IpAddr = "127.0.0.1".parse().expect("ip");
    let other: IpAddr = "127.45.6.7".parse().expect("ip");
    let six: IpAddr = "::1".parse().expect("ip");
    let mut zone = zone();
    zone.ptr(lo, "lo.example.test")
        .ptr(other, "mx.example.test")
        .ptr(six, "six.example.test");
    let (server, resolver) = setup(zone).await;
    assert_eq!(resolver.ptr(lo).await.expect("ptr"), ["lo.example.test"]);
    assert_eq!(resolver.ptr(other).await.expect("ptr"), ["mx.example.test"]);
    assert_eq!(resolver.ptr(six).await.expect("ptr"), ["six.example.test"]);
    assert_eq!(server.queries(), 3);
    let lookup = resolver.ptr_lookup(other).await;
    assert_eq!(lookup.chain, ["7.6.45.127.in-addr.arpa"], "no CNAME");
}

/// RFC 2317 §4: the address block's owner puts a CNAME at each reverse name
/// into a zone it delegates to the customer, where the PTR records are.
#[tokio::test]
async fn ptr_through_classless_delegation() {
    let ip: IpAddr = "192.0.2.70".parse().expect("ip");
    let gone: IpAddr = "192.0.2.71".parse().expect("ip");
    let empty: IpAddr = "192.0.2.72".parse().expect("ip");
    let mut zone = zone();
    zone.cname(&reverse_name(ip), "70.64/26.2.0.192.in-addr.arpa")
        .ptr_at("70.64/26.2.0.192.in-addr.arpa", "mail.customer.test")
        // Delegated, but the customer's zone lacks the record.
        .cname(&reverse_name(gone), "71.64/26.2.0.192.in-addr.arpa")
        // The name exists in the customer's zone, without a PTR record.
        .cname(&reverse_name(empty), "72.64/26.2.0.192.in-addr.arpa")
        .a(
            "72.64/26.2.0.192.in-addr.arpa",
            Ipv4Addr::new(192, 0, 2, 72),
        );
    let (_server, resolver) = setup(zone).await;

    let found = resolver.ptr_lookup(ip).await;
    assert_eq!(found.names, Ok(vec!["mail.customer.test".to_owned()]));
    assert_eq!(
        found.chain,
        ["70.2.0.192.in-addr.arpa", "70.64/26.2.0.192.in-addr.arpa"]
    );

    let missing = resolver.ptr_lookup(gone).await;
    let err = missing.names.expect_err("nxdomain at the target");
    assert!(err.is_nx_domain(), "{err:?}");
    assert_eq!(err.name(), Some("71.64/26.2.0.192.in-addr.arpa"));
    assert_eq!(missing.chain.len(), 2);

    let nodata = resolver.ptr_lookup(empty).await;
    assert_eq!(nodata.names, Ok(vec![]));
    assert_eq!(
        nodata.chain.last().map(String::as_str),
        Some("72.64/26.2.0.192.in-addr.arpa")
    );
}

/// A CNAME loop is named as one, with the chain, wherever names are
/// followed: an MX host's addresses, an address's reverse name; whether
/// the nameserver answers a loop SERVFAIL or NOERROR with the loop.
#[tokio::test]
async fn cname_loops_are_named() {
    for noerror in [false, true] {
        cname_loops_are_named_when(noerror).await;
    }
}

async fn cname_loops_are_named_when(noerror: bool) {
    let ip: IpAddr = "192.0.2.80".parse().expect("ip");
    let mut zone = zone();
    if noerror {
        zone.loops_answer_noerror();
    }
    zone.cname("mx.loop.example", "a.loop.example")
        .cname("a.loop.example", "mx.loop.example")
        .cname(&reverse_name(ip), "80.r.example")
        .cname("80.r.example", &reverse_name(ip))
        .cname("long0.example", "long1.example");
    for i in 1..12 {
        zone.cname(
            &format!("long{i}.example"),
            &format!("long{}.example", i + 1),
        );
    }
    let (_server, resolver) = setup(zone).await;

    let err = resolver
        .addresses("mx.loop.example")
        .await
        .expect_err("loop");
    assert!(err.is_cname_loop(), "noerror {noerror}: {err:?}");
    assert_eq!(
        err.to_string(),
        "mx.loop.example: CNAME loop mx.loop.example → a.loop.example → mx.loop.example"
    );
    assert_eq!(err.cname_chain().map(<[String]>::len), Some(3), "{err:?}");

    let reverse = resolver.ptr_lookup(ip).await;
    let err = reverse.names.expect_err("loop");
    assert!(err.is_cname_loop(), "noerror {noerror}: {err:?}");
    assert_eq!(
        reverse.chain,
        [
            "80.2.0.192.in-addr.arpa",
            "80.r.example",
            "80.2.0.192.in-addr.arpa"
        ]
    );

    let err = resolver.addresses("long0.example").await.expect_err("long");
    assert!(
        err.to_string()
            .starts_with("long0.example: more than 8 CNAMEs"),
        "{err}"
    );
    // A plain name without addresses is just that.
    assert_eq!(resolver.addresses("example.org").await, Ok(vec![]));
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
