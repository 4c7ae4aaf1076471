#!/usr/bin/env bash
# Installs the Debian packages Garrison builds and tests against. Idempotent; needs root.
set -euo pipefail
packages=(
  libpq-dev libssl-dev postgresql postgresql-contrib   # storage (PostgreSQL through libpq), OpenSSL
  nats-server libnats-dev libmsgpack-dev libcrypt-dev  # the agents' bus (libcrypt: bcrypt for its passwords)
  libqrencode-dev zbar-tools libcurl4-openssl-dev      # 2FA QR codes, alerting
  make gcc curl util-linux pkg-config python3-pip      # C plugins, tests, runuser, pip for the test clients
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's postgresql package starts a system cluster we do not use; Garrison runs its own.

# Independent NATS and msgpack implementations the bus tests check Garrison against.
if ! python3 -c 'import nats, msgpack' >/dev/null 2>&1; then
  python3 -m pip install -q nats-py msgpack 2>/dev/null || python3 -m pip install -q --break-system-packages nats-py msgpack
fi
