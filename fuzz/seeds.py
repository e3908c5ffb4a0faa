#!/usr/bin/env python3
"""Writes the seed corpora, fuzz/corpus/<target>/seed-*: a few meaningful
inputs per target (real-looking replies, greetings, names, log lines) for
libFuzzer to start from. `cargo test` replays every file there.

Run from anywhere: python3 fuzz/seeds.py. Inputs that once crashed a target
are kept beside the seeds as crash-<what>, written by hand, not by this
script; it never deletes files.
"""

import gzip
import os

HERE = os.path.dirname(os.path.abspath(__file__))
LOGS = os.path.join(HERE, "..", "testdata", "logs")
BUILTIN = os.path.join(HERE, "..", "src", "policy", "builtin")

GREETING = b"220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n"
EHLO_TLS = (b"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
            b"250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
            b"250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n")
EHLO_PLAIN = b"250-mx.example.org Hello [192.0.2.1]\r\n250-SIZE 10240000\r\n250 HELP\r\n"
READY = b"220 2.0.0 Ready to start TLS\r\n"
BYE = b"221 2.0.0 Bye\r\n"

SMTP_REPLY = {
    "greeting": b"\x07" + GREETING,
    "ehlo": b"\x03" + EHLO_TLS,
    "greeting-ehlo-ready": b"\x00" + GREETING + EHLO_TLS + READY,
    "multiline-greeting": b"\x05220-mx.example.org ESMTP\r\n220-No UCE\r\n220 Go ahead\r\n",
    "exim-greeting-lf": b"\x02220 mail.example.net ESMTP Exim 4.96 Tue, 26 Nov 2024 16:04:18 +0100\n",
    "too-many": b"\x0b421 4.7.0 mx.example.org Error: too many connections from 192.0.2.1\r\n",
    "bare-code": b"\x01250\r\n354\r\n",
    "mixed-codes": b"\x04250-first\r\n251 second\r\n",
    "bad-separator": b"\x09250_x\r\n",
    "latin1-and-controls": b"\x06220 caf\xe9 \x1b[31mred\x07 \xc3\xa9t\xe9\r\n",
    "injection": b"\x08" + READY + b"250 2.0.0 injected\r\n",
    "ssh-banner": b"\x0cSSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
    "http": b"\x0dHTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n",
    "cr-in-code": b"\x0e250\rX\r\n",
}

SMTP_DIALOGUE = {
    "ready": b"\x00" + GREETING + EHLO_TLS + READY,
    "ready-split": b"\x1e" + GREETING + EHLO_TLS + READY,
    "no-starttls": b"\x00" + GREETING + EHLO_PLAIN + BYE,
    "no-starttls-silent": b"\x01" + GREETING + EHLO_PLAIN,
    "ehlo-rejected": b"\x00" + GREETING + b"502 5.5.2 Error: command not recognized\r\n" + BYE,
    "greeting-421": b"\x00421 4.3.2 mx.example.org Service not available\r\n",
    "starttls-454": b"\x04" + GREETING + EHLO_TLS + b"454 4.7.0 TLS not available due to local problem\r\n" + BYE,
    "starttls-421": b"\x02" + GREETING + EHLO_TLS + b"421 4.7.0 closing\r\n",
    "injection": b"\x00" + GREETING + EHLO_TLS + READY + b"250 2.0.0 injected\r\n",
    "garbage": b"\x01\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01\x00garbage\x07\r\n",
    "silent": b"\x01",
    "closes-after-greeting": b"\x00" + GREETING,
    "multiline-greeting": b"\x09220-mx.example.org ESMTP\r\n220-Welcome\r\n220 ready\r\n" + EHLO_TLS + READY,
    "greeting-250": b"\x00250 mx.example.org hello\r\n",
    "address-literal": b"\x00220 [192.0.2.25] ESMTP\r\n250-[IPv6:2001:db8::25]\r\n250 STARTTLS\r\n" + READY,
}

DOMAIN_NAME = {
    "plain": b"example.org",
    "mixed-case-dot": b"Mail.Example.ORG.",
    "idn": "Bücher.example".encode(),
    "a-label": b"xn--mnchen-3ya.de",
    "service": b"_mta-sts.example.org",
    "ideographic-stops": "例え。テスト".encode(),
    "emoji": "💩.la".encode(),
    "address": b"192.0.2.1",
    "ipv6-literal": b"[2001:db8::1]",
    "empty-label": b"a..b",
    "label-63": b"a" * 63 + b".org",
    "bad-punycode": b"xn--a.example",
    "spaces": b" example.org \t",
    "numeric-tld": b"10.0.0",
    "at-sign": b"user@example.org",
}

TARGET_HOST = {
    "name-port": b"mx.example.org:25",
    "ipv6-port": b"[2001:db8::1]:2525",
    "ipv4": b"192.0.2.25",
    "ipv4-port": b"192.0.2.25:587",
    "ipv6-bare": b"::1",
    "idn-port": "Bücher.example:587".encode(),
    "unclosed": b"[::1",
    "port-zero": b"x:0",
    "port-name": b"mx.example.org:smtp",
    "bracketed-name": b"[mx.example.org]:25",
}


# domain_list: byte 0 cuts the rest into reads; 0x01 stands for 1024 "a"s
# (so lines around the 4096-byte limit are a few bytes away).
DOMAIN_LIST = {
    "plain": b"\x05# my domains\n\nexample.org\n  Example.ORG.  \nm\xc3\xbcnchen.de # comment\r\nbad..name\nexample.net\n",
    "csv": b"\x11rank,Domain,owner\n1,example.org,\"Example, Inc.\"\n2,,x\n3,EXAMPLE.net,y\n",
    "csv-quoted-header": b"\x02\"domain\",\"note\"\r\n\"mx.example.org\",\"a,b\"\r\n",
    "long-line": b"\x07\x01\x01\x01\x01x\nexample.org\n",
    "exactly-4096-crlf": b"\x09\x01\x01\x01\x01\r\nexample.org\r\n",
    "exactly-4096-no-newline": b"\x03example.org\n\x01\x01\x01\x01",
    "binary": b"\x00\x00\xff\nexample.org\n\xff\xfe\nexample.net",
    "duplicates": b"\x21example.org\nEXAMPLE.ORG.\nxn--mnchen-3ya.de\nm\xc3\xbcnchen.de\n",
    "addresses": b"\x13192.0.2.1\n[2001:db8::1]\nuser@example.org\n_mta-sts.example.org\n",
    "cr-only": b"\x04a.example\rb.example\r\n",
}

# mtasts_policy: a policy body, then optionally a NUL and hosts, one a line.
MTASTS_HOSTS = b"\x00mx1.example.org\nMX.EXAMPLE.NET.\nexample.net\na.b.example.net\n\n*.example.net"
MTASTS_POLICY = {
    "enforce-crlf": b"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.example.net\r\nmax_age: 604800\r\n" + MTASTS_HOSTS,
    "testing-lf": b"version: STSv1\nmode: testing\nmx: mail.example.org\nmax_age: 86400\n" + MTASTS_HOSTS,
    "none": b"version: STSv1\nmode: none\nmax_age: 0\n",
    "tabs-case-unknown": b"version:\tstsv1\nMode: ENFORCE\nmode:Enforce\nmx:\t*.Example.Net.\nmax_age:31557600\nfuture: thing\n" + MTASTS_HOSTS,
    "max-age-over": b"version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 31557601\n",
    "max-age-huge": b"version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 99999999999999999999\n",
    "bad-pattern": b"version: STSv1\nmode: testing\nmx: *.*.example.org\nmx: a..b\nmax_age: 1\n",
    "twice": b"version: STSv1\nversion: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n",
    "html": b"<html><body>Not found</body></html>\n",
    "no-mx": b"version: STSv1\nmode: enforce\nmax_age: 86400\n",
}

# sts_txt: a TXT record set, records separated by NUL.
STS_TXT = {
    "sts": b"v=STSv1; id=20240101T000000",
    "sts-and-spf": b"v=spf1 -all\x00v=STSv1;id=abc;\x00v=STSv10; id=x",
    "sts-ext": b"v=STSv1 ;\tid=abc ; ext=x.y",
    "sts-twice": b"v=STSv1; id=1\x00v=STSv1; id=2",
    "sts-bad": b"v=STSv1; id=a-b\x00v=STSv1; id=a;; x=y\x00v=STSv1 id=a",
    "tlsrpt": b"v=TLSRPTv1; rua=mailto:tls@example.org, https://r.example.org/tls",
    "tlsrpt-bad": b"v=TLSRPTv1; rua=ftp://x.example\x00v=TLSRPTv1;\x00v=TLSRPTv1; rua=mailto:nobody",
    "both": b"v=TLSRPTv1; rua=mailto:a@b.c\x00v=STSv1; id=1\x00google-site-verification=xyz",
    "latin1": b"v=STSv1; id=\xe9t\xe9\x00v=TLSRPTv1; rua=mailto:caf\xe9@b.c",
}


# raw_first_flight: byte 0 cuts the rest into reads; then what a server sends
# after a hand-written hello (tls::raw): ServerHellos, SSLv2, alerts, the rest
# of a flight, a heartbeat response header.
def record(kind, version, body):
    return bytes([kind]) + version.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def handshake(kind, body):
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def ext(kind, body):
    return kind.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def server_hello(version, random, sid, cipher, exts, compression=0):
    body = version.to_bytes(2, "big") + random + bytes([len(sid)]) + sid
    body += cipher.to_bytes(2, "big") + bytes([compression])
    if exts is not None:
        joined = b"".join(exts)
        body += len(joined).to_bytes(2, "big") + joined
    return handshake(2, body)


HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
SH12 = server_hello(0x0303, b"\x11" * 32, b"\xaa\xbb\xcc\xdd", 0xC030,
                    [ext(0xff01, b"\x00"), ext(15, b"\x01"), ext(11, b"\x01\x00")])
SH13 = server_hello(0x0303, b"\x22" * 32, b"", 0x1302,
                    [ext(43, b"\x03\x04"), ext(51, b"\x00\x1d\x00\x20" + b"\x33" * 32)])
HRR = server_hello(0x0303, HRR_RANDOM, b"", 0x1301, [ext(43, b"\x03\x04"), ext(51, b"\x00\x17")])
SH_SSL3 = server_hello(0x0300, b"\x55" * 24 + b"DOWNGRD\x00", b"", 0x0003, None, compression=1)
REST = record(22, 0x0303, handshake(11, b"")) + record(22, 0x0303, handshake(14, b""))
SSLV2 = (b"\x80\x25\x04\x00\x01\x00\x02\x00\x04\x00\x06\x00\x10\xde\xad\xbe\xef"
         b"\x01\x00\x80\x07\x00\xc0" + b"\x44" * 16)
RAW_FIRST_FLIGHT = {
    "tls12": b"\x00" + record(22, 0x0303, SH12) + REST,
    "tls12-split": b"\x05" + record(22, 0x0303, SH12[:10]) + record(22, 0x0303, SH12[10:]) + REST,
    "one-record": b"\x09" + record(22, 0x0303, handshake(0, b"") + SH12 + handshake(14, b"")),
    "tls13": b"\x03" + record(22, 0x0303, SH13) + record(20, 0x0303, b"\x01"),
    "hrr": b"\x07" + record(22, 0x0303, HRR),
    "ssl3-deflate": b"\x02" + record(22, 0x0300, SH_SSL3),
    "sslv2": b"\x01" + SSLV2,
    "sslv2-error": b"\x00\x80\x03\x00\x00\x01",
    "alert-handshake-failure": b"\x00" + record(21, 0x0303, b"\x02\x28"),
    "alert-fallback": b"\x04" + record(21, 0x0301, b"\x02\x56"),
    "partial-then-alert": b"\x06" + record(22, 0x0303, SH12[:10]) + record(21, 0x0303, b"\x02\x50"),
    "heartbleed": b"\x08" + REST + b"\x18\x03\x02\x40\x13\x02\x40\x00" + b"\x00" * 16,
    "smtp": b"\x0a220 mx.example.org ESMTP\r\n",
    "ccs-first": b"\x00" + record(20, 0x0303, b"\x01"),
    "certificate-first": b"\x0b" + REST,
    "hello-requests": b"\x0c" + record(22, 0x0303, handshake(0, b"")) * 8,
}


def policy_seeds():
    seeds = {}
    for name in sorted(os.listdir(BUILTIN)):
        with open(os.path.join(BUILTIN, name), "rb") as f:
            seeds["builtin-" + name[:-5]] = f.read()
    seeds.update({
        "extends": b'name = "mine"\nextends = "default"\n[versions]\nminimum = "TLSv1.2"\n[severity]\n"no-starttls" = "critical"\n"dh-weak" = "off"\n',
        "extends-unknown": b'extends = "strict"\n',
        "unknown-key": b'name = "x"\ncolour = "blue"\n',
        "unknown-section-key": b'[versions]\nmaximum = "TLSv1.3"\n',
        "unknown-finding": b'[severity]\n"no-such-thing" = "high"\n',
        "bad-severity": b'[severity]\n"no-starttls" = "severe"\n',
        "bad-protocol": b'[versions]\nminimum = "TLSv2"\n',
        "bad-cipher": b'[ciphers]\nallowed = ["ECDHE-RSA-AES128-GCM-SHA256", "NOPE"]\n',
        "groups": b'[key_exchange]\nmin_dh_bits = 2048\nmin_ecdh_bits = 256\nallowed_groups = ["X25519", "secp256r1"]\n',
        "negative-bits": b'[certificate]\nmin_rsa_bits = -1\nexpiring_days = 4294967296\n',
        "wrong-type": b'name = 1\n[severity]\n"no-mx" = true\n',
        "duplicate-key": b'name = "a"\nname = "b"\n',
        "unterminated": b'name = "a\n[versions\n',
        "multiline-strings": b'description = """\nline one\nline two"""\nname = \'\'\'raw\\name\'\'\'\n',
        "unlisted": b'unlisted = "off"\n[severity]\n"no-starttls" = "high"\n',
        "empty": b"",
    })
    return seeds


def lines(name):
    with open(os.path.join(LOGS, name), "rb") as f:
        return [l for l in f.read().split(b"\n") if l]


def pick(seq, n):
    step = max(1, len(seq) // n)
    return seq[::step][:n]


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)


def main():
    write("smtp_reply", SMTP_REPLY)
    write("smtp_dialogue", SMTP_DIALOGUE)
    write("domain_name", DOMAIN_NAME)
    write("target_host", TARGET_HOST)
    write("domain_list", DOMAIN_LIST)
    write("policy_toml", policy_seeds())
    write("mtasts_policy", MTASTS_POLICY)
    write("sts_txt", STS_TXT)
    write("raw_first_flight", RAW_FIRST_FLIGHT)

    exim = lines("exim-mainlog") + lines("exim-gnutls-mainlog")
    write("exim_line", {f"{i:02}": l for i, l in enumerate(pick(exim, 14))})
    # OpenSSL- and GnuTLS-built Exim, Exim's fourth X= field.
    mixed = lines("exim-mixed-mainlog")
    write("exim_line", {f"mixed-{i:02}": l for i, l in enumerate(pick(mixed, 6))})

    postfix = lines("postfix-mail.log")
    journal = lines("postfix-journal.log")
    syslog_seeds = {f"postfix-{i:02}": l for i, l in enumerate(pick(postfix, 8))}
    syslog_seeds.update({f"journal-{i:02}": l for i, l in enumerate(journal)})
    syslog_seeds["exim-in-syslog"] = (
        b"Nov 26 16:04:18 mx exim[7]: 1tG0aa-000Abc-1x <= a@b H=mx [192.0.2.1] "
        b"P=esmtps X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256")
    write("syslog_line", syslog_seeds)

    # postfix_lines: first byte of each line picks the process (bit 0:
    # smtpd 0 / smtp 1; bits 1-3: PID); the rest is the message.
    def message(line):
        return line.split(b"]: ", 1)[1] if b"]: " in line else line

    sessions = {}
    for line in postfix:
        tag = line.split(b" ")[4] if len(line.split(b" ")) > 4 else b""
        pid = tag.split(b"[")[1].split(b"]")[0] if b"[" in tag else b"0"
        kind = 0 if b"/smtpd[" in tag else 1 if b"/smtp[" in tag else None
        if kind is None:
            continue
        selector = bytes([kind | ((int(pid) % 8) << 1)])
        sessions.setdefault(kind, []).append(selector + message(line))
    write("postfix_lines", {
        "inbound": b"\n".join(sessions.get(0, [])),
        "outbound": b"\n".join(sessions.get(1, [])),
    })

    mixed = pick(exim, 4) + pick(postfix, 4) + journal[:2] + [b"", b"-- Boot 0123 --", b"\x00\xff junk"]
    write("log_stream", {
        "mixed-3": b"\x03" + b"\n".join(mixed) + b"\n",
        "mixed-200": b"\xc8" + b"\r\n".join(mixed),
        "postfix-17": b"\x11" + b"\n".join(postfix) + b"\n",
    })

    text = b"\n".join(exim[:6]) + b"\n"
    whole = gzip.compress(text, mtime=0)
    two = gzip.compress(text[:200], mtime=0) + gzip.compress(text[200:], mtime=0)
    write("log_gzip", {
        "exim": whole,
        "multi-member": two,
        "truncated": whole[: len(whole) // 2],
        "bad-crc": whole[:-8] + b"\x00\x00\x00\x00" + whole[-4:],
        "plain": text,
        "zstd": b"\x28\xb5\x2f\xfd rest",
    })


def regressions():
    # Too big to seed libFuzzer with (they inflate to megabytes, and the
    # fuzzer would spend its time on their variants); replayed by cargo test.
    exim = lines("exim-mainlog")
    text = b"\n".join(exim[:6]) + b"\n"
    # A line longer than the reader's 1 MiB blocks, then a member cut short:
    # the overlong line must still be counted (it once was not, on threads).
    overlong = gzip.compress(b"x" * (2 << 20) + b"\n" + exim[1] + b"\n", mtime=0)
    overlong += gzip.compress(text, mtime=0)[:40]
    d = os.path.join(HERE, "regressions", "log_gzip")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "overlong-then-truncated"), "wb") as f:
        f.write(overlong)


if __name__ == "__main__":
    main()
    regressions()
