#!/usr/bin/env bash
# The OpenID Connect provider the single sign-on tests start on loopback: the `oidc-provider` package at the
# exact versions of tests/oidc_provider/package-lock.json, installed into tests/oidc_provider/node_modules
# (never committed) under Debian's node. Idempotent: reinstalls only when the lock file changed.
set -euo pipefail
cd "$(dirname "$0")/../tests/oidc_provider"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "Installing node and npm from Debian's packages (for the single sign-on tests)"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "Installing the test OpenID Connect provider (npm ci in tests/oidc_provider)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch "$stamp"
fi
