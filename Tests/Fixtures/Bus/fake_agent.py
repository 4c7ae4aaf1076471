#!/usr/bin/env python3
"""A third-party NATS client (nats-py + msgpack) acting as an agent, for the bus tests.

usage: fake_agent.py URL USER PASSWORD STEP...
steps (run in order, one line of output each):
  pub SUBJECT TAG JSON      publish msgpack(JSON) on SUBJECT with reply TAG  -> "pub SUBJECT ok|denied"
  raw SUBJECT TAG HEX       publish raw bytes                                -> "raw SUBJECT ok|denied"
  sub SUBJECT               subscribe                                         -> "sub SUBJECT ok|denied"
  serve SUBJECT N READYFILE answer N requests on SUBJECT with msgpack "pong"; touches READYFILE once subscribed
URL may be nats://, tls:// (an agent installed with -natsport) or wss://HOST:PORT/natsws (the
default agent; needs aiohttp). Exit status 2 when the connection itself is refused (bad credentials).
"""
import asyncio
import json
import ssl
import sys

import msgpack
import nats


async def main():
    url, user, password, steps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    errors = []

    async def on_error(e):
        errors.append(str(e))

    tls = None
    if url.startswith("tls://") or url.startswith("wss://"):
        # Like an agent installed with -insecure: the test certificate is self-signed.
        tls = ssl.create_default_context()
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    try:
        nc = await nats.connect(url, user=user, password=password, error_cb=on_error, tls=tls,
                                allow_reconnect=False, connect_timeout=5, max_reconnect_attempts=0)
    except Exception as e:  # authorization violation and friends
        print("connect refused", type(e).__name__, flush=True)
        sys.exit(2)

    async def settled():
        # A permission violation comes back asynchronously as -ERR; a round trip to the
        # server (flush) plus a short grace for the error callback orders it before our check.
        await nc.flush(timeout=5)
        await asyncio.sleep(0.2)

    async def ignore(msg):
        pass

    i = 0
    while i < len(steps):
        step = steps[i]
        if step in ("pub", "raw"):
            subject, tag, body = steps[i + 1], steps[i + 2], steps[i + 3]
            data = msgpack.packb(json.loads(body)) if step == "pub" else bytes.fromhex(body)
            before = len(errors)
            await nc.publish(subject, data, reply=tag)
            await settled()
            denied = any("permissions violation" in e.lower() for e in errors[before:])
            print(step, subject, "denied" if denied else "ok", flush=True)
            i += 4
        elif step == "sub":
            subject = steps[i + 1]
            before = len(errors)
            # With a callback: a subscription without one queues messages that drain() then
            # waits 30 s for (the agent's own publishes come back to it).
            await nc.subscribe(subject, cb=ignore)
            await settled()
            denied = any("permissions violation" in e.lower() for e in errors[before:])
            print("sub", subject, "denied" if denied else "ok", flush=True)
            i += 2
        elif step == "serve":
            subject, count, ready = steps[i + 1], int(steps[i + 2]), steps[i + 3]
            done = asyncio.Event()
            answered = 0

            async def answer(msg):
                nonlocal answered
                request = msgpack.unpackb(msg.data)
                if isinstance(request, dict) and request.get("func") == "ping":
                    await msg.respond(msgpack.packb("pong"))
                    answered += 1
                    if answered >= count:
                        done.set()

            await nc.subscribe(subject, cb=answer)
            await nc.flush()
            open(ready, "w").close()
            await asyncio.wait_for(done.wait(), timeout=30)
            print("served", answered, flush=True)
            i += 4
        else:
            raise SystemExit("unknown step " + step)
    await nc.drain()


asyncio.run(main())
