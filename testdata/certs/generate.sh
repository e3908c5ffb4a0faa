#!/usr/bin/env bash
# Regenerates the TEST-ONLY certificates and DH parameters in this folder.
#
# Usage: testdata/certs/generate.sh      (from anywhere; needs the `openssl` CLI, 3.0+)
#        testdata/certs/generate.sh --add  (only the files that do not exist yet,
#                                           signed by the existing CAs)
#
# Every full run creates fresh keys, so the files change, but their names do not.
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
#
# Added for the trust checks (made by `--add` when missing):
#
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

add=no
[ "${1:-}" = --add ] && add=yes

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
echo 1000 >"$work/db/serial"
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

if [ "$add" = no ]; then
rm -f ./*.crt ./*.key ./*.pem

# Root and intermediate CAs.
rsa_key ca.key 2048
ca_ext "$work/ca.ext"
sign ca "/O=mxprobe tests/CN=mxprobe test CA" self sha256 "$work/ca.ext"
rsa_key intermediate.key 2048
ca_ext "$work/intermediate.ext" 0
sign intermediate "/O=mxprobe tests/CN=mxprobe test intermediate CA" ca sha256 "$work/intermediate.ext"

# Leaves signed by the root.
rsa_key mx-rsa.key 2048
leaf mx-rsa "/CN=mx.example.test" "$names" ca sha256
chain mx-rsa ca

openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out mx-ecdsa.key
leaf mx-ecdsa "/CN=mx.example.test" "$names" ca sha256 digitalSignature
chain mx-ecdsa ca

rsa_key wrong-name.key 2048
leaf wrong-name "/CN=s120.hoster.test" "DNS:s120.hoster.test" ca sha256
chain wrong-name ca

rsa_key cn-only.key 2048
leaf cn-only "/CN=mx.example.test" "" ca sha256
chain cn-only ca

rsa_key rsa1024.key 1024
leaf rsa1024 "/CN=mx.example.test" "$names" ca sha256
chain rsa1024 ca

rsa_key sha1.key 2048
leaf sha1 "/CN=mx.example.test" "$names" ca sha1
chain sha1 ca

rsa_key expired.key 2048
ext "$work/expired.ext" "$names"
sign expired "/CN=mx.example.test" ca sha256 "$work/expired.ext" 20000101000000Z 20010101000000Z
chain expired ca

# Leaf signed by the intermediate.
rsa_key mx-inter.key 2048
leaf mx-inter "/CN=mx.example.test" "$names" intermediate sha256
chain mx-inter intermediate ca

# Self-signed (no authorityKeyIdentifier: there is no other issuer to name).
rsa_key self-signed.key 2048
cat >"$work/self.ext" <<CONF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $names
CONF
sign self-signed "/CN=mx.example.test" self sha256 "$work/self.ext"

# DH parameters for DHE tests.
openssl dhparam -out dh1024.pem 1024 2>/dev/null
openssl dhparam -out dh2048.pem 2048 2>/dev/null
fi

# Trust-check fixtures: each made only when missing, so `--add` keeps every
# file above (and their keys) as they are.
missing() { [ ! -e "$1.crt" ]; }

if missing not-yet-valid; then
    rsa_key not-yet-valid.key 2048
    ext "$work/not-yet-valid.ext" "$names"
    sign not-yet-valid "/CN=mx.example.test" ca sha256 "$work/not-yet-valid.ext" 21000101000000Z 21200101000000Z
    chain not-yet-valid ca
fi

if missing mx-aia; then
    rsa_key mx-aia.key 2048
    ext "$work/mx-aia.ext" "$names"
    echo "authorityInfoAccess = caIssuers;URI:http://ca.example.test/intermediate.crt" >>"$work/mx-aia.ext"
    sign mx-aia "/CN=mx.example.test" intermediate sha256 "$work/mx-aia.ext"
fi

if missing wrong-order; then
    cp mx-inter.crt wrong-order.crt
    cp mx-inter.key wrong-order.key
    cat mx-inter.crt ca.crt intermediate.crt >wrong-order.chain.pem
fi

if missing ec224; then
    openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-224 -out ec224.key
    leaf ec224 "/CN=mx.example.test" "$names" ca sha256 digitalSignature
    chain ec224 ca
fi

echo "$([ "$add" = yes ] && echo "added missing files; ")$(ls | wc -l) files in $(pwd)"
