"""Call staff to the kiosk, without Kivy, against a real backend process: sent, sent again
within a minute (the same call), and not sent (no backend, no terminal id, nothing listening,
refused) without ever raising, and never kept for later."""

import asyncio
import json
import socket
import subprocess

import pytest

from kiosk.client.api import BackendClient
from kiosk.client.errors import Offline
from kiosk.journeys.help import HELP_MESSAGES, HelpOutcome, call_for_help
from kiosk.i18n import translate
from support import KIOSK, query


@pytest.fixture(scope="module")
def terminal(site):
    listed = subprocess.run([KIOSK, "terminal", "list", "--db", str(site.db), "--json"], capture_output=True,
                            text=True, check=True)
    return json.loads(listed.stdout)[0]["id"]


def calls(site):
    return query(site.db, "SELECT terminal_id, screen, answered_at FROM help_requests ORDER BY id")


def dead_url():
    """An address where nothing listens: a port taken and let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_sent_then_repeated(site, terminal):
    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            return (await call_for_help(client, terminal, "dossier"),
                    await call_for_help(client, terminal, "dossier"))

    assert asyncio.run(go()) == (HelpOutcome.SENT, HelpOutcome.REPEATED)
    assert calls(site) == [(terminal, "dossier", None)], "one call, however often it is pressed"


def test_not_sent_when_nothing_listens(site, terminal):
    async def go():
        async with BackendClient(dead_url(), site.token, retries=2, timeout=2) as client:
            return await call_for_help(client, terminal, "queue")

    before = calls(site)
    assert asyncio.run(go()) == HelpOutcome.NOT_SENT
    assert calls(site) == before


def test_the_client_says_offline(site, terminal):
    async def go():
        async with BackendClient(dead_url(), site.token, retries=1, timeout=2) as client:
            await client.call_for_help(terminal, "queue")

    with pytest.raises(Offline):
        asyncio.run(go())


def test_not_sent_without_a_backend_or_a_terminal_id(site, terminal):
    async def go():
        async with BackendClient(site.url, site.token, retries=1) as client:
            return [await call_for_help(None, terminal, "home"), await call_for_help(client, None, "home")]

    before = calls(site)
    assert asyncio.run(go()) == [HelpOutcome.NOT_SENT, HelpOutcome.NOT_SENT]
    assert calls(site) == before


@pytest.mark.parametrize("token, number, screen", [
    ("not-a-token", None, "home"),   # 401: the kiosk's token was revoked
    (None, 999, "home"),             # 403: another terminal's id
    (None, None, "Không hợp lệ"),    # 400: not a screen's name
])
def test_not_sent_when_refused(site, terminal, token, number, screen):
    async def go():
        async with BackendClient(site.url, token or site.token, retries=1) as client:
            return await call_for_help(client, number or terminal, screen)

    before = calls(site)
    assert asyncio.run(go()) == HelpOutcome.NOT_SENT
    assert calls(site) == before


def test_each_outcome_has_its_words_in_both_languages():
    assert set(HELP_MESSAGES) == set(HelpOutcome) and [o.value for o in HelpOutcome] == ["sent", "repeated", "not_sent"]
    for outcome in HelpOutcome:
        assert translate(outcome.message, "vi") != outcome.message, outcome
    assert "quầy hướng dẫn" in translate(HelpOutcome.NOT_SENT.message, "vi")
