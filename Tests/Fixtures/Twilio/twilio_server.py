"""A stand-in for Twilio's Messages API, for the alert SMS tests (standard library only).

twilio_server.py PORT ACCOUNT_SID AUTH_TOKEN FROM_NUMBER OUTDIR: listens on 127.0.0.1:PORT
and answers as Twilio's REST API does for creating a message:

  POST /2010-04-01/Accounts/<AccountSid>/Messages.json
       HTTP Basic auth (user = account SID, password = auth token),
       application/x-www-form-urlencoded fields To, From, Body
  201  the Message resource as JSON (sid "SM" + 32 hex, status "queued", RFC 2822 dates, ...)
  401  {"code": 20003, "message": "Authenticate", ...}          wrong or missing credentials
  404  {"code": 20404, ...}                                       another account's path
  400  {"code": 21604 | 21603 | 21602, ...}                       To / From / Body missing
  400  {"code": 21211, ...}                                       To is not an E.164 number
  400  {"code": 21606, ...}                                       From is not a number of the account
  429  {"code": 20429, "message": "Too Many Requests", ...}       when told to (below)

Error bodies carry code, message, more_info (https://www.twilio.com/docs/errors/<code>) and
status, as Twilio's do. Each created message is written to OUTDIR as NNNN.json with the form
fields and the request's Content-Type and Accept headers, atomically.

Test control (not Twilio's): a file OUTDIR/force holding a JSON list of statuses, e.g.
[429, 500], is taken (and removed) at the next request: the requests to Messages.json then
answer those (429 as Twilio's rate limit, 5xx as an internal error) in order before answering
normally again.
Prints READY once listening; stops when its stdin closes.
"""
import base64
import email.utils
import itertools
import json
import os
import re
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

port, account_sid, auth_token, from_number, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
counter = itertools.count()
lock = threading.Lock()
forced = []
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")


def error(code, message, status):
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(*error(20004, "Method not allowed", 405))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        force = os.path.join(outdir, "force")
        with lock:
            if os.path.exists(force):
                with open(force) as f:
                    forced.extend(json.load(f))
                os.remove(force)
        match = PATH.match(self.path.split("?")[0])
        if not match:
            return self.answer(*error(20404, f"The requested resource {self.path} was not found", 404))
        auth = self.headers.get("Authorization", "")
        user = password = None
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                pass
        if user != account_sid or password != auth_token:
            return self.answer(*error(20003, "Authenticate", 401))
        if match.group(1) != account_sid:
            return self.answer(*error(20404, f"The requested resource {self.path} was not found", 404))
        with lock:
            status = forced.pop(0) if forced else None
        if status == 429:
            return self.answer(*error(20429, "Too Many Requests", 429))
        if status:
            return self.answer(*error(20500, "Internal Server Error", status))
        fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        to, sender, body = fields.get("To", ""), fields.get("From", ""), fields.get("Body", "")
        if not to:
            return self.answer(*error(21604, "A 'To' phone number is required.", 400))
        if not sender:
            return self.answer(*error(21603, "A 'From' phone number is required.", 400))
        if not body:
            return self.answer(*error(21602, "Message body is required.", 400))
        if not E164.match(to):
            return self.answer(*error(21211, f"The 'To' number {to} is not a valid phone number.", 400))
        if sender != from_number:
            return self.answer(*error(
                21606, f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short code for your account.", 400))
        sid = "SM" + secrets.token_hex(16)
        now = email.utils.formatdate(usegmt=True)
        n = next(counter)
        record = {"fields": fields, "content_type": self.headers.get("Content-Type"), "accept": self.headers.get("Accept"), "sid": sid}
        tmp = os.path.join(outdir, f".{n:04d}.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(outdir, f"{n:04d}.json"))
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"
        self.answer(201, {
            "account_sid": account_sid, "api_version": "2010-04-01", "body": body, "date_created": now, "date_sent": None,
            "date_updated": now, "direction": "outbound-api", "error_code": None, "error_message": None, "from": sender,
            "messaging_service_sid": None, "num_media": "0", "num_segments": str(max(1, (len(body) + 159) // 160)), "price": None,
            "price_unit": "USD", "sid": sid, "status": "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")}, "to": to, "uri": uri,
        })


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("READY", flush=True)
sys.stdin.read()
server.shutdown()
