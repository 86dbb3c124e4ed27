
"""Two counters press "Gọi số tiếp theo" at the same instant, 1,000 times, each through its own
backend process on the one database file (as a centre with two processes would run): no ticket
is ever called twice, none is skipped, and each call is recorded once."""

import pytest
import asyncio
import re
from collections import Counter

import aiohttp

from support import PASSWORD, Backend, add_admin, query, start_site
from backend.test_queue import burst

pytestmark = pytest.mark.both_stores

ROUNDS = 1000


async def logged_in(url, username):
    """A browser's session at the counter page: (session, CSRF token)."""
    session = aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get("/admin/login") as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    form = {"csrf_token": token, "username": username, "password": PASSWORD}
    async with session.post("/admin/login", data=form, allow_redirects=False) as reply:
        assert reply.status == 303, await reply.text()
    async with session.get("/admin/counter") as page:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    return session, csrf


async def race(first, second):
    one, one_csrf = await logged_in(first, "quay3")
    two, two_csrf = await logged_in(second, "quay4")

    async def call(session, csrf, counter):
        async with session.post(f"/admin/counter/{counter}/call-next", data={"csrf_token": csrf},
                                allow_redirects=False) as reply:
            assert reply.status == 303, await reply.text()
            return reply.headers["Location"]

    try:
        answers = []
        for _ in range(ROUNDS):
            answers += await asyncio.gather(call(one, one_csrf, 3), call(two, two_csrf, 4))
        return answers
    finally:
        await one.close()
        await two.close()


def test_two_counters_racing_never_call_the_same_ticket(tmp_path):
    site = start_site(tmp_path)
    other = None
    try:
        add_admin(site.db, "quay3", PASSWORD, tmp_path, "--counter", "3")
        add_admin(site.db, "quay4", PASSWORD, tmp_path, "--counter", "4")
        tickets = []
        asyncio.run(burst(f"http://{site.host}:{site.port}", site.token, "B", 20, 2 * ROUNDS // 20, tickets))
        other = Backend(*site.args)  # a second process on the same file
        answers = asyncio.run(race(f"http://{site.host}:{site.port}", f"http://{other.host}:{other.port}"))
    finally:
        if other is not None:
            assert other.stop() == 0
        assert site.stop() == 0
    called = [number for location in answers for number in re.findall(r"number=(B\d+)", location)]
    assert len(called) == 2 * ROUNDS and len(set(called)) == 2 * ROUNDS, "a ticket called twice"
    assert set(called) == {t["display"] for t in tickets}, "every ticket called, none skipped"
    events = query(site.db, "SELECT ticket_id, counter FROM queue_events WHERE action = 'called'")
    assert len(events) == 2 * ROUNDS and len({ticket for ticket, _ in events}) == 2 * ROUNDS
    assert Counter(counter for _, counter in events) == {3: ROUNDS, 4: ROUNDS}
    statuses = Counter(status for (status,) in query(site.db, "SELECT status FROM tickets WHERE service = 'B'"))
    assert statuses == {"served": 2 * ROUNDS - 2, "called": 2}  # each call finished the one before
