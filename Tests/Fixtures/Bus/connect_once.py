#!/usr/bin/env python3
"""Connects once as an agent and says whether nats-server let it in.

usage: connect_once.py URL USER PASSWORD
  Prints "connected" (exit 0) when the server accepted the user and a round trip to it
  succeeded, "refused: <error>" (exit 1) otherwise. No retries.
"""
import asyncio
import sys

import nats


async def main():
    url, user, password = sys.argv[1:4]
    errors = []

    async def on_error(e):
        errors.append(e)

    try:
        nc = await nats.connect(url, user=user, password=password, connect_timeout=5, allow_reconnect=False,
                                max_reconnect_attempts=0, error_cb=on_error)
        await nc.flush(timeout=5)
        await nc.close()
    except Exception as e:  # authorization violation, timeout, closed
        print("refused: %r %r" % (e, errors))
        sys.exit(1)
    print("connected")


asyncio.run(main())
