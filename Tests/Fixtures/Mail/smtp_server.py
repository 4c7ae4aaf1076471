"""An SMTP server for the alert e-mail tests (aiosmtpd, an independent implementation).

smtp_server.py PORT USER PASSWORD OUTDIR [TLS CERT KEY]: listens on 127.0.0.1:PORT, requires
AUTH (PLAIN or LOGIN) with USER/PASSWORD, and writes each message it accepts to OUTDIR as
NNNN.json ({"from", "to", "data"}), atomically. TLS: none (default), starttls (required
before AUTH) or implicit, with the PEM CERT and KEY. Prints READY once listening; stops
when its stdin closes.

SMTP_DATA_DELAY (seconds, environment): wait that long after keeping a message before its
250, as a slow server does -- the window in which a client that dies has delivered a
message without knowing it.
"""
import asyncio
import itertools
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, user, password, outdir = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4]
counter = itertools.count()
delay = float(os.environ.get("SMTP_DATA_DELAY", "0"))


class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        record = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": envelope.content.decode("utf-8", "replace")}
        tmp = os.path.join(outdir, f".{n:04d}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(outdir, f"{n:04d}.json"))
        if delay:
            await asyncio.sleep(delay)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
    return AuthResult(success=ok, handled=False)


tls = sys.argv[5] if len(sys.argv) > 5 else "none"
options = {}
if tls != "none":
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[6], sys.argv[7])
    if tls == "starttls":
        options = {"tls_context": context, "require_starttls": True}
    else:
        options = {"ssl_context": context, "server_hostname": "127.0.0.1"}
controller = Controller(
    Handler(), hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True,
    auth_require_tls=tls == "starttls", **options
)
controller.start()
print("READY", flush=True)
sys.stdin.read()
controller.stop()
