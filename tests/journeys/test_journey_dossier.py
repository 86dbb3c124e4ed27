"""Look a dossier up, without Kivy, against a real backend process: by code (with the names of
the administrative levels from the local catalogue), by ID card, and each way it can fail."""

import asyncio
import socket

from kiosk.client.api import BackendClient
from kiosk.client.store import LocalStore
from kiosk.client.sync import sync_catalogue
from kiosk.hardware.escpos_decode import decode
from kiosk.hardware.printer import SimulatedPrinter
from kiosk.journeys.dossier import (AMBIGUOUS_CODE, BAD_CODE, NO_CONNECTION, NO_DOSSIERS, NOT_FOUND, TOO_MANY, TROUBLE,
                                    look_up_citizen, look_up_code, print_status_slip, typed_code)
from support import query

CARD_ID = "052090000001"
"""The sample site's citizen with three dossiers (tests/screens/journey_dossier.py's card)."""


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_by_code(site, tmp_path):
    code = query(site.db, "SELECT code FROM dossiers WHERE status = 4 ORDER BY code LIMIT 1")[0][0]
    store = LocalStore(tmp_path / "catalogue.sqlite3", snapshot=None)

    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            await sync_catalogue(client, store)
            return (await look_up_code(client, code, store.path), await look_up_code(client, code),
                    await look_up_code(client, "000.00.53.H48-230411-9999", store.path))

    try:
        found, without_store, missing = asyncio.run(go())
    finally:
        store.close()
    assert found.message == "" and found.report.dossier.code == code and found.report.dossier.status == 4
    assert found.levels["commune"][0] and found.levels["province"][1], found.levels
    assert without_store.report.dossier.code == code and without_store.levels == {}
    assert missing.report is None and missing.message == NOT_FOUND


def test_by_code_without_a_connection(site):
    async def go():
        async with BackendClient(closed_port(), site.token, retries=1, timeout=2) as gone:
            unreachable = await look_up_code(gone, "000.00.53.H48-230411-0001")
        async with BackendClient(site.url, "not-a-token", retries=1) as refused:
            error = await look_up_code(refused, "000.00.53.H48-230411-0001")
        return unreachable, await look_up_code(None, "000.00.53.H48-230411-0001"), error

    unreachable, unconfigured, error = asyncio.run(go())
    assert (unreachable.report, unreachable.message) == (None, NO_CONNECTION)
    assert (unconfigured.report, unconfigured.message) == (None, NO_CONNECTION)
    assert (error.report, error.message) == (None, TROUBLE)


def test_by_id_card(site):
    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            mine = await look_up_citizen(client, CARD_ID)
            nobody = await look_up_citizen(client, "052090000098")
            answers = [await look_up_citizen(client, "052090000099") for _ in range(10)]
        return mine, nobody, answers, await look_up_citizen(None, CARD_ID)

    mine, nobody, answers, offline = asyncio.run(go())
    assert mine.message == "" and len(mine.dossiers) == 3
    assert all("Nguyễn Văn An" not in d.applicant_name for d in mine.dossiers), "names come masked"
    assert nobody.dossiers == [] and nobody.message == NO_DOSSIERS
    # The backend's guard against harvesting ID numbers: the citizen is told to wait.
    assert answers[-1].dossiers == [] and answers[-1].message == TOO_MANY
    assert offline.dossiers == [] and offline.message == NO_CONNECTION


def test_a_typed_code_is_one_code_or_why_not():
    assert typed_code("00000 01H21 2610020050") == ("000.00.01.H21-261002-0050", "")
    assert typed_code("000.00.bd.h08-230411-0004") == ("000.00.BD.H08-230411-0004", "")
    assert typed_code("G2299101010101010") == (None, AMBIGUOUS_CODE)  # G22.99.10-… or G22.99-…
    assert typed_code("12-3") == (None, BAD_CODE)


def test_the_status_slip_prints_or_says_why_not(tmp_path):
    from hardware.test_printer import make_report, qr_texts

    printer, report = SimulatedPrinter(tmp_path), make_report()
    assert asyncio.run(print_status_slip(printer, report, "vi")) is None
    printed = decode(printer.printed[-1].with_suffix(".bin").read_bytes()).image()
    assert qr_texts(printed) == [report.dossier.code]
    printer.state = "paper_out"
    assert asyncio.run(print_status_slip(printer, report, "vi")) == "The printer is out of paper"
    assert asyncio.run(print_status_slip(None, report, "en")) == "Cannot reach the printer"
    assert len(printer.printed) == 1
