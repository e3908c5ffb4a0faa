#!/usr/bin/env bash
# Regenerates the TEST-ONLY certificates and DH parameters in this folder.
#
# Usage: testdata/certs/generate.sh      (from anywhere; needs the `openssl` CLI, 3.0+)
#
# Files that exist are kept: a run only makes what is missing (delete a file
# to have it made again; delete ca.* and everything to start over, since the
# leaves are signed by that CA).
# Tests load them through `mxprobe::testkit::smtp::cert(NAME)`, which presents
# NAME.chain.pem when it exists and NAME.crt otherwise, with the key NAME.key.
#
#   ca.crt/.key            test root CA, RSA 2048, "mxprobe test CA"
#   intermediate.crt/.key  intermediate CA signed by the root
#   mx-rsa                 RSA 2048 leaf, SANs mx.example.test + mail.example.test
#   mx-ecdsa               ECDSA P-256 leaf, same names
#   self-signed            self-signed RSA 2048 cert for mx.example.test (same SANs)
#   expired                leaf valid 2000-01-01 .. 2001-01-01 only (via `openssl ca`)
#   wrong-name             leaf for s120.hoster.test only
#   cn-only                CN=mx.example.test, no subjectAltName at all
#   rsa1024                1024-bit RSA leaf, same names
#   sha1                   leaf signed with sha1WithRSAEncryption, same names
#   mx-inter               leaf signed by the intermediate; mx-inter.crt alone is
#                          the incomplete chain, mx-inter.chain.pem the full one
#   dh1024.pem dh2048.pem  finite-field DH parameters (`openssl dhparam`)
#   mta-sts                RSA 2048 leaf for the MTA-STS policy hosts of the
#                          tests, mta-sts.<name>.test for the names in $sts_names
#   not-yet-valid          leaf valid from 2100-01-01 only, same names
#   mx-aia                 leaf signed by the intermediate, with an AIA caIssuers
#                          URL (http://ca.example.test/intermediate.crt, never
#                          fetched); served alone: the incomplete chain with a hint
#   wrong-order            mx-inter's certificate and key; wrong-order.chain.pem
#                          presents the root before the intermediate
#   ec224                  ECDSA P-224 leaf (a weak EC key), same names
#
# NAME.crt is the certificate alone; NAME.chain.pem is it followed by its
# issuers up to and including the root. Valid certificates run from 2020 to
# 2120 so the tests do not rot. The private keys are committed on purpose: nothing
# here protects anything.
set -euo pipefail

cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

names="DNS:mx.example.test,DNS:mail.example.test"

ext() { # ext FILE SAN [keyUsage]
    cat >"$1" <<CONF
basicConstraints = critical, CA:FALSE
keyUsage = critical, ${3:-digitalSignature, keyEncipherment}
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
${2:+subjectAltName = $2}
CONF
}

ca_ext() { # ca_ext FILE [pathlen]
    cat >"$1" <<CONF
basicConstraints = critical, CA:TRUE${2:+, pathlen:$2}
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CONF
}

rsa_key() { openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1"; }

# `openssl ca` is the one OpenSSL 3.0 CLI path that takes explicit start and
# end dates: valid certificates start in 2020 (so a runner whose clock lags
# the generating machine still accepts them) and the expired one needs dates
# in the past without faking the clock.
mkdir "$work/db"
touch "$work/db/index.txt"
# A random first serial: leaves added later must not repeat earlier serials.
openssl rand -hex 8 >"$work/db/serial"
cat >"$work/ca.cnf" <<CONF
[ca]
default_ca = test
[test]
database = $work/db/index.txt
serial = $work/db/serial
new_certs_dir = $work/db
policy = any
unique_subject = no
[any]
commonName = supplied
[req]
distinguished_name = dn
[dn]
CONF

# sign NAME SUBJECT ISSUER(or "self") DIGEST EXTFILE [START END]
sign() {
    local name=$1 subject=$2 issuer=$3 digest=$4 extfile=$5
    local start=${6:-20200101000000Z} end=${7:-21200101000000Z}
    openssl req -new -config "$work/ca.cnf" -key "$name.key" -subj "$subject" -out "$work/$name.csr"
    local by=(-cert "$issuer.crt" -keyfile "$issuer.key")
    [ "$issuer" = self ] && by=(-selfsign -keyfile "$name.key")
    openssl ca -batch -notext -preserveDN -config "$work/ca.cnf" "${by[@]}" -md "$digest" \
        -startdate "$start" -enddate "$end" -extfile "$extfile" \
        -in "$work/$name.csr" -out "$name.crt" 2>/dev/null
}

# leaf NAME SUBJECT SAN ISSUER DIGEST [keyUsage]  (the key NAME.key exists)
leaf() {
    ext "$work/$1.ext" "$3" "${6:-}"
    sign "$1" "$2" "$4" "$5" "$work/$1.ext"
}

chain() { # chain NAME ISSUER...
    local name=$1
    shift
    cat "$name.crt" "${@/%/.crt}" >"$name.chain.pem"
}

# missing FILE...: true when none of the files exists yet.
missing() {
    local f
    for f; do [ -e "$f" ] && return 1; done
    return 0
}

# Root and intermediate CAs.
if missing ca.key ca.crt; then
    rsa_key ca.key 2048
    ca_ext "$work/ca.ext"
    sign ca "/O=mxprobe tests/CN=mxprobe test CA" self sha256 "$work/ca.ext"
fi
if missing intermediate.key intermediate.crt; then
    rsa_key intermediate.key 2048
    ca_ext "$work/intermediate.ext" 0
    sign intermediate "/O=mxprobe tests/CN=mxprobe test intermediate CA" ca sha256 "$work/intermediate.ext"
fi

# Leaves signed by the root.
if missing mx-rsa.key mx-rsa.crt; then
    rsa_key mx-rsa.key 2048
    leaf mx-rsa "/CN=mx.example.test" "$names" ca sha256
    chain mx-rsa ca
fi

if missing mx-ecdsa.key mx-ecdsa.crt; then
    openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out mx-ecdsa.key
    leaf mx-ecdsa "/CN=mx.example.test" "$names" ca sha256 digitalSignature
    chain mx-ecdsa ca
fi

if missing wrong-name.key wrong-name.crt; then
    rsa_key wrong-name.key 2048
    leaf wrong-name "/CN=s120.hoster.test" "DNS:s120.hoster.test" ca sha256
    chain wrong-name ca
fi

if missing cn-only.key cn-only.crt; then
    rsa_key cn-only.key 2048
    leaf cn-only "/CN=mx.example.test" "" ca sha256
    chain cn-only ca
fi

if missing rsa1024.key rsa1024.crt; then
    rsa_key rsa1024.key 1024
    leaf rsa1024 "/CN=mx.example.test" "$names" ca sha256
    chain rsa1024 ca
fi

if missing sha1.key sha1.crt; then
    rsa_key sha1.key 2048
    leaf sha1 "/CN=mx.example.test" "$names" ca sha1
    chain sha1 ca
fi

if missing expired.key expired.crt; then
    rsa_key expired.key 2048
    ext "$work/expired.ext" "$names"
    sign expired "/CN=mx.example.test" ca sha256 "$work/expired.ext" 20000101000000Z 20010101000000Z
    chain expired ca
fi

# Leaf signed by the intermediate.
if missing mx-inter.key mx-inter.crt; then
    rsa_key mx-inter.key 2048
    leaf mx-inter "/CN=mx.example.test" "$names" intermediate sha256
    chain mx-inter intermediate ca
fi

# Self-signed (no authorityKeyIdentifier: there is no other issuer to name).
if missing self-signed.key self-signed.crt; then
    rsa_key self-signed.key 2048
    cat >"$work/self.ext" <<CONF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $names
CONF
    sign self-signed "/CN=mx.example.test" self sha256 "$work/self.ext"
fi

# DH parameters for DHE tests.
missing dh1024.pem && openssl dhparam -out dh1024.pem 1024 2>/dev/null
missing dh2048.pem && openssl dhparam -out dh2048.pem 2048 2>/dev/null

# MTA-STS policy hosts of the tests (crates/mxprobe-cli/tests/it/trust_dns.rs):
# one leaf for mta-sts.<name>.test of every name here.
sts_names="sts-enforce sts-testing sts-none sts-invalid sts-redirect sts-type sts-large sts-missing sts-violated sts-chunked sts-mismatch sts-multi"
if missing mta-sts.key mta-sts.crt; then
    rsa_key mta-sts.key 2048
    sans=""
    for n in $sts_names; do sans="${sans:+$sans,}DNS:mta-sts.$n.test"; done
    leaf mta-sts "/CN=mta-sts.sts-enforce.test" "$sans" ca sha256
    chain mta-sts ca
fi

# Trust-check fixtures (crates/mxprobe-cli/tests/it/trust.rs).
if missing not-yet-valid.key not-yet-valid.crt; then
    rsa_key not-yet-valid.key 2048
    ext "$work/not-yet-valid.ext" "$names"
    sign not-yet-valid "/CN=mx.example.test" ca sha256 "$work/not-yet-valid.ext" 21000101000000Z 21200101000000Z
    chain not-yet-valid ca
fi

if missing mx-aia.key mx-aia.crt; then
    rsa_key mx-aia.key 2048
    ext "$work/mx-aia.ext" "$names"
    echo "authorityInfoAccess = caIssuers;URI:http://ca.example.test/intermediate.crt" >>"$work/mx-aia.ext"
    sign mx-aia "/CN=mx.example.test" intermediate sha256 "$work/mx-aia.ext"
fi

if missing wrong-order.key wrong-order.crt; then
    cp mx-inter.crt wrong-order.crt
    cp mx-inter.key wrong-order.key
    cat mx-inter.crt ca.crt intermediate.crt >wrong-order.chain.pem
fi

if missing ec224.key ec224.crt; then
    openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-224 -out ec224.key
    leaf ec224 "/CN=mx.example.test" "$names" ca sha256 digitalSignature
    chain ec224 ca
fi

echo "$(ls | wc -l) files in $(pwd)"
