"""A dashboard websocket client from PyPI's websockets, independent of Garrison's code.

usage: sockets.py URL STEP...
Steps: recv (print the next message), send:TEXT, pingpong (a ping answered by a pong), sleep:SECONDS,
closed (print the close code and reason the server sent). Each step waits at most 5 s.
Prints one line per step; exits 1 on the first step that fails.
"""
import asyncio
import ssl
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


async def main(url, steps):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    async with connect(url, ssl=context if url.startswith("wss:") else None, open_timeout=5) as ws:
        for step in steps:
            if step == "recv":
                print("recv", await asyncio.wait_for(ws.recv(), 5), flush=True)
            elif step.startswith("send:"):
                await ws.send(step[5:])
                print("sent", flush=True)
            elif step.startswith("sleep:"):
                await asyncio.sleep(float(step[6:]))
                print("slept", flush=True)
            elif step == "pingpong":
                await asyncio.wait_for(await ws.ping(), 5)
                print("pong", flush=True)
            elif step == "closed":
                try:
                    extra = await asyncio.wait_for(ws.recv(), 5)
                    print("message", extra, flush=True)
                    return 1
                except ConnectionClosed as closed:
                    print("closed", closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else "", flush=True)
            else:
                raise SystemExit(f"unknown step {step}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2:])))
