//! Bulk scans: domain lists, shared MX hosts, streaming output, resume,
//! statistics.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mxprobe::testkit::smtp::{Misbehaviour, ServerConfig};

use crate::common::{args, assert_ran, csv_rows, mxprobe, Lab};

fn temp_dir(name: &str) -> PathBuf {
    crate::common::temp_dir("bulk", name)
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).expect("write");
    path.to_str().expect("utf-8").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn domains_sharing_an_mx_cost_one_probe() {
    let lab = Lab::start(vec![ServerConfig::default()], |z, ip| {
        for i in 0..20 {
            // Different MX names on one address, and one MX name for many.
            let mx = if i % 2 == 0 {
                "mx.hoster.test".to_string()
            } else {
                format!("mx{i}.customer.test")
            };
            z.mx(&format!("d{i}.test"), 10, &mx).a(&mx, ip[0]);
        }
    })
    .await;
    let dir = temp_dir("shared");
    let list = write(
        &dir.join("list.txt"),
        &(0..20).map(|i| format!("d{i}.test\n")).collect::<String>(),
    );
    let mut a = lab.args();
    a.extend(args(&["--quick", "-q", "-f", "csv", "-i", &list]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|r| r["status"] == "ok"), "{rows:?}");
    // One probe's cost (the broadly compatible handshake and the strict
    // sender's), not twenty.
    let cost: u64 = rows[0]["connections"].parse().expect("number");
    assert!(rows
        .iter()
        .all(|r| r["connections"] == rows[0]["connections"]));
    assert_eq!(lab.smtp[0].connections(), cost, "one address, one probe");
    assert_eq!(cost, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_are_read_leniently_and_bad_lines_named() {
    let lab = Lab::start(vec![ServerConfig::default()], |z, ip| {
        z.mx("a.test", 10, "mx.x.test")
            .mx("b.test", 10, "mx.x.test")
            .mx("xn--bcher-kva.test", 10, "mx.x.test");
        z.a("mx.x.test", ip[0]);
    })
    .await;
    let dir = temp_dir("lenient");
    let list = write(
        &dir.join("list.txt"),
        "# customers\n\n  A.TEST.  \na.test\nbücher.test # IDN\nbad..name\nb.test\n",
    );
    let mut a = lab.args();
    a.extend(args(&["--quick", "-q", "-f", "csv", "-i", &list]));
    let out = mxprobe(&a).await;
    assert_eq!(out.status.code(), Some(2), "a bad line is an input error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("list.txt: line 6: invalid domain name \"bad..name\""),
        "{stderr}"
    );
    let domains: BTreeSet<String> = csv_rows(&out.stdout)
        .into_iter()
        .map(|r| r["domain"].clone())
        .collect();
    assert_eq!(
        domains,
        BTreeSet::from(["A.TEST".into(), "b.test".into(), "bücher.test".into()])
    );

    // A CSV with a domain column, from standard input.
    let csv = "rank,domain\n1,a.test\n2,b.test\n";
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mxprobe"));
    let mut a = lab.args();
    a.extend(args(&["--quick", "-q", "-f", "jsonl", "-i", "-"]));
    cmd.args(&a)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin.write_all(csv.as_bytes()).await.expect("stdin");
    }
    let out = child.wait_with_output().await.expect("run");
    assert_ran(&out);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
}

/// (domain, mx, ip, status, negotiated, findings) of each row.
fn row_set(csv: &[u8]) -> BTreeSet<Vec<String>> {
    csv_rows(csv)
        .into_iter()
        .map(|r| {
            ["domain", "mx", "ip", "status", "negotiated", "findings"]
                .iter()
                .map(|c| r[*c].clone())
                .collect()
        })
        .collect()
}

async fn interrupt_and_resume(signal: i32, format: &str) {
    // Slow servers so that the scan is interrupted halfway.
    let n = 24;
    let configs = (0..n)
        .map(|_| ServerConfig {
            greeting_delay: Duration::from_millis(150),
            ..ServerConfig::default()
        })
        .collect();
    let lab = Lab::start(configs, |z, ip| {
        for (i, ip) in ip.iter().enumerate() {
            z.mx(&format!("d{i}.test"), 10, &format!("mx{i}.test"))
                .a(&format!("mx{i}.test"), *ip);
        }
    })
    .await;
    let dir = temp_dir(&format!("resume-{signal}-{format}"));
    let list = write(
        &dir.join("list.txt"),
        &(0..n).map(|i| format!("d{i}.test\n")).collect::<String>(),
    );
    let full = dir.join("full.out");
    let part = dir.join("part.out");
    let base = |out: &Path| {
        let mut a = lab.args();
        a.extend(args(&[
            "--quick",
            "-q",
            "--concurrency",
            "2",
            "-f",
            format,
            "-i",
            &list,
            "-o",
        ]));
        a.push(out.to_str().expect("utf-8").to_string());
        a
    };
    let out = mxprobe(&base(&full)).await;
    assert_ran(&out);
    // Interrupt a second run once some results are written.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mxprobe"))
        .args(base(&part))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let lines = |p: &Path| {
        std::fs::read_to_string(p)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    for _ in 0..200 {
        if lines(&part) >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().expect("running") as i32;
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(pid, signal) };
    let status = child.wait().await.expect("wait");
    assert!(!status.success(), "the run was cut short");
    let written = lines(&part);
    assert!(
        written > 1 && written < n + 1,
        "{written} lines: interrupted halfway"
    );
    // What is there is valid: every line parses.
    let text = std::fs::read_to_string(&part).expect("partial output");
    if format == "jsonl" {
        for l in text.lines() {
            serde_json::from_str::<serde_json::Value>(l).expect("complete JSON line");
        }
    } else {
        assert!(text.is_empty() || text.ends_with('\n'));
        csv_rows(text.as_bytes());
    }
    // --resume completes it to the same rows as the uninterrupted run.
    let mut a = base(&part);
    a.push("--resume".into());
    let out = mxprobe(&a).await;
    assert_ran(&out);
    if format == "csv" {
        let got = std::fs::read(&part).expect("resumed");
        let want = std::fs::read(&full).expect("full");
        assert_eq!(row_set(&got), row_set(&want));
        let text = String::from_utf8_lossy(&got);
        assert_eq!(text.matches("domain,mx,").count(), 1, "one header");
    } else {
        let names = |p: &Path| -> BTreeSet<String> {
            std::fs::read_to_string(p)
                .expect("read")
                .lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).expect("json");
                    format!(
                        "{} {}",
                        v["target"]["name"], v["mx"][0]["addresses"][0]["tls"]["cipher"]
                    )
                })
                .collect()
        };
        assert_eq!(names(&part), names(&full));
        assert_eq!(
            std::fs::read_to_string(&part)
                .expect("read")
                .lines()
                .count(),
            n
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_csv_scan_resumes_to_the_same_rows() {
    interrupt_and_resume(libc::SIGINT, "csv").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_jsonl_scan_resumes_to_the_same_rows() {
    interrupt_and_resume(libc::SIGKILL, "jsonl").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_server_costs_its_timeouts_and_the_rest_completes() {
    let mut configs = vec![
        ServerConfig::misbehaving(Misbehaviour::NeverAnswer),
        ServerConfig::misbehaving(Misbehaviour::DripGreeting {
            per_byte: Duration::from_millis(500),
        }),
        ServerConfig::misbehaving(Misbehaviour::EndlessGreeting),
    ];
    configs.extend((0..5).map(|_| ServerConfig::default()));
    let lab = Lab::start(configs, |z, ip| {
        for (i, ip) in ip.iter().enumerate() {
            z.mx(&format!("d{i}.test"), 10, &format!("mx{i}.test"))
                .a(&format!("mx{i}.test"), *ip);
        }
    })
    .await;
    let dir = temp_dir("hostile");
    let list = write(
        &dir.join("list.txt"),
        &(0..8).map(|i| format!("d{i}.test\n")).collect::<String>(),
    );
    let mut a = lab.args_with_timeout(1.0);
    a.extend(args(&[
        "--quick",
        "-q",
        "--retries",
        "0",
        "-f",
        "csv",
        "-i",
        &list,
    ]));
    let start = std::time::Instant::now();
    let out = mxprobe(&a).await;
    let elapsed = start.elapsed();
    assert_ran(&out);
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows.len(), 8);
    for r in &rows {
        let i: usize = r["domain"]
            .trim_start_matches('d')
            .trim_end_matches(".test")
            .parse()
            .expect("n");
        let want = if i < 3 { "smtp-error" } else { "ok" };
        assert_eq!(r["status"], want, "{r:?}");
    }
    // Each hostile server gets one step timeout (1 s); in parallel, with
    // generous slack for a loaded machine.
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn statistics_from_the_scan_and_from_its_output() {
    let lab = Lab::start(
        vec![
            ServerConfig::default(),
            ServerConfig {
                starttls: false,
                ..ServerConfig::default()
            },
        ],
        |z, ip| {
            for i in 0..6 {
                let mx = if i < 4 {
                    "mx.hoster.test"
                } else {
                    "mx.plain.test"
                };
                z.mx(&format!("d{i}.test"), 10, mx);
            }
            z.a("mx.hoster.test", ip[0]).a("mx.plain.test", ip[1]);
        },
    )
    .await;
    let dir = temp_dir("stats");
    let list = write(
        &dir.join("list.txt"),
        &(0..6).map(|i| format!("d{i}.test\n")).collect::<String>(),
    );
    let csv = dir.join("scan.csv");
    let json = dir.join("stats.json");
    let mut a = lab.args();
    a.extend(args(&[
        "--quick",
        "-f",
        "csv",
        "-i",
        &list,
        "-o",
        csv.to_str().expect("utf-8"),
    ]));
    a.extend(args(&["--stats", json.to_str().expect("utf-8")]));
    let out = mxprobe(&a).await;
    assert_ran(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("STARTTLS   66.7%  (4 of 6)"), "{stderr}");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("stats file")).expect("json");
    assert_eq!(v["domains"], 6);
    assert_eq!(
        v["negotiated"][0]["key"],
        "TLSv1.3:TLS_AES_256_GCM_SHA384:256"
    );
    assert_eq!(v["negotiated"][0]["count"], 4);
    assert_eq!(v["mx_hosts"][0]["key"], "mx.hoster.test");
    let no_starttls = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == "no-starttls")
        .expect("finding");
    assert_eq!(no_starttls["domains"]["count"], 2);
    assert_eq!(no_starttls["hosts"][0]["key"], "mx.plain.test");
    // The same from the CSV afterwards.
    let out = mxprobe(&args(&[
        "stats",
        "-f",
        "json",
        csv.to_str().expect("utf-8"),
    ]))
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(again["negotiated"], v["negotiated"]);
    assert_eq!(again["starttls"], v["starttls"]);
    assert_eq!(again["mx_hosts"], v["mx_hosts"]);
    // The trusted share is counted live as from the file.
    assert!(v["trusted"]["of"].as_u64().is_some_and(|n| n > 0), "{v}");
    assert_eq!(again["trusted"], v["trusted"]);
    // And from JSON Lines.
    let jsonl = dir.join("scan.jsonl");
    let mut a = lab.args();
    a.extend(args(&["--quick", "-f", "jsonl", "-i", &list, "-o"]));
    a.push(jsonl.to_str().expect("utf-8").to_string());
    assert_ran(&mxprobe(&a).await);
    let out = mxprobe(&args(&[
        "stats",
        "-f",
        "json",
        jsonl.to_str().expect("utf-8"),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(0));
    let from_jsonl: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(from_jsonl["trusted"], v["trusted"]);
    assert_eq!(from_jsonl["starttls"], v["starttls"]);
}

#[tokio::test]
async fn statistics_of_concatenated_cut_and_hostile_csv() {
    let dir = temp_dir("stats-rough");
    let header = mxprobe::report::CSV_COLUMNS.join(",");
    let row = |domain: &str, mx: &str, negotiated: &str| {
        let mut fields: Vec<String> = vec![String::new(); mxprobe::report::CSV_COLUMNS.len()];
        let col = |c: &str| {
            mxprobe::report::CSV_COLUMNS
                .iter()
                .position(|x| *x == c)
                .expect("column")
        };
        fields[col("domain")] = domain.into();
        fields[col("mx")] = mx.into();
        fields[col("status")] = "ok".into();
        fields[col("starttls")] = "yes".into();
        fields[col("negotiated")] = negotiated.into();
        fields.join(",")
    };
    // Two scans concatenated, the second cut by a kill, a hostile MX name.
    let text = format!(
        "{header}\n{}\n{header}\n{}\n{}",
        row("a.test", "mx.a.test", "TLSv1.2:AES128-SHA:128"),
        row(
            "b.test",
            "mx.\u{1b}[31mb.test",
            "TLSv1.3:TLS_AES_256_GCM_SHA384:256"
        ),
        row("c.test", "mx.c.test", "TLSv1.3:TLS_AES_256_GCM_SHA384:256"),
    );
    let file = write(&dir.join("joined.csv"), &text[..text.len() - 10]);
    let out = mxprobe(&args(&["stats", &file])).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("domains   2 "), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("mx.\u{fffd}[31mb.test"), "{stdout}");
    assert!(
        stderr.contains("skipped the header repeated on line 3"),
        "{stderr}"
    );
    assert!(stderr.contains("skipped line 5, cut short"), "{stderr}");
}

#[tokio::test]
async fn an_output_file_in_use_is_refused_untouched_and_the_holder_named() {
    let dir = temp_dir("locked");
    let out_path = dir.join("out.csv");
    let kept = "domain,mx\nearlier.test,mx.earlier.test\n";
    std::fs::write(&out_path, kept).expect("write");
    let holder = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&out_path)
        .expect("open");
    holder.lock().expect("lock");
    let out = mxprobe(&args(&[
        "--resolver",
        "127.0.0.1:9",
        "-f",
        "csv",
        "-o",
        out_path.to_str().expect("utf-8"),
        "example.test",
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let pid = format!("pid {}", std::process::id());
    assert!(
        stderr.contains(&pid) && stderr.contains("is writing it"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(&out_path).expect("read"), kept);
    drop(holder);
}

#[tokio::test]
async fn an_unreadable_list_stops_before_the_scan_with_one_line() {
    let out = mxprobe(&args(&[
        "--resolver",
        "127.0.0.1:9",
        "-i",
        "/nonexistent/list.txt",
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "mxprobe: cannot read /nonexistent/list.txt: No such file or directory (os error 2)"
    );
}

#[tokio::test]
async fn a_byte_order_mark_does_not_reach_the_first_domain() {
    let dir = temp_dir("bom");
    let list = write(&dir.join("list.txt"), "\u{feff}bom.invalid\n");
    let out = mxprobe(&args(&[
        "--resolver",
        "127.0.0.1:9",
        "--timeout",
        "1",
        "-f",
        "csv",
        "-i",
        &list,
    ]))
    .await;
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(rows[0]["domain"], "bom.invalid");
}

#[tokio::test(flavor = "multi_thread")]
async fn many_mx_names_on_one_address_are_one_server_in_text() {
    const NAMES: usize = 40;
    let lab = Lab::start(vec![ServerConfig::default()], |z, ip| {
        for i in 0..NAMES {
            let host = format!("mx{i:02}.shared.test");
            z.mx("shared.test", 10, &host).a(&host, ip[0]);
        }
    })
    .await;
    let mut a = lab.args();
    a.extend(args(&["--quick", "shared.test"]));
    let out = mxprobe(&a).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "MX hosts  {NAMES} use it: mx00.shared.test, mx01.shared.test, mx02.shared.test, mx03.shared.test, mx04.shared.test and {} more",
            NAMES - 5
        )),
        "{text}"
    );
    // The server's own facts and cost once; the per-name checks per name.
    assert_eq!(text.matches("      cost ").count(), 1, "{text}");
    assert_eq!(text.matches("      banner ").count(), 1, "{text}");
    assert_eq!(
        text.matches(", the server shown under mx00.shared.test")
            .count(),
        NAMES - 1
    );
    // An address finding (the test certificate is not trusted) once, with
    // the names.
    let untrusted: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" cert-untrusted "))
        .collect();
    assert_eq!(untrusted.len(), 1, "{text}");
    assert!(untrusted[0].contains("(MX mx00.shared.test, "), "{text}");
}
