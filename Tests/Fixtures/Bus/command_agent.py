#!/usr/bin/env python3
"""An agent stand-in (nats-py + msgpack) that answers commands the way agent 2.9.1 does
(docs/agent-protocol.md §4.3, §4.4) and logs every command it receives.

usage: command_agent.py URL AGENT_ID TOKEN READYFILE LOGFILE [HELLO]
  Subscribes to AGENT_ID, touches READYFILE, and serves until killed. Each received command
  is appended to LOGFILE as one JSON line {"cmd": <decoded msgpack>, "reply": bool}.
  With HELLO = "hello", publishes one agent-hello right after subscribing.
"""
import asyncio
import json
import re
import subprocess
import sys

import msgpack
import nats

SERVICES = [
    {"name": "Spooler", "status": "running", "display_name": "Print Spooler", "binpath": "C:\\Windows\\System32\\spoolsv.exe",
     "description": "Queues print jobs", "username": "LocalSystem", "pid": 1460, "start_type": "Automatic", "autodelay": False},
    {"name": "wuauserv", "status": "stopped", "display_name": "Windows Update", "binpath": "C:\\Windows\\system32\\svchost.exe -k netsvcs",
     "description": "Updates", "username": "LocalSystem", "pid": 0, "start_type": "Manual", "autodelay": False},
]
NO_SERVICE = "The specified service does not exist as an installed service."
# SoftwareList (section 4.5): every value a string, install_date as the agent formats it.
SOFTWARE = [{"name": "7-Zip 23.01 (x64)", "version": "23.01", "publisher": "Igor Pavlov", "install_date": "2024-1-05",
             "size": "5.4 MB", "source": "", "location": "C:\\Program Files\\7-Zip\\",
             "uninstall": "\"C:\\Program Files\\7-Zip\\Uninstall.exe\""}]
PROCS = [{"name": "sshd", "pid": 812, "membytes": 5242880, "username": "root", "id": 1, "cpu_percent": "0.1"}]


def answer(cmd):
    func = cmd.get("func")
    payload = cmd.get("payload") or {}
    if func == "ping":
        return "pong"
    if func == "rawcmd":
        return "ran: " + payload.get("command", "") + " with " + payload.get("shell", "")
    if func == "procs":
        return PROCS
    if func == "killproc":
        return "ok" if cmd.get("procpid") == 812 else "process not found"
    if func == "eventlog":
        return [{"source": "Service Control Manager", "eventType": "INFO", "eventID": 7036, "message": "started",
                 "time": "2024-01-02 03:04:05 +0000 UTC", "uid": 1}]
    # Windows services, as agent 2.9.1 on Windows answers them (section 4.4).
    if func == "winservices":
        return SERVICES
    if func == "winsvcdetail":
        found = [s for s in SERVICES if s["name"] == payload.get("name")]
        return found[0] if found else {k: (0 if k == "pid" else False if k == "autodelay" else "") for k in SERVICES[0]}
    if func == "winsvcaction":
        if payload.get("action") not in ("start", "stop"):
            return {"success": False, "errormsg": "Something went wrong"}
        if not any(s["name"] == payload.get("name") for s in SERVICES):
            return {"success": False, "errormsg": NO_SERVICE}
        return {"success": True, "errormsg": ""}
    if func == "editwinsvc":
        if payload.get("startType") not in ("auto", "autodelay", "manual", "disabled"):
            return {"success": False, "errormsg": "Unknown startup type provided"}
        return {"success": True, "errormsg": ""}
    if func == "runscriptfull":
        code = payload.get("code", "")
        if code.startswith("#!/bin/sh\n# Garrison patch scan"):
            # The patching plugin's package scan: run for real on this machine (it changes nothing).
            out = subprocess.run(["/bin/sh", "-c", code], capture_output=True, text=True, timeout=120).stdout
            return {"stdout": out, "stderr": "", "retcode": 0, "execution_time": 1.0, "id": cmd.get("id", 0)}
        if code.startswith("#!/bin/sh\n# Garrison patch install"):
            # Never run: answer as if every package named in the script was upgraded.
            names = re.findall(r" '([^']+)' >/dev/null", code)
            out = "".join("RESULT %s ok\n" % n for n in names) + "REBOOT yes\n"
            return {"stdout": out, "stderr": "", "retcode": 0, "execution_time": 1.0, "id": cmd.get("id", 0)}
        return {"stdout": "hi", "stderr": "", "retcode": 0, "execution_time": 0.5, "id": cmd.get("id", 0)}
    if func == "softwarelist":
        return SOFTWARE
    if func in ("rebootnow", "shutdown", "recover", "agentupdate", "runscript", "installwithchoco", "runchecks"):
        return "ok"
    return None  # wmi, runtask, ... never answer


async def main():
    url, agent_id, token, ready, log = sys.argv[1:6]
    hello = len(sys.argv) > 6 and sys.argv[6] == "hello"
    nc = await nats.connect(url, user=agent_id, password=token, connect_timeout=5)

    async def on_command(msg):
        cmd = msgpack.unpackb(msg.data, raw=False)
        if not isinstance(cmd, dict) or "func" not in cmd:
            return  # our own telemetry echoed back (section 14, item 9)
        with open(log, "a") as f:
            f.write(json.dumps({"cmd": cmd, "reply": bool(msg.reply)}) + "\n")
        reply = answer(cmd)
        if reply is not None and msg.reply:
            await msg.respond(msgpack.packb(reply))

    await nc.subscribe(agent_id, cb=on_command)
    await nc.flush()
    if hello:
        await nc.publish(agent_id, msgpack.packb({"agent_id": agent_id, "version": "2.9.1"}), reply="agent-hello")
        await nc.flush()
    open(ready, "w").close()
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
