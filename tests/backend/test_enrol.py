"""Enrolment: `kiosk terminal add NAME --enrol` prints a one-time code; a new kiosk sends it to
POST /api/v1/terminals/enrol (through BackendClient.enrol) and gets its id and token, once."""

import asyncio
import json
import re
import subprocess

import pytest

from kiosk.client.api import BackendClient
from kiosk.client.errors import NotFound, Rejected
from kiosk.domain.terminal import Health
from support import KIOSK, query, start_site
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores

CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}\Z")


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    server = start_site(tmp_path_factory.mktemp("enrol"))
    yield server
    assert server.stop() == 0


def new_code(site, name="Sảnh tầng 1"):
    done = subprocess.run([KIOSK, "terminal", "add", name, "--enrol", *db_args(site.db), "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) == {"name", "code", "expires_at"} and answer["name"] == name
    assert CODE.match(answer["code"]), answer["code"]
    return answer["code"]


def client_of(site, token=None):
    return BackendClient(f"http://{site.host}:{site.port}", token, retries=1)


def test_the_command_prints_a_code_to_type_and_keeps_only_its_hash(site):
    done = subprocess.run([KIOSK, "terminal", "add", "Quầy 3", "--enrol", *db_args(site.db)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    code = done.stdout.strip().rsplit(" ", 1)[-1]
    assert CODE.match(code) and "Quầy 3" in done.stdout
    stored = query(site.db, "SELECT * FROM enrolment_codes")
    assert stored and not any(code in str(row) or code.replace("-", "") in str(row) for row in stored)
    assert ("enrolment_code_issued", "Quầy 3") in query(site.db, "SELECT action, target FROM audit_log")


def test_a_kiosk_enrols_once_with_the_client_and_its_token_works(site):
    code = new_code(site)

    async def go():
        async with client_of(site) as client:
            # Typed on a keypad: small letters, no hyphens.
            number, token = await client.enrol(code.replace("-", "").lower())
            with pytest.raises(Rejected) as again:
                await client.enrol(code)
        async with client_of(site, token) as kiosk:
            version, config = await kiosk.heartbeat(number, Health(app_version="1.0"))
        return number, token, again.value, config

    number, token, again, config = asyncio.run(go())
    assert len(token) >= 40 and config.idle_timeout_seconds == 90
    assert again.status == 410 and again.code == "enrolment_code_used"
    assert query(site.db, "SELECT name FROM terminals WHERE id = ?", number) == [("Sảnh tầng 1",)]
    assert query(site.db, "SELECT used_at IS NOT NULL, terminal_id FROM enrolment_codes WHERE terminal_id = ?",
                number) == [(1, number)]
    assert (f"terminal {number}", "terminal_enrolled") in query(site.db, "SELECT who, action FROM audit_log")


def test_the_kiosk_may_name_itself(site):
    reply = site.post("/api/v1/terminals/enrol", {"code": new_code(site), "name": "Kiosk xã Ân Hảo"}, token=None)
    assert reply.status == 201 and set(reply.json()) == {"id", "token"}
    assert query(site.db, "SELECT name FROM terminals WHERE id = ?", reply.json()["id"]) == [("Kiosk xã Ân Hảo",)]


def test_unknown_and_expired_codes_are_json_errors(site):
    async def unknown():
        async with client_of(site) as client:
            with pytest.raises(NotFound):
                await client.enrol("AAAA-BBBB-CCCC")

    asyncio.run(unknown())
    code = new_code(site)
    store = new_store(site.db)
    with store.write():
        store.db.execute("UPDATE enrolment_codes SET expires_at = '2000-01-01T00:00:00+07:00' WHERE used_at IS NULL")
    store.close()
    reply = site.post("/api/v1/terminals/enrol", {"code": code}, token=None)
    assert reply.status == 410 and reply.json()["error"]["code"] == "enrolment_code_expired"


@pytest.mark.parametrize("body", [{}, {"code": 5}, {"code": ""}, {"code": "x" * 65}, {"code": "ABCD", "name": 3},
                                  {"code": "ABCD", "extra": 1}, [], "ABCD"])
def test_bad_bodies_are_400(site, body):
    reply = site.post("/api/v1/terminals/enrol", body, token=None)
    assert reply.status == 400 and reply.json()["error"]["message"]


def test_tries_are_limited_per_address(tmp_path):
    server = start_site(tmp_path)
    try:
        statuses = [server.post("/api/v1/terminals/enrol", {"code": f"WRONG-{n}"}, token=None).status
                    for n in range(11)]
        assert statuses == [404] * 10 + [429]
        limited = server.post("/api/v1/terminals/enrol", {"code": new_code(server)}, token=None)
        assert limited.status == 429 and limited.headers["Retry-After"] == "60"
        assert limited.json()["error"]["code"] == "too_many_enrolments"
    finally:
        assert server.stop() == 0
