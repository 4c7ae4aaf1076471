#!/usr/bin/env bash
# Installs the Debian packages Garrison builds and tests against. Idempotent; needs root.
set -euo pipefail
packages=(
  libpq-dev libssl-dev postgresql postgresql-contrib   # storage (PostgreSQL through libpq), OpenSSL
  nats-server libnats-dev libmsgpack-dev               # the agents' bus
  libqrencode-dev zbar-tools libcurl4-openssl-dev      # 2FA QR codes, alerting
  make gcc curl util-linux pkg-config                  # C plugins, tests, runuser
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's postgresql package starts a system cluster we do not use; Garrison runs its own.
