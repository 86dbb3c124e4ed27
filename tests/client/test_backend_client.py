"""The kiosk's backend client against real servers: typed results, typed errors, retries,
connectivity, TLS with a province's own CA."""

import asyncio
import datetime as dt
import ssl
import subprocess

import pytest
from aiohttp import web

from kiosk.client.api import BackendClient
from kiosk.client.connectivity import DEGRADED, OFFLINE, ONLINE, Connectivity
from kiosk.client.errors import NotFound, Offline, Rejected, ServerError, Timeout, Unauthorized
from kiosk.domain.dossier import Timeliness
from kiosk.domain.rating import Rating
from kiosk.domain.terminal import Health
from support import start_site


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """A backend of this module's own: citizen lookups are limited per terminal."""
    server = start_site(tmp_path_factory.mktemp("client"))
    yield server
    assert server.stop() == 0


def run(coroutine):
    return asyncio.run(coroutine)


def url(server):
    return f"http://{server.host}:{server.port}"


def test_typed_results_from_the_reference_backend(backend):
    async def go():
        async with BackendClient(url(backend), backend.token) as client:
            services = await client.services()
            ticket = await client.issue_ticket("E", "elderly", "client-test-1")
            same = await client.issue_ticket("E", "elderly", "client-test-1")
            voided = await client.void_ticket(ticket.id)
            mine = await client.dossiers_of_citizen("052090000001", "qr")
            report = await client.dossier(mine[0].code)
            rating = await client.rate(Rating("satisfied", ["Cán bộ nhiệt tình"], ticket_id=ticket.id))
            return services, ticket, same, voided, mine, report, rating, client.connectivity.state

    services, ticket, same, voided, mine, report, rating, state = run(go())
    assert [s.letter for s in services][:2] == ["A", "B"] and services[0].open_counters >= 1
    assert ticket.display.startswith("E") and ticket.priority == "elderly" and same.id == ticket.id
    assert isinstance(ticket.issued_at, dt.datetime) and voided.status == "void"
    assert len(mine) == 3 and all(d.applicant_name == "Nguyễn V** A" for d in mine)
    assert report.dossier.applicant_name == "Nguyễn V** A"
    assert report.timeliness is None or isinstance(report.timeliness, Timeliness)
    assert rating > 0 and state == ONLINE


def test_typed_errors_from_the_reference_backend(backend):
    async def go():
        async with BackendClient(url(backend), backend.token) as client:
            with pytest.raises(NotFound) as missing:
                await client.dossier("000.00.53.H48-220921-0099")
            with pytest.raises(Rejected) as refused:
                await client.dossiers_of_citizen("123", "qr")
        async with BackendClient(url(backend), "wrong-token") as client:
            with pytest.raises(Unauthorized):
                await client.dossier("000.00.53.H48-220921-0099")
        return missing.value, refused.value

    missing, refused = run(go())
    assert missing.summary and "000.00.53.H48" in missing.detail
    assert refused.status == 400 and refused.code == "bad_request"


class FlakyServer:
    """A real aiohttp server on 127.0.0.1 that misbehaves as told, counting the calls."""

    def __init__(self, handler):
        self.calls = 0

        async def counted(request):
            self.calls += 1
            return await handler(request)

        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", counted)

    async def __aenter__(self):
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


def test_retries_only_what_is_idempotent_and_errors_on_5xx():
    async def broken(request):
        return web.Response(status=503, text="down for maintenance")

    async def go():
        async with FlakyServer(broken) as server:
            async with BackendClient(server.url, "t", retries=3) as client:
                with pytest.raises(ServerError):
                    await client.services()
                gets = server.calls
                with pytest.raises(ServerError):
                    await client.dossiers_of_citizen("052090000001", "qr")
                return gets, server.calls - gets, client.connectivity.state

    gets, posts, state = run(go())
    assert gets == 3, "an idempotent call is retried"
    assert posts == 1, "a citizen lookup is never sent twice"
    assert state == OFFLINE


def test_garbage_answers_are_server_errors():
    async def garbage(request):
        body = b"<html>proxy error</html>" if "services" in request.path else b'{"services": [{"letter": 1}]}'
        return web.Response(body=body, content_type="application/json")

    async def go():
        async with FlakyServer(garbage) as server:
            async with BackendClient(server.url, "t") as client:
                with pytest.raises(ServerError, match="not JSON"):
                    await client.services()
                with pytest.raises(ServerError, match="unexpected shape"):
                    await client.ticket("AAAAAAAAAAAAAAAA")

    run(go())


def test_timeout_and_offline():
    async def slow(request):
        await asyncio.sleep(5)
        return web.json_response({})

    async def go():
        async with FlakyServer(slow) as server:
            async with BackendClient(server.url, "t", timeout=0.3, retries=1) as client:
                with pytest.raises(Timeout) as late:
                    await client.services()
        async with BackendClient("http://127.0.0.1:9", "t", retries=2) as client:
            with pytest.raises(Offline) as gone:
                await client.services()
            return late.value, gone.value, client.connectivity

    late, gone, connectivity = run(go())
    assert "too long" in late.summary and "cannot reach" in gone.summary
    assert connectivity.state == OFFLINE


def test_connectivity_states_and_listeners():
    seen = []
    clock = iter(dt.datetime(2026, 11, 27, 8, minute) for minute in range(60))
    link = Connectivity(clock=lambda: next(clock))
    link.subscribe(lambda state, since: seen.append((state, since.minute)))
    link.succeeded(0.1)
    link.succeeded(0.2)  # no change, no call
    link.failed()
    link.failed()
    link.succeeded(4.0)  # reachable but slow
    link.succeeded(0.1)
    assert [s for s, _ in seen] == [ONLINE, DEGRADED, OFFLINE, DEGRADED, ONLINE]
    assert link.state == ONLINE and seen[-1][1] == link.since.minute


@pytest.fixture(scope="module")
def province_ca(tmp_path_factory):
    """A certificate authority of the province's own, and a server certificate it signed."""
    folder = tmp_path_factory.mktemp("ca")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=So Thong tin va Truyen thong (test CA)")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return folder


def test_tls_is_verified_with_the_province_ca(province_ca):
    async def hello(request):
        return web.json_response({"services": []})

    async def go():
        app = web.Application()
        app.router.add_get("/api/v1/queue/services", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(province_ca / "server.pem", province_ca / "server.key")
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        address = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        try:
            async with BackendClient(address, "t", ca_file=str(province_ca / "ca.pem")) as client:
                trusted = await client.services()
            async with BackendClient(address, "t", retries=1) as client:
                with pytest.raises(Offline, match="certificate"):
                    await client.services()
        finally:
            await runner.cleanup()
        return trusted

    assert run(go()) == []


def test_heartbeat_returns_the_configuration(backend):
    from kiosk.backend.store import BackendStore

    store = BackendStore(backend.db)
    terminal = store.db.execute("SELECT MIN(id) FROM terminals").fetchone()[0]
    store.close()

    async def go():
        async with BackendClient(url(backend), backend.token) as client:
            return await client.heartbeat(terminal, Health(app_version="0.1.0", printer="ok"))

    version, config = run(go())
    assert version >= 1 and 30 <= config.idle_timeout_seconds <= 600


def test_answers_over_the_limit_are_refused_not_read(backend):
    async def go():
        async with BackendClient(url(backend), backend.token, max_answer=64 * 1024, max_catalogue=64 * 1024,
                                 retries=3) as client:
            services = await client.services()  # a few hundred bytes: within the limit
            with pytest.raises(ServerError, match="larger than 64 kB"):
                await client.catalogue()  # the sample's is some 180 kB gzipped, 2.5 MB plain
            return services, client.connectivity.state

    services, state = run(go())
    assert services and state == ONLINE  # a refused answer is not a network failure


def test_the_session_opens_at_the_first_request(backend):
    # aiohttp's session (and the library itself, in a kiosk) comes with the first request, which
    # a kiosk sends after its first frame; a client closed before any request closes cleanly.
    async def go():
        async with BackendClient(url(backend), backend.token) as unused:
            assert unused._session is None
        async with BackendClient(url(backend), backend.token) as client:
            before = client._session
            await client.services()
            opened = client._session
            await client.services()
            again = client._session
        return before, opened, again, client._session

    before, opened, again, after = run(go())
    assert before is None and opened is not None and again is opened and after is None
    with pytest.raises(RuntimeError, match="async with"):
        run(BackendClient("http://127.0.0.1:9").services())
