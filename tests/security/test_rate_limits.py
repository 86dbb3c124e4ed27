"""Attack class: many tries at once, and tries spread over tokens or a restart.

Limits are counted in the database in one transaction with their check, so requests sent
together cannot all pass; they hold after a restart; citizen look-ups have a ceiling for the
whole centre besides each terminal's. Each test runs a real server on 127.0.0.1 over a real file."""

import asyncio
import contextlib
import re

import aiohttp
import pytest
from aiohttp import web

from kiosk.backend.accounts import LOCK_AFTER, Accounts
from kiosk.backend.admin import ADDRESS_FAILURES, LOGIN_COOKIE
from kiosk.backend.dvcqg_api import AUTH_FAILURES_PER_MINUTE
from kiosk.backend.http import Limits
from kiosk.backend.integrations import Integrations
from kiosk.backend.server import app_runner, make_app
from kiosk.backend.terminals import Terminals
from kiosk.domain.calendar import WorkingCalendar, now
from support import ADMIN_TOKEN, add_sites, prepare_site
from stores import new_store

pytestmark = pytest.mark.both_stores

CITIZEN = "052090000001"


@contextlib.asynccontextmanager
async def serving(db, limits: Limits | None = None):
    """The backend's application on a free port of 127.0.0.1, as `kiosk backend` serves it."""
    store = new_store(db)
    runner = app_runner(make_app(store, WorkingCalendar(), admin_token=ADMIN_TOKEN, limits=limits))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        # No cookie jar: each login sends the form's own cookie, whatever answers came meanwhile.
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.DummyCookieJar()) as session:
            yield session
    finally:
        await runner.cleanup()
        store.close()


async def post(session, path, body, token, **headers):
    async with session.post(path, json=body, headers={"Authorization": f"Bearer {token}", **headers}) as reply:
        return reply.status, await reply.json()


def test_parallel_failed_admin_logins_are_counted_before_they_are_checked(tmp_path):
    db, _, _ = prepare_site(tmp_path)
    store = new_store(db)
    Accounts(store).add("canbo", "mat-khau-dung-123", now())
    store.close()

    async def attempt(session, token, username, password):
        form = {"csrf_token": token[0], "username": username, "password": password}
        async with session.post("/admin/login", data=form, allow_redirects=False,
                                headers={"Cookie": f"{LOGIN_COOKIE}={token[1]}"}) as reply:
            return reply.status

    async def login_token(session):
        """The login form's CSRF token and the cookie it is checked against."""
        async with session.get("/admin/login") as page:
            form = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
            return form, page.cookies[LOGIN_COOKIE].value

    async def run():
        async with serving(db) as session:
            token = await login_token(session)
            # Unknown names from one address: exactly the address's allowance is checked.
            statuses = await asyncio.gather(*(attempt(session, token, f"khach{n}", "sai-mat-khau-1")
                                              for n in range(3 * ADDRESS_FAILURES)))
            assert statuses.count(403) == ADDRESS_FAILURES and statuses.count(429) == 2 * ADDRESS_FAILURES
        async with serving(db) as session:  # a restart forgets nothing
            token = await login_token(session)
            assert await attempt(session, token, "canbo", "mat-khau-dung-123") == 429

    asyncio.run(run())

    # Per account: wrong passwords sent together from other addresses are checked LOCK_AFTER times.
    store = new_store(db)
    store.db.execute("DELETE FROM limit_events WHERE name = 'admin_login_address'")
    store.close()

    async def account():
        async with serving(db) as session:
            token = await login_token(session)
            statuses = await asyncio.gather(*(attempt(session, token, "canbo", f"doan-sai-{n:04}")
                                              for n in range(4 * LOCK_AFTER)))
            assert statuses == [403] * (4 * LOCK_AFTER)  # the same answer: it tells no name
            # ...and now even the right password waits.
            assert await attempt(session, token, "canbo", "mat-khau-dung-123") == 403

    asyncio.run(account())
    store = new_store(db)
    reasons = [e["detail"].get("reason") for e in store.audit_log(200) if e["action"] == "login_failed"]
    store.close()
    assert reasons.count("wrong_password") == LOCK_AFTER
    assert reasons.count("too_many_failures_of_account") == 3 * LOCK_AFTER
    assert reasons[0] == "locked"  # the right password, last


def test_citizen_lookups_per_terminal_and_for_the_whole_centre_survive_a_restart(tmp_path):
    db, _, first = prepare_site(tmp_path)
    store = new_store(db)
    _, second = Terminals(store).add("kiosk B", now())
    store.close()
    limits = Limits(citizen_lookups_per_minute=4, citizen_lookups_per_minute_site=6)
    body = {"id_number": CITIZEN, "proof": "chip", "trust": "signature", "active": "verified"}

    async def run():
        async with serving(db, limits) as session:
            replies = await asyncio.gather(*(post(session, "/api/v1/dossiers/by-citizen", body, first)
                                             for _ in range(12)))
            assert [s for s, _ in replies].count(200) == 4
            refused = [b for s, b in replies if s == 429]
            assert len(refused) == 8 and {b["error"]["code"] for b in refused} == {"too_many_lookups"}
            # Another token adds only what is left of the centre's ceiling, not a terminal's worth.
            replies = await asyncio.gather(*(post(session, "/api/v1/dossiers/by-citizen", body, second)
                                             for _ in range(12)))
            assert [s for s, _ in replies].count(200) == 2
        async with serving(db, limits) as session:
            assert (await post(session, "/api/v1/dossiers/by-citizen", body, first))[0] == 429
            assert (await post(session, "/api/v1/dossiers/by-citizen", body, second))[0] == 429

    asyncio.run(run())
    store = new_store(db)
    assert store.db.execute("SELECT COUNT(*) FROM citizen_lookups").fetchone()[0] == 6  # refused ones look nothing up
    store.close()


def test_citizen_lookups_count_per_site_under_a_ceiling_for_all_sites(tmp_path):
    """A commune's kiosk has its own site's ceiling, not what the main site left; and tokens of
    many sites together stop at the ceiling for all of them."""
    db, _, first = prepare_site(tmp_path)
    [commune, other] = add_sites(db, 2)
    store = new_store(db)
    _, second = Terminals(store).add("kiosk of a commune", now(), commune)
    _, third = Terminals(store).add("kiosk of another commune", now(), other)
    store.close()
    limits = Limits(citizen_lookups_per_minute=5, citizen_lookups_per_minute_site=3, citizen_lookups_per_minute_all=7)
    body = {"id_number": CITIZEN, "proof": "chip", "trust": "signature", "active": "verified"}

    async def answered(session, token, count):
        replies = await asyncio.gather(*(post(session, "/api/v1/dossiers/by-citizen", body, token)
                                         for _ in range(count)))
        return [s for s, _ in replies].count(200)

    async def run():
        async with serving(db, limits) as session:
            assert await answered(session, first, 5) == 3  # the main site's ceiling
            assert await answered(session, second, 5) == 3  # the commune's own, whole
            assert await answered(session, third, 5) == 1  # what is left of all sites' 7

    asyncio.run(run())


def test_tickets_and_ratings_have_a_ceiling_per_terminal(tmp_path):
    db, _, token = prepare_site(tmp_path)
    store = new_store(db)
    _, other = Terminals(store).add("kiosk B", now())
    store.close()
    limits = Limits(tickets_per_minute=3, ratings_per_minute=5)

    async def run():
        async with serving(db, limits) as session:
            replies = await asyncio.gather(*(post(session, "/api/v1/queue/tickets", {"service": "A"}, token,
                                                  **{"Idempotency-Key": f"t-{n}"}) for n in range(10)))
            assert [s for s, _ in replies].count(201) == 3
            refused = [b for s, b in replies if s == 429]
            assert len(refused) == 7 and refused[0]["error"]["code"] == "too_many_tickets"
            assert "wait a minute" in refused[0]["error"]["message"]
            # Each terminal has its own.
            assert (await post(session, "/api/v1/queue/tickets", {"service": "A"}, other,
                               **{"Idempotency-Key": "b-1"}))[0] == 201
            replies = await asyncio.gather(*(post(session, "/api/v1/ratings", {"level": "satisfied"}, token,
                                                  **{"Idempotency-Key": f"r-{n}"}) for n in range(9)))
            assert sorted(s for s, _ in replies) == [201] * 5 + [429] * 4
        async with serving(db, limits) as session:  # restarted
            status, answer = await post(session, "/api/v1/queue/tickets", {"service": "A"}, token,
                                        **{"Idempotency-Key": "t-after"})
            assert status == 429 and answer["error"]["code"] == "too_many_tickets"

    asyncio.run(run())
    store = new_store(db)
    assert store.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 4
    assert store.db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 5
    store.close()


def test_parallel_failed_logins_of_a_one_stop_system(tmp_path):
    db, _, _ = prepare_site(tmp_path)
    store = new_store(db)
    Integrations(store).add("igate", "mat-khau-tich-hop-123", now())
    store.close()

    async def auth(session, username, password):
        async with session.post("/api/v1/dvcqg/auth", json={"username": username, "password": password}) as reply:
            return reply.status

    async def run():
        async with serving(db) as session:
            statuses = await asyncio.gather(*(auth(session, "igate", f"sai-{n}")
                                              for n in range(3 * AUTH_FAILURES_PER_MINUTE)))
            assert statuses.count(401) == AUTH_FAILURES_PER_MINUTE
            assert statuses.count(429) == 2 * AUTH_FAILURES_PER_MINUTE
            assert await auth(session, "igate", "mat-khau-tich-hop-123") == 429

    asyncio.run(run())


def test_limits_come_from_the_configuration(tmp_path):
    import configparser

    from kiosk.config import ConfigError, backend_limits

    config = configparser.ConfigParser()
    config.read_string("[backend]\ntickets_per_minute = 8\nclient_seconds = 12\n")
    limits = backend_limits(config)
    assert limits.tickets_per_minute == 8 and limits.client_seconds == 12
    assert limits.tickets_per_hour == Limits().tickets_per_hour
    config.read_string("[backend]\nratings_per_hour = 0\n")
    with pytest.raises(ConfigError, match="ratings_per_hour must be a whole number, 1 or more"):
        backend_limits(config)


def test_a_kiosks_outbox_keeps_what_the_ceiling_refused(tmp_path):
    """A day of ratings kept offline, sent past the ceiling: the rest waits, none is dropped."""
    from kiosk.client.api import BackendClient
    from kiosk.client.errors import TooManyRequests
    from kiosk.client.outbox import Outbox
    from kiosk.domain.rating import Rating

    db, _, token = prepare_site(tmp_path / "site")
    outbox = Outbox(tmp_path / "kiosk" / "outbox.sqlite3")
    for _ in range(5):
        outbox.add_rating(Rating(level="satisfied"))

    async def run():
        store = new_store(db)
        runner = app_runner(make_app(store, WorkingCalendar(), limits=Limits(ratings_per_minute=2)))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        try:
            async with BackendClient(url, token) as client:
                replay = await outbox.replay(client)
                with pytest.raises(TooManyRequests) as refused:
                    await client.send("POST", "/api/v1/ratings", {"level": "satisfied"}, "one-more")
                return replay, refused.value
        finally:
            await runner.cleanup()
            store.close()

    replay, refused = asyncio.run(run())
    assert (replay.sent, replay.dropped, replay.left) == (2, 0, 3)
    assert refused.status == 429 and refused.code == "too_many_ratings"
    assert "too many requests" in refused.summary
    outbox.close()
