#!/usr/bin/env bash
# Installs the real mail servers that the integration tests in
# crates/mxprobe-cli/tests/it/mta/ start, on Debian 12 as root:
#
#   Postfix  Debian's package `postfix`, installed with apt as "No configuration":
#            no /etc/postfix/main.cf, so the packaged instance never starts
#            (Debian's init script exits without one). The tests run their own
#            instances with `postfix -c DIR start-fg`.
#   Exim     Debian's `exim4-daemon-light` (Exim on GnuTLS). It conflicts with
#            postfix as a package, so it is unpacked privately under
#            target/mta/exim4/ (apt-get download + dpkg-deb -x), its shared
#            libraries are installed with apt, and the system user
#            `Debian-exim` its binary was built for is created. The tests run
#            it with `-C their-own.conf`.
#   openssl  Debian's CLI (OpenSSL 3.0), for the independent cross-checks.
#   gnutls-cli  Debian's gnutls-bin (GnuTLS 3.7, the library Exim sends with),
#            the client the exim-4.96 sender profile is checked against
#            (mta/senders.rs; posttls-finger comes with postfix).
#
# Idempotent: when everything is there it only checks, in a few milliseconds.
# Nothing is started and nothing listens. apt-get update runs once, and only
# when something has to be installed. Called by .ci/run and, when needed, by
# the tests themselves (src/testkit/mta/install.rs).
#
# Usage: tests/mta/setup.sh        (from anywhere)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
exim_root=$root/target/mta/exim4
exim=$exim_root/usr/sbin/exim4

missing_libs() { ldd "$exim" 2>/dev/null | awk '/not found/ {print $1}'; }

ready() {
    [ -x /usr/sbin/postfix ] && [ -x /usr/lib/postfix/sbin/master ] &&
        [ -x "$exim" ] && [ -z "$(missing_libs)" ] &&
        getent passwd Debian-exim >/dev/null && command -v openssl >/dev/null &&
        command -v gnutls-cli >/dev/null
}

if ready; then
    exit 0
fi

say() { echo "tests/mta/setup.sh: $*" >&2; }
if [ "$(id -u)" != 0 ]; then
    say "the real-MTA tests need Postfix and Exim; run this script as root once (it uses apt-get)"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -q -y -o DPkg::Lock::Timeout=120)
updated=
apt_update() {
    if [ -z "$updated" ]; then
        "${apt[@]}" update >/dev/null
        updated=1
    fi
}
# --no-remove: never take away a mail server the machine already has (the
# MTA packages conflict); fail instead.
install() {
    apt_update
    "${apt[@]}" install --no-install-recommends --no-remove "$@" >/dev/null
}

if ! command -v openssl >/dev/null; then
    say "installing openssl"
    install openssl
fi

if ! command -v gnutls-cli >/dev/null; then
    say "installing gnutls-bin"
    install gnutls-bin
fi

if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/lib/postfix/sbin/master ]; then
    say "installing postfix (No configuration: the packaged instance stays off)"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # A main.cf left by an earlier, removed postfix would let its init script
    # start it: forbid service starts during the install, as Debian's
    # policy-rc.d interface allows, unless the machine already has a policy.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    install postfix
fi

if [ ! -x "$exim" ]; then
    say "unpacking exim4-daemon-light into $exim_root"
    apt_update
    work=$(mktemp -d)
    (cd "$work" && apt-get -q -o APT::Sandbox::User=root download exim4-daemon-light >/dev/null)
    rm -rf "$exim_root"
    mkdir -p "$exim_root"
    dpkg-deb -x "$work"/exim4-daemon-light_*.deb "$exim_root"
    rm -rf "$work"
fi

if [ -n "$(missing_libs)" ]; then
    # The libraries among the package's own dependencies (not exim4-base,
    # which would install an MTA configuration).
    apt_update
    # Only those not installed: nothing else on the machine changes.
    libs=
    for lib in $(apt-cache depends exim4-daemon-light |
        awk '$1 == "Depends:" && $2 ~ /^lib/ {print $2}' | sort -u); do
        dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'ok installed' ||
            libs="$libs $lib"
    done
    say "installing Exim's libraries:$libs"
    # shellcheck disable=SC2086 # one word per package
    install $libs
    if [ -n "$(missing_libs)" ]; then
        say "still missing for $exim: $(missing_libs | tr '\n' ' ')"
        exit 1
    fi
fi

if ! getent passwd Debian-exim >/dev/null; then
    # Debian's Exim looks this user up before reading any configuration.
    say "creating the system user Debian-exim"
    adduser --system --group --quiet --allow-bad-names --no-create-home \
        --home /nonexistent Debian-exim
fi

ready || { say "installation incomplete"; exit 1; }
say "ready: $(postconf -d -h mail_version 2>/dev/null | sed 's/^/Postfix /'), $("$exim" -bV -C /dev/null 2>/dev/null | sed -n 's/^\(Exim version [^ ]*\).*/\1/p'), $(openssl version), $(gnutls-cli --version | head -n 1)"
