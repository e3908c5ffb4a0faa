#!/usr/bin/env python3
"""Record what a real SMTP client offers in its STARTTLS ClientHello.

Listens on 127.0.0.1:PORT, speaks SMTP up to STARTTLS, reads the client's
ClientHello, prints the versions, cipher suites (OpenSSL's names, from the
system's `openssl ciphers -V`), groups and key shares in the client's order
as TOML lines for a profile's [tls] section, then closes (the client's
handshake fails; nothing is delivered).

Usage, for the profiles recorded on Debian 12 (see senders/README.md):
  senders/record.py 2525 & posttls-finger -c -l may "[127.0.0.1]:2525"
  senders/record.py 2525 & gnutls-cli --priority NORMAL --starttls-proto=smtp --port 2525 127.0.0.1 </dev/null
  senders/record.py 2525 & openssl s_client -starttls smtp -connect 127.0.0.1:2525 </dev/null
"""
import socket
import subprocess
import sys

GROUPS = {19: "prime192v1", 21: "secp224r1", 22: "secp256k1", 23: "secp256r1",
          24: "secp384r1", 25: "secp521r1", 26: "brainpoolP256r1",
          27: "brainpoolP384r1", 28: "brainpoolP512r1", 29: "x25519", 30: "x448",
          31: "brainpoolP256r1tls13", 32: "brainpoolP384r1tls13",
          33: "brainpoolP512r1tls13", 256: "ffdhe2048", 257: "ffdhe3072",
          258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
          4587: "SecP256r1MLKEM768", 4588: "X25519MLKEM768", 4589: "SecP384r1MLKEM1024"}
VERSIONS = {0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}


def cipher_names():
    out = subprocess.run(["openssl", "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, text=True, check=True).stdout
    names = {}
    for line in out.splitlines():
        parts = line.split()
        hi, lo = parts[0].split(",")
        names[int(hi, 16) << 8 | int(lo, 16)] = parts[2]
    # TLS 1.3 suites the listing leaves out unless configured.
    names.update({0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
                  0x1303: "TLS_CHACHA20_POLY1305_SHA256", 0x1304: "TLS_AES_128_CCM_SHA256",
                  0x1305: "TLS_AES_128_CCM_8_SHA256"})
    return names


def u16(b, i):
    return b[i] << 8 | b[i + 1]


def main():
    port = int(sys.argv[1])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    conn, _ = srv.accept()
    f = conn.makefile("rwb", buffering=0)
    f.write(b"220 record.test ESMTP\r\n")
    while True:
        line = f.readline().strip().upper()
        if line.startswith(b"EHLO"):
            f.write(b"250-record.test\r\n250 STARTTLS\r\n")
        elif line.startswith(b"STARTTLS"):
            f.write(b"220 go ahead\r\n")
            break
        elif not line:
            sys.exit("client closed before STARTTLS")
        else:
            f.write(b"250 ok\r\n")
    data = b""
    while len(data) < 5 or len(data) < 5 + u16(data, 3):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    conn.close()
    hello = data[5:]
    i = 4 + 2 + 32
    i += 1 + hello[i]
    n = u16(hello, i)
    suites = [u16(hello, i + 2 + k) for k in range(0, n, 2)]
    i += 2 + n
    i += 1 + hello[i]
    legacy = VERSIONS.get(u16(hello, 4), hex(u16(hello, 4)))
    versions, groups, shares = [legacy], [], []
    end = i + 2 + u16(hello, i)
    i += 2
    while i < end:
        kind, size = u16(hello, i), u16(hello, i + 2)
        body = hello[i + 4:i + 4 + size]
        if kind == 10:
            groups = [GROUPS.get(u16(body, 2 + k), str(u16(body, 2 + k))) for k in range(0, u16(body, 0), 2)]
        elif kind == 43:
            versions = [VERSIONS.get(u16(body, 1 + k), hex(u16(body, 1 + k))) for k in range(0, body[0], 2)]
        elif kind == 51:
            j = 2
            while j < len(body):
                shares.append(GROUPS.get(u16(body, j), str(u16(body, j))))
                j += 4 + u16(body, j + 2)
        i += 4 + size
    names = cipher_names()
    named = [names.get(s, "0x%04X" % s) for s in suites if s not in (0x00FF, 0x5600)]
    tls13 = [c for c in named if c.startswith("TLS_")]
    older = [c for c in named if not c.startswith("TLS_")]
    q = lambda xs: "[" + ", ".join('"%s"' % x for x in xs) + "]"
    print("# recorded offer; the newest version first as the client lists it")
    print("versions = %s" % q(sorted(set(versions), key=lambda v: list(VERSIONS.values()).index(v) if v in VERSIONS.values() else 9)))
    print("ciphers = %s" % q(older))
    print("tls13 = %s" % q(tls13))
    print("groups = %s" % q(groups))
    print("key_shares = %s" % q(shares))


if __name__ == "__main__":
    main()
