"""Terminals, tokens, heartbeats, configuration, citizen lookups, ratings and statistics."""

import json
import subprocess

import pytest

from support import KIOSK, start_site
from stores import db_args, new_store, stored_bytes

pytestmark = pytest.mark.both_stores

CITIZEN = "052090000001"  # an invented ID number of the sample data, with three dossiers


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    server = start_site(tmp_path_factory.mktemp("terminals"))
    yield server
    assert server.stop() == 0


def kiosk(*args):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=60)


def terminal_of(site):
    store = new_store(site.db)
    try:
        return store.db.execute("SELECT id FROM terminals ORDER BY id LIMIT 1").fetchone()[0]
    finally:
        store.close()


TERMINAL_CALLS = [
    ("POST", "/api/v1/queue/tickets", {"service": "A"}),
    ("GET", "/api/v1/dossiers/000.00.53.H48-220921-0099", None),
    ("POST", "/api/v1/terminals/1/heartbeat", {"app_version": "1"}),
    ("POST", "/api/v1/ratings", {"level": "satisfied"}),
    ("POST", "/api/v1/dossiers/by-citizen", {"id_number": CITIZEN, "proof": "qr"}),
    ("POST", "/api/v1/queue/tickets/AAAAAAAAAAAAAAAA/void", None),
]
ADMIN_CALLS = [
    ("POST", "/api/v1/queue/counters/1/call-next", None),
    ("GET", "/api/v1/terminals/1/config", None),
    ("PUT", "/api/v1/terminals/1/config", {}),
    ("GET", "/api/v1/stats/daily", None),
]


@pytest.mark.parametrize("method, path, body", TERMINAL_CALLS + ADMIN_CALLS)
@pytest.mark.parametrize("token", [None, "not-a-token", "Basic dXNlcjpwYXNz"])
def test_missing_or_wrong_token_is_401(site, method, path, body, token):
    headers = {"Idempotency-Key": "k1", "Content-Type": "application/json"}
    if token and token.startswith("Basic"):
        headers["Authorization"], token = token, None
    reply = site.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                         headers=headers, token=token)
    assert reply.status == 401
    assert reply.json()["error"]["code"] == "unauthorized"
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method, path, body", ADMIN_CALLS)
def test_a_terminal_token_is_not_the_admin_token(site, method, path, body):
    reply = site.request(method, path, body=json.dumps(body).encode() if body is not None else None)
    assert reply.status == 401


def test_terminal_add_list_revoke(site):
    added = kiosk("terminal", "add", "Quầy hướng dẫn", *db_args(site.db), "--json")
    assert added.returncode == 0, added.stderr
    new = json.loads(added.stdout)
    assert set(new) == {"id", "token"} and len(new["token"]) >= 40
    store = new_store(site.db)
    stored = store.db.execute("SELECT token_hash FROM terminals WHERE id = ?", [new["id"]]).fetchone()[0]
    store.close()
    assert new["token"] not in stored and len(stored) == 64, "only a hash of the token is kept"
    assert site.post("/api/v1/ratings", {"level": "satisfied"}, token=new["token"]).status == 201
    listed = json.loads(kiosk("terminal", "list", *db_args(site.db), "--json").stdout)
    assert "Quầy hướng dẫn" in [t["name"] for t in listed]
    assert kiosk("terminal", "revoke", str(new["id"]), *db_args(site.db)).returncode == 0
    assert site.post("/api/v1/ratings", {"level": "satisfied"}, token=new["token"]).status == 401
    again = kiosk("terminal", "revoke", str(new["id"]), *db_args(site.db))
    assert again.returncode == 1 and "no live terminal" in again.stderr


def test_heartbeat_and_configuration_pushed_from_the_centre(site):
    me = terminal_of(site)
    health = {"app_version": "0.1.0", "catalogue_version": "abc", "printer": "paper_low", "scanner": "ok",
              "card_reader": "absent", "free_disk_mb": 1200, "outbox_size": 3}
    first = site.post(f"/api/v1/terminals/{me}/heartbeat", health)
    assert first.status == 200
    version = first.json()["config_version"]
    assert first.json()["config"]["idle_timeout_seconds"] == 90

    config = {"office_name": "Bộ phận Một cửa huyện Hoài Ân", "services": ["A", "B"], "default_language": "vi",
              "idle_timeout_seconds": 45, "large_text": True,
              "printer": {"driver": "usb", "profile": "TM-T20II", "address": "04b8:0202"},
              "help_desk": "Quầy hướng dẫn, bên phải cửa vào"}
    put = site.request("PUT", f"/api/v1/terminals/{me}/config", body=json.dumps(config).encode(), token="admin")
    assert put.status == 200 and put.json()["config_version"] == version + 1
    pushed = site.post(f"/api/v1/terminals/{me}/heartbeat", health).json()
    assert pushed["config_version"] == version + 1 and pushed["config"] == config
    assert site.get(f"/api/v1/terminals/{me}/config", token="admin").json()["config"] == config

    listed = json.loads(kiosk("terminal", "list", *db_args(site.db), "--json").stdout)
    assert next(t for t in listed if t["id"] == me)["health"]["printer"] == "paper_low"


@pytest.mark.parametrize(
    "change, status",
    [({"idle_timeout_seconds": 5}, 400), ({"default_language": "fr"}, 400), ({"services": ["Q"]}, 409),
     ({"printer": {"driver": "bluetooth"}}, 400), ({"unknown": 1}, 400)],
)
def test_bad_configuration_is_refused_and_the_old_one_kept(site, change, status):
    me = terminal_of(site)
    before = site.get(f"/api/v1/terminals/{me}/config", token="admin").json()
    reply = site.request("PUT", f"/api/v1/terminals/{me}/config", body=json.dumps(change).encode(), token="admin")
    assert reply.status == status and reply.json()["error"]["message"]
    assert site.get(f"/api/v1/terminals/{me}/config", token="admin").json() == before


def test_heartbeat_of_another_terminal_or_bad_health(site):
    me = terminal_of(site)
    assert site.post(f"/api/v1/terminals/{me + 1000}/heartbeat", {"app_version": "1"}).status == 403
    assert site.post(f"/api/v1/terminals/{me}/heartbeat", {"app_version": "1", "printer": "on fire"}).status == 400
    assert site.post(f"/api/v1/terminals/{me}/heartbeat", {"app_version": "1", "free_disk_mb": -5}).status == 400


def test_citizen_lookup_masked_rate_limited_and_audited_without_the_number(site):
    reply = site.post("/api/v1/dossiers/by-citizen",
                      {"id_number": CITIZEN, "proof": "chip", "trust": "signature", "active": "verified"})
    assert reply.status == 200 and reply.json()["detail"] == "full"
    dossiers = reply.json()["dossiers"]
    assert len(dossiers) == 3
    for dossier in dossiers:
        assert set(dossier) == {"code", "procedure_name", "status", "applicant_name"}
        assert dossier["applicant_name"] == "Nguyễn V** A"
    assert site.post("/api/v1/dossiers/by-citizen", {"id_number": "079000000000", "proof": "qr"}).json() == {
        "dossiers": [], "detail": "full"}
    assert site.post("/api/v1/dossiers/by-citizen", {"id_number": "12345", "proof": "qr"}).status == 400
    assert site.post("/api/v1/dossiers/by-citizen", {"id_number": CITIZEN, "proof": "photo"}).status == 400
    statuses = [site.post("/api/v1/dossiers/by-citizen", {"id_number": CITIZEN, "proof": "qr"}).status for _ in range(10)]
    assert statuses.count(429) >= 3 and statuses[-1] == 429
    limited = site.post("/api/v1/dossiers/by-citizen", {"id_number": CITIZEN, "proof": "qr"})
    assert limited.json()["error"]["code"] == "too_many_lookups" and limited.headers["Retry-After"] == "60"

    store = new_store(site.db)
    rows = store.db.execute("SELECT terminal_id, at, id_hash, proof, found FROM citizen_lookups").fetchall()
    key = store.citizen_key(CITIZEN)
    store.close()
    assert rows and rows[0][2] == key and rows[0][3] == "chip signature active verified" and rows[0][4] == 3
    assert CITIZEN.encode() not in stored_bytes(site.db), "the ID number is in the database"


def test_ratings_once_per_key_and_daily_statistics(site):
    first = site.post("/api/v1/ratings", {"level": "very_satisfied", "reasons": ["Nhanh chóng"]}, Idempotency_Key="r-1")
    again = site.post("/api/v1/ratings", {"level": "very_satisfied", "reasons": ["Nhanh chóng"]}, Idempotency_Key="r-1")
    assert first.status == 201 and again.status == 200 and again.json()["id"] == first.json()["id"]
    assert site.post("/api/v1/ratings", {"level": "meh"}).status == 400
    assert site.post("/api/v1/ratings", {"level": "unsatisfied", "reasons": ["x" * 201]}).status == 400
    ticket = site.post("/api/v1/queue/tickets", {"service": "B"}, Idempotency_Key="stats-1").json()
    assert site.post("/api/v1/ratings", {"level": "unsatisfied", "ticket_id": ticket["id"]}).status == 201

    stats = site.get("/api/v1/stats/daily", token="admin").json()
    assert stats["ratings"]["by_level"]["very_satisfied"] >= 1 and stats["ratings"]["reasons"]["Nhanh chóng"] == 1
    b = next(s for s in stats["queue"] if s["letter"] == "B")
    assert b["issued"] >= 1 and b["waiting"] >= 1
    assert sum(stats["dossiers"]["by_status"].values()) == 42
    assert set(stats["dossiers"]["by_timeliness"]) >= {"early", "on_time", "late", "overdue", "not_yet_due"}
    assert site.get("/api/v1/stats/daily?date=2026-13-01", token="admin").status == 400
    assert site.get("/api/v1/stats/daily?date=2020-01-01", token="admin").json()["queue"][0]["issued"] == 0
