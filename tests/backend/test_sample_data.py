"""The sample site is rich enough for the demo and honest about being sample data."""

import datetime as dt
import json
import unicodedata
from collections import Counter

import pytest

from kiosk.backend.sample import SAMPLE_DIR, sample_catalogue, sample_dossiers, synthetic_catalogue
from kiosk.config import load_config, working_calendar
from kiosk.domain.dossier import Status, Timeliness


@pytest.fixture(scope="module")
def catalogue():
    return sample_catalogue()


def test_sample_catalogue_size_and_spread(catalogue):
    procedures = catalogue.procedures
    assert len(procedures) >= 150
    assert len({p.code for p in procedures}) == len(procedures)
    fields = Counter(p.field for p in procedures)
    assert len(fields) >= 12
    levels = Counter(level for p in procedures for level in p.levels)
    assert all(levels[code] >= 20 for code in ("province", "district", "commune")), levels
    assert len([p for p in procedures if p.interconnection]) >= 9
    paths = {tuple(p.interconnection) for p in procedures if p.interconnection}
    assert {("commune", "district"), ("commune", "district", "province"), ("district", "province")} <= paths


def test_every_sample_procedure_is_complete(catalogue):
    level_codes = {x.code for x in catalogue.levels}
    field_codes = {x.code for x in catalogue.fields}
    for p in catalogue.procedures:
        assert p.problems(level_codes, field_codes) == [], p.code
        assert p.cases and all(case.documents and case.steps for case in p.cases), p.code
        assert any(t.channel == "in_person" for t in p.channels), p.code
        assert p.results and p.legal_basis and p.agencies, p.code
    assert {p.online_level for p in catalogue.procedures} == {"full", "partial", "none"}


def test_sample_files_say_they_are_sample_data_and_are_nfc():
    site = json.loads((SAMPLE_DIR / "site.json").read_text(encoding="utf-8"))
    assert "SAMPLE DATA" in site["_note"] and "mẫu" in site["site"]["name"]
    assert "SAMPLE DATA" in json.loads((SAMPLE_DIR / "dossiers.json").read_text(encoding="utf-8"))["_note"]
    for path in SAMPLE_DIR.rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text == unicodedata.normalize("NFC", text), path.name


@pytest.mark.parametrize("today", [dt.date(2026, 11, 27), dt.date(2026, 2, 16), dt.date(2027, 6, 6)])
def test_sample_dossiers_cover_every_status_and_timeliness_on_any_day(catalogue, today):
    calendar = working_calendar(load_config())
    dossiers = sample_dossiers(catalogue, calendar, today)
    assert len(dossiers) >= 40 and len({d.code for d in dossiers}) == len(dossiers)
    now = dt.datetime.combine(today, dt.time(12), dossiers[0].received_at.tzinfo)
    assert {Status(d.status) for d in dossiers} == set(Status)
    assert {d.timeliness(now, calendar) for d in dossiers} >= set(Timeliness)
    codes = {p.code for p in catalogue.procedures}
    assert all(d.procedure_code in codes for d in dossiers)
    assert all(d.received_at <= now for d in dossiers)


def test_synthetic_catalogue_of_ten_thousand():
    catalogue = synthetic_catalogue(10_000)
    assert len({p.code for p in catalogue.procedures}) == 10_000
    level_codes = {x.code for x in catalogue.levels}
    field_codes = {x.code for x in catalogue.fields}
    assert all(not p.problems(level_codes, field_codes) for p in catalogue.procedures[::97])
