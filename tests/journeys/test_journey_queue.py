"""Issue -> print -> void, without Kivy, against a real backend process: a printed ticket, a
ticket that does not print (voided), no backend, and a journey cancelled while its number is
issued or printed: voided, never handed to anyone."""

import asyncio
import socket
import threading

import pytest

from kiosk.client.api import BackendClient
from kiosk.client.outbox import Outbox
from kiosk.hardware.printer import SimulatedPrinter
from kiosk.i18n import translate
from kiosk.journeys.queue import (
    BUSY, NO_CONNECTION, NOT_PRINTED, issue_and_print, service_wait, services_offered, ticket_wait,
)
from support import query, start_site
from journeys.proxy import HoldingProxy

OFFICE = "Trung tâm Phục vụ hành chính công tỉnh Gia Lai"


def last_ticket(db):
    return query(db, "SELECT public_id, status FROM tickets ORDER BY id DESC LIMIT 1")[0]


def tickets(db):
    return query(db, "SELECT count(*) FROM tickets")[0][0]


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def kiosk(tmp_path):
    printer, outbox = SimulatedPrinter(tmp_path / "prints"), Outbox(tmp_path / "outbox.sqlite3")
    yield printer, outbox
    outbox.close()


class SlowPrinter(SimulatedPrinter):
    """Prints when the test lets it: a print in progress, as a real printer's few seconds."""

    def __init__(self, folder):
        super().__init__(folder)
        self.started, self.go_on = threading.Event(), threading.Event()

    def print_image(self, image):
        self.started.set()
        self.go_on.wait(20)
        super().print_image(image)


def test_a_printed_ticket_counts(site, kiosk):
    printer, outbox = kiosk

    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            return await issue_and_print(client, printer, outbox, "A", "elderly", office_name=OFFICE,
                                         priority_name="Người cao tuổi")

    issued = asyncio.run(go())
    assert issued.message == "" and issued.ticket.display.startswith("A") and issued.ticket.priority == "elderly"
    assert last_ticket(site.db) == (issued.ticket.id, "waiting")
    assert len(printer.printed) == 1 and printer.printed[0].stat().st_size > 0


def test_a_ticket_that_does_not_print_is_voided(site, kiosk):
    printer, outbox = kiosk
    printer.state = "paper_out"

    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            return await issue_and_print(client, printer, outbox, "B", None, office_name=OFFICE)

    before = tickets(site.db)
    issued = asyncio.run(go())
    assert issued.ticket is None and issued.message == NOT_PRINTED
    assert tickets(site.db) == before + 1 and last_ticket(site.db)[1] == "void", "no ghost number"
    assert printer.printed == [] and len(outbox) == 0


def test_no_backend_no_number(site, kiosk):
    printer, outbox = kiosk

    async def go():
        async with BackendClient(closed_port(), site.token, retries=1, timeout=2) as gone:
            return (await issue_and_print(gone, printer, outbox, "A", None, office_name=OFFICE),
                    await issue_and_print(None, printer, outbox, "A", None, office_name=OFFICE),
                    await services_offered(gone, []))

    before = tickets(site.db)
    unreachable, unconfigured, services = asyncio.run(go())
    assert unreachable.ticket is None and unreachable.message == NO_CONNECTION
    assert unconfigured.ticket is None and unconfigured.message == NO_CONNECTION
    assert services == ([], None, NO_CONNECTION)
    assert tickets(site.db) == before and printer.printed == []


def test_services_offered_as_the_centre_set(site):
    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            return await services_offered(client, ["A", "B"]), await services_offered(client, [], "HOTICH")

    (offered, chosen, message), (_all, serving, _) = asyncio.run(go())
    assert sorted(s.letter for s in offered) == ["A", "B"] and chosen is None and message == ""
    assert serving is not None and "HOTICH" in serving.fields


def test_cancelled_while_issued_voids_and_does_not_print(site, kiosk):
    """ "Start again" while the number is being issued: the backend has issued it, the kiosk
    not heard yet. The journey ends cancelled, the ticket is voided and never printed."""
    printer, outbox = kiosk

    async def go():
        async with HoldingProxy(site.url) as proxy, BackendClient(proxy.url, site.token, retries=1) as client:
            held = proxy.hold("POST", r"/queue/tickets$")
            journey = asyncio.ensure_future(issue_and_print(client, printer, outbox, "A", None, office_name=OFFICE))
            await asyncio.wait_for(held.answered.wait(), 20)
            issued_id, status = last_ticket(site.db)
            assert status == "waiting"  # issued at the backend; the answer is on its way
            journey.cancel()
            await asyncio.sleep(0.1)
            held.release.set()
            with pytest.raises(asyncio.CancelledError):
                await journey
            return issued_id

    issued_id = asyncio.run(go())
    assert last_ticket(site.db) == (issued_id, "void")
    assert printer.printed == [] and len(outbox) == 0


def test_cancelled_while_printing_voids(site, kiosk, tmp_path):
    """Left while the printer works: the paper may come out, but its number is voided."""
    _, outbox = kiosk
    printer = SlowPrinter(tmp_path / "slow")

    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            journey = asyncio.ensure_future(issue_and_print(client, printer, outbox, "A", None, office_name=OFFICE))
            await asyncio.to_thread(printer.started.wait, 20)
            journey.cancel()
            with pytest.raises(asyncio.CancelledError):
                await journey
            printer.go_on.set()

    asyncio.run(go())
    assert last_ticket(site.db)[1] == "void" and len(outbox) == 0


def test_cancelled_with_the_backend_gone_voids_through_the_outbox(site, kiosk, tmp_path):
    """Left while printing, and the backend unreachable by then: the void waits in the outbox."""
    _, outbox = kiosk
    printer = SlowPrinter(tmp_path / "slow")

    async def go():
        async with HoldingProxy(site.url) as proxy, BackendClient(proxy.url, site.token, retries=1, timeout=2) as client:
            journey = asyncio.ensure_future(issue_and_print(client, printer, outbox, "B", None, office_name=OFFICE))
            await asyncio.to_thread(printer.started.wait, 20)
            await proxy.runner.cleanup()  # the connection to the backend is lost
            journey.cancel()
            with pytest.raises(asyncio.CancelledError):
                await journey
            printer.go_on.set()

    asyncio.run(go())
    public_id, status = last_ticket(site.db)
    assert status == "waiting" and [item["kind"] for item in outbox.pending()] == ["void"]
    assert public_id in outbox.pending()[0]["path"]


def test_the_ceiling_per_kiosk_says_wait_not_closed(tmp_path, kiosk):
    """The backend's ceiling on tickets from one kiosk (429) is not a closed service: the citizen
    is asked to wait a minute, and no number prints."""
    from kiosk.config import config_path

    printer, outbox = kiosk
    config = tmp_path / "one-a-minute.ini"
    config.write_text(config_path().read_text(encoding="utf-8").replace(
        "[backend]\n", "[backend]\ntickets_per_minute = 1\n", 1), encoding="utf-8")
    server = start_site(tmp_path, "--config", str(config))
    try:
        async def go():
            async with BackendClient(f"http://{server.host}:{server.port}", server.token, retries=1) as client:
                return [await issue_and_print(client, printer, outbox, "A", None, office_name=OFFICE)
                        for _ in range(2)]

        first, second = asyncio.run(go())
        assert first.ticket is not None and first.message == ""
        assert second.ticket is None and second.message == BUSY
        assert len(printer.printed) == 1 and tickets(server.db) == 1
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("ahead, minutes, vietnamese, english", [
    (0, 0, "Bạn là người tiếp theo. Mời bạn nhận phiếu đã in.",
     "You are next. Please take your printed ticket."),
    (1, 0, "Trước bạn còn 1 người, khoảng một phút. Mời bạn nhận phiếu đã in.",
     "1 person ahead of you, about a minute. Please take your printed ticket."),
    (1, 6, "Trước bạn còn 1 người, khoảng 6 phút. Mời bạn nhận phiếu đã in.",
     "1 person ahead of you, about 6 minutes. Please take your printed ticket."),
    (3, 1, "Trước bạn còn 3 người, khoảng một phút. Mời bạn nhận phiếu đã in.",
     "3 people ahead of you, about a minute. Please take your printed ticket."),
    (3, 18, "Trước bạn còn 3 người, khoảng 18 phút. Mời bạn nhận phiếu đã in.",
     "3 people ahead of you, about 18 minutes. Please take your printed ticket."),
])
def test_a_tickets_wait_in_words(ahead, minutes, vietnamese, english):
    """Never "0 people" nor "about 0 minutes" (a few quick counters round a wait down to 0)."""
    message, numbers = ticket_wait(ahead, minutes)
    assert (translate(message, "vi").format(*numbers), message.format(*numbers)) == (vietnamese, english)


@pytest.mark.parametrize("waiting, minutes, vietnamese, english", [
    (0, 0, "Không có ai đang chờ", "Nobody waiting"),
    (2, 0, "2 người đang chờ, khoảng một phút", "2 waiting, about a minute"),
    (4, 12, "4 người đang chờ, khoảng 12 phút", "4 waiting, about 12 minutes"),
])
def test_a_services_wait_in_words(waiting, minutes, vietnamese, english):
    message, numbers = service_wait(waiting, minutes)
    assert (translate(message, "vi").format(*numbers), message.format(*numbers)) == (vietnamese, english)
