"""Opens COUNT dashboard websockets (PyPI websockets) and holds them, for garrison-bench
dashboard. Prints "open N" once all are open (with the seconds it took), then
"messages M" when it reads "stats" on standard input, and closes them all on "quit".

usage: hold_sockets.py URL COUNT
"""
import asyncio
import resource
import ssl
import sys
import time

from websockets.asyncio.client import connect


async def main(url, count):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    received = [0]
    sockets = []
    started = time.time()

    async def one():
        ws = await connect(url, ssl=context, open_timeout=60, ping_interval=None, max_queue=4)
        sockets.append(ws)

        async def reader():
            try:
                async for _ in ws:
                    received[0] += 1
            except Exception:  # noqa: BLE001 - closed by the end of the run
                pass
        asyncio.ensure_future(reader())

    for start in range(0, count, 100):
        await asyncio.gather(*(one() for _ in range(start, min(count, start + 100))))
    print(f"open {len(sockets)} {time.time() - started:.1f}", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if line.strip() == "stats":
            print(f"messages {received[0]}", flush=True)
        elif line.strip() in ("quit", ""):
            break
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
