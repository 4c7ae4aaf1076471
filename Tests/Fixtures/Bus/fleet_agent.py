#!/usr/bin/env python3
"""Many agents on one connection (nats-py + msgpack): connects as the host's own NATS user,
which may subscribe to every agent subject, and answers runscript/runscriptfull/rawcmd for
every agent id it is sent, as agent 2.9.1 does (docs/agent-protocol.md §4.3, §4.4).

usage: fleet_agent.py URL USER PASSWORD READYFILE LOGFILE
  Each command is logged as one JSON line {"agent", "func", "t"} (t: receive time, seconds).
"""
import asyncio
import json
import sys
import time

import msgpack
import nats


def answer(cmd, agent):
    func = cmd.get("func")
    payload = cmd.get("payload") or {}
    if func == "runscriptfull":
        # The arguments come back in stdout, so tests see each agent's variables resolved.
        args = cmd.get("script_args") or []
        stdout = " ".join(["out " + agent] + [str(a) for a in args])
        return {"stdout": stdout, "stderr": "", "retcode": 0, "execution_time": 0.01, "id": cmd.get("id", 0)}
    if func == "runscript":
        return "out " + agent
    if func == "rawcmd":
        return "ran " + payload.get("command", "")
    return None


async def main():
    url, user, password, ready, log = sys.argv[1:6]
    nc = await nats.connect(url, user=user, password=password, connect_timeout=5, pending_size=256 * 1024 * 1024)
    out = open(log, "a", buffering=1)

    async def on_message(msg):
        try:
            cmd = msgpack.unpackb(msg.data, raw=False)
        except Exception:
            return
        if not isinstance(cmd, dict) or "func" not in cmd:
            return  # telemetry, not a command
        out.write(json.dumps({"agent": msg.subject, "func": cmd["func"], "t": time.time()}) + "\n")
        reply = answer(cmd, msg.subject)
        if reply is not None and msg.reply:
            await msg.respond(msgpack.packb(reply))

    await nc.subscribe("*", cb=on_message, pending_msgs_limit=1_000_000, pending_bytes_limit=512 * 1024 * 1024)
    await nc.flush()
    open(ready, "w").close()
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
