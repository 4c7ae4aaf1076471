"""A stand-in for MeshCentral's control.ashx and /meshagents, for the meshcentral plugin's
tests (MeshCentral itself is an npm package, not installable here).

  control_standin.py PORT KEYHEX APIUSER STATE_DIR MODE

Checks every websocket's auth cookie as MeshCentral does (mesh base64, AES-256-GCM with
key[0:32], nonce 12 | tag 16 | ciphertext, time within 60 minutes and not more than 30 s in
the future, a known user, domain ""), refusing the upgrade with 401 otherwise. Pushes
serverinfo and userinfo first, as MeshCentral does, then answers meshes, users, nodes and
getcookie, and applies adduser, edituser, deleteuser and adddeviceuser to its state.
STATE_DIR gets commands.jsonl (every frame received), state.json (users and nodes after each
change), seed.json (read at start, below) and ready.
seed.json: {"nodes": [hex node ids], "groups": device groups the nodes are spread over
(default 1), "quiet": true to skip commands.jsonl and write state.json only when asked for
users (the benchmark's thousands of commands), "fail_after": N (with MODE flaky)}.
GET /meshagents?... answers a 512 KiB installer and logs the query to downloads.jsonl.
removedevices and wakedevices are applied (a removed node leaves the state; a woken one is
counted in its "woken").
MODE: ok, garbage (answers requests with non-JSON), close (closes on the first request),
silent (never answers), midreply (sends the start of a frame promising more and drops the
connection), flaky (as ok, but the first socket that gets fail_after commands is dropped
right after applying them: a sync cut off half way; logged to dropped.jsonl).
"""
import asyncio
import base64
import json
import os
import sys
import time
from http import HTTPStatus

from Crypto.Cipher import AES
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

PORT, KEY, API_USER, DIR, MODE = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3].lower(), sys.argv[4], sys.argv[5]
MESH_ID = "mesh//" + base64.b64encode(b"garrison-test-group-0123456789ab").decode().replace("+", "@").replace("/", "$")
INSTALLER = bytes((i * 31 + 7) % 251 for i in range(512 << 10))

state = {"users": {"user//" + API_USER: {"realname": "API"}}, "nodes": {}}
options = {"groups": 1, "quiet": False, "fail_after": 0}
dropped = [False]


def mesh_b64(raw):
    return base64.b64encode(raw).decode().replace("+", "@").replace("/", "$")


def seed():
    path = os.path.join(DIR, "seed.json")
    if os.path.exists(path):
        with open(path) as f:
            seeded = json.load(f)
        for key in options:
            options[key] = seeded.get(key, options[key])
        for n, hexid in enumerate(seeded.get("nodes", [])):
            state["nodes"]["node//" + mesh_b64(bytes.fromhex(hexid))] = {
                "group": group_id(n % max(1, options["groups"])),
                "links": {"user//" + API_USER: {"rights": 4294967295}},
            }


def group_id(n):
    """Device group n's id; group 0 is MESH_ID, the one named TacticalRMM."""
    if n == 0:
        return MESH_ID
    return "mesh//" + mesh_b64(("garrison-test-group-%012d" % n).encode())


def save():
    tmp = os.path.join(DIR, "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, os.path.join(DIR, "state.json"))


def log(name, value):
    if options["quiet"] and name == "commands.jsonl":
        return
    with open(os.path.join(DIR, name), "a") as f:
        f.write(json.dumps(value) + "\n")


def decode_cookie(cookie):
    """MeshCentral's decodeCookieAESGCM plus its time rules; None when refused."""
    try:
        raw = base64.b64decode(cookie.replace("@", "+").replace("$", "/"))
        gcm = AES.new(KEY[0:32], AES.MODE_GCM, nonce=raw[:12])
        claims = json.loads(gcm.decrypt_and_verify(raw[28:], raw[12:28]))
    except Exception:
        return None
    if not isinstance(claims.get("time"), (int, float)):
        return None
    age = time.time() - claims["time"]
    if age > 60 * 60 or age < -30:
        return None
    if claims.get("userid") not in state["users"] or claims.get("domainid") != "":
        return None
    return claims


def process_request(connection, request):
    path = request.path
    if path.startswith("/meshagents"):
        log("downloads.jsonl", {"query": path.split("?", 1)[1] if "?" in path else ""})
        headers = Headers([("Content-Type", "application/octet-stream"), ("Content-Length", str(len(INSTALLER)))])
        return Response(200, "OK", headers, INSTALLER)
    if not path.startswith("/control.ashx?auth="):
        return connection.respond(HTTPStatus.NOT_FOUND, "no such path\n")
    if decode_cookie(path.split("auth=", 1)[1].split("&")[0]) is None:
        log("refused.jsonl", {"path": path})
        return connection.respond(HTTPStatus.UNAUTHORIZED, "bad auth cookie\n")
    return None


def apply(cmd):
    action = cmd.get("action")
    users, nodes = state["users"], state["nodes"]
    if action == "adduser":
        users.setdefault("user//" + cmd["username"].lower(), {"realname": "", "email": cmd.get("email")})
    elif action == "edituser" and cmd.get("id") in users:
        users[cmd["id"]]["realname"] = cmd.get("realname", "")
    elif action == "deleteuser":
        users.pop(cmd.get("userid"), None)
        for node in nodes.values():
            node["links"].pop(cmd.get("userid"), None)
    elif action == "removedevices":
        for nid in cmd.get("nodeids", []):
            nodes.pop(nid, None)
    elif action == "wakedevices":
        for nid in cmd.get("nodeids", []):
            if nid in nodes:
                nodes[nid]["woken"] = nodes[nid].get("woken", 0) + 1
    elif action == "adddeviceuser" and cmd.get("nodeid") in nodes:
        links = nodes[cmd["nodeid"]]["links"]
        if cmd.get("remove"):
            for uid in cmd.get("userids", []):
                links.pop(uid, None)
        else:
            for name in cmd.get("usernames", []):
                if "user//" + name in users:
                    links["user//" + name] = {"rights": cmd.get("rights")}
    else:
        return action in ("adddeviceuser", "edituser")
    if not options["quiet"]:
        save()
    return True


def answer(cmd):
    action = cmd.get("action")
    if action == "meshes":
        return {"action": "meshes", "meshes": [{"_id": MESH_ID, "name": "TacticalRMM", "mtype": 2}], "tag": cmd.get("tag")}
    if action == "users":
        if options["quiet"]:
            save()
        return {"action": "users", "users": [{"_id": uid, "name": uid[6:], "realname": u.get("realname", "")} for uid, u in state["users"].items()]}
    if action == "nodes":
        groups = {}
        for nid, n in state["nodes"].items():
            groups.setdefault(n["group"], []).append({"_id": nid, "name": nid, "meshid": n["group"], "links": n["links"]})
        return {"action": "nodes", "nodes": groups}
    if action == "getcookie":
        return {"action": "getcookie", "cookie": "relay$cookie@" + str(cmd.get("tcpport")), "tag": cmd.get("tag"), "nodeid": cmd.get("nodeid")}
    return None


def drop_mid_frame(websocket):
    """A text frame header promising 1000 bytes, 10 of them, then the TCP connection cut."""
    websocket.transport.write(bytes([0x81, 126, 0x03, 0xE8]) + b'{"action":')
    websocket.transport.abort()


async def handler(websocket):
    await websocket.send(json.dumps({"action": "serverinfo", "serverinfo": {"name": "standin"}}))
    await websocket.send(json.dumps({"action": "userinfo", "userinfo": {"_id": "user//" + API_USER}}))
    applied = 0
    async for frame in websocket:
        cmd = json.loads(frame)
        log("commands.jsonl", cmd)
        if apply(cmd):
            applied += 1
            if MODE == "flaky" and not dropped[0] and applied >= options["fail_after"] > 0:
                dropped[0] = True
                log("dropped.jsonl", {"after": applied})
                websocket.transport.abort()
                return
            continue
        if MODE == "midreply":
            drop_mid_frame(websocket)
            return
        if MODE == "close":
            await websocket.close()
            return
        if MODE == "silent":
            continue
        if MODE == "garbage":
            await websocket.send("<html>502 Bad Gateway</html>")
            continue
        reply = answer(cmd)
        if reply is not None:
            await websocket.send(json.dumps(reply))


async def main():
    seed()
    save()
    async with serve(handler, "127.0.0.1", PORT, process_request=process_request, max_size=None):
        open(os.path.join(DIR, "ready"), "w").close()
        await asyncio.get_running_loop().create_future()


asyncio.run(main())
