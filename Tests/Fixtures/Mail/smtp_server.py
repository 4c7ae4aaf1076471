"""An SMTP server for the alert e-mail tests (aiosmtpd, an independent implementation).

smtp_server.py PORT USER PASSWORD OUTDIR: listens on 127.0.0.1:PORT, requires AUTH
(PLAIN or LOGIN) with USER/PASSWORD, and writes each message it accepts to OUTDIR as
NNNN.json ({"from", "to", "data"}), atomically. Prints READY once listening; stops when
its stdin closes.
"""
import itertools
import json
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, user, password, outdir = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4]
counter = itertools.count()


class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        record = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": envelope.content.decode("utf-8", "replace")}
        tmp = os.path.join(outdir, f".{n:04d}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(outdir, f"{n:04d}.json"))
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
    return AuthResult(success=ok, handled=False)


controller = Controller(
    Handler(), hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True, auth_require_tls=False
)
controller.start()
print("READY", flush=True)
sys.stdin.read()
controller.stop()
