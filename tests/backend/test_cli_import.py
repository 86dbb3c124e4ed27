"""`kiosk import-catalogue` on answers as the national database sends them, into a real
SQLite file, and the imported procedures as a real backend process serves them."""

import json
import signal
import subprocess
from pathlib import Path

import pytest

from kiosk.domain.procedure import (Case, Catalogue, ChannelTerms, Document, Fee, Field, Level, Procedure,
                                    Site)
from support import KIOSK, Backend
from stores import db_args, new_store

pytestmark = pytest.mark.both_stores

REAL = Path(__file__).parent.parent / "fixtures" / "real" / "national_records.json"
LONG_FORM = "1.001193.000.00.00.H08"  # a province's long form of the national code 1.001193


def kiosk(*args, timeout=60):
    return subprocess.run([KIOSK, *args], capture_output=True, text=True, timeout=timeout)


def site_catalogue() -> Catalogue:
    """A two-level site holding 1.001193 under its province's long form, as sites kept it."""
    levels = [Level("province", "Cấp tỉnh", "Province", 1), Level("commune", "Cấp xã", "Commune", 2)]
    fields = [Field("HOTICH", "Hộ tịch", "Civil status registration"), Field("CHUNGTHUC", "Chứng thực", "")]
    birth = Procedure(LONG_FORM, "Thủ tục đăng ký khai sinh", ["commune"], "HOTICH", ["Ủy ban nhân dân cấp xã"],
                      [ChannelTerms("in_person", "Trong ngày", None, [Fee(0, "Miễn lệ phí")])],
                      [Case("", [Document("Tờ khai đăng ký khai sinh", 1)], [])], ["Giấy khai sinh"], [])
    return Catalogue("", Site("Trung tâm phục vụ hành chính công", "", "Bình Định"), levels, fields, [], [birth])


@pytest.fixture
def site_db(tmp_path):
    path = tmp_path / "backend.sqlite3"
    store = new_store(path)
    store.replace_catalogue(site_catalogue())
    store.close()
    return path


def stored(path) -> dict[str, dict]:
    store = new_store(path)
    try:
        return {p.code: p.to_dict() for p in store.catalogue().procedures}
    finally:
        store.close()


def birth_record(code: str, fee: dict | None = None) -> dict:
    return {"MATTHC": code, "TENTTHC": "Thủ tục đăng ký khai sinh", "CAPTHUCHIEN": [{"CAPTHUCHIEN": "3"}],
            "LINHVUCTHUCHIEN": [{"MALINHVUC": "G09-TP02", "TENLINHVUC": "Hộ tịch"}],
            "CACHTHUCTHUCHIEN": [{"KENH": 1, "THOIGIAN": [{"THOIGIANGIAIQUYET": 3, "DONVITINH": "Ngày làm việc",
                                                          "PHILEPHI": [fee or {"SOTIEN": 0, "DONVI": "Đồng"}]}]}],
            "THANHPHANHOSO": [{"TRUONGHOP": "", "GIAYTO": [{"TENGIAYTO": "Tờ khai", "SOBANCHINH": 1}]}]}


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_national_code_replaces_the_stored_long_form_and_keeps_it(site_db, tmp_path):
    answer = write(tmp_path / "answer.json", {"error_code": "00", "result": [birth_record("1.001193")]})
    result = kiosk("import-catalogue", str(answer), *db_args(site_db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 1
    procedures = stored(site_db)
    assert list(procedures) == ["1.001193"]  # one procedure, not two
    assert procedures["1.001193"]["local_codes"] == [LONG_FORM]

    # A later import under another province's long form merges again, keeping both.
    again = write(tmp_path / "again.json", [birth_record("1.001193.000.00.00.H48")])
    assert kiosk("import-catalogue", str(again), *db_args(site_db)).returncode == 0
    procedures = stored(site_db)
    assert list(procedures) == ["1.001193"]
    assert procedures["1.001193"]["local_codes"] == ["1.001193.000.00.00.H48", LONG_FORM]


def test_the_proxys_message_wrapper_is_read(site_db, tmp_path):
    inner = {"error_code": "00", "result": [birth_record("1.001193")]}
    wrapped = write(tmp_path / "proxy.json", {"message": json.dumps(inner, ensure_ascii=False)})
    result = kiosk("import-catalogue", str(wrapped), *db_args(site_db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 1 and "1.001193" in stored(site_db)
    refusal = write(tmp_path / "refusal.json", {"error_code": "01", "message": "Không tìm thấy thủ tục"})
    result = kiosk("import-catalogue", str(refusal), *db_args(site_db))
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert "Không tìm thấy thủ tục" in result.stderr and "nothing was imported" in result.stderr


def test_the_report_lists_warnings_and_skipped_records_in_words(site_db, tmp_path):
    records = [{k: v for k, v in r.items() if not k.startswith("_")}
               for r in json.loads(REAL.read_text(encoding="utf-8"))["tuned"]]
    path = write(tmp_path / "real.json", {"result": records})
    result = kiosk("import-catalogue", str(path), *db_args(site_db), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported"] == 4
    flat = len(" ".join(records[5]["THANHPHANHOSO"].split()))
    assert [(s["code"], s["reason"].split(":")[0]) for s in report["skipped"]] == [
        ("1.000757", "level 'Cấp bộ' (ministry) is not a level of this site (Cấp tỉnh, Cấp xã)"),
        ("1.000110", f"its documents (THANHPHANHOSO) are one flat text of {flat} characters, not a list of documents")]
    assert report["warnings"] == [{"index": 2, "code": "2.000815", "warning": "level 'Cơ quan khác' is not a level "
                                   "of this site: imported at its other levels only"}]
    assert report["new_fields"] == ["QUANLYXUATNHAPCANH"]

    text = kiosk("import-catalogue", str(path), *db_args(site_db))
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].startswith("Imported 4 procedures (1 with warnings), skipped 2; catalogue version ")
    assert "Warning for record 2 (2.000815): level 'Cơ quan khác' is not a level of this site" in text.stdout
    assert "Skipped record 4 (1.000757): level 'Cấp bộ' (ministry)" in text.stdout
    assert "['" not in text.stdout  # no reason reads as a Python list


def test_fees_keep_their_currency_and_a_local_code_finds_the_procedure_over_http(site_db, tmp_path):
    visa = dict(birth_record("1.001193"), CACHTHUCTHUCHIEN=[
        {"KENH": 1, "THOIGIAN": [{"THOIGIANGIAIQUYET": 6, "DONVITINH": "Tháng",
                                  "PHILEPHI": [{"SOTIEN": 100, "DONVI": "USD", "MOTA": "100 USD/thẻ."}]}]}])
    assert kiosk("import-catalogue", str(write(tmp_path / "a.json", [visa])), *db_args(site_db)).returncode == 0
    server = Backend(*db_args(site_db))
    try:
        by_long_form = server.get(f"/api/v1/procedures/{LONG_FORM}")
        assert by_long_form.status == 200
        procedure = by_long_form.json()
        assert procedure["code"] == "1.001193" and procedure["local_codes"] == [LONG_FORM]
        terms = procedure["channels"][0]
        assert terms["fees"][0] == {"amount_vnd": 100, "description": "100 USD/thẻ.", "currency": "USD"}
        assert (terms["time_amount"], terms["time_unit"], terms["working_days"]) == (6, "Tháng", None)
        assert server.get("/api/v1/procedures/1.001193").json() == procedure
        # A long form the procedure does not list is not taken for it.
        assert server.get("/api/v1/procedures/1.001193.000.00.00.H99").status == 404
    finally:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=30) == 0
