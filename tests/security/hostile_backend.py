"""A hostile backend, run as a process of its own: every answer is a gzip bomb (`bomb`: a
small body that inflates to 1 GiB) or a body that never ends (`endless`). Prints
`listening on http://127.0.0.1:PORT`.

    python hostile_backend.py bomb|endless
"""

import asyncio
import sys
import zlib

from aiohttp import web


def bomb() -> bytes:
    """1 GiB of zeros, gzipped: about 1 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(1024)) + packer.flush()


async def main(mode: str) -> None:
    body = bomb() if mode == "bomb" else b""

    async def answer(request: web.Request) -> web.StreamResponse:
        if mode == "bomb":
            return web.Response(body=body, content_type="application/json",
                                headers={"Content-Encoding": "gzip", "ETag": '"bomb"'})
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"version": "x", "procedures": [')
        chunk = b'"' + b"x" * (64 * 1024) + b'",'
        while True:  # until the client hangs up
            await response.write(chunk)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"listening on http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
