"""Attack class: trying every ID number against the hashes of a stolen database.

The key of the hashes lives in a file of its own (mode 0600) named by the configuration, never
in the database; the hash is scrypt, slow even with the key; a lost key file stops the start
with one line instead of a new key made in silence; keys rotate as a ring."""

import hashlib
import hmac
import json
import os
import stat
import subprocess

import pytest

from kiosk.backend.citizen_keys import SCRYPT_N, SCRYPT_P, SCRYPT_R, read_ring
from kiosk.backend.store import MIGRATIONS, BackendStore, StoreError
from kiosk.domain.dossier import Dossier
from support import KIOSK
from stores import db_args, new_store, old_database, stored_bytes

pytestmark = pytest.mark.both_stores

CITIZEN = "052090000001"  # invented, of the shape of a citizen ID number
OTHER = "001199000042"


def dossier(code: str) -> Dossier:
    return Dossier.from_dict({"code": code, "procedure_code": "1.001193", "procedure_name": "Đăng ký khai sinh",
                              "applicant_name": "Nguyễn Văn An", "status": 2, "received_at": "2026-01-05T08:00:00"})


def codes(store: BackendStore, number: str) -> list[str]:
    return [d["code"] for d in store.dossiers_of_citizen(number)]


def test_the_key_lives_in_a_file_of_its_own_readable_by_the_owner_alone(tmp_path):
    old_umask = os.umask(0)  # even so, the file is never made readable by others
    try:
        store = new_store(tmp_path / "b.sqlite3")
    finally:
        os.umask(old_umask)
    key_file = tmp_path / "b.citizen.key"
    assert store.key_file == key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    store.put_dossiers([dossier("000.00.53.H48-260105-0001")], {"000.00.53.H48-260105-0001": CITIZEN})
    assert codes(store, CITIZEN) == ["000.00.53.H48-260105-0001"] and codes(store, OTHER) == []
    assert store.meta("citizen_key") is None
    store.close()
    secret = read_ring(key_file).newest.secret
    data = stored_bytes(tmp_path / "b.sqlite3")
    assert secret not in data and secret.hex().encode() not in data, "the key is in the database"
    assert CITIZEN.encode() not in data


def test_the_hash_is_scrypt_keyed_by_the_secret(tmp_path):
    """Slow by construction (scrypt, 16 MiB), not only keyed: checked by its value, not by timing."""
    store = new_store(tmp_path / "b.sqlite3")
    key = read_ring(store.key_file).newest
    expected = hashlib.scrypt(CITIZEN.encode(), salt=key.secret, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                              maxmem=64 * 1024 * 1024, dklen=32).hex()
    assert store.citizen_key(CITIZEN) == f"{key.number}${expected}"
    assert SCRYPT_N >= 2 ** 14 and SCRYPT_R >= 8
    store.close()


def test_a_lost_key_file_stops_the_start_and_is_never_made_anew(tmp_path):
    db = tmp_path / "b.sqlite3"
    store = new_store(db)
    store.put_dossiers([dossier("000.00.53.H48-260105-0001")], {"000.00.53.H48-260105-0001": CITIZEN})
    store.close()
    (tmp_path / "b.citizen.key").rename(tmp_path / "elsewhere.key")
    with pytest.raises(StoreError, match="citizen key file .* is missing.*1 ID-number hashes.*kiosk citizen-key reset"):
        new_store(db)
    assert not (tmp_path / "b.citizen.key").exists()
    # The command says it in one line, and exits 1.
    run = subprocess.run([KIOSK, "citizen-key", "status", *db_args(db)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and len(run.stderr.strip().splitlines()) == 1 and "is missing" in run.stderr
    assert not (tmp_path / "b.citizen.key").exists()
    # Lost for good: `reset` clears the hashes it cannot use and makes a new file.
    reset = subprocess.run([KIOSK, "citizen-key", "reset", *db_args(db), "--json"], capture_output=True,
                           text=True, timeout=60)
    assert reset.returncode == 0, reset.stderr
    assert json.loads(reset.stdout)["dossiers_cleared"] == 1
    again = new_store(db)
    assert codes(again, CITIZEN) == [] and again.dossier("000.00.53.H48-260105-0001") is not None
    again.close()


def test_the_key_file_named_in_the_configuration_is_used(tmp_path):
    keys = tmp_path / "secrets"
    keys.mkdir()
    config = tmp_path / "kiosk.ini"
    config.write_text(f"[backend]\ndb = {tmp_path / 'b.sqlite3'}\ncitizen_key_file = {keys / 'site.key'}\n",
                      encoding="utf-8")
    run = subprocess.run([KIOSK, "citizen-key", "status", "--config", str(config), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["key_file"] == str(keys / "site.key")
    assert (keys / "site.key").exists() and not (tmp_path / "b.citizen.key").exists()


def test_another_databases_key_file_is_refused(tmp_path):
    new_store(tmp_path / "a.sqlite3").close()
    new_store(tmp_path / "b.sqlite3").close()
    with pytest.raises(StoreError, match="belongs to another database"):
        new_store(tmp_path / "b.sqlite3", tmp_path / "a.citizen.key")


def test_a_database_with_its_key_inside_moves_it_out_and_its_hashes_still_answer(tmp_path):
    """A database of schema 4 kept its HMAC key in meta: moved to the key file, deleted from meta."""
    db = tmp_path / "old.sqlite3"
    old = old_database(db, 4)
    secret = os.urandom(32)
    old.insert("meta", {"key": "citizen_key", "value": secret.hex()})
    legacy = hmac.new(secret, CITIZEN.encode(), hashlib.sha256).hexdigest()
    old.insert("dossiers", {"code": "000.00.53.H48-220921-0099", "procedure_code": "1.001193", "status": 2,
                            "data": json.dumps(dossier("000.00.53.H48-220921-0099").to_dict()),
                            "applicant_key": legacy})
    old.insert("citizen_lookups", {"terminal_id": 1, "at": "2026-01-05T08:00:00", "id_hash": legacy,
                                   "proof": "qr", "found": 1})
    old.close()

    store = new_store(db)
    assert store.schema_version == len(MIGRATIONS)
    assert store.meta("citizen_key") is None
    ring = read_ring(tmp_path / "old.citizen.key")
    assert {(k.kind, k.secret == secret) for k in ring.keys} >= {("hmac", True), ("scrypt", False)}
    assert codes(store, CITIZEN) == ["000.00.53.H48-220921-0099"]
    assert legacy in store.citizen_hashes(CITIZEN)  # the audit row's hash is still the citizen's
    # New rows use the new (slow) key, and both are found.
    store.put_dossiers([dossier("000.00.53.H48-260105-0001")], {"000.00.53.H48-260105-0001": CITIZEN})
    assert store.citizen_key(CITIZEN) != legacy
    assert codes(store, CITIZEN) == ["000.00.53.H48-220921-0099", "000.00.53.H48-260105-0001"]
    store.close()
    assert secret.hex().encode() not in stored_bytes(db)


def test_rotation_keeps_old_hashes_until_retired(tmp_path):
    db = tmp_path / "b.sqlite3"
    store = new_store(db)
    running = new_store(db)  # a backend running beside the command: it reads the new ring
    store.put_dossiers([dossier("000.00.53.H48-260105-0001")], {"000.00.53.H48-260105-0001": CITIZEN})
    first = store.citizen_key(CITIZEN)

    rotate = subprocess.run([KIOSK, "citizen-key", "rotate", *db_args(db), "--json"], capture_output=True,
                            text=True, timeout=60)
    assert rotate.returncode == 0, rotate.stderr
    assert json.loads(rotate.stdout)["new_key"] == 2
    assert stat.S_IMODE(store.key_file.stat().st_mode) == 0o600
    second = running.citizen_key(CITIZEN)
    assert second.startswith("2$") and second != first
    running.put_dossiers([dossier("000.00.53.H48-260105-0002")], {"000.00.53.H48-260105-0002": CITIZEN})
    assert codes(running, CITIZEN) == ["000.00.53.H48-260105-0001", "000.00.53.H48-260105-0002"]

    retire = subprocess.run([KIOSK, "citizen-key", "retire", *db_args(db)], capture_output=True,
                            text=True, timeout=60)
    assert retire.returncode == 0, retire.stderr
    assert "1 dossiers can no longer be found by ID number" in retire.stdout
    assert codes(running, CITIZEN) == ["000.00.53.H48-260105-0002"]
    assert [k.number for k in read_ring(store.key_file).keys] == [2]
    store.close()
    running.close()


def test_a_database_in_memory_keeps_its_key_in_memory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = new_store(":memory:")
    store.put_dossiers([dossier("000.00.53.H48-260105-0001")], {"000.00.53.H48-260105-0001": CITIZEN})
    assert codes(store, CITIZEN) == ["000.00.53.H48-260105-0001"]
    store.close()
    assert list(tmp_path.iterdir()) == []
