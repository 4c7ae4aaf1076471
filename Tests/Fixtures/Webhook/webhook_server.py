"""A webhook receiver for the URL action tests (standard library only).

webhook_server.py PORT OUTDIR: listens on 127.0.0.1:PORT, answers every request (any method,
any path) 200 with the text "received <n>", and writes it to OUTDIR as NNNN.json: method,
path, headers (lower-cased names) and body, atomically.

Test control: a file OUTDIR/force holding a JSON list of statuses, e.g. [503, 500], is taken
(and removed) at the next request: the requests then answer those (body "busy") in order,
without recording them, before answering normally again.
Prints READY once listening; stops when its stdin closes.
"""
import itertools
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, outdir = int(sys.argv[1]), sys.argv[2]
counter = itertools.count()
lock = threading.Lock()
forced = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        with lock:
            path = os.path.join(outdir, "force")
            if os.path.exists(path):
                with open(path) as f:
                    forced.extend(json.load(f))
                os.remove(path)
            status = forced.pop(0) if forced else None
            n = None if status else next(counter)
        if status:
            data = b"busy"
        else:
            record = {
                "method": self.command, "path": self.path, "body": body,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
            tmp = os.path.join(outdir, "%04d.tmp" % n)
            with open(tmp, "w") as f:
                json.dump(record, f)
            os.rename(tmp, os.path.join(outdir, "%04d.json" % n))
            status, data = 200, ("received %d" % n).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("READY", flush=True)
sys.stdin.read()
server.shutdown()
