"""Dossiers pushed in the national portal's protocol: a fake one-stop system in a process of its
own against a real backend, then what the kiosk sees; the protocol's refusals; the rules of
steps (time order, duplicates, before their dossier); personal data at rest; the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.backend.dossier_sync import MAX_RECORDS, dossier_from_record, sync_dossiers, sync_steps
from kiosk.backend.integrations import Integrations
from kiosk.client.api import BackendClient
from kiosk.domain.calendar import TIMEZONE
from support import KIOSK, query, start_site
from stores import db_args, new_store, stored_bytes

pytestmark = pytest.mark.both_stores

HERE = Path(__file__).parent
NOW = dt.datetime(2025, 12, 5, 10, 0, tzinfo=TIMEZONE)
PASSWORD = "one-stop-password-2025"


@pytest.fixture(scope="module")
def site(tmp_path_factory, store_kind):
    folder = tmp_path_factory.mktemp("sync")
    server = start_site(folder)
    password_file = folder / "password"
    password_file.write_text(PASSWORD, encoding="utf-8")
    added = subprocess.run([KIOSK, "integration", "add", "igate", *db_args(server.db), "--password-file",
                            str(password_file), "--json"], capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["password"] is None  # given by file: not shown again
    server.password_file = password_file
    yield server
    assert server.stop() == 0


def session(server) -> str:
    answer = server.post("/api/v1/dvcqg/auth", {"username": "igate", "password": PASSWORD}, token=None)
    assert answer.status == 200 and answer.json()["error_code"] == 0
    return answer.json()["session"]


# -- the fake one-stop system -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pushed(site, tmp_path_factory, store_kind):
    plan = tmp_path_factory.mktemp("plan") / "plan.json"
    run = subprocess.run([sys.executable, str(HERE / "fake_one_stop.py"), f"http://{site.host}:{site.port}",
                          "igate", str(site.password_file), str(plan)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(plan.read_text(encoding="utf-8"))


def test_a_month_of_dossiers_goes_in(pushed):
    assert len(pushed["dossiers"]) == 1000 and pushed["steps_sent"] == 5000
    assert pushed["logins"] == 1
    accepted = sum(a["answer"].get("accepted", 0) for a in pushed["answers"] if a["service"] == "DongBoHoSoMC")
    assert accepted == 1000
    steps = sum(a["answer"].get("accepted", 0) for a in pushed["answers"] if a["service"] == "CapNhatTienDoHoSoMC")
    assert steps == 5000 + pushed["resent_steps"]  # resent ones are taken, and kept once (below)
    assert all(a["answer"]["status"] == 200 for a in pushed["answers"])


def test_each_broken_record_is_named_in_the_answer(pushed):
    assert len(pushed["broken"]) == 11
    for broken in pushed["broken"]:
        answer = pushed["answers"][broken["call"]]["answer"]
        assert answer["error_code"] == "01"
        named = [e for e in answer["errors"] if e["index"] == broken["index"]]
        assert len(named) == 1, (broken, answer["errors"])
        assert broken["word"] in named[0]["message"], named[0]
    # Only the broken ones are refused: every other record of those calls went in.
    for number, call in enumerate(pushed["answers"]):
        refused = {e["index"] for e in call["answer"]["errors"]}
        assert refused == {b["index"] for b in pushed["broken"] if b["call"] == number}
        assert call["answer"]["accepted"] == call["count"] - len(refused)


def test_the_kiosk_sees_each_dossier_status_and_timeline(site, pushed):
    async def look_up_all():
        async with BackendClient(f"http://{site.host}:{site.port}", site.token) as client:
            return [await client.dossier(d["code"]) for d in pushed["dossiers"]]

    reports = asyncio.run(look_up_all())
    for expected, report in zip(pushed["dossiers"], reports):
        dossier = report.dossier
        assert dossier.code == expected["code"]
        assert dossier.status == expected["expected_status"], expected["code"]
        # In time order, each step once, though they came shuffled, some twice, some before their dossier.
        assert [s.name for s in dossier.timeline] == expected["expected_timeline"], expected["code"]
        starts = [s.started_at for s in dossier.timeline]
        assert starts == sorted(starts)
        assert all(s.finished_at for s in dossier.timeline[:-1])
        assert dossier.applicant_name.startswith("Phạm V** K** ")
        if expected["expected_status"] in (9, 10):
            assert dossier.holder is None and dossier.timeline[-1].finished_at is not None
        else:
            assert dossier.holder is not None and dossier.holder.officer_name
            assert dossier.holder.agency


def test_nothing_personal_is_kept_in_clear(site, pushed):
    data = stored_bytes(site.db)
    for dossier in pushed["dossiers"][::50]:
        for secret in (dossier["id"], dossier["name"], dossier["phone"], f"khach{dossier['id'][-4:]}@"):
            assert secret.encode() not in data, secret
    # The ID number is there as the keyed hash only: the citizen's card still finds the dossier.
    async def by_card():
        async with BackendClient(f"http://{site.host}:{site.port}", site.token) as client:
            return await client.dossiers_of_citizen(pushed["dossiers"][7]["id"], "qr")

    found = asyncio.run(by_card())
    assert [d.code for d in found] == [pushed["dossiers"][7]["code"]]


def test_every_call_is_audited(site, pushed):
    rows = query(site.db, "SELECT who, action, detail FROM audit_log WHERE action LIKE 'integration%' "
                          "OR action = 'dossiers_synced' ORDER BY id")
    synced = [json.loads(r[2]) for r in rows if r[1] == "dossiers_synced"]
    assert len(synced) == len(pushed["answers"])
    assert all(r[0] == "integration igate" for r in rows if r[1] == "dossiers_synced")
    assert sum(s["refused"] for s in synced) == len(pushed["broken"])


def test_look_up_in_the_protocol(site, pushed):
    token = session(site)
    code = pushed["dossiers"][3]["code"]
    answer = site.post("/api/v1/dvcqg", {"session": token, "madonvi": "x", "service": "TraCuuHoSo", "mahoso": code},
                       token=None).json()
    assert answer["error_code"] == "00"
    (record,) = answer["result"]
    assert record["MaHoSo"] == code and record["TrangThaiHoSo"] == str(pushed["dossiers"][3]["expected_status"])
    assert [s["NoiDungXuLy"] for s in record["QuaTrinhXuLy"]] == pushed["dossiers"][3]["expected_timeline"]
    assert "MaDoiTuong" not in record and record["ChuHoSo"].startswith("Phạm V** K**")
    unknown = site.post("/api/v1/dvcqg", {"session": token, "service": "TraCuuHoSo",
                                          "mahoso": "000.00.BD.H08-010101-0001"}, token=None).json()
    assert unknown["error_code"] == "00" and unknown["result"] == []


# -- the protocol's refusals --------------------------------------------------------------------


def test_a_wrong_password_is_refused_and_limited(tmp_path):
    server = start_site(tmp_path)
    try:
        answers = [server.post("/api/v1/dvcqg/auth", {"username": "nobody", "password": "wrong-password-x"},
                               token=None) for _ in range(11)]
        assert [a.status for a in answers[:10]] == [401] * 10
        assert all(a.json()["error_code"] == 1 and a.json()["message"] for a in answers[:10])
        assert answers[10].status == 429 and answers[10].json()["error"]["code"] == "too_many_failures"
        logged = query(server.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'integration_login_failed'")
        assert logged[0][0] == 11
    finally:
        assert server.stop() == 0


def test_bodies_that_are_not_the_protocol_change_nothing(site):
    token = session(site)
    before = query(site.db, "SELECT COUNT(*), (SELECT COUNT(*) FROM dossier_steps) FROM dossiers")
    record = {"MaHoSo": "000.00.BD.H08-251201-7000", "MaTTHC": "1.001193", "TrangThaiHoSo": "2",
              "NgayTiepNhan": "20251201080000"}
    cases = [
        (site.request("POST", "/api/v1/dvcqg", b"{not json", {"Content-Type": "application/json"}, token=None),
         400, "bad_json"),
        (site.post("/api/v1/dvcqg", [1, 2], token=None), 400, "bad_json"),
        (site.post("/api/v1/dvcqg", {"session": token, "data": [record]}, token=None), 400, "no_service"),
        (site.post("/api/v1/dvcqg", {"session": token, "service": "XoaHoSo", "data": [record]}, token=None),
         400, "unknown_service"),
        (site.post("/api/v1/dvcqg", {"session": token, "service": "DongBoHoSoMC", "data": record}, token=None),
         400, "bad_request"),
        (site.post("/api/v1/dvcqg", {"session": token, "service": "DongBoHoSoMC",
                                     "data": [record] * (MAX_RECORDS + 1)}, token=None), 413, "too_many_records"),
        (site.post("/api/v1/dvcqg", {"session": "forged", "service": "DongBoHoSoMC", "data": [record]}, token=None),
         401, "session_expired"),
        (site.request("POST", "/api/v1/dvcqg", json.dumps({"session": token, "service": "DongBoHoSoMC",
                                                            "data": [{**record, "ChuHoSo": "\ud800"}]}).encode(),
                      {"Content-Type": "application/json"}, token=None), 400, "bad_text"),
        (site.request("POST", "/api/v1/dvcqg", b'{"session": "\\udfff", "service": "TraCuuHoSo"}',
                      {"Content-Type": "application/json"}, token=None), 400, "bad_text"),
        (site.request("POST", "/api/v1/dvcqg", b"x" * (17 * 1024 * 1024), {"Content-Type": "application/json"},
                      token=None), 413, "body_too_large"),
    ]
    for reply, status, code in cases:
        assert reply.status == status, (code, reply.body[:200])
        assert reply.json()["error"]["code"] == code
        assert reply.json()["error"]["message"]
    assert query(site.db, "SELECT COUNT(*), (SELECT COUNT(*) FROM dossier_steps) FROM dossiers") == before


def test_an_expired_or_revoked_session_is_refused(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    integrations = Integrations(store)
    number = integrations.add("vnpt-igate", PASSWORD, NOW)
    token = integrations.open_session(number, NOW)
    assert integrations.session(token, NOW + dt.timedelta(minutes=59)).name == "vnpt-igate"
    assert integrations.session(token, NOW + dt.timedelta(minutes=61)) is None
    fresh = integrations.open_session(number, NOW)
    assert integrations.revoke(number, NOW) and integrations.session(fresh, NOW) is None
    assert integrations.credentials("vnpt-igate") is None  # a revoked account cannot log in
    with pytest.raises(ValueError, match="at least 10"):
        integrations.add("short", "123", NOW)
    with pytest.raises(ValueError, match="exists"):
        integrations.add("vnpt-igate", PASSWORD, NOW)
    store.close()


# -- the rules, on a store ----------------------------------------------------------------------


def record(code: str = "000.00.BD.H08-251201-0001", **values) -> dict:
    return {"MaHoSo": code, "MaTTHC": "1.001193", "TenTTHC": "Thủ tục đăng ký khai sinh", "ChuHoSo": "Võ Thị Lan",
            "MaDoiTuong": "052190000123", "NgayTiepNhan": "20251201080000", "NgayHenTra": "20251205163000",
            "TrangThaiHoSo": "2", "DonViXuLy": "UBND xã Ân Tín", **values}


def step(at: str, content: str, status: str, code: str = "000.00.BD.H08-251201-0001") -> dict:
    return {"MaHoSo": code, "NguoiXuLy": "Lê Văn Hùng", "ChucDanh": "Công chức", "ThoiDiemXuLy": at,
            "PhongBanXuLy": "Tư pháp", "NoiDungXuLy": content, "TrangThai": status}


@pytest.fixture
def store(tmp_path):
    opened = new_store(tmp_path / "b.sqlite3")
    yield opened
    opened.close()


def test_steps_are_placed_by_time_and_kept_once(store):
    sync_dossiers(store, [record()], False, NOW)
    later, earlier = step("20251202090000", "Thẩm định", "4"), step("20251201083000", "Tiếp nhận", "2")
    sync_steps(store, [later], NOW)
    sync_steps(store, [earlier, later, earlier], NOW)
    dossier = store.dossier("000.00.BD.H08-251201-0001")
    assert [s.name for s in dossier.timeline] == ["Tiếp nhận", "Thẩm định"]
    # The older step came last, but the status is that of the latest one.
    assert dossier.status == 4 and dossier.holder.officer_name == "Lê Văn Hùng"
    assert dossier.timeline[0].finished_at == dossier.timeline[1].started_at


def test_steps_before_their_dossier_wait_for_it(store):
    result = sync_steps(store, [step("20251202090000", "Thẩm định", "4")], NOW)
    assert result.accepted == 1 and store.dossier("000.00.BD.H08-251201-0001") is None
    sync_dossiers(store, [record(TrangThaiHoSo="4")], False, NOW)
    assert [s.name for s in store.dossier("000.00.BD.H08-251201-0001").timeline] == ["Thẩm định"]


def test_a_record_sent_after_the_steps_sets_the_status(store):
    sync_dossiers(store, [record()], False, NOW)
    sync_steps(store, [step("20251202090000", "Ký duyệt", "9")], NOW)
    sync_dossiers(store, [record(TrangThaiHoSo="10", NgayTra="20251203100000")], True, NOW)
    dossier = store.dossier("000.00.BD.H08-251201-0001")
    assert dossier.status == 10 and dossier.returned_at.day == 3 and dossier.holder is None
    assert [s.name for s in dossier.timeline] == ["Ký duyệt"]  # a new record keeps the steps


def test_fields_are_mapped_where_the_kiosk_shows_them(store):
    sync_dossiers(store, [record(
        TrangThaiHoSo="6", HinhThuc="1", TenLinhVuc="Hộ tịch", ThongTinTra="Nhận tại Bộ phận Một cửa xã",
        DanhSachLePhi=[{"TenPhiLePhi": "Lệ phí cấp bản sao", "Gia": "8.000"}],
        DanhSachHoSoBoSung=[{"NoiDungBoSung": "Bổ sung giấy chứng sinh", "NgayTiepNhanBoSung": ""},
                            {"NoiDungBoSung": "Đã bổ sung", "NgayTiepNhanBoSung": "20251202080000"}],
        DanhSachGiayToKetQua=[{"TenGiayTo": "Giấy khai sinh (bản chính)"}],
        NgayKetThucXuLy="20251204150000")], False, NOW)
    dossier = store.dossier("000.00.BD.H08-251201-0001")
    assert dossier.received_at == dt.datetime(2025, 12, 1, 8, 0, tzinfo=TIMEZONE)
    assert dossier.due_at == dt.datetime(2025, 12, 5, 16, 30, tzinfo=TIMEZONE)
    assert dossier.channel == "online" and dossier.field_name == "Hộ tịch"
    assert [(f.amount_vnd, f.description) for f in dossier.fees_outstanding] == [(8000, "Lệ phí cấp bản sao")]
    assert dossier.requested_documents == ["Bổ sung giấy chứng sinh"]
    assert dossier.results == ["Giấy khai sinh (bản chính)"]
    assert dossier.collection.place == "Nhận tại Bộ phận Một cửa xã"
    assert dossier.applicant_name == "Võ T** L"
    rows = store.db.execute("SELECT applicant_key, origin FROM dossiers").fetchall()
    assert rows == [(store.citizen_key("052190000123"), "sync")]


def test_codes_are_kept_in_their_normal_form(store):
    sync_dossiers(store, [record(code="000.00.bd.h08-251201-0002")], False, NOW)
    assert store.dossier_codes() == ["000.00.BD.H08-251201-0002"]


def test_a_record_read_without_a_store(store):
    dossier = dossier_from_record(record(), [step("20251202090000", "Thẩm định", "4"),
                                             step("20251201083000", "Tiếp nhận", "2")])
    assert [s.name for s in dossier.timeline] == ["Tiếp nhận", "Thẩm định"]
    with pytest.raises(ValueError, match="NgayTiepNhan"):
        dossier_from_record(record(NgayTiepNhan="hôm qua"), [])


# -- the commands ------------------------------------------------------------------------------


def test_integration_commands(tmp_path):
    db = str(tmp_path / "b.sqlite3")
    made = subprocess.run([KIOSK, "integration", "add", "viettel-one-stop", *db_args(db), "--json"],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    answer = json.loads(made.stdout)
    assert answer["username"] == "viettel-one-stop" and len(answer["password"]) >= 24
    listed = json.loads(subprocess.run([KIOSK, "integration", "list", *db_args(db), "--json"],
                                       capture_output=True, text=True).stdout)
    assert [(r["id"], r["name"], r["revoked_at"]) for r in listed] == [(answer["id"], "viettel-one-stop", None)]
    again = subprocess.run([KIOSK, "integration", "add", "viettel-one-stop", *db_args(db)], capture_output=True, text=True)
    assert again.returncode == 1 and "exists" in again.stderr and "Traceback" not in again.stderr
    revoked = subprocess.run([KIOSK, "integration", "revoke", str(answer["id"]), *db_args(db)],
                             capture_output=True, text=True)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    twice = subprocess.run([KIOSK, "integration", "revoke", str(answer["id"]), *db_args(db)],
                           capture_output=True, text=True)
    assert twice.returncode == 1 and "no live integration" in twice.stderr
    store = new_store(db)
    actions = [r["action"] for r in store.audit_log(10)]
    store.close()
    assert actions == ["integration_revoked", "integration_added"]


def test_import_dossiers_from_a_file(tmp_path):
    db = str(tmp_path / "b.sqlite3")
    export = tmp_path / "export.json"
    export.write_text(json.dumps([
        {"service": "DongBoHoSoMC", "isUpdating": "False", "data": [record(), {"MaHoSo": "x"}]},
        {"service": "CapNhatTienDoHoSoMC", "data": [step("20251202090000", "Thẩm định", "4")]},
    ], ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([KIOSK, "import-dossiers", str(export), *db_args(db), "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(r["service"], r["accepted"]) for r in report] == [("DongBoHoSoMC", 1), ("CapNhatTienDoHoSoMC", 1)]
    assert report[0]["refused"] == [{"index": 1, "MaHoSo": "x", "reason": "no status (TrangThaiHoSo)"}]
    store = new_store(db)
    assert store.dossier("000.00.BD.H08-251201-0001").status == 4
    store.close()
    export.write_text("{not json", encoding="utf-8")
    broken = subprocess.run([KIOSK, "import-dossiers", str(export), *db_args(db)], capture_output=True, text=True)
    assert broken.returncode == 1 and "not JSON" in broken.stderr and "Traceback" not in broken.stderr
    export.write_text(json.dumps({"service": "XoaHoSo", "data": []}), encoding="utf-8")
    unknown = subprocess.run([KIOSK, "import-dossiers", str(export), *db_args(db)], capture_output=True, text=True)
    assert unknown.returncode == 1 and "XoaHoSo" in unknown.stdout


def test_the_holder_level_comes_from_the_catalogue_agency_however_it_is_written(store):
    store.db.insert_all("agencies", [
        {"code": "01.31.H21", "name": "Ủy ban nhân dân phường Quy Nhơn", "level": "commune", "parent": None, "address": ""},
        {"code": "000.00.02.H21", "name": "Sở Tư pháp tỉnh Gia Lai", "level": "province", "parent": None, "address": ""},
    ])
    sync_dossiers(store, [record(code="01.31.H21-251201-0001", DonViXuLy="UBND phường Quy Nhơn"),
                          record(code="01.31.H21-251201-0002", DonViXuLy="000.00.02.H21"),
                          record(code="01.31.H21-251201-0003", DonViXuLy="Một cơ quan lạ")], False, NOW)
    levels = [store.dossier(f"01.31.H21-251201-000{n}").holder.level for n in (1, 2, 3)]
    assert levels == ["commune", "province", ""]
