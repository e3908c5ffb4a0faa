//! Sharded scans: `mxprobe resolve`, `mxprobe probe` and `mxprobe join`
//! as separate processes, three shards each, against the in-process
//! servers; the joined output is the single scan's, every address is
//! probed by one shard only, and interrupted shards resume to the same
//! rows.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mxprobe::testkit::dns::Zone;
use mxprobe::testkit::https::{HttpsServer, Reply};
use mxprobe::testkit::net;
use mxprobe::testkit::pki::{cert, testdata_path};
use mxprobe::testkit::scenarios;
use mxprobe::testkit::smtp::ServerConfig;
use serde_json::Value;

use crate::common::{args, assert_ran, csv_rows, ipv4, mxprobe, Lab};
use crate::trust_dns::spki_sha256;

const SHARDS: u32 = 3;

fn temp_dir(name: &str) -> PathBuf {
    crate::common::temp_dir("shards", name)
}

pub(crate) fn path(p: &Path) -> String {
    p.to_str().expect("utf-8").to_string()
}

fn scenario(name: &str) -> ServerConfig {
    scenarios::named(name).expect("scenario").config
}

/// Everything a scan meets: shared hosting, two MX hosts, an implicit MX,
/// null MX, NXDOMAIN, an MX without address, no STARTTLS, DANE in a
/// signed zone, MTA-STS in enforce mode, and a `--host` target.
pub(crate) struct World {
    pub lab: Lab,
    _https: HttpsServer,
    https_port: u16,
    anchor: PathBuf,
    pub list: PathBuf,
    pub host: String,
    pub dir: PathBuf,
}

impl World {
    pub async fn start(name: &str) -> World {
        let servers = vec![
            scenario("modern"),
            scenario("kabelmail"),
            ServerConfig::default(),
            scenario("client-order"),
            scenario("no-starttls"),
            ServerConfig::default(),
            ServerConfig::default(),
            scenario("wrong-name"),
            ServerConfig::default(),
            ServerConfig::default(),
        ];
        let https = HttpsServer::start(
            SocketAddr::from((net::loopback(), 0)),
            &cert("mta-sts"),
            HashMap::from([(
                "mta-sts.sts-enforce.test".to_string(),
                Reply::policy(
                    "version: STSv1\nmode: enforce\nmx: mx.sts-enforce.test\nmax_age: 86400\n",
                ),
            )]),
        )
        .await
        .expect("https");
        let https_ip = ipv4(https.addr());
        let lab = Lab::start(servers, |_, _| {}).await;
        let ip: Vec<Ipv4Addr> = lab.smtp.iter().map(|s| ipv4(s.addr())).collect();
        let mut z = Zone::new();
        z.signed_apex("test");
        for d in ["h0", "h1", "h2", "h3", "h4"] {
            z.mx(&format!("{d}.test"), 10, "mx.hoster.test");
        }
        z.a("mx.hoster.test", ip[0])
            .mx("kabel.test", 10, "mx.kabel.test")
            .a("mx.kabel.test", ip[1])
            .mx("two.test", 10, "mx1.two.test")
            .mx("two.test", 20, "mx2.two.test")
            .a("mx1.two.test", ip[2])
            .a("mx2.two.test", ip[3])
            .mx("plain.test", 10, "mx.plain.test")
            .a("mx.plain.test", ip[4])
            .a("implicit.test", ip[5])
            .mx("null.test", 0, ".")
            .mx("noaddr.test", 10, "mx.noaddr.test")
            .mx("dane.test", 10, "mx.dane.test")
            .a("mx.dane.test", ip[6])
            .mx("shared.test", 10, "mx.wrong.test")
            .mx("also-shared.test", 10, "mx.wrong.test")
            .a("mx.wrong.test", ip[7])
            .mx("sts-enforce.test", 10, "mx.sts-enforce.test")
            .a("mx.sts-enforce.test", ip[8])
            .a("mta-sts.sts-enforce.test", https_ip)
            .txt("_mta-sts.sts-enforce.test", "v=STSv1; id=shards1")
            .txt(
                "_smtp._tls.sts-enforce.test",
                "v=TLSRPTv1; rua=mailto:tls@sts-enforce.test",
            );
        // TLSA names carry the port, known once the servers run.
        let spki = spki_sha256("mx-rsa.crt");
        z.tlsa(&format!("_{}._tcp.mx.dane.test", lab.port), 3, 1, 1, &spki);
        let dir = temp_dir(name);
        let anchor = dir.join("anchor.key");
        std::fs::write(&anchor, z.trust_anchor()).expect("anchor");
        lab.dns.set_zone(z);
        let domains = [
            "h0.test",
            "h1.test",
            "kabel.test",
            "two.test",
            "h2.test",
            "plain.test",
            "implicit.test",
            "null.test",
            "gone.test",
            "noaddr.test",
            "h3.test",
            "dane.test",
            "shared.test",
            "also-shared.test",
            "sts-enforce.test",
            "h4.test",
        ];
        let list = dir.join("domains.txt");
        std::fs::write(&list, domains.join("\n") + "\n").expect("list");
        let host = lab.smtp[9].addr().to_string();
        World {
            lab,
            https_port: https.addr().port(),
            _https: https,
            anchor,
            list,
            host,
            dir,
        }
    }

    /// The flags every stage (and the single scan) gets.
    pub fn flags(&self) -> Vec<String> {
        let mut a = self.lab_flags();
        a.push("-q".into());
        a
    }

    /// Where the lab is: nameserver, port, trust anchor, MTA-STS port, CA.
    pub fn lab_flags(&self) -> Vec<String> {
        let mut a = self.lab.args();
        a.extend(args(&[
            "--trust-anchor",
            &path(&self.anchor),
            "--mta-sts-port",
            &self.https_port.to_string(),
            "--ca-file",
            &path(&testdata_path("certs/ca.crt")),
        ]));
        a
    }

    fn connections(&self) -> Vec<u64> {
        self.lab.smtp.iter().map(|s| s.connections()).collect()
    }
}

/// The reports of a JSON Lines output, by target, with what differs from
/// run to run (waiting for servers to close) zeroed.
fn reports(text: &str) -> BTreeMap<String, Value> {
    text.lines()
        .map(|line| {
            let mut v: Value = serde_json::from_str(line).expect("json line");
            zero_waits(&mut v);
            (v["target"]["name"].as_str().expect("name").to_string(), v)
        })
        .collect()
}

fn zero_waits(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                // What a probe cost and when it was judged vary from run to
                // run: waiting for the server to close, and whether the
                // pool's read-ahead session was opened before the last
                // question was answered. (The servers' own counts are
                // checked against each probe's `connections` above.)
                if ["close_wait_seconds", "checked_at", "connections"].contains(&k.as_str()) {
                    *x = Value::Null;
                } else {
                    zero_waits(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(zero_waits),
        _ => {}
    }
}

/// Where two JSON values first differ: the path and both values.
fn difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (v, w) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = difference(v, w, &format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| difference(v, w, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} vs {b}")),
    }
}

/// The first row and column where two CSV outputs differ.
pub(crate) fn csv_difference(a: &[u8], b: &[u8]) -> Option<String> {
    let (a, b) = (sorted_csv(a), sorted_csv(b));
    if a.len() != b.len() {
        return Some(format!("{} rows vs {}", a.len(), b.len()));
    }
    a.iter().zip(&b).find_map(|(x, y)| {
        x.iter().zip(y).find(|(v, w)| v != w).map(|(v, w)| {
            format!(
                "{v:?} vs {w:?} in row of {:?}",
                x.iter().find(|(k, _)| k == "domain")
            )
        })
    })
}

/// CSV rows, sorted, without the close wait.
fn sorted_csv(text: &[u8]) -> Vec<Vec<(String, String)>> {
    let mut rows: Vec<Vec<(String, String)>> = csv_rows(text)
        .into_iter()
        .map(|r| {
            let mut r: Vec<(String, String)> = r
                .into_iter()
                .filter(|(k, _)| k != "close_wait_seconds" && k != "connections")
                .collect();
            r.sort();
            r
        })
        .collect();
    rows.sort();
    rows
}

async fn run(a: Vec<String>) -> std::process::Output {
    let out = mxprobe(&a).await;
    assert_ran(&out);
    out
}

/// `mxprobe STAGE` of every shard at once, as separate processes.
async fn all_shards(world: &World, stage: &[String], out: &str) -> Vec<PathBuf> {
    let mut runs = Vec::new();
    let mut files = Vec::new();
    for k in 0..SHARDS {
        let file = world.dir.join(format!("{out}-{k}.jsonl"));
        let mut a = stage.to_vec();
        a.extend(world.flags());
        a.extend(args(&[
            "--shards",
            &SHARDS.to_string(),
            "--shard",
            &k.to_string(),
            "-o",
            &path(&file),
        ]));
        runs.push(run(a));
        files.push(file);
    }
    for out in futures::future::join_all(runs).await {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    files
}

fn lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .expect("read")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn joined(world: &World, resolved: &[PathBuf], probed: &[PathBuf], format: &str) -> Vec<String> {
    let mut a = args(&["join", "--from"]);
    a.extend(resolved.iter().map(|p| path(p)));
    a.push("--probed".into());
    a.extend(probed.iter().map(|p| path(p)));
    a.extend(world.flags());
    a.extend(args(&["--fail-on", "critical", "-f", format]));
    a
}

#[tokio::test(flavor = "multi_thread")]
async fn three_shards_join_to_the_single_scan() {
    let world = World::start("equal").await;
    let targets = || {
        let mut a = args(&["-i", &path(&world.list), "--host", &world.host]);
        a.extend(world.flags());
        a
    };

    // The single scan, and what it cost each server.
    let mut single = targets();
    single.extend(args(&["--fail-on", "critical", "-f", "jsonl"]));
    let single = run(single).await;
    let once = world.connections();
    assert!(
        once.iter().all(|n| *n > 0),
        "every server reached: {once:?}"
    );
    let want = reports(&String::from_utf8_lossy(&single.stdout));
    assert_eq!(want.len(), 17, "16 domains and a --host");

    // Three shards of each stage, side by side.
    let stage = args(&["resolve", "-i", &path(&world.list), "--host", &world.host]);
    let resolved = all_shards(&world, &stage, "resolved").await;
    let per_shard: Vec<usize> = resolved.iter().map(|f| lines(f).len()).collect();
    assert_eq!(per_shard.iter().sum::<usize>(), 17, "{per_shard:?}");
    assert!(
        per_shard.iter().all(|n| *n > 0),
        "every shard has domains: {per_shard:?}"
    );
    let mut stage = args(&["probe", "--from"]);
    stage.extend(resolved.iter().map(|p| path(p)));
    let probed = all_shards(&world, &stage, "probed").await;

    // Each address in exactly one shard's output, and the connections
    // each server counted are exactly those its one probe result counts:
    // a second shard probing it would have added its own.
    let mut owner: HashMap<String, usize> = HashMap::new();
    let mut cost: HashMap<String, u64> = HashMap::new();
    for (k, file) in probed.iter().enumerate() {
        for line in lines(file) {
            let v: Value = serde_json::from_str(&line).expect("json");
            let ip = v["ip"].as_str().expect("ip").to_string();
            assert_eq!(owner.insert(ip.clone(), k), None, "{ip} probed twice");
            cost.insert(ip, v["connections"].as_u64().expect("connections"));
        }
    }
    assert_eq!(owner.len(), 10, "ten addresses: {owner:?}");
    let shards_used: std::collections::HashSet<&usize> = owner.values().collect();
    assert!(
        shards_used.len() > 1,
        "the addresses spread over the shards: {owner:?}"
    );
    let twice = world.connections();
    for (i, server) in world.lab.smtp.iter().enumerate() {
        let ip = server.addr().ip().to_string();
        assert_eq!(
            twice[i] - once[i],
            cost[&ip],
            "{ip}: connections the server counted vs the probe's"
        );
    }

    // The joined reports are the single scan's.
    let out = run(joined(&world, &resolved, &probed, "jsonl")).await;
    assert_eq!(
        out.status.code(),
        single.status.code(),
        "the single scan's exit code"
    );
    let got = reports(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (name, report) in &want {
        assert_eq!(
            difference(&got[name], report, name),
            None,
            "joined vs single"
        );
    }
    // Findings were made (the comparison covers them).
    assert!(want["kabel.test"]["findings"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));
    assert!(
        want["dane.test"]["mx"][0]["dane"]["state"] == "applies",
        "{:#}",
        want["dane.test"]["mx"][0]["dane"]
    );
    assert!(
        want["sts-enforce.test"]["mta_sts"]["policy"].is_object(),
        "{:#}",
        want["sts-enforce.test"]
    );

    // Every format comes from the same writers; CSV compared row by row.
    let mut single_csv = targets();
    single_csv.extend(args(&["--fail-on", "critical", "-f", "csv"]));
    let single_csv = run(single_csv).await;
    let joined_csv = run(joined(&world, &resolved, &probed, "csv")).await;
    assert_eq!(csv_difference(&joined_csv.stdout, &single_csv.stdout), None);
    for format in ["text", "json", "ciphers", "senders"] {
        let out = run(joined(&world, &resolved, &probed, format)).await;
        assert!(!out.stdout.is_empty(), "{format}");
    }
    let _ = std::fs::remove_dir_all(&world.dir);
}

/// Start `a`, wait until `file` has `n` lines, kill it (as a machine going
/// away would: no clean-up), and leave a torn last line behind.
async fn killed_after(a: &[String], file: &Path, n: usize) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mxprobe"))
        .args(a)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let have = std::fs::read_to_string(file).map_or(0, |t| t.lines().count());
        if have >= n {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("finished ({status}) before it could be interrupted: {have} lines");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no output to interrupt"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().await.expect("kill");
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .expect("open");
    f.write_all(b"{\"seq\":9,\"target\":{\"kind\":\"dom")
        .expect("torn line");
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupted_shards_resume_to_the_same_rows() {
    let world = World::start("resume").await;
    let shard = |k: u32| args(&["--shards", "1", "--shard", &k.to_string()]);
    // One shard of one: the whole scan, interrupted in each stage.
    let targets = || {
        let mut a = args(&["-i", &path(&world.list), "--host", &world.host]);
        a.extend(world.flags());
        a
    };
    let mut fresh = args(&["resolve"]);
    fresh.extend(targets());
    fresh.extend(shard(0));
    let fresh_out = run(fresh.clone()).await;
    let want_resolved: Vec<String> = {
        let mut l: Vec<String> = String::from_utf8_lossy(&fresh_out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        l.sort();
        l
    };

    // Resolve: one lookup at a time, killed after three rows.
    let resolved = world.dir.join("resolved.jsonl");
    let mut slow = fresh.clone();
    slow.extend(args(&[
        "--dns-concurrency",
        "1",
        "--concurrency",
        "1",
        "-o",
        &path(&resolved),
    ]));
    killed_after(&slow, &resolved, 3).await;
    slow.push("--resume".into());
    let out = run(slow).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = lines(&resolved);
    got.sort();
    assert_eq!(got, want_resolved, "resumed resolve = fresh resolve");

    // Probe: one connection at a time, killed after two addresses; the
    // resumed run probes only the rest.
    let probed = world.dir.join("probed.jsonl");
    let mut probe = args(&["probe", "--from", &path(&resolved)]);
    probe.extend(world.flags());
    probe.extend(args(&["--concurrency", "1", "-o", &path(&probed)]));
    killed_after(&probe, &probed, 2).await;
    let before = lines(&probed);
    let done: Vec<usize> = before
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let ip = v["ip"].as_str()?.to_owned();
            world
                .lab
                .smtp
                .iter()
                .position(|s| s.addr().ip().to_string() == ip)
        })
        .collect();
    assert!(done.len() >= 2, "{before:?}");
    let at_kill = world.connections();
    probe.push("--resume".into());
    let out = run(probe).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = world.connections();
    for i in &done {
        assert_eq!(
            after[*i], at_kill[*i],
            "server {i} was probed before the kill, not again"
        );
    }
    let rows = lines(&probed);
    assert_eq!(rows.len(), 10, "each address once: {rows:?}");

    // The joined result is that of a single scan.
    let mut single = targets();
    single.extend(args(&["--fail-on", "critical", "-f", "csv"]));
    let single = run(single).await;
    let joined_csv = run(joined(
        &world,
        std::slice::from_ref(&resolved),
        std::slice::from_ref(&probed),
        "csv",
    ))
    .await;
    assert_eq!(csv_difference(&joined_csv.stdout, &single.stdout), None);

    // A join interrupted by hand (cut after a few domains) resumes too.
    let out_file = world.dir.join("joined.csv");
    let mut a = joined(
        &world,
        std::slice::from_ref(&resolved),
        std::slice::from_ref(&probed),
        "csv",
    );
    a.extend(args(&["-o", &path(&out_file)]));
    run(a.clone()).await;
    let full = std::fs::read_to_string(&out_file).expect("joined");
    // Cut after three whole domains (each domain's rows are written in
    // one piece), then a torn line.
    let mut domains = Vec::new();
    let cut: String = full
        .lines()
        .take_while(|l| {
            let d = l.split(',').next().unwrap_or("").to_string();
            if !domains.contains(&d) {
                domains.push(d);
            }
            domains.len() <= 4
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&out_file, cut + "kabel.test,mx.kab").expect("cut");
    a.push("--resume".into());
    run(a).await;
    let resumed = std::fs::read(&out_file).expect("resumed");
    assert_eq!(csv_difference(&resumed, full.as_bytes()), None);
    let _ = std::fs::remove_dir_all(&world.dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn stage_input_errors_are_named() {
    let world = World::start("errors").await;
    let resolved = world.dir.join("resolved.jsonl");
    let mut a = args(&["resolve", "h0.test", "kabel.test", "-o", &path(&resolved)]);
    a.extend(world.flags());
    run(a).await;
    // A probed file that lacks kabel.test's address, and a broken line.
    let probed = world.dir.join("probed.jsonl");
    let mut a = args(&["probe", "--from", &path(&resolved), "-o", &path(&probed)]);
    a.extend(world.flags());
    a.extend(args(&["--shards", "2", "--shard", "0"]));
    run(a).await;
    let mut a = args(&[
        "probe",
        "--from",
        &path(&resolved),
        "-o",
        &path(&world.dir.join("p1.jsonl")),
    ]);
    a.extend(world.flags());
    a.extend(args(&["--shards", "2", "--shard", "1"]));
    run(a).await;
    let all = [probed.clone(), world.dir.join("p1.jsonl")];
    let kabel = world.lab.smtp[1].addr().ip().to_string();
    let lacking: Vec<&PathBuf> = all
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .expect("read")
                .contains(&format!("\"{kabel}\""))
        })
        .collect();
    let mut broken = std::fs::read_to_string(lacking[0]).expect("read");
    broken.push_str("not json\n");
    std::fs::write(lacking[0], broken).expect("write");
    let out = mxprobe(&joined(
        &world,
        std::slice::from_ref(&resolved),
        &[lacking[0].clone()],
        "csv",
    ))
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line ") && stderr.contains("not a probe result"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "kabel.test: no probe result for {kabel} port {}",
            world.lab.port
        )),
        "{stderr}"
    );
    // What could be joined was written.
    let rows = csv_rows(&out.stdout);
    assert!(rows.iter().all(|r| r["domain"] != "kabel.test"));
    // Bad shards and targets where none belong.
    let out = mxprobe(&args(&[
        "resolve", "a.test", "--shards", "3", "--shard", "3",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shard 3 is out of range"));
    let out = mxprobe(&args(&["probe", "a.test", "--from", &path(&resolved)])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("takes its work from --from files"));
    let _ = std::fs::remove_dir_all(&world.dir);
}
