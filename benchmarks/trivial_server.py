"""The baseline: the least an aiohttp server can do, measured beside the real one.

/hello answers a tiny JSON; /blob/{size} answers that many bytes prepared in advance,
so the cost of moving the bytes alone can be told from the backend's own work.
"""

import asyncio
import os
import signal

from aiohttp import web

BLOBS: dict[int, bytes] = {}


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": "world"})


async def blob(request: web.Request) -> web.Response:
    size = int(request.match_info["size"])
    if size not in BLOBS:
        BLOBS[size] = os.urandom(size)
    return web.Response(body=BLOBS[size], content_type="application/json")


async def main() -> None:
    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get("/blob/{size}", blob)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
