#!/usr/bin/env bash
# Installs the browser tests/it/html.rs renders the HTML report in:
# Debian's `chromium` (headless: --dump-dom, --screenshot), as root with apt.
# Idempotent: when it is there this only checks. Called by .ci/run and, when
# needed, by the test itself.
set -euo pipefail
if command -v chromium >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends chromium >/dev/null
