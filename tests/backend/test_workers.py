"""`kiosk backend --workers 4`: four processes on one database, forty kiosks issuing fifty tickets
each across them, and one process killed (SIGKILL) in the middle of it. No answered ticket is
lost, none is issued twice, and each service's numbers run from 1 without a gap."""

import asyncio
import os
import signal
import subprocess
import time
import uuid

import aiohttp
import pytest

from support import KIOSK, query, start_site

pytestmark = pytest.mark.both_stores

KIOSKS, TICKETS = 40, 50
SERVICES = "ABCDE"


def workers_of(server, count: int = 4) -> list[int]:
    """The worker processes, once there are `count` of them (forked just after the address is printed)."""
    for _ in range(300):
        found = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
        pids = [int(pid) for pid in found.stdout.split()]
        if len(pids) == count:
            return pids
        time.sleep(0.1)
    return pids


async def kiosk(session, url, token, number, answered, retried):
    """One kiosk: its tickets one after another, each sent again with its own idempotency key
    while the backend does not answer (as the kiosk's client does), until it is answered."""
    service = SERVICES[number % len(SERVICES)]
    for _ in range(TICKETS):
        key = uuid.uuid4().hex
        for attempt in range(50):
            try:
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
                async with session.post(f"{url}/api/v1/queue/tickets", json={"service": service},
                                        headers=headers) as reply:
                    assert reply.status in (200, 201), await reply.text()
                    answered.append((key, await reply.json()))
                    break
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError):
                retried.append(key)  # the process that had it was killed: sent again
                await asyncio.sleep(0.05 * (attempt + 1))
        else:
            raise AssertionError(f"ticket {key} of kiosk {number} never answered")


def test_four_workers_forty_kiosks_one_killed_mid_burst(tmp_path):
    server = start_site(tmp_path, "--workers", "4")
    answered, retried, killed = [], [], []
    try:
        before = workers_of(server)
        assert len(before) == 4

        async def burst():
            url = f"http://{server.host}:{server.port}"
            # A connection each kiosk, as kiosks are different machines: spread over the workers.
            sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in range(KIOSKS)]
            try:
                kiosks = asyncio.gather(*(kiosk(s, url, server.token, n, answered, retried)
                                          for n, s in enumerate(sessions)))
                while len(answered) < KIOSKS * TICKETS // 4:
                    await asyncio.sleep(0.01)
                killed.append(before[1])
                os.kill(before[1], signal.SIGKILL)
                await kiosks
            finally:
                for session in sessions:
                    await session.close()

        asyncio.run(burst())
        # A second backend on the same port is refused, not let in beside the first to share it.
        second = subprocess.run([KIOSK, "backend", "--db", str(tmp_path / "other.sqlite3"), "--workers", "2",
                                 "--port", str(server.port)], capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and "cannot listen" in second.stderr
        after = workers_of(server)
        assert before[1] not in after and len(after) == 4, "the killed worker was started again"
        assert server.get("/api/v1/health").status == 200
    finally:
        assert server.stop() == 0

    assert len(answered) == KIOSKS * TICKETS and len({key for key, _ in answered}) == KIOSKS * TICKETS
    stored = {row[0]: row[1:] for row in query(server.db, "SELECT idempotency_key, service, number, public_id FROM tickets")}
    # Every answered ticket is there as it was answered; nothing else was issued (a ticket sent
    # again after its answer was lost is the same ticket).
    assert len(stored) == KIOSKS * TICKETS
    for key, ticket in answered:
        assert stored[key] == (ticket["service"]["letter"], ticket["number"], ticket["id"])
    for letter in SERVICES:
        numbers = sorted(number for service, number, _ in stored.values() if service == letter)
        assert numbers == list(range(1, KIOSKS // len(SERVICES) * TICKETS + 1)), f"service {letter}"
    print(f"answered {len(answered)}, sent again after the kill {len(retried)}, killed worker {killed}")
