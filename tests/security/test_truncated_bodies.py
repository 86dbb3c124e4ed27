
"""Attack class: bodies cut short. Anyone can open a connection, announce a body and hang up
half-way (the enrolment address needs no login): one INFO line each, no traceback, no ERROR."""

import pytest
import asyncio
import logging

from aiohttp import web

from kiosk.backend.server import make_app
from kiosk.domain.calendar import WorkingCalendar
from stores import new_store

pytestmark = pytest.mark.both_stores

# What reads a body before any token is asked for (the rest answer 401 without reading it).
PATHS = {"/api/v1/terminals/enrol": "application/json", "/api/v1/dvcqg": "application/json",
         "/api/v1/dvcqg/auth": "application/json", "/admin/login": "application/x-www-form-urlencoded"}


async def cut_short(port: int, path: str, kind: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: kiosk\r\nContent-Type: {kind}\r\n"
                 f"Content-Length: 1000\r\n\r\n{{\"code\": ".encode())
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.close()
    await writer.wait_closed()


def test_a_body_cut_short_is_one_info_line(tmp_path, caplog):
    async def main():
        store = new_store(tmp_path / "b.sqlite3")
        runner = web.AppRunner(make_app(store, WorkingCalendar()), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            for path, kind in PATHS.items():
                await cut_short(port, path, kind)
            await asyncio.sleep(0.5)
        finally:
            await runner.cleanup()
            store.close()

    with caplog.at_level(logging.INFO, logger="kiosk.backend"):
        asyncio.run(main())
    lines = [r for r in caplog.records if r.name == "kiosk.backend"]
    assert [r.levelno for r in lines] == [logging.INFO] * len(PATHS), [r.getMessage() for r in lines]
    assert all("cut short" in r.getMessage() and r.exc_info is None for r in lines)
    assert sorted(r.getMessage().split(":")[0] for r in lines) == sorted(f"POST {p}" for p in PATHS)
