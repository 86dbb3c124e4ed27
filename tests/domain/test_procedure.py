import pytest

from kiosk.domain.procedure import Procedure
from kiosk.domain.serial import DataShapeError

PROCEDURE = {
    "code": "1.001193.000.00.00.H08", "name": "Thủ tục đăng ký khai sinh", "levels": ["commune"], "field": "HOTICH",
    "agencies": ["Ủy ban nhân dân cấp xã"],
    "channels": [{"channel": "in_person", "time_text": "Ngay trong ngày", "working_days": 1,
                  "fees": [{"amount_vnd": 0, "description": "Miễn lệ phí", "currency": "VND"}],
                  "time_amount": 1, "time_unit": "Ngày làm việc"}],
    "cases": [{"name": "", "documents": [{"name": "Tờ khai", "originals": 1, "copies": 0, "form": "Mẫu", "note": ""}],
               "steps": ["Nộp", "Xử lý", "Trả"]}],
    "results": ["Giấy khai sinh"],
    "legal_basis": [{"number": "60/2014/QH13", "title": "Luật Hộ tịch", "issued": "2014-11-20", "issuer": "Quốc hội"}],
    "online_level": "full", "online_url": None, "interconnection": [], "applicants": [], "requirements": [], "keywords": [],
    "local_codes": ["1.001193.000.00.00.H08"],
}


def test_round_trip():
    procedure = Procedure.from_dict(PROCEDURE)
    assert procedure.to_dict() == PROCEDURE
    assert procedure.problems({"commune", "district"}, {"HOTICH"}) == []


def test_a_procedure_stored_before_currencies_and_local_codes_still_reads():
    old = {**PROCEDURE, "channels": [{"channel": "in_person", "time_text": "05 ngày làm việc", "working_days": 5,
                                      "fees": [{"amount_vnd": 8000, "description": "Lệ phí"}]}]}
    del old["local_codes"]
    procedure = Procedure.from_dict(old)
    assert procedure.local_codes == [] and procedure.channels[0].fees[0].currency == "VND"
    assert procedure.channels[0].time_amount is None and procedure.channels[0].time_unit == ""


def test_problems_are_reported():
    procedure = Procedure.from_dict({**PROCEDURE, "levels": ["ward"], "field": "X", "online_level": "level 4"})
    problems = procedure.problems({"commune"}, {"HOTICH"})
    assert len(problems) == 3


@pytest.mark.parametrize("change", [{"unknown_key": 1}, {"levels": "commune"}, {"cases": [{"name": ""}]}])
def test_wrong_shapes_are_refused(change):
    with pytest.raises(DataShapeError):
        Procedure.from_dict({**PROCEDURE, **change})
