#!/usr/bin/env bash
# Installs what tests/it/examples.rs checks the scheduler examples with:
#
#   kubernetes-validate  from PyPI: Kubernetes' own OpenAPI schemas (1.37
#                        and older), bundled, so checking needs no network;
#                        brings PyYAML, with which the test reads the
#                        manifests' arguments to run them.
#
# Idempotent; pip runs only when something is missing. Called by .ci/run
# and, when needed, by the test itself.
set -euo pipefail
version=1.37.0
if python3 -c "import kubernetes_validate" 2>/dev/null &&
    python3 -c 'import yaml' 2>/dev/null &&
    python3 -m kubernetes_validate --version 2>/dev/null | grep -qx "$version"; then
    exit 0
fi
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "kubernetes-validate==$version" pyyaml
