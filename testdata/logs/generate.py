#!/usr/bin/env python3
"""Synthetic Exim and Postfix logs for `mxprobe logs`: benchmark input and
the gzip test fixture.

Everything is made up (documentation and private address ranges, example.*
names) and
deterministic for a given seed.

    generate.py --mta exim --size 1G -o /tmp/mainlog          # benchmark input
    generate.py --mta postfix --size 100M --seed 7 -o /tmp/mail.log
    generate.py --mta exim --flavour gnutls --size 10M -o /tmp/gnutls-mainlog
    generate.py --fixture testdata/logs/exim-mainlog.1.gz     # the test fixture

The mix: mostly TLS 1.2/1.3 AEAD, some DHE-RSA-AES256-SHA, some TLS 1.0,
rare 3DES and RC4, about 9 % plaintext, a quarter of peers on IPv6, both
directions, local submissions and deliveries, unrelated lines, and about
one malformed line in 50,000. Weak keys are used by small sets of peers,
as in real logs, so that `--by host` has something to find.
"""

import argparse
import bisect
import gzip
import random
import sys

# (weight, OpenSSL key, GnuTLS key); None: plaintext.
KEYS = [
    (45.0, "TLSv1.3:TLS_AES_256_GCM_SHA384:256", "TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256"),
    (5.0, "TLSv1.3:TLS_AES_128_GCM_SHA256:128", "TLS1.3:ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_128_GCM:128"),
    (2.0, "TLSv1.3:TLS_CHACHA20_POLY1305_SHA256:256", "TLS1.3:ECDHE_X25519__ECDSA_SECP256R1_SHA256__CHACHA20_POLY1305:256"),
    (25.0, "TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256", "TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256"),
    (5.0, "TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:128", "TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128"),
    (2.0, "TLSv1.2:ECDHE-ECDSA-AES256-GCM-SHA384:256", "TLS1.2:ECDHE_ECDSA_AES_256_GCM_SHA384:256"),
    (1.0, "TLSv1.2:DHE-RSA-AES256-GCM-SHA384:256", "TLS1.2:DHE_RSA_AES_256_GCM_SHA384:256"),
    (2.0, "TLSv1.2:DHE-RSA-AES256-SHA:256", "TLS1.2:DHE_RSA_AES_256_CBC_SHA1:256"),
    (1.0, "TLSv1.2:AES256-GCM-SHA384:256", "TLS1.2:RSA_AES_256_GCM_SHA384:256"),
    (1.5, "TLSv1:ECDHE-RSA-AES256-SHA:256", "TLS1.0:ECDHE_RSA_AES_256_CBC_SHA1:256"),
    (0.5, "TLSv1:DHE-RSA-AES256-SHA:256", "TLS1.0:DHE_RSA_AES_256_CBC_SHA1:256"),
    (0.3, "TLSv1.1:ECDHE-RSA-AES256-SHA:256", "TLS1.1:ECDHE_RSA_AES_256_CBC_SHA1:256"),
    (0.05, "TLSv1:DES-CBC3-SHA:168", "TLS1.0:RSA_3DES_EDE_CBC_SHA1:192"),
    (0.02, "TLSv1:RC4-SHA:128", "TLS1.0:RSA_ARCFOUR_128_SHA1:128"),
    (9.0, None, None),
]

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# The gzip test fixture: two gzip members, as `cat a.gz b.gz` makes.
FIXTURE_MEMBERS = [
    "2024-11-24 07:00:00 1tEaaa-000001-AB <= old1@example.org H=mail.example.org (mail.example.org) [192.0.2.10]:39000 I=[198.51.100.1]:25 P=esmtps X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no S=500\n"
    "2024-11-24 07:01:00 1tEaab-000002-AB <= old2@old.example H=legacy.old.example (legacy) [203.0.113.5]:39001 I=[198.51.100.1]:25 P=esmtps X=TLSv1:DES-CBC3-SHA:168 CV=no S=500\n",
    "2024-11-24 07:02:00 1tEaac-000003-AB => r@example.net R=dnslookup T=remote_smtp H=mx.example.net [2001:db8:30::25] X=TLSv1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 OK\"\n"
    "2024-11-24 07:03:00 1tEaad-000004-AB => s@plain.example R=dnslookup T=remote_smtp H=mx.plain.example [198.51.100.77] C=\"250 OK\"\n",
]


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


class Peers:
    """Per key, a pool of peers: many for common keys, a handful for rare
    ones. Popularity within a pool is skewed (a few peers send most)."""

    def __init__(self, rng, weights):
        self.rng = rng
        self.pools = []
        serial = 0
        for w in weights:
            n = max(3, int(w * 120))
            pool = []
            for _ in range(n):
                serial += 1
                pool.append(self.make(serial))
            self.pools.append(pool)

    def make(self, serial):
        rng = self.rng
        domain = f"host{serial}.example{'' if serial % 3 else '.net'}"
        if rng.random() < 0.25:
            ip = f"2001:db8:{serial // 65536:x}:{serial % 65536:x}::{rng.randrange(1, 0xFFFF):x}"
        else:
            first = rng.choice((192, 198, 203))
            second = {192: "0.2", 198: "51.100", 203: "0.113"}[first]
            ip = f"{first}.{second}.{rng.randrange(1, 255)}" if rng.random() < 0.5 else f"10.{serial // 65536}.{serial // 256 % 256}.{serial % 256}"
        name = f"mx{serial % 7}.{domain}" if rng.random() < 0.85 else ""
        helo = name or f"helo{serial}.{domain}"
        return name, helo, ip

    def pick(self, key_index):
        pool = self.pools[key_index]
        # Skewed: squaring a uniform draw favours the front of the pool.
        return pool[int(len(pool) * self.rng.random() ** 3)]


class Clock:
    def __init__(self, rng):
        self.rng = rng
        self.t = 0.0  # seconds since 2024-11-01 00:00:00

    def tick(self):
        self.t += self.rng.random() * 0.8
        return self.t

    def parts(self):
        s = int(self.t)
        day, s = divmod(s, 86400)
        h, s = divmod(s, 3600)
        m, s = divmod(s, 60)
        # November 2024 runs on into the following months: good enough for
        # synthetic timestamps, which are only shown, never compared.
        month, mday = divmod(day, 30)
        return month, mday + 1, h, m, s

    def exim(self):
        month, mday, h, m, s = self.parts()
        return f"2024-{11 + month % 2:02d}-{mday:02d} {h:02d}:{m:02d}:{s:02d}"

    def syslog(self):
        month, mday, h, m, s = self.parts()
        return f"{MONTHS[(10 + month) % 12]} {mday:2d} {h:02d}:{m:02d}:{s:02d}"


def message_id(n):
    digits = []
    for _ in range(6):
        n, r = divmod(n, 62)
        digits.append(BASE62[r])
    return "1t" + "".join(reversed(digits))[:4] + "-" + "".join(digits) + "-AB"


def exim_lines(rng, args):
    weights = [w for w, _, _ in KEYS]
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    keys = [k[2] if args.flavour == "gnutls" else k[1] for k in KEYS]
    peers = Peers(rng, weights)
    clock = Clock(rng)
    serial = 0
    while True:
        serial += 1
        clock.tick()
        t = clock.exim()
        mid = message_id(serial)
        r = rng.random()
        if r < 0.00002:
            yield f"{t} {mid} <= broken@example.org H=truncated.example [192.0.2."
            continue
        if r < 0.00004:
            yield "\x00\x00\x00 binary garbage \udcff\udcfe"
            continue
        if r < 0.02:
            yield f"{t} H=(spam{serial}.example) [198.51.100.{serial % 250 + 1}]:{1024 + serial % 60000} F=<x@spam.example> rejected RCPT <user@mx.example>: relay not permitted"
            continue
        # Arrival: SMTP from a peer (80 %) or a local submission.
        if rng.random() < 0.8:
            k = bisect.bisect(cumulative, rng.random() * cumulative[-1])
            name, helo, ip = peers.pick(k)
            host = f"{name} ({helo}) [{ip}]" if name else f"({helo}) [{ip}]"
            tls = f" P=esmtps X={keys[k]} CV=no" if keys[k] else " P=esmtp"
            yield f"{t} {mid} <= sender{serial % 9973}@{helo} H={host}:{rng.randrange(1024, 65535)} I=[198.51.100.1]:25{tls} S={rng.randrange(800, 90000)} id={serial}@{helo}"
        else:
            yield f"{t} {mid} <= www-data@mx.example U=www-data P=local S={rng.randrange(300, 5000)}"
        # Deliveries: remote (40 %, sometimes two recipients on one
        # connection) or local.
        if rng.random() < 0.4:
            k = bisect.bisect(cumulative, rng.random() * cumulative[-1])
            name, helo, ip = peers.pick(k)
            x = f" X={keys[k]} CV=yes" if keys[k] else ""
            yield f"{t} {mid} => rcpt{serial % 7919}@{helo} R=dnslookup T=remote_smtp H={name or helo} [{ip}]{x} C=\"250 2.0.0 Ok: queued as {serial:X}\""
            if rng.random() < 0.1:
                yield f"{t} {mid} -> rcpt{serial % 7907}@{helo} R=dnslookup T=remote_smtp H={name or helo} [{ip}]*{x} C=\"250 2.0.0 Ok\""
        else:
            yield f"{t} {mid} => user{serial % 500} <user{serial % 500}@mx.example> R=local_user T=mail_spool"
        yield f"{t} {mid} Completed"


def postfix_lines(rng, args):
    weights = [w for w, _, _ in KEYS]
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    keys = [k[1] for k in KEYS]
    peers = Peers(rng, weights)
    clock = Clock(rng)
    serial = 0
    while True:
        serial += 1
        clock.tick()
        t = clock.syslog()
        pid = 1000 + serial % 90
        qid = f"{serial:010X}"
        if rng.random() < 0.00002:
            yield f"{t} mx postfix/smtpd[{pid}]: Anonymous TLS connection established from trunc"
            continue
        k = bisect.bisect(cumulative, rng.random() * cumulative[-1])
        name, helo, ip = peers.pick(k)
        who = f"{name or 'unknown'}[{ip}]"
        yield f"{t} mx postfix/smtpd[{pid}]: connect from {who}"
        key = keys[k]
        if key:
            proto, cipher, bits = key.split(":")
            yield f"{t} mx postfix/smtpd[{pid}]: Anonymous TLS connection established from {who}: {proto} with cipher {cipher} ({bits}/{bits} bits)"
        yield f"{t} mx postfix/smtpd[{pid}]: {qid}: client={who}"
        yield f"{t} mx postfix/cleanup[{pid + 100}]: {qid}: message-id=<{serial}@{helo}>"
        yield f"{t} mx postfix/qmgr[900]: {qid}: from=<s{serial % 9973}@{helo}>, size={rng.randrange(800, 90000)}, nrcpt=1 (queue active)"
        starttls = " starttls=1" if key else ""
        yield f"{t} mx postfix/smtpd[{pid}]: disconnect from {who} ehlo=2{starttls} mail=1 rcpt=1 data=1 quit=1 commands={7 if key else 5}"
        if rng.random() < 0.4:
            k = bisect.bisect(cumulative, rng.random() * cumulative[-1])
            name, helo, ip = peers.pick(k)
            relay = f"{name or helo}[{ip}]:25"
            key = keys[k]
            spid = 2000 + serial % 50
            if key:
                proto, cipher, bits = key.split(":")
                yield f"{t} mx postfix/smtp[{spid}]: Trusted TLS connection established to {relay}: {proto} with cipher {cipher} ({bits}/{bits} bits)"
            yield f"{t} mx postfix/smtp[{spid}]: {qid}: to=<r{serial % 7919}@{helo}>, relay={relay}, delay=0.9, delays=0.1/0/0.4/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
        else:
            yield f"{t} mx postfix/local[3000]: {qid}: to=<user{serial % 500}@mx.example>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)"
        yield f"{t} mx postfix/qmgr[900]: {qid}: removed"


def write_fixture(path):
    with open(path, "wb") as f:
        for member in FIXTURE_MEMBERS:
            f.write(gzip.compress(member.encode(), mtime=0))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mta", choices=("exim", "postfix"), default="exim")
    p.add_argument("--flavour", choices=("openssl", "gnutls"), default="openssl", help="cipher names as OpenSSL- or GnuTLS-built Exim logs them")
    p.add_argument("--size", default="10M", help="bytes to write (suffixes K, M, G)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--fixture", metavar="PATH", help="write the gzip test fixture to PATH and exit")
    args = p.parse_args()
    if args.fixture:
        write_fixture(args.fixture)
        return
    rng = random.Random(args.seed)
    target = parse_size(args.size)
    lines = exim_lines(rng, args) if args.mta == "exim" else postfix_lines(rng, args)
    out = open(args.output, "w", encoding="utf-8", errors="surrogateescape", newline="\n") if args.output else sys.stdout
    written = 0
    batch = []
    with out:
        for line in lines:
            batch.append(line)
            if len(batch) == 2000:
                text = "\n".join(batch) + "\n"
                out.write(text)
                written += len(text)
                batch.clear()
                if written >= target:
                    break


if __name__ == "__main__":
    main()
