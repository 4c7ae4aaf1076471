#!/usr/bin/env bash
# Installs the Debian packages Garrison builds and tests against. Idempotent; needs root.
set -euo pipefail
packages=(
  libpq-dev libssl-dev postgresql postgresql-contrib   # storage (PostgreSQL through libpq), OpenSSL
  nats-server libnats-dev libmsgpack-dev libcrypt-dev  # the agents' bus (libcrypt: bcrypt for its passwords)
  libqrencode-dev zlib1g-dev zbar-tools               # 2FA: QR codes, PNG deflate, a QR reader for tests
  libcurl4-openssl-dev                                 # alerting
  python3 python3-pip                                  # pyotp (2FA tests), nats-py and msgpack (bus tests)
  make gcc curl util-linux pkg-config                  # C plugins, tests, runuser
  patchelf                                             # scripts/install.sh: run paths of the installed copies
  haproxy iproute2                                     # scale-out tests: a balancer in front of hosts in network namespaces
  chromium chromium-driver                             # the dashboard's browser tests (headless, driven by selenium)
  nginx wrk                                            # garrison-bench tls: nginx is the handshake baseline, wrk the load
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's postgresql package starts a system cluster we do not use; Garrison runs its own.
# pyotp: an independent TOTP implementation the 2FA tests check codes against.
if ! python3 -c "import pyotp" >/dev/null 2>&1; then
  python3 -m pip install -q pyotp 2>/dev/null \
    || python3 -m pip install -q --break-system-packages pyotp
fi
# Independent NATS and msgpack implementations the bus tests check Garrison against
# (aiohttp: nats-py's websocket transport, for the /natsws tests).
if ! python3 -c 'import nats, msgpack, aiohttp' >/dev/null 2>&1; then
  python3 -m pip install -q nats-py msgpack aiohttp 2>/dev/null || python3 -m pip install -q --break-system-packages nats-py msgpack aiohttp
fi
# aiosmtpd: an independent SMTP server the alert e-mail tests send to.
if ! python3 -c "import aiosmtpd" >/dev/null 2>&1; then
  python3 -m pip install -q aiosmtpd 2>/dev/null || python3 -m pip install -q --break-system-packages aiosmtpd
fi
# meshctrl (MeshCentral's Python client, pinned as Tactical RMM pins it; pulls pycryptodome
# and websockets): the MeshCentral tests check tokens against it and run a control.ashx stand-in.
if ! python3 -c "import meshctrl.utils, websockets, Crypto" >/dev/null 2>&1; then
  python3 -m pip install -q meshctrl==0.1.15 websockets pycryptodome 2>/dev/null \
    || python3 -m pip install -q --break-system-packages meshctrl==0.1.15 websockets pycryptodome
fi
# Schemathesis: an independent OpenAPI fuzzer the schema-fuzzing test runs against /api/schema/.
if ! python3 -c "import schemathesis" >/dev/null 2>&1; then
  python3 -m pip install -q schemathesis 2>/dev/null || python3 -m pip install -q --break-system-packages schemathesis
fi
# selenium drives Debian's chromium in the dashboard's browser tests; websockets is an
# independent client for the dashboard's /ws/ endpoints.
if ! python3 -c "import selenium, websockets" >/dev/null 2>&1; then
  python3 -m pip install -q selenium websockets 2>/dev/null || python3 -m pip install -q --break-system-packages selenium websockets
fi
