"""The sample sites are rich enough for the demo, honest about being sample data, and the
default one's procedures are the national database's own."""

import datetime as dt
import json
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from kiosk.backend.sample import (
    DEFAULT_SITE, SAMPLE_DIR, SAMPLE_ROOT, SITES, load_sample_site, sample_catalogue, sample_dossiers,
    sample_procedures, sample_queue, sample_records, synthetic_catalogue,
)
from kiosk.cli import SAMPLE_SITES
from kiosk.config import load_config, working_calendar
from kiosk.domain.codes import dossier_code_shape
from kiosk.domain.dossier import Status, Timeliness
from stores import new_store, stored_bytes

pytestmark = pytest.mark.both_stores

SOURCES = Path(__file__).resolve().parent.parent / "fixtures" / "sample_sources.json"


@pytest.fixture(scope="module")
def catalogue(store_kind):
    return sample_catalogue()


@pytest.fixture(scope="module")
def district(store_kind):
    return sample_catalogue("district-2019")


def test_two_sites_the_two_level_one_by_default():
    assert SITES == SAMPLE_SITES and SITES[0] == DEFAULT_SITE == "two-level" and "district-2019" in SITES
    assert SAMPLE_DIR == SAMPLE_ROOT / DEFAULT_SITE
    with pytest.raises(ValueError, match="unknown sample site 'x'"):
        sample_catalogue("x")


def test_sample_catalogue_size_and_spread(catalogue):
    procedures = catalogue.procedures
    assert [level.code for level in catalogue.levels] == ["province", "commune"]
    assert len(procedures) >= 150
    assert len({p.code for p in procedures}) == len(procedures)
    fields = Counter(p.field for p in procedures)
    assert len(fields) >= 12
    levels = Counter(level for p in procedures for level in p.levels)
    assert all(levels[code] >= 20 for code in ("province", "commune")), levels
    assert [p for p in procedures if p.interconnection]
    paths = {tuple(p.interconnection) for p in procedures if p.interconnection}
    assert paths == {("commune", "province")}
    # What citizens come for, at a commune and at the province's centre.
    names = " | ".join(p.name.lower() for p in procedures)
    for subject in ("khai sinh", "khai tử", "kết hôn", "xác nhận tình trạng hôn nhân", "trích lục",
                    "đăng ký thường trú", "đăng ký tạm trú", "chứng thực bản sao", "chứng thực chữ ký",
                    "đăng ký biến động", "cấp giấy chứng nhận", "giấy phép xây dựng", "hộ kinh doanh",
                    "hộ nghèo", "lý lịch tư pháp", "thẻ căn cước"):
        assert subject in names, subject


def test_district_site_is_kept(district):
    assert [level.code for level in district.levels] == ["province", "district", "commune"]
    assert len(district.procedures) >= 150
    levels = Counter(level for p in district.procedures for level in p.levels)
    assert all(levels[code] >= 20 for code in ("province", "district", "commune")), levels
    paths = {tuple(p.interconnection) for p in district.procedures if p.interconnection}
    assert {("commune", "district"), ("commune", "district", "province"), ("district", "province")} <= paths


@pytest.mark.parametrize("site", SITES)
def test_every_sample_procedure_is_complete(site):
    catalogue = sample_catalogue(site)
    level_codes = {x.code for x in catalogue.levels}
    field_codes = {x.code for x in catalogue.fields}
    for p in catalogue.procedures:
        assert p.problems(level_codes, field_codes) == [], p.code
        assert p.cases and all(case.documents and case.steps for case in p.cases), p.code
        assert p.channels and p.results and p.legal_basis and p.agencies, p.code
    # Since 2025 some procedures are online only (khai báo tạm vắng): most still take paper.
    in_person = [p for p in catalogue.procedures if any(t.channel == "in_person" for t in p.channels)]
    assert len(in_person) >= 0.9 * len(catalogue.procedures)
    assert {p.online_level for p in catalogue.procedures} == {"full", "partial", "none"}


def test_documents_say_originals_copies_and_forms(catalogue):
    documents = [d for p in catalogue.procedures for case in p.cases for d in case.documents]
    assert all(d.originals + d.copies > 0 and d.name.strip() for d in documents)
    assert any(d.copies and not d.originals for d in documents)
    assert sum(1 for d in documents if d.form) >= 20
    fees = [f for p in catalogue.procedures for t in p.channels for f in t.fees]
    assert any(f.amount_vnd >= 1000 for f in fees) and all(f.amount_vnd == 0 or f.amount_vnd >= 1000 for f in fees)


def _level(cap_thuc_hien: str) -> list[str]:
    # Read on its own here, not with the build script's code.
    parts = [part.strip() for part in cap_thuc_hien.split(",")]
    return [code for word, code in (("Cấp tỉnh", "province"), ("Cấp xã", "commune")) if word in parts]


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text.replace("\xa0", " ")).split())


def test_sample_procedures_are_real_national_records():
    """Each procedure's code, name and level are its national-portal record's (a fixture table of
    the records used, each with its path in the source repository)."""
    table = json.loads(SOURCES.read_text(encoding="utf-8"))
    assert "chatbot-tthc/chatbot_tthc" in table["_note"]
    records = {r["ma_thu_tuc"]: r for r in table["records"]}
    procedures = sample_procedures()
    assert len(records) == len(table["records"]) == len(procedures)
    for p in procedures:
        record = records[p["code"]]
        assert record["path"].startswith("scripts/crawler/data/raw/") and record["path"].endswith(f"/{p['code']}.json")
        assert p["name"] == _nfc(record["ten_thu_tuc"]), p["code"]
        assert p["levels"] == _level(record["cap_thuc_hien"]), p["code"]
        assert record["path"] in p["source"] and "dichvucong.gov.vn" in p["source"]


@pytest.mark.parametrize("site", SITES)
def test_queue_services_cover_the_sites_fields(site):
    served = [f for service in sample_queue(site=site).services for f in service.fields]
    assert len(served) == len(set(served)), "a field served by two services"
    assert set(served) == {f.code for f in sample_catalogue(site).fields}


def test_sample_files_say_they_are_sample_data_and_are_nfc():
    for site in SITES:
        folder = SAMPLE_ROOT / site
        data = json.loads((folder / "site.json").read_text(encoding="utf-8"))
        assert "SAMPLE DATA" in data["_note"] and "mẫu" in data["site"]["name"]
        assert "SAMPLE DATA" in json.loads((folder / "dossiers.json").read_text(encoding="utf-8"))["_note"]
    assert "chatbot-tthc/chatbot_tthc" in (SAMPLE_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for path in [*SAMPLE_ROOT.rglob("*.json"), *SAMPLE_ROOT.rglob("*.md")]:
        text = path.read_text(encoding="utf-8")
        assert text == unicodedata.normalize("NFC", text), path.name


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("today", [dt.date(2026, 11, 27), dt.date(2026, 2, 16), dt.date(2027, 6, 6)])
def test_sample_dossiers_cover_every_status_and_timeliness_on_any_day(site, today):
    catalogue = sample_catalogue(site)
    calendar = working_calendar(load_config())
    dossiers = sample_dossiers(catalogue, calendar, today, site)
    assert len(dossiers) >= 40 and len({d.code for d in dossiers}) == len(dossiers)
    now = dt.datetime.combine(today, dt.time(12), dossiers[0].received_at.tzinfo)
    assert {Status(d.status) for d in dossiers} == set(Status)
    assert {d.timeliness(now, calendar) for d in dossiers} >= set(Timeliness)
    codes = {p.code for p in catalogue.procedures}
    assert all(d.procedure_code in codes for d in dossiers)
    assert all(d.received_at <= now for d in dossiers)
    # Provincial forms; the national portal's (G22.99-...) is the code reader's to learn.
    assert all(dossier_code_shape(d.code) == d.code for d in dossiers if not d.code.startswith("G22."))


def test_sample_dossiers_are_protocol_records(catalogue):
    calendar = working_calendar(load_config())
    records, steps = sample_records(catalogue, calendar, dt.date(2026, 11, 27))
    assert len(records) >= 40 and len(steps) >= 2 * len(records)
    names = {p.code: p.name for p in catalogue.procedures}
    for record in records:
        assert record["TenTTHC"] == names[record["MaTTHC"]] and record["TenLinhVuc"]
        assert record["GhiChu"] == "Dữ liệu mẫu (SAMPLE)"
        for key in ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy"):
            assert record[key] == "" or (len(record[key]) == 14 and record[key].isdigit()), (key, record[key])
        assert 1 <= int(record["TrangThaiHoSo"]) <= 10
    codes = [r["MaHoSo"] for r in records]
    assert any(c.startswith("000.00.01.H21-") for c in codes) and any(c.startswith("01.32.H21-") for c in codes)
    assert any(c.startswith("G22.99-") and len(c.rsplit("-", 1)[1]) == 6 for c in codes)
    assert any(r["DanhSachHoSoBoSung"] for r in records if r["TrangThaiHoSo"] == "5")
    assert any(r["DanhSachGiayToKetQua"] for r in records if r["TrangThaiHoSo"] in ("9", "10"))
    assert {s["MaHoSo"] for s in steps} <= set(codes)
    assert all(s["NoiDungXuLy"] and s["ThoiDiemXuLy"] for s in steps)


def test_loading_goes_through_the_sync_protocol(tmp_path, catalogue):
    """The demo's dossiers are what the protocol's reader makes of the records: the same as
    sample_dossiers reads without a store, names masked, ID numbers only as keyed hashes."""
    calendar = working_calendar(load_config())
    today = dt.date(2026, 11, 27)
    store = new_store(tmp_path / "b.sqlite3")
    try:
        load_sample_site(store, calendar, today)
        expected = {d.code: d for d in sample_dossiers(catalogue, calendar, today)}
        assert sorted(store.dossier_codes()) == sorted(expected)
        for code, dossier in expected.items():
            stored = store.dossier(code)
            assert (stored.status, stored.due_at, stored.completed_at) == (dossier.status, dossier.due_at,
                                                                            dossier.completed_at)
            assert [s.name for s in stored.timeline] == [s.name for s in dossier.timeline]
            assert "**" in stored.applicant_name
        assert len(store.dossiers_of_citizen("052090000001")) == 3
        text = stored_bytes(tmp_path / "b.sqlite3")
        assert b"052090000001" not in text and "Nguyễn Văn An".encode() not in text
    finally:
        store.close()


def test_district_site_loads_too(tmp_path):
    store = new_store(tmp_path / "b.sqlite3")
    try:
        load_sample_site(store, working_calendar(load_config()), dt.date(2026, 11, 27), site="district-2019")
        assert len(store.dossier_codes()) >= 40
        assert [level.code for level in store.catalogue().levels] == ["province", "district", "commune"]
    finally:
        store.close()


def test_synthetic_catalogue_of_ten_thousand(catalogue):
    synthetic = synthetic_catalogue(10_000)
    assert len({p.code for p in synthetic.procedures}) == 10_000
    assert synthetic.levels == catalogue.levels and synthetic.fields == catalogue.fields
    level_codes = {x.code for x in synthetic.levels}
    field_codes = {x.code for x in synthetic.fields}
    assert all(not p.problems(level_codes, field_codes) for p in synthetic.procedures[::97])


@pytest.mark.parametrize("site", SITES)
def test_each_site_says_where_its_information_desk_is(site, tmp_path):
    """What the demo's kiosk tells a citizen who calls staff, when neither the centre's
    configuration of the kiosk nor its kiosk.ini names a desk: in the catalogue it serves."""
    desk = sample_catalogue(site).site.help_desk
    assert desk.startswith(("Quầy hướng dẫn", "Bàn hướng dẫn")) and 20 < len(desk) <= 200
    store = new_store(tmp_path / "backend.sqlite3")
    try:
        load_sample_site(store, working_calendar(load_config()), dt.date(2026, 3, 2), site=site)
        assert json.loads(store.catalogue_json())["site"]["help_desk"] == desk
    finally:
        store.close()
