//! `mxprobe logs` over the hand-written fixtures in `testdata/logs/`, with
//! exact counts; and the command's exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};

use mxprobe::logs::Format;
use mxprobe::logs::{self, Direction, Naming, SortOrder, Summary, SummaryOptions, Tally};

fn fixture(name: &str) -> PathBuf {
    mxprobe::testkit::pki::testdata_path("logs").join(name)
}

fn scan(names: &[&str]) -> Tally {
    scan_with(names, Naming::OpenSsl)
}

fn scan_with(names: &[&str], naming: Naming) -> Tally {
    let mut tally = Tally::new().with_naming(naming);
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    for p in logs::rotation_order(&paths) {
        logs::scan_path(&p, &mut tally).expect("fixture readable");
    }
    tally
}

/// `(inbound, outbound, findings)` of a key, or `None` if never seen.
fn key(t: &Tally, key: &str) -> Option<(u64, u64, Vec<String>)> {
    t.keys()
        .iter()
        .find(|k| k.key().to_string() == key)
        .map(|k| {
            (
                k.counts().inbound,
                k.counts().outbound,
                k.findings().to_vec(),
            )
        })
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// (lines, counted, local, other, malformed) of a tally.
fn lines(t: &Tally) -> (u64, u64, u64, u64, u64) {
    let l = t.lines();
    (l.total, l.counted, l.local, l.other, l.malformed.total())
}

#[test]
fn exim_openssl_mainlog() {
    let t = scan(&["exim-mainlog"]);
    assert_eq!(lines(&t), (24, 13, 3, 5, 3));
    let m = t.lines().malformed;
    assert_eq!((m.bad_host, m.bad_tls, m.unrecognised), (1, 1, 1));
    assert_eq!(
        key(&t, "TLSv1.3:TLS_AES_256_GCM_SHA384:256"),
        Some((2, 2, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256"),
        Some((1, 0, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:128"),
        Some((0, 1, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1:DES-CBC3-SHA:168"),
        Some((
            2,
            0,
            ids(&[
                "protocol-tlsv1",
                "cipher-3des",
                "cipher-no-pfs",
                "cipher-cbc-sha1"
            ])
        ))
    );
    assert_eq!(
        key(&t, "TLSv1.2:AES256-GCM-SHA384:256"),
        Some((0, 1, ids(&["cipher-no-pfs"])))
    );
    assert_eq!(
        key(&t, "TLSv1.2:DHE-RSA-AES256-SHA:256"),
        Some((1, 0, ids(&["cipher-cbc-sha1"])))
    );
    assert_eq!(
        key(&t, "SSLv3:RC4-SHA:128"),
        Some((
            1,
            0,
            ids(&["protocol-sslv3", "cipher-rc4", "cipher-no-pfs"])
        ))
    );
    // The subject's "X=TLSv1:RC4-SHA:128" is not a field.
    assert_eq!(key(&t, "TLSv1:RC4-SHA:128"), None);
    assert_eq!(t.keys().len(), 7);
    assert_eq!((t.plaintext().inbound, t.plaintext().outbound), (1, 1));
}

/// The names as GnuTLS-built Exim logs them, kept (`--as-logged`).
#[test]
fn exim_gnutls_mainlog_with_syslog_lines() {
    let t = scan_with(&["exim-gnutls-mainlog"], Naming::AsLogged);
    assert_eq!(lines(&t), (11, 9, 0, 1, 1));
    assert_eq!(t.lines().malformed.bad_tls, 1);
    assert_eq!(
        key(
            &t,
            "TLSv1.3:ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM:256"
        ),
        Some((2, 0, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ECDHE_RSA_AES_256_GCM_SHA384:256"),
        Some((1, 0, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1:RSA_AES_256_CBC_SHA1:256"),
        Some((
            1,
            0,
            ids(&["protocol-tlsv1", "cipher-no-pfs", "cipher-cbc-sha1"])
        ))
    );
    assert_eq!(
        key(&t, "TLSv1:RSA_3DES_EDE_CBC_SHA1:192"),
        Some((
            1,
            0,
            ids(&[
                "protocol-tlsv1",
                "cipher-3des",
                "cipher-no-pfs",
                "cipher-cbc-sha1"
            ])
        ))
    );
    assert_eq!(
        key(
            &t,
            "TLSv1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_128_GCM:128"
        ),
        Some((0, 1, vec![]))
    );
    assert_eq!(
        key(
            &t,
            "TLSv1.2:DHE_FFDHE2048__RSA_SHA256__AES_256_CBC__SHA1:256"
        ),
        Some((0, 1, ids(&["cipher-cbc-sha1"])))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ANON_ECDH__AES_128_CBC__SHA1:128"),
        Some((0, 1, ids(&["cipher-anon", "cipher-cbc-sha1"])))
    );
    assert_eq!((t.plaintext().inbound, t.plaintext().outbound), (1, 0));
}

/// The same log in OpenSSL's names (the default): each GnuTLS suite name
/// or session description is the OpenSSL suite, with OpenSSL's bits (3DES:
/// 168), and the findings OpenSSL's name gives.
#[test]
fn exim_gnutls_mainlog_in_openssl_names() {
    let t = scan(&["exim-gnutls-mainlog"]);
    assert_eq!(lines(&t), (11, 9, 0, 1, 1));
    assert_eq!(
        key(&t, "TLSv1.3:TLS_AES_256_GCM_SHA384:256"),
        Some((2, 0, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256"),
        Some((1, 0, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1:AES256-SHA:256"),
        Some((
            1,
            0,
            ids(&["protocol-tlsv1", "cipher-no-pfs", "cipher-cbc-sha1"])
        ))
    );
    assert_eq!(
        key(&t, "TLSv1:DES-CBC3-SHA:168"),
        Some((
            1,
            0,
            ids(&[
                "protocol-tlsv1",
                "cipher-3des",
                "cipher-no-pfs",
                "cipher-cbc-sha1"
            ])
        ))
    );
    assert_eq!(
        key(&t, "TLSv1.3:TLS_AES_128_GCM_SHA256:128"),
        Some((0, 1, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.2:DHE-RSA-AES256-SHA:256"),
        Some((0, 1, ids(&["cipher-cbc-sha1"])))
    );
    assert_eq!(
        key(&t, "TLSv1.2:AECDH-AES128-SHA:128"),
        Some((0, 1, ids(&["cipher-anon", "cipher-cbc-sha1"])))
    );
    assert_eq!(t.keys().len(), 7);
    let s = Summary::new(&t, &SummaryOptions::default());
    let groups: Vec<(Option<&str>, u64)> = s
        .groups
        .iter()
        .map(|g| (g.name.as_deref(), g.count))
        .collect();
    assert_eq!(
        groups,
        [
            (None, 4),
            (Some("secp256r1"), 2),
            (Some("ffdhe2048"), 1),
            (Some("x25519"), 1)
        ]
    );
    assert!(s.notes.is_empty(), "{:?}", s.notes);
}

#[test]
fn postfix_mail_log() {
    let t = scan(&["postfix-mail.log"]);
    assert_eq!(lines(&t), (43, 10, 2, 29, 2));
    let m = t.lines().malformed;
    assert_eq!((m.bad_host, m.bad_tls), (1, 1));
    assert_eq!(
        key(&t, "TLSv1.3:TLS_AES_256_GCM_SHA384:256"),
        Some((1, 1, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.3:TLS_AES_128_GCM_SHA256:128"),
        Some((1, 0, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256"),
        Some((1, 0, vec![]))
    );
    // Postfix's "(112/168 bits)": the algorithm bits, as Exim logs them.
    assert_eq!(
        key(&t, "TLSv1:DES-CBC3-SHA:168").map(|k| (k.0, k.1)),
        Some((1, 0))
    );
    assert_eq!(
        key(&t, "TLSv1.2:AES256-GCM-SHA384:256").map(|k| (k.0, k.1)),
        Some((0, 1))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:128"),
        Some((0, 1, vec![]))
    );
    assert_eq!(
        key(&t, "TLSv1.1:ECDHE-RSA-AES256-SHA:256"),
        Some((0, 1, ids(&["protocol-tlsv1.1", "cipher-cbc-sha1"])))
    );
    assert_eq!(t.keys().len(), 7);
    // One plaintext session in, one plaintext connection out (two
    // recipients); loopback sessions are local.
    assert_eq!((t.plaintext().inbound, t.plaintext().outbound), (1, 1));
    let plain_in = t.plaintext_hosts(Direction::Inbound).expect("tracked");
    let h = plain_in.iter().next().expect("one peer");
    assert_eq!(
        (h.ip().as_ref(), h.name().as_ref(), h.count()),
        ("2001:db8:10::5", "", 1)
    );
}

#[test]
fn journalctl_exports() {
    let t = scan(&["postfix-journal.log"]);
    assert_eq!(lines(&t), (8, 4, 0, 4, 0));
    assert_eq!(
        key(&t, "TLSv1.3:TLS_AES_256_GCM_SHA384:256").map(|k| (k.0, k.1)),
        Some((1, 0))
    );
    assert_eq!(
        key(&t, "TLSv1.2:ECDHE-RSA-CHACHA20-POLY1305:256").map(|k| (k.0, k.1)),
        Some((0, 1))
    );
    let weak = t
        .keys()
        .iter()
        .find(|k| k.key().to_string() == "TLSv1:ECDHE-RSA-AES256-SHA:256")
        .expect("from the JSON line");
    let h = weak
        .hosts(Direction::Inbound)
        .and_then(|h| h.iter().next())
        .expect("peer");
    assert_eq!(h.last_seen(), "2024-11-26T10:01:00Z");
    assert_eq!(t.plaintext().outbound, 1);
}

#[test]
fn gzip_fixture_with_two_members() {
    let t = scan(&["exim-mainlog.1.gz"]);
    assert_eq!(lines(&t), (4, 4, 0, 0, 0));
    assert_eq!(key(&t, "TLSv1:DES-CBC3-SHA:168").map(|k| k.0), Some(1));
    assert_eq!(t.plaintext().outbound, 1);
}

#[test]
fn rotated_logs_give_the_latest_last_seen() {
    // Given newest first, as a shell glob lists them; read oldest first.
    let t = scan(&["exim-mainlog", "exim-mainlog.1.gz"]);
    let options = SummaryOptions {
        by_host: true,
        ..SummaryOptions::default()
    };
    let s = Summary::new(&t, &options);
    let groups = s.hosts.expect("by host");
    let des = groups
        .iter()
        .find(|g| g.key == "TLSv1:DES-CBC3-SHA:168")
        .expect("weak key");
    assert_eq!(des.count, 3);
    assert_eq!(des.hosts.len(), 1);
    let h = &des.hosts[0];
    assert_eq!(
        (
            h.name.as_str(),
            h.ip.as_str(),
            h.count,
            h.last_seen.as_str()
        ),
        (
            "legacy.old.example",
            "203.0.113.5",
            3,
            "2024-11-25 08:04:00"
        )
    );
    let plain = groups.last().expect("plaintext group");
    assert_eq!((plain.key.as_str(), plain.count), ("plaintext", 3));
    // Both plaintext arrivals and deliveries to mx.plain.example are one row.
    let p = plain
        .hosts
        .iter()
        .find(|h| h.ip == "198.51.100.77")
        .expect("peer");
    assert_eq!(
        (p.inbound, p.outbound, p.name.as_str()),
        (0, 2, "mx.plain.example")
    );
    let helo_only = plain
        .hosts
        .iter()
        .find(|h| h.ip == "2001:db8:10::5")
        .expect("peer");
    assert_eq!(helo_only.name, "(unknown-helo.example.net)");
}

#[test]
fn all_fixtures_together_and_directions() {
    let t = scan(&[
        "exim-mainlog",
        "exim-mainlog.1.gz",
        "exim-gnutls-mainlog",
        "postfix-mail.log",
        "postfix-journal.log",
    ]);
    assert_eq!(
        lines(&t),
        (24 + 4 + 11 + 43 + 8, 13 + 4 + 9 + 10 + 4, 5, 39, 6)
    );
    let both = Summary::new(&t, &SummaryOptions::default());
    assert_eq!(
        (both.totals.total, both.totals.tls, both.totals.plaintext),
        (40, 33, 7)
    );
    assert_eq!(both.totals.inbound.tls + both.totals.outbound.tls, 33);
    let inbound = Summary::new(
        &t,
        &SummaryOptions {
            direction: Some(Direction::Inbound),
            sort: SortOrder::Asc,
            ..SummaryOptions::default()
        },
    );
    assert_eq!(inbound.direction, "inbound");
    assert_eq!(
        inbound.totals.total,
        both.totals.inbound.tls + both.totals.inbound.plaintext
    );
    assert!(inbound
        .ciphers
        .iter()
        .all(|r| r.outbound == 0 && r.count == r.inbound));
    assert!(inbound.ciphers.windows(2).all(|w| w[0].count <= w[1].count));
    let protocols: u64 = inbound.protocols.iter().map(|p| p.count).sum();
    assert_eq!(protocols, inbound.totals.tls);
    // The top TLS 1.3 key: 2+2 Exim (OpenSSL), 2 Exim (GnuTLS, under
    // OpenSSL's name), 1+1 Postfix, 1 gzip, 1 journal.
    assert_eq!(both.ciphers[0].key, "TLSv1.3:TLS_AES_256_GCM_SHA384:256");
    assert_eq!(both.ciphers[0].count, 10);
    let mut json = Vec::new();
    logs::write(&both, Format::Json, &mut json).expect("in memory");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("valid JSON");
    assert_eq!(v["totals"]["total"], 40);
    assert_eq!(v["lines"]["malformed"]["bad_tls"], 3);
}

#[test]
fn standard_input_style_reader_and_gzip_made_at_runtime() {
    let text = std::fs::read(fixture("exim-mainlog")).expect("fixture");
    let (head, tail) = text.split_at(text.len() / 3);
    let mut gz = Vec::new();
    for part in [head, tail] {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(part).expect("in memory");
        gz.extend(enc.finish().expect("in memory"));
    }
    let mut from_gz = Tally::new();
    logs::scan_reader(&gz[..], &mut from_gz).expect("gzip");
    let plain = scan(&["exim-mainlog"]);
    assert_eq!(lines(&from_gz), lines(&plain));
    assert_eq!(from_gz.plaintext(), plain.plaintext());
}

#[test]
fn overlong_and_binary_lines_are_counted_not_fatal() {
    let mut input = vec![b'A'; logs::MAX_LINE * 3];
    input.extend_from_slice(b"\n\x00\xff\xfe\n");
    input.extend_from_slice(
        b"2024-11-24 07:00:00 1tEaaa-000001-AB <= a@b H=mx [192.0.2.1] X=TLSv1.3:TLS_AES_256_GCM_SHA384:256\n",
    );
    let mut t = Tally::new();
    logs::scan_reader(&input[..], &mut t).expect("in memory");
    let m = t.lines().malformed;
    assert_eq!(
        (
            t.lines().total,
            m.too_long,
            m.unrecognised,
            t.lines().counted
        ),
        (3, 1, 1, 1)
    );
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mxprobe-logs-{}-{name}", std::process::id()))
}

/// Run `mxprobe logs -o OUTPUT EXTRA... FILES...`; its exit code and stderr.
fn run_logs(files: Vec<PathBuf>, output: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mxprobe"))
        .arg("logs")
        .arg("-o")
        .arg(output)
        .args(extra)
        .args(&files)
        .output()
        .expect("run mxprobe");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn command_writes_output_and_exit_codes() {
    let out = temp_path("ok.csv");
    let (code, _) = run_logs(
        vec![fixture("exim-mainlog")],
        &out,
        &["-f", "csv", "--by", "host"],
    );
    assert_eq!(code, Some(0));
    let csv = std::fs::read_to_string(&out).expect("written");
    assert!(
        csv.starts_with("key,findings,name,ip,count,inbound,outbound,last_seen\n"),
        "{csv}"
    );
    assert!(csv.contains(
        "TLSv1:DES-CBC3-SHA:168,protocol-tlsv1 cipher-3des cipher-no-pfs cipher-cbc-sha1,legacy.old.example,203.0.113.5,2,2,0,2024-11-25 08:04:00\n"
    ));

    // An unreadable file: reported on one line, the others counted, exit 2.
    let out2 = temp_path("partial.json");
    let (code, stderr) = run_logs(
        vec![fixture("does-not-exist.log"), fixture("postfix-mail.log")],
        &out2,
        &["-f", "json"],
    );
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("does-not-exist.log"), "{stderr}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out2).expect("written")).expect("JSON");
    assert_eq!(v["totals"]["total"], 10);

    // An output that cannot be written is an error, exit 2.
    let bad = Path::new("/nonexistent-dir/out.txt");
    let (code, stderr) = run_logs(vec![fixture("exim-mainlog")], bad, &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("mxprobe: cannot write /nonexistent-dir/out.txt"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(out2);
}

/// OpenSSL- and GnuTLS-built Exim (suite names, session descriptions,
/// Exim's fourth `X=` field) through the binary: one row per suite, the
/// findings of OpenSSL's suite on the GnuTLS lines, groups beside, a
/// resumed session's name kept as logged and noted; `--as-logged` keeps
/// every spelling.
#[test]
fn command_counts_openssl_and_gnutls_exim_under_one_key() {
    let input = vec![fixture("exim-mixed-mainlog")];
    let out = temp_path("mixed.json");
    let (code, stderr) = run_logs(input.clone(), &out, &["-f", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert_eq!(v["naming"], "openssl");
    let rows: Vec<(String, u64, Vec<String>)> = v["ciphers"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap_or_default().to_string(),
                r["count"].as_u64().unwrap_or_default(),
                r["findings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect(),
            )
        })
        .collect();
    let row = |k: &str, n: u64, f: &[&str]| (k.to_string(), n, ids(f));
    assert_eq!(
        rows,
        [
            row("TLSv1.3:TLS_AES_256_GCM_SHA384:256", 4, &[]),
            row(
                "SSLv3:RC4-SHA:128",
                3,
                &["protocol-sslv3", "cipher-rc4", "cipher-no-pfs"]
            ),
            row("TLSv1.2:DHE-RSA-AES256-SHA:256", 3, &["cipher-cbc-sha1"]),
            row("TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256", 3, &[]),
            row(
                "TLSv1:DES-CBC3-SHA:168",
                3,
                &[
                    "protocol-tlsv1",
                    "cipher-3des",
                    "cipher-no-pfs",
                    "cipher-cbc-sha1"
                ]
            ),
            row("TLSv1.2:ECDHE_SECP256R1__AES_256_GCM:256", 1, &[]),
        ]
    );
    let tls13 = &v["ciphers"][0];
    assert_eq!(
        tls13["groups"],
        serde_json::json!([
            {"name": "X25519MLKEM768", "count": 2, "inbound": 0, "outbound": 2},
            {"name": "x25519", "count": 1, "inbound": 1, "outbound": 0},
            {"name": null, "count": 1, "inbound": 1, "outbound": 0},
        ])
    );
    assert_eq!(
        tls13["logged"],
        serde_json::json!([
            "TLS_AES_256_GCM_SHA384",
            "ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM",
            "HYBRID_X25519_MLKEM768__RSA_PSS_RSAE_SHA256__AES_256_GCM"
        ])
    );
    assert_eq!(v["ciphers"][4]["logged"][1], "RSA__3DES_CBC__SHA1");
    let note = v["notes"][0].as_str().unwrap_or_default();
    assert!(note.contains("ECDHE_SECP256R1__AES_256_GCM"), "{note}");

    // The peers behind the 3DES row: the OpenSSL and the GnuTLS server's.
    let hosts_out = temp_path("mixed-hosts.csv");
    let (code, _) = run_logs(input.clone(), &hosts_out, &["-f", "csv", "--by", "host"]);
    assert_eq!(code, Some(0));
    let csv = std::fs::read_to_string(&hosts_out).expect("written");
    for peer in [
        "legacy.old.example,203.0.113.5,1",
        "legacy2.old.example,203.0.113.6,2",
    ] {
        let row = format!(
            "TLSv1:DES-CBC3-SHA:168,protocol-tlsv1 cipher-3des cipher-no-pfs cipher-cbc-sha1,{peer},"
        );
        assert!(csv.contains(&row), "{csv}");
    }

    let groups_out = temp_path("mixed-groups.csv");
    let (code, _) = run_logs(input.clone(), &groups_out, &["-f", "csv", "--by", "group"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        std::fs::read_to_string(&groups_out).expect("written"),
        "count,inbound,outbound,group\n\
         11,9,2,\n\
         2,0,2,X25519MLKEM768\n\
         1,0,1,ffdhe2048\n\
         1,0,1,secp256r1\n\
         1,1,0,secp521r1\n\
         1,1,0,x25519\n"
    );

    let raw_out = temp_path("mixed-raw.csv");
    let (code, _) = run_logs(input, &raw_out, &["--as-logged", "-f", "csv"]);
    assert_eq!(code, Some(0));
    let csv = std::fs::read_to_string(&raw_out).expect("written");
    for row in [
        "1,1,0,TLSv1,RSA__3DES_CBC__SHA1,192,TLSv1:RSA__3DES_CBC__SHA1:192,protocol-tlsv1 cipher-3des cipher-no-pfs cipher-cbc-sha1,not-logged=1,not-logged=1,RSA__3DES_CBC__SHA1\n",
        "1,1,0,SSLv3,RSA_ARCFOUR_128_SHA1,128,SSLv3:RSA_ARCFOUR_128_SHA1:128,protocol-sslv3 cipher-rc4 cipher-no-pfs,not-logged=1,not-logged=1,RSA_ARCFOUR_128_SHA1\n",
        "1,0,1,TLSv1.3,HYBRID_X25519_MLKEM768__RSA_PSS_RSAE_SHA256__AES_256_GCM,256,TLSv1.3:HYBRID_X25519_MLKEM768__RSA_PSS_RSAE_SHA256__AES_256_GCM:256,,X25519-MLKEM768=1,RSA_PSS_RSAE_SHA256=1,HYBRID_X25519_MLKEM768__RSA_PSS_RSAE_SHA256__AES_256_GCM\n",
    ] {
        assert!(csv.contains(row), "{csv}");
    }
    for f in [out, hosts_out, groups_out, raw_out] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn postfix_without_tls_logging_is_noted() {
    let log = "\
Nov 26 10:00:02 mx postfix/smtpd[1001]: disconnect from mail.example.org[192.0.2.10] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7
Nov 26 10:09:00 mx postfix/smtp[1102]: 6C3D4E5F60: to=<p@plain.example>, relay=mx.plain.example[198.51.100.77]:25, delay=0.5, dsn=2.0.0, status=sent (250 OK)
";
    let mut t = Tally::new();
    logs::scan_reader(log.as_bytes(), &mut t).expect("in memory");
    let s = Summary::new(&t, &SummaryOptions::default());
    assert_eq!(s.notes.len(), 2, "{:?}", s.notes);
    assert!(s.notes[0].contains("smtpd_tls_loglevel"));
    assert!(s.notes[1].contains("smtp_tls_loglevel"));
    let mut text = Vec::new();
    logs::write(&s, Format::Text, &mut text).expect("in memory");
    assert!(String::from_utf8_lossy(&text).contains("\nnote: 1 Postfix smtpd sessions"));
    // The fixtures log TLS: no notes.
    let fixtures = Summary::new(&scan(&["postfix-mail.log"]), &SummaryOptions::default());
    assert!(fixtures.notes.is_empty(), "{:?}", fixtures.notes);
}

/// A file as hostile as a server: a gzip bomb (one 128 MiB line inflating
/// from about 130 KB), then a member cut in half. The real binary counts
/// the bomb as one overlong line without holding it, counts the lines
/// before the cut, names the file on one line, and exits 2.
#[test]
fn a_gzip_bomb_and_a_truncated_member_stay_within_memory() {
    let arrival = "2024-11-24 07:00:00 1tEaaa-000001-AB <= a@b H=mx [192.0.2.1] X=TLSv1.3:TLS_AES_256_GCM_SHA384:256\n";
    let gzip = |parts: &[&[u8]]| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for p in parts {
            enc.write_all(p).expect("in memory");
        }
        enc.finish().expect("in memory")
    };
    let bomb = vec![b'x'; 128 << 20];
    let mut data = gzip(&[&bomb, b"\n", arrival.as_bytes()]);
    let tail = gzip(&[arrival.repeat(2000).as_bytes()]);
    data.extend_from_slice(&tail[..tail.len() / 2]);
    let input = temp_path("bomb.gz");
    std::fs::write(&input, &data).expect("write input");
    let output = temp_path("bomb.json");
    let args: Vec<String> = ["logs", "-f", "json", "-o"]
        .iter()
        .map(|s| s.to_string())
        .chain([output.display().to_string(), input.display().to_string()])
        .collect();
    let m = crate::common::mxprobe_measured(&args, std::time::Duration::from_secs(120));
    eprintln!(
        "gzip bomb: {:.2} s, peak RSS {} KiB",
        m.elapsed.as_secs_f64(),
        m.max_rss_kib
    );
    assert_eq!(m.code, Some(2), "{}", m.stderr);
    assert_eq!(m.stderr.lines().count(), 1, "{}", m.stderr);
    assert!(m.stderr.contains("bomb.gz"), "{}", m.stderr);
    assert!(
        m.max_rss_kib <= 100 * 1024,
        "peak RSS {} KiB",
        m.max_rss_kib
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output).expect("written")).expect("JSON");
    assert_eq!(v["lines"]["malformed"]["too_long"], 1, "{}", v["lines"]);
    let counted = v["lines"]["counted"].as_u64().expect("counted");
    assert!((2..2001).contains(&counted), "{counted} counted");
    let _ = std::fs::remove_file(input);
    let _ = std::fs::remove_file(output);
}
