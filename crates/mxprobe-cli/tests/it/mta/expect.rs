//! What mxprobe must report for one real server, compared field by field.
//!
//! An [`Expect`] names the whole result: status, every accepted version with
//! its order and ciphers (versions not named must be reported as refused),
//! the groups, the DH size, the certificate and the findings the default
//! policy makes of them (those named must be there, `absent` ones not).

use serde_json::Value;

/// The expected result for one address.
#[derive(Debug)]
pub struct Expect {
    /// `ok`, `no-starttls`, …
    pub status: &'static str,
    /// The accepted versions, oldest first.
    pub versions: Vec<Version>,
    /// Supported key-exchange groups as `NAME/PROTOCOL` (a set).
    pub groups: Vec<String>,
    /// The smallest finite-field DH group mxprobe saw.
    pub dh_bits: Option<u64>,
    /// The leaf certificate presented (in the main handshake).
    pub cert: Option<Cert>,
    /// Finding IDs (default policy) that must be reported for the address.
    pub findings: &'static [&'static str],
    /// Finding IDs that must not be.
    pub absent: &'static [&'static str],
}

/// One accepted protocol version.
#[derive(Debug)]
pub struct Version {
    pub protocol: &'static str,
    /// `server`, `client`, or `None` with a single cipher.
    pub order: Option<&'static str>,
    /// In the server's order for `server`; compared as a set for `client`,
    /// where mxprobe's list is in its own offer order.
    pub ciphers: Vec<String>,
}

impl Version {
    pub fn server(protocol: &'static str, ciphers: &[&str]) -> Version {
        Version::new(protocol, Some("server"), ciphers)
    }
    pub fn client(protocol: &'static str, ciphers: &[&str]) -> Version {
        Version::new(protocol, Some("client"), ciphers)
    }
    pub fn new(protocol: &'static str, order: Option<&'static str>, ciphers: &[&str]) -> Version {
        Version {
            protocol,
            order,
            ciphers: ciphers.iter().map(|c| c.to_string()).collect(),
        }
    }
    /// Like [`Version::new`], with the list given as owned names.
    pub fn with(protocol: &'static str, order: &'static str, ciphers: Vec<String>) -> Version {
        Version {
            protocol,
            order: Some(order),
            ciphers,
        }
    }
}

/// `NAME/PROTOCOL` for each group name, as [`Expect::groups`] lists them.
pub fn groups_at(protocol: &str, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{n}/{protocol}")).collect()
}

/// Facts of the leaf certificate.
#[derive(Debug)]
pub struct Cert {
    pub common_name: &'static str,
    pub dns_names: &'static [&'static str],
    pub issuer: &'static str,
    /// `RSA 2048`, `EC 256`.
    pub key: &'static str,
    pub chain_length: usize,
}

/// The test CA's RSA leaf for mx.example.test (`testdata/certs/mx-rsa`).
pub const MX_RSA: Cert = Cert {
    common_name: "mx.example.test",
    dns_names: &["mx.example.test", "mail.example.test"],
    issuer: "CN=mxprobe test CA, O=mxprobe tests",
    key: "RSA 2048",
    chain_length: 2,
};

pub const ALL_PROTOCOLS: [&str; 5] = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

impl Expect {
    /// Everything in `domain` (mxprobe's JSON report of the one `--host`
    /// target) that differs from this, one line each.
    pub fn mismatches(&self, domain: &Value) -> Vec<String> {
        let address = &domain["mx"][0]["addresses"][0];
        let ids: Vec<&str> = domain["findings"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["id"].as_str()).collect())
            .unwrap_or_default();
        let mut out: Vec<String> = self
            .findings
            .iter()
            .filter(|id| !ids.contains(id))
            .map(|id| format!("finding {id} missing (got {ids:?})"))
            .collect();
        out.extend(
            self.absent
                .iter()
                .filter(|id| ids.contains(id))
                .map(|id| format!("finding {id} unexpected")),
        );
        let mut eq = |what: &str, got: &Value, want: Value| {
            if *got != want {
                out.push(format!("{what}: got {got}, want {want}"));
            }
        };
        eq("status", &address["status"], self.status.into());
        if self.status != "ok" {
            eq("tls", &address["tls"], Value::Null);
            eq("enumeration", &address["enumeration"], Value::Null);
            return out;
        }
        let e = &address["enumeration"];
        eq("incomplete", &e["incomplete"], Value::Null);
        eq(
            "dh_bits",
            &e["dh_bits"],
            self.dh_bits.map_or(Value::Null, Value::from),
        );
        let (mut got_groups, mut want_groups) = (groups(address), self.groups.clone());
        got_groups.sort();
        want_groups.sort();
        eq("groups", &got_groups.into(), want_groups.into());
        for protocol in ALL_PROTOCOLS {
            let got = version(address, protocol);
            let want = self.versions.iter().find(|v| v.protocol == protocol);
            let Some(want) = want else {
                eq(
                    &format!("{protocol} supported"),
                    &got["supported"],
                    false.into(),
                );
                continue;
            };
            eq(
                &format!("{protocol} supported"),
                &got["supported"],
                true.into(),
            );
            eq(
                &format!("{protocol} order"),
                &got["order"],
                want.order.map_or(Value::Null, Value::from),
            );
            let (mut got_ciphers, mut want_ciphers) = (names(got), want.ciphers.clone());
            if want.order == Some("client") {
                got_ciphers.sort();
                want_ciphers.sort();
            }
            eq(
                &format!("{protocol} ciphers"),
                &got_ciphers.into(),
                want_ciphers.into(),
            );
        }
        // The broadly compatible handshake gets the newest version and, from
        // a server with its own order, that version's first cipher.
        if let Some(newest) = self.versions.last() {
            eq(
                "tls.protocol",
                &address["tls"]["protocol"],
                newest.protocol.into(),
            );
            if newest.order == Some("server") {
                eq(
                    "tls.cipher",
                    &address["tls"]["cipher"],
                    newest.ciphers[0].clone().into(),
                );
            }
        }
        if let Some(cert) = &self.cert {
            let chain = &address["tls"]["chain"];
            let leaf = &chain[0];
            eq(
                "leaf common_name",
                &leaf["common_name"],
                cert.common_name.into(),
            );
            eq("leaf dns_names", &leaf["dns_names"], cert.dns_names.into());
            eq("leaf issuer", &leaf["issuer"], cert.issuer.into());
            let key = format!(
                "{} {}",
                leaf["key_type"].as_str().unwrap_or("?"),
                leaf["key_bits"]
            );
            eq("leaf key", &key.into(), cert.key.into());
            eq(
                "chain length",
                &chain.as_array().map_or(0, Vec::len).into(),
                cert.chain_length.into(),
            );
        }
        out
    }
}

/// mxprobe's entry for `protocol` (it lists every version it tried).
pub fn version<'a>(address: &'a Value, protocol: &str) -> &'a Value {
    address["enumeration"]["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["protocol"] == protocol))
        .unwrap_or(&Value::Null)
}

/// Cipher names of one version entry, in mxprobe's order.
pub fn names(version: &Value) -> Vec<String> {
    version["ciphers"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One line per version, for failure messages and the test log.
pub fn summary(address: &Value) -> String {
    let mut s = format!(
        "status {} {}, tls {} {}, dh_bits {}, {} connections, {} handshakes\n",
        address["status"],
        address["error"],
        address["tls"]["protocol"],
        address["tls"]["cipher"],
        address["enumeration"]["dh_bits"],
        address["connections"],
        address["handshakes"]
    );
    for protocol in ALL_PROTOCOLS {
        let v = version(address, protocol);
        s += &format!(
            "  {protocol}: supported {} order {} {:?}\n",
            v["supported"],
            v["order"],
            names(v)
        );
    }
    s += &format!("  groups: {:?}\n", groups(address));
    s
}

/// Supported groups as `NAME/PROTOCOL`, in mxprobe's order.
pub fn groups(address: &Value) -> Vec<String> {
    address["enumeration"]["groups"]
        .as_array()
        .map(|gs| {
            gs.iter()
                .map(|g| {
                    format!(
                        "{}/{}",
                        g["name"].as_str().unwrap_or("?"),
                        g["protocol"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
