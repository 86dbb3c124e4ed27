"""A real HTTP server on 127.0.0.1 in front of a backend: it forwards every request, and holds
back the answer to the ones chosen, after the backend has done the work. So a test can cancel
a journey at the moment a real kiosk would: the ticket issued, the kiosk not told yet."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

FORWARDED = ("Authorization", "Content-Type", "Idempotency-Key", "If-None-Match")


@dataclass
class Held:
    method: str
    path: re.Pattern
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the backend has answered a matching request (the answer is held)."""
    release: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by the test to let held answers go."""


class HoldingProxy:
    def __init__(self, target: str):
        self.target = target
        self.holds: list[Held] = []
        self.down = False
        """True: every connection is dropped unanswered, as when the network is gone."""

    def hold(self, method: str, path: str) -> Held:
        held = Held(method, re.compile(path))
        self.holds.append(held)
        return held

    async def __aenter__(self) -> "HoldingProxy":
        self.session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for held in self.holds:
            held.release.set()
        await self.runner.cleanup()
        await self.session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        if self.down:
            request.transport.abort()
            raise web.HTTPServiceUnavailable()  # never sent: the connection is gone
        headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
        async with self.session.request(request.method, self.target + request.path_qs, data=await request.read(),
                                        headers=headers) as answer:
            body, status = await answer.read(), answer.status
            kind = answer.headers.get("Content-Type", "application/json")
        for held in self.holds:
            if held.method == request.method and held.path.search(request.path):
                held.answered.set()
                await held.release.wait()
        return web.Response(status=status, body=body, headers={"Content-Type": kind})
