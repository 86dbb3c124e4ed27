
"""Attack class: a client that sends its request a byte a second, to hold connections and
handlers open (slowloris). Its head, or its body, must come within Limits.client_seconds;
past that the connection is closed (with a JSON 408 once the head has come)."""

import pytest
import asyncio
import json

from aiohttp import web

from kiosk.backend.http import Limits
from kiosk.backend.server import app_runner, make_app
from kiosk.domain.calendar import WorkingCalendar
from stores import new_store

pytestmark = pytest.mark.both_stores

LIMIT = 2.0
GUARD = 30.0
"""The test's own bound: far past LIMIT, only so that a regression fails instead of hanging."""


async def serve(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    runner = app_runner(make_app(store, WorkingCalendar(), limits=Limits(client_seconds=LIMIT)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, store, site._server.sockets[0].getsockname()[1]


async def trickle(port: int, head: bytes, slow: bytes) -> bytes:
    """Send `head` at once, then `slow` a byte a second until the server closes; what it answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    answer = b""

    async def read_all() -> None:
        nonlocal answer
        while chunk := await reader.read(4096):
            answer += chunk

    reading = asyncio.create_task(read_all())
    try:
        async with asyncio.timeout(GUARD):
            for byte in slow:
                if reading.done():
                    break
                try:
                    writer.write(bytes([byte]))
                    await writer.drain()
                except ConnectionError:
                    break
                await asyncio.wait({reading}, timeout=1.0)
            await reading
    finally:
        reading.cancel()
        writer.close()
    return answer


def test_a_head_sent_a_byte_a_second_is_cut_off(tmp_path):
    async def run():
        runner, store, port = await serve(tmp_path)
        try:
            endless = b"X-Padding: " + b"a" * 10_000  # never finishes its head
            return await trickle(port, b"GET /api/v1/queue/services HTTP/1.1\r\nHost: kiosk\r\n", endless)
        finally:
            await runner.cleanup()
            store.close()

    answer = asyncio.run(run())
    assert answer == b""  # closed, unanswered: nothing of the request was handled


def test_a_body_sent_a_byte_a_second_gets_a_408_and_a_closed_connection(tmp_path):
    async def run():
        runner, store, port = await serve(tmp_path)
        try:
            body = json.dumps({"code": "x" * 5000}).encode()
            head = (b"POST /api/v1/terminals/enrol HTTP/1.1\r\nHost: kiosk\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
            answer = await trickle(port, head, body)
            # The server still serves others.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/v1/queue/services HTTP/1.1\r\nHost: kiosk\r\nConnection: close\r\n\r\n")
            other = await reader.read()
            writer.close()
            return answer, other
        finally:
            await runner.cleanup()
            store.close()

    answer, other = asyncio.run(run())
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 408 Request Timeout"
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"]["code"] == "body_too_slow"
    assert other.startswith(b"HTTP/1.1 200")
