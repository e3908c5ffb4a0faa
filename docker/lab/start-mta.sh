#!/bin/sh
# Starts one of the lab's real mail servers in the foreground, as the tests
# do (src/testkit/mta/daemon.rs): fills the placeholders of the templates in
# /mta (testdata/mta/, see its README.md) and runs the server.
#
# Usage: start-mta.sh postfix|exim VARIANT ADDRESS [PORT]
#   e.g. start-mta.sh postfix legacy-first 127.0.2.2
# The paths are the image's; the environment may override them (to try the
# script outside a container): MTA_TEMPLATES, MTA_CERTS, MTA_DIR, MTA_EXIM.
set -eu

kind=$1 variant=$2 addr=$3 port=${4:-25}
templates=${MTA_TEMPLATES:-/mta}
certs=${MTA_CERTS:-/certs}
dir=${MTA_DIR:-/run/mta}
exim=${MTA_EXIM:-/usr/sbin/exim4}

rm -rf "$dir"
mkdir -p "$dir"
# A copy the servers' unprivileged users can read, whatever the mount's modes.
cp -r "$certs" "$dir/certs"
chmod -R a+rX "$dir/certs"

render() {
    sed -e "s|@DIR@|$dir|g" -e "s|@ADDR@|$addr|g" -e "s|@PORT@|$port|g" \
        -e "s|@CERTS@|$dir/certs|g" -e "s|@EXIM@|$exim|g" "$@"
}

case $kind in
postfix)
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
    chown postfix "$dir/data"
    {
        # The lab logs to the container's output instead (below).
        render "$templates/postfix/main.cf" | grep -v '^maillog_file'
        echo "# --- $variant.cf"
        render "$templates/postfix/$variant.cf"
        echo "# --- the lab"
        echo "maillog_file = /dev/stdout"
        echo "maillog_file_prefixes = /dev/stdout"
    } >"$dir/etc/main.cf"
    render "$templates/postfix/master.cf" >"$dir/etc/master.cf"
    exec postfix -c "$dir/etc" start-fg
    ;;
exim)
    mkdir -p "$dir/spool" "$dir/log"
    chown Debian-exim "$dir/spool" "$dir/log"
    {
        render "$templates/exim/$variant.conf"
        echo "# --- base.conf (last: it ends with the ACL section)"
        render "$templates/exim/base.conf"
    } >"$dir/exim.conf"
    echo "exim $variant on $addr:$port; its log: $dir/log/mainlog"
    exec "$exim" -bdf -C "$dir/exim.conf"
    ;;
*)
    echo "usage: start-mta.sh postfix|exim VARIANT ADDRESS [PORT]" >&2
    exit 2
    ;;
esac
