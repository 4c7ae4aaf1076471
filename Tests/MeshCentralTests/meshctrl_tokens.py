"""Independent check of Garrison's MeshCentral tokens with PyPI meshctrl (the client Tactical
RMM uses) and pycryptodome. Reads one JSON object on stdin, writes one on stdout.

  make:   {"op":"make","key":hex,"user":..,"domain":..,"time":int,"iv":hex,"nonce":hex}
          -> {"login": meshctrl.utils.get_login_token(..), "auth": meshctrl.utils.get_auth_token(..)}
          with meshctrl's random bytes and clock fixed to the given values.
  open:   {"op":"open","key":hex,"login":token,"auth":cookie}
          -> {"login": json text, "auth": json text}, decoded as MeshCentral decodes them
          (mesh base64, AES-256-CBC with key[48:80] after a 48-byte prefix; AES-256-GCM with
          key[0:32], nonce 12 | tag 16 | ciphertext).
"""
import base64
import json
import sys

import meshctrl.utils as mu
from Crypto.Cipher import AES
from Crypto.Util.Padding import unpad


def mesh_b64decode(text):
    return base64.b64decode(text.replace("@", "+").replace("$", "/"))


def main():
    req = json.load(sys.stdin)
    if req["op"] == "make":
        fixed = {16: bytes.fromhex(req["iv"]), 12: bytes.fromhex(req["nonce"])}
        mu.get_random_bytes = lambda n: fixed[n]
        mu.time.time = lambda: float(req["time"]) + 0.75
        out = {
            "login": mu.get_login_token(req["key"], req["user"]),
            "auth": mu.get_auth_token(req["user"], req["key"], req.get("domain", "")),
        }
    else:
        key = bytes.fromhex(req["key"])
        raw = mesh_b64decode(req["login"])
        plain = unpad(AES.new(key[48:80], AES.MODE_CBC, raw[:16]).decrypt(raw[16:]), 16)
        raw = mesh_b64decode(req["auth"])
        gcm = AES.new(key[0:32], AES.MODE_GCM, nonce=raw[:12])
        auth = gcm.decrypt_and_verify(raw[28:], raw[12:28])
        out = {"login": plain[48:].decode(), "auth": auth.decode()}
    json.dump(out, sys.stdout)


main()
