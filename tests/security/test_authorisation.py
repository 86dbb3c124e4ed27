"""Attack class: acting on what belongs to another (probes of the hardening issue, re-run as
tests against a real backend process)."""

import subprocess

import pytest

from support import KIOSK, start_site
from stores import db_args

pytestmark = pytest.mark.both_stores


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    server = start_site(tmp_path_factory.mktemp("authorisation"))
    added = subprocess.run([KIOSK, "terminal", "add", "kiosk B", *db_args(server.db), "--json"],
                           capture_output=True, text=True, check=True)
    import json
    server.other_token = json.loads(added.stdout)["token"]
    yield server
    assert server.stop() == 0


def issue(site, token, key):
    reply = site.post("/api/v1/queue/tickets", {"service": "A"}, token=token, Idempotency_Key=key)
    assert reply.status == 201, reply.body
    return reply.json()["id"]


def test_a_kiosk_cannot_void_another_kiosks_ticket(site):
    ticket = issue(site, site.token, "owner-1")
    refused = site.post(f"/api/v1/queue/tickets/{ticket}/void", token=site.other_token)
    assert refused.status == 403 and refused.json()["error"]["code"] == "not_your_ticket"
    assert site.get(f"/api/v1/queue/tickets/{ticket}", token=None).json()["status"] == "waiting"


def test_the_issuing_kiosk_and_the_staff_may_void(site):
    mine = issue(site, site.token, "owner-2")
    assert site.post(f"/api/v1/queue/tickets/{mine}/void").json()["status"] == "void"
    theirs = issue(site, site.other_token, "owner-3")
    assert site.post(f"/api/v1/queue/tickets/{theirs}/void", token="admin").json()["status"] == "void"


def test_a_revoked_or_forged_token_voids_nothing(site):
    ticket = issue(site, site.token, "owner-4")
    assert site.post(f"/api/v1/queue/tickets/{ticket}/void", token="forged-token").status == 401
    assert site.get(f"/api/v1/queue/tickets/{ticket}", token=None).json()["status"] == "waiting"
