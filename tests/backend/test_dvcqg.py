"""The DVCQG parser against tests/fixtures/dvcqg_sample.json and the district-era sample site."""

from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path

import pytest

from kiosk.backend.dvcqg import ImportProblem, from_portal_page, parse_dvcqg, records_of
from kiosk.domain.procedure import Field, Level, Procedure, national_code

HERE = Path(__file__).parent
# The district-era sample site: three levels, and the fields the fixture's records name.
SITE = HERE / ".." / ".." / "kiosk" / "backend" / "sample_data" / "district-2019" / "site.json"
SAMPLE = HERE / ".." / "fixtures" / "dvcqg_sample.json"


@pytest.fixture(scope="module")
def site() -> dict:
    return json.loads(SITE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def levels(site) -> list[Level]:
    return [Level.from_dict(level) for level in site["levels"]]


@pytest.fixture(scope="module")
def fields(site) -> list[Field]:
    return [Field.from_dict(known) for known in site["fields"]]


@pytest.fixture(scope="module")
def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parsed(sample, levels, fields):
    return parse_dvcqg(sample, levels, fields)


def by_code(parsed, code: str) -> Procedure:
    return next(p for p in parsed.procedures if p.code == code)


def test_counts(parsed, sample):
    assert len(sample["result"]) == 13
    assert len(parsed.procedures) == 7
    assert len(parsed.problems) == 6
    assert [p.code for p in parsed.procedures] == [
        "1.001193", "2.000815", "2.000488", "1.001612", "1.009994", "2.001457", "1.000894",
    ]


def test_a_bare_list_parses_like_the_wrapped_one(parsed, sample, levels, fields):
    bare = parse_dvcqg(sample["result"], levels, fields)
    assert bare == parsed


def test_each_invalid_record_is_reported_with_its_index_and_reason(parsed):
    problems = {p.index: p for p in parsed.problems}
    assert sorted(problems) == [2, 4, 6, 8, 10, 12]
    assert problems[2] == ImportProblem(2, None, "record is a string, not an object")
    assert problems[4].code is None and "code" in problems[4].reason
    assert problems[6].code == "1.009876"
    assert "level" in problems[6].reason and "Cấp Bộ" in problems[6].reason
    assert problems[8].code == "1.003005" and "name" in problems[8].reason
    assert problems[10].code == "1.001193"
    assert "duplicate" in problems[10].reason and "record 0" in problems[10].reason
    assert problems[12].code == "1.004945" and "field" in problems[12].reason


def test_the_first_of_a_duplicated_code_is_kept(parsed):
    assert by_code(parsed, "1.001193").name == "Thủ tục đăng ký khai sinh"
    assert [p.code for p in parsed.procedures].count("1.001193") == 1


def test_levels(parsed):
    assert by_code(parsed, "1.001193").levels == ["commune"]  # {"CAPTHUCHIEN": "3", "TENCAP": "Cấp Xã"}
    assert by_code(parsed, "2.000815").levels == ["district", "commune"]  # plain strings
    assert by_code(parsed, "2.000488").levels == ["province"]  # "Cấp Bộ" dropped, "Cấp Tỉnh" kept
    assert by_code(parsed, "2.001457").levels == ["commune"]  # a bare 3


def test_levels_match_by_short_name_english_name_and_code(levels, fields):
    record = {"MATTHC": "X.1", "TENTTHC": "X", "LINHVUCTHUCHIEN": ["Hộ tịch"],
              "CAPTHUCHIEN": ["Tỉnh", "district", "Commune"]}
    parsed = parse_dvcqg([record], levels, fields)
    assert parsed.procedures[0].levels == ["province", "district", "commune"]


def test_fields_by_code_by_name_and_new(parsed):
    assert by_code(parsed, "2.000815").field == "CHUNGTHUC"  # MALINHVUC is a known code
    assert by_code(parsed, "2.000488").field == "TUPHAP"  # code wins over the name
    assert by_code(parsed, "1.001193").field == "HOTICH"  # unknown code, known name
    assert by_code(parsed, "1.000894").field == "HOTICH"  # name written in NFD
    assert by_code(parsed, "1.009994").field == "XAYDUNG"
    assert by_code(parsed, "2.001457").field == "PBGDPL"
    assert parsed.fields == [Field("PBGDPL", "Phổ biến, giáo dục pháp luật", "")]


def test_a_new_field_is_returned_once(levels, fields):
    record = {"MATTHC": "A", "TENTTHC": "A", "CAPTHUCHIEN": ["Cấp Xã"],
              "LINHVUCTHUCHIEN": [{"MALINHVUC": "THUYLOI", "TENLINHVUC": "Thủy lợi"}]}
    second = {**record, "MATTHC": "B", "LINHVUCTHUCHIEN": ["Thuỷ lợi"]}
    parsed = parse_dvcqg([record, second], levels, fields)
    assert parsed.fields == [Field("THUYLOI", "Thủy lợi", "")]
    assert [p.field for p in parsed.procedures] == ["THUYLOI", "THUYLOI"]


def test_no_field_is_created_for_a_skipped_record(levels, fields):
    record = {"MATTHC": "A", "TENTTHC": "A", "CAPTHUCHIEN": ["Cấp Bộ"],
              "LINHVUCTHUCHIEN": [{"MALINHVUC": "THUYLOI", "TENLINHVUC": "Thủy lợi"}]}
    parsed = parse_dvcqg([record], levels, fields)
    assert parsed.fields == [] and len(parsed.problems) == 1


def test_channels_and_times(parsed):
    khai_sinh = by_code(parsed, "1.001193")
    assert [t.channel for t in khai_sinh.channels] == ["in_person", "online", "postal"]
    # "0 Ngày" means the same day: the published description says it better.
    assert khai_sinh.channels[0].time_text.startswith("Ngay trong ngày tiếp nhận hồ sơ")
    assert khai_sinh.channels[0].working_days is None

    lltp = by_code(parsed, "2.000488").channels
    assert [t.channel for t in lltp] == ["in_person", "online"]  # KENH as numbers 1, 2
    assert lltp[0].time_text == "10 Ngày làm việc (Kể từ ngày nhận đủ hồ sơ hợp lệ)"
    assert lltp[0].working_days == 10.0
    assert lltp[1].time_text == "10 Ngày làm việc"

    hkd = by_code(parsed, "1.001612").channels
    assert [t.channel for t in hkd] == ["in_person", "online"]  # "Trực tiếp", "Trực tuyến"
    assert hkd[0].time_text == "03 Ngày làm việc" and hkd[0].working_days == 3.0

    gpxd = by_code(parsed, "1.009994").channels
    assert [t.channel for t in gpxd] == ["in_person", "online", "postal"]  # "Dịch vụ bưu chính"
    assert gpxd[0].time_text == "15 Ngày (Kể từ ngày nhận đủ hồ sơ hợp lệ)"
    assert gpxd[0].working_days is None  # calendar days are not working days

    tuyen_truyen = by_code(parsed, "2.001457").channels  # "05 ngày làm việc" in one string
    assert tuyen_truyen[0].working_days == 5.0
    assert tuyen_truyen[0].time_text.startswith("05 ngày làm việc")


def test_fees(parsed):
    assert by_code(parsed, "1.001193").channels[0].fees[0].amount_vnd == 0
    lltp = by_code(parsed, "2.000488").channels[0].fees
    assert [f.amount_vnd for f in lltp] == [200_000, 100_000]  # a number and "100.000 đồng"
    assert lltp[0].description == "Lệ phí cấp Phiếu lý lịch tư pháp"
    per_page = by_code(parsed, "2.000815").channels[0].fees[0]
    assert per_page.amount_vnd == 2_000
    assert per_page.description.startswith("2.000 đồng/trang")  # what the amount is per is kept
    assert by_code(parsed, "1.001612").channels[0].fees[0].amount_vnd == 100_000
    assert by_code(parsed, "1.009994").channels[0].fees[0].amount_vnd == 75_000
    free = by_code(parsed, "1.000894").channels[0].fees[0]
    assert free.amount_vnd == 0 and free.description == "Miễn lệ phí"
    assert by_code(parsed, "2.001457").channels[0].fees == []


@pytest.mark.parametrize(
    ("sotien", "amount", "description"),
    [
        ("50.000 đồng", 50_000, ""),
        ("50000", 50_000, ""),
        (50000, 50_000, ""),
        ("1,500,000 VNĐ", 1_500_000, ""),
        ("50000.0", 50_000, ""),
        ("Theo quy định của HĐND tỉnh", 0, "Theo quy định của HĐND tỉnh"),
    ],
)
def test_fee_amounts(levels, fields, sotien, amount, description):
    record = {"MATTHC": "A", "TENTTHC": "A", "CAPTHUCHIEN": ["Cấp Xã"], "LINHVUCTHUCHIEN": ["Hộ tịch"],
              "CACHTHUCTHUCHIEN": [{"KENH": 1, "THOIGIAN": [{"THOIGIANGIAIQUYET": 1, "DONVITINH": "Ngày làm việc",
                                                             "PHILEPHI": [{"SOTIEN": sotien}]}]}]}
    fee = parse_dvcqg([record], levels, fields).procedures[0].channels[0].fees[0]
    assert (fee.amount_vnd, fee.description) == (amount, description)


def test_documents_and_a_single_case(parsed):
    cases = by_code(parsed, "1.001193").cases
    assert len(cases) == 1 and cases[0].name == ""
    form, birth = cases[0].documents
    assert form.name == "Tờ khai đăng ký khai sinh theo mẫu"
    assert (form.originals, form.copies, form.form) == (1, 0, "Tờ khai đăng ký khai sinh.docx")
    assert birth.form is None
    copy_needed = by_code(parsed, "2.000815").cases[0].documents[1]
    assert (copy_needed.name, copy_needed.originals, copy_needed.copies) == ("Bản sao cần chứng thực", 0, 1)


def test_two_cases_with_their_own_documents_and_steps(parsed):
    own, proxy = by_code(parsed, "2.000488").cases
    assert own.name == "Trường hợp cá nhân trực tiếp yêu cầu cấp Phiếu"
    assert proxy.name == "Trường hợp ủy quyền cho người khác làm thủ tục"
    assert [d.form for d in own.documents] == ["Mẫu số 03/2013/TT-LLTP", None]
    assert len(proxy.documents) == 3
    assert proxy.documents[1].name == "Văn bản ủy quyền có chứng thực"
    # The steps' TRUONGHOP differs in case only; it still lands with its documents.
    assert len(own.steps) == 3 and len(proxy.steps) == 3
    assert proxy.steps[0].startswith("Bước 1: Người được ủy quyền")
    assert own.steps[0].startswith("Bước 1: Cá nhân nộp")


def test_steps(parsed):
    steps = by_code(parsed, "1.001193").cases[0].steps
    assert len(steps) == 3
    assert steps[2] == ("Bước 3: Chủ tịch Ủy ban nhân dân cấp xã ký Giấy khai sinh cấp cho người "
                        "được đăng ký khai sinh.")


def test_common_documents_go_into_every_case(levels, fields):
    record = {"MATTHC": "A", "TENTTHC": "A", "CAPTHUCHIEN": ["Cấp Xã"], "LINHVUCTHUCHIEN": ["Hộ tịch"],
              "THANHPHANHOSO": [{"TRUONGHOP": "", "GIAYTO": [{"TENGIAYTO": "Tờ khai"}]},
                                {"TRUONGHOP": "Có ủy quyền", "GIAYTO": [{"TENGIAYTO": "Giấy ủy quyền"}]},
                                {"TRUONGHOP": "Không ủy quyền", "GIAYTO": []}],
              "TRINHTUTHUCHIEN": [{"TRINHTU": [{"TENTRINHTU": "Nộp hồ sơ"}]}]}
    proxy, in_person = parse_dvcqg([record], levels, fields).procedures[0].cases
    assert (proxy.name, in_person.name) == ("Có ủy quyền", "Không ủy quyền")
    assert [d.name for d in proxy.documents] == ["Tờ khai", "Giấy ủy quyền"]
    assert [d.name for d in in_person.documents] == ["Tờ khai"]
    assert proxy.steps == in_person.steps == ["Nộp hồ sơ"]


def test_results_agencies_applicants_requirements(parsed):
    lltp = by_code(parsed, "2.000488")
    assert lltp.results == ["Phiếu lý lịch tư pháp số 1", "Phiếu lý lịch tư pháp số 2"]
    assert lltp.agencies == ["Sở Tư pháp"]
    assert lltp.applicants == ["Công dân Việt Nam", "Người nước ngoài"]
    assert lltp.requirements == ["Cá nhân đủ 14 tuổi trở lên",
                                 "Người dưới 14 tuổi yêu cầu qua cha, mẹ hoặc người giám hộ"]
    khai_sinh = by_code(parsed, "1.001193")
    assert khai_sinh.requirements == []  # "Không"
    assert khai_sinh.keywords == ["khai sinh", "giấy khai sinh", "trẻ em"]
    assert by_code(parsed, "2.001457").agencies == ["Ủy ban nhân dân cấp xã"]  # a bare name


def test_legal_basis(parsed):
    basis = by_code(parsed, "1.001193").legal_basis
    assert [b.number for b in basis] == ["60/2014/QH13", "123/2015/NĐ-CP", "04/2020/TT-BTP"]
    assert (basis[0].title, basis[0].issued, basis[0].issuer) == ("Luật Hộ tịch", "2014-11-20", "Quốc hội")
    # "2015-02-16T00:00:00" as some exports write it
    assert by_code(parsed, "2.000815").legal_basis[0].issued == "2015-02-16"


def test_online_level(parsed):
    levels = {p.code: p.online_level for p in parsed.procedures}
    assert levels["1.001193"] == "full"  # "Toàn trình"
    assert levels["2.000488"] == "full"
    assert levels["2.000815"] == "partial"  # 3
    assert levels["1.001612"] == "partial"  # "Một phần"
    assert levels["1.009994"] == "partial"  # "DVC trực tuyến một phần"
    assert levels["2.001457"] == "none"  # "2"
    assert levels["1.000894"] == "none"  # not given


def test_codes_trimmed_and_text_nfc(parsed, sample):
    assert sample["result"][1]["MATTHC"] == " 2.000815 "
    assert by_code(parsed, "2.000815").code == "2.000815"
    raw = sample["result"][11]["TENTTHC"]
    assert not unicodedata.is_normalized("NFC", raw)
    name = by_code(parsed, "1.000894").name
    assert name == "Thủ tục đăng ký kết hôn"
    assert unicodedata.is_normalized("NFC", name)


def test_keys_are_read_whatever_their_case(parsed):
    tuyen_truyen = by_code(parsed, "2.001457")  # MaTTHC, TenTTHC, CapThucHien ...
    assert tuyen_truyen.name == "Công nhận tuyên truyền viên pháp luật"
    assert tuyen_truyen.cases[0].documents[0].originals == 1
    assert tuyen_truyen.legal_basis[0].number == "14/2012/QH13"


def test_every_procedure_is_valid_for_the_site(parsed, levels, fields):
    level_codes = {level.code for level in levels}
    field_codes = {f.code for f in fields} | {f.code for f in parsed.fields}
    for procedure in parsed.procedures:
        assert procedure.problems(level_codes, field_codes) == []


def test_every_procedure_round_trips(parsed):
    for procedure in parsed.procedures:
        data = json.loads(json.dumps(procedure.to_dict(), ensure_ascii=False))
        assert Procedure.from_dict(data) == procedure


@pytest.mark.parametrize("data", [None, "[]", 42, {"records_of_something": 1}, {"result": "nope"}])
def test_input_that_is_not_a_list_of_records(data, levels, fields):
    with pytest.raises(ValueError, match="list of DVCQG records"):
        parse_dvcqg(data, levels, fields)


def test_an_empty_list_is_an_empty_catalogue(levels, fields):
    assert parse_dvcqg({"data": []}, levels, fields) == parse_dvcqg([], levels, fields)
    assert parse_dvcqg([], levels, fields).procedures == []


def test_odd_values_are_problems_not_exceptions(sample, levels, fields):
    odd = copy.deepcopy(sample["result"][0])
    odd.update(CACHTHUCTHUCHIEN="Trực tiếp", THANHPHANHOSO={"x": [1, 2]}, CANCUPHAPLY=[None, 3],
               MUCDO={"a": None}, KETQUATHUCHIEN=[{"TENKETQUA": ["a"]}])
    broken = [odd, None, [], {"MATTHC": 7, "TENTTHC": 8}]
    parsed = parse_dvcqg(broken, levels, fields)
    assert len(parsed.procedures) + len(parsed.problems) == 4
    assert [p.index for p in parsed.problems] == [1, 2, 3]
    assert parsed.problems[0].reason == "record is null, not an object"
    assert parsed.procedures[0].channels[0].channel == "in_person"  # a bare channel name


# --- records as the national database really sends them -----------------------------------


def record(**overrides) -> dict:
    """A small complete record: one document, one channel, one fee."""
    base = {"MATTHC": "1.001193", "TENTTHC": "Thủ tục đăng ký khai sinh", "CAPTHUCHIEN": [{"CAPTHUCHIEN": "3"}],
            "LINHVUCTHUCHIEN": [{"MALINHVUC": "G09-TP02", "TENLINHVUC": "Hộ tịch"}],
            "CACHTHUCTHUCHIEN": [{"KENH": 1, "THOIGIAN": [{"THOIGIANGIAIQUYET": 3, "DONVITINH": "Ngày làm việc",
                                                          "PHILEPHI": [{"SOTIEN": 0, "DONVI": "Đồng"}]}]}],
            "THANHPHANHOSO": [{"TRUONGHOP": "", "GIAYTO": [{"TENGIAYTO": "Tờ khai", "SOBANCHINH": 1}]}]}
    base.update(overrides)
    return base


def test_records_of_unwraps_every_answer_shape():
    records = [record()]
    assert records_of(records) is records
    assert records_of({"error_code": "00", "result": records}) is records
    # One province's proxy sends the answer as JSON text in "message".
    assert records_of({"message": json.dumps({"result": records}, ensure_ascii=False)}) == records
    assert records_of({"message": json.dumps(records)}) == records
    with pytest.raises(ValueError, match="Không tìm thấy"):
        records_of({"error_code": "01", "message": "Không tìm thấy thủ tục"})
    with pytest.raises(ValueError, match="message is not JSON"):
        records_of({"message": "{not json"})
    with pytest.raises(ValueError, match="list of DVCQG records, not a number"):
        records_of(5)
    nested = "[]"
    for _ in range(4):  # wrappers in wrappers past any proxy's: refused, not unwrapped forever
        nested = json.dumps({"message": nested})
    with pytest.raises(ValueError, match="list of DVCQG records"):
        records_of(json.loads(nested))


def test_parse_takes_the_proxys_wrapped_answer(levels, fields):
    wrapped = {"message": json.dumps({"result": [record()]}, ensure_ascii=False)}
    assert parse_dvcqg(wrapped, levels, fields) == parse_dvcqg([record()], levels, fields)


@pytest.mark.parametrize(("value", "expected"), [
    ("Cấp tỉnh, Cấp xã", ["province", "commune"]),
    ("Cấp Tỉnh; Cấp Huyện; Cấp Xã", ["province", "district", "commune"]),
    ("Cấp tỉnh và cấp xã", ["province", "commune"]),
    (["Cấp tỉnh", "Cấp xã"], ["province", "commune"]),
    ([{"CAPTHUCHIEN": "1"}, {"CAPTHUCHIEN": "3"}], ["province", "commune"]),
    ("1,3", ["province", "commune"]),
    (3, ["commune"]),
])
def test_a_procedure_done_at_several_levels(levels, fields, value, expected):
    parsed = parse_dvcqg([record(CAPTHUCHIEN=value)], levels, fields)
    assert parsed.problems == [] and parsed.procedures[0].levels == expected


def test_levels_the_site_lacks_are_dropped_with_a_warning_or_refused_in_words(fields):
    two_levels = [Level("province", "Cấp tỉnh", "Province", 1), Level("commune", "Cấp xã", "Commune", 2)]
    parsed = parse_dvcqg([record(CAPTHUCHIEN="Cấp huyện, Cấp xã"), record(MATTHC="2.1", CAPTHUCHIEN=["0"])],
                         two_levels, fields)
    assert parsed.procedures[0].levels == ["commune"]
    assert parsed.warnings == [ImportProblem(0, "1.001193", "level 'Cấp huyện' (district) is not a level of this "
                                                            "site: imported at its other levels only")]
    assert parsed.problems == [ImportProblem(1, "2.1", "level '0' (ministry) is not a level of this site "
                                                       "(Cấp tỉnh, Cấp xã)")]


@pytest.mark.parametrize(("sotien", "donvi", "amount", "currency"), [
    (10, "USD", 10, "USD"),
    ("100", "Đô la Mỹ", 100, "USD"),
    ("50 USD", "", 50, "USD"),
    ("2,000", "Việt Nam Đồng", 2000, "VND"),
    ("50.000", "VNĐ", 50_000, "VND"),
    (5, "EUR", 5, "EUR"),
    (20000, "", 20000, "VND"),
])
def test_a_fee_keeps_its_currency(levels, fields, sotien, donvi, amount, currency):
    channel = {"KENH": 1, "THOIGIAN": [{"THOIGIANGIAIQUYET": 5, "DONVITINH": "Ngày làm việc",
                                        "PHILEPHI": [{"SOTIEN": sotien, "DONVI": donvi}]}]}
    fee = parse_dvcqg([record(CACHTHUCTHUCHIEN=[channel])], levels, fields).procedures[0].channels[0].fees[0]
    assert (fee.amount_vnd, fee.currency) == (amount, currency)


@pytest.mark.parametrize(("amount", "unit", "working_days"), [
    (5, "Ngày làm việc", 5.0),
    ("05", "ngày làm việc", 5.0),
    (15, "Ngày", None),
    (4, "Giờ", None),
    (6, "Tháng", None),
    (8, "Giờ làm việc", None),
    (7, "", None),
])
def test_a_time_limit_keeps_its_unit_and_counts_working_days_only_in_working_days(
        levels, fields, amount, unit, working_days):
    channel = {"KENH": 1, "THOIGIAN": [{"THOIGIANGIAIQUYET": amount, "DONVITINH": unit}]}
    terms = parse_dvcqg([record(CACHTHUCTHUCHIEN=[channel])], levels, fields).procedures[0].channels[0]
    assert (terms.time_amount, terms.time_unit, terms.working_days) == (float(amount), unit, working_days)


def test_a_short_code_and_its_local_long_form_are_one_procedure(levels, fields):
    long_form = record(MATTHC="1.001193.000.00.00.H08")
    parsed = parse_dvcqg([long_form, record(), record(MATTHC="1.001193.000.00.00.H48")], levels, fields)
    assert [(p.code, p.local_codes) for p in parsed.procedures] == [
        ("1.001193", ["1.001193.000.00.00.H08", "1.001193.000.00.00.H48"])]
    assert [(p.index, p.reason.split(":")[0]) for p in parsed.problems] == [
        (1, "duplicate code 1.001193"), (2, "same procedure as record 0 (1.001193); its code 1.001193.000.00.00.H48 "
                                            "was kept as a local code, the rest of this record was not imported")]
    assert national_code("1.001193.000.00.00.H08") == "1.001193"
    assert national_code("000.00.53.H48") == "000.00.53.H48"  # not a procedure's long form: itself


@pytest.mark.parametrize("field_item", [
    {"MALINHVUC": "1.000123", "TENLINHVUC": "Hộ tịch"},
    {"MALINHVUC": "G09-TP01", "TENLINHVUC": "Lĩnh vực Hộ tịch"},
    {"MALINHVUC": "HOTICH", "TENLINHVUC": "Đăng ký hộ tịch"},  # the code first, whatever the name
    {"TENLINHVUC": "HỘ TỊCH."},
])
def test_a_real_field_lands_in_the_sites_field(levels, fields, field_item):
    parsed = parse_dvcqg([record(LINHVUCTHUCHIEN=[field_item])], levels, fields)
    assert parsed.procedures[0].field == "HOTICH" and parsed.fields == []


def test_a_field_matched_by_name_is_known_by_its_code_afterwards(levels, fields):
    by_name = record(LINHVUCTHUCHIEN=[{"MALINHVUC": "G03-TD01", "TENLINHVUC": "Thi đua, khen thưởng"}])
    by_code = record(MATTHC="2.1", LINHVUCTHUCHIEN=[{"MALINHVUC": "G03-TD01", "TENLINHVUC": "TĐKT"}])
    parsed = parse_dvcqg([by_name, by_code], levels, fields)
    assert [p.field for p in parsed.procedures] == ["TDKT", "TDKT"] and parsed.fields == []


def test_any_known_field_of_a_record_comes_before_a_new_one(levels, fields):
    items = [{"MALINHVUC": "X1", "TENLINHVUC": "Tư pháp - Hộ tịch"}, {"MALINHVUC": "X2", "TENLINHVUC": "Hộ tịch"}]
    parsed = parse_dvcqg([record(LINHVUCTHUCHIEN=items)], levels, fields)
    assert parsed.procedures[0].field == "HOTICH" and parsed.fields == []


FLAT_DOCUMENTS = ("--Tên giấy tờMẫu đơn, tờ khaiSố lượngVăn bản đề nghị hủy tài khoản điện tử (NA20)."
                  "Mau NA20-BCA.docx1 bản chính")


@pytest.mark.parametrize("documents", [
    FLAT_DOCUMENTS,
    [FLAT_DOCUMENTS],
    [{"TRUONGHOP": "", "GIAYTO": [{"TENGIAYTO": "Tờ khai1 bản chínhGiấy chứng sinh1 bản chính"}]}],
    "Bước 1. Người lao động lập hồ sơ và nộp cho cơ quan BHXH. Bước 2. Cơ quan BHXH tiếp nhận hồ sơ "
    "và giải quyết theo quy định.",
    [{"TRUONGHOP": "", "GIAYTO": [{"TENGIAYTO": "x" * 700}]}],
])
def test_documents_flattened_into_one_text_are_refused_not_one_giant_document(levels, fields, documents):
    parsed = parse_dvcqg([record(THANHPHANHOSO=documents)], levels, fields)
    assert parsed.procedures == []
    assert "its documents (THANHPHANHOSO) are one flat text of" in parsed.problems[0].reason


def test_channels_flattened_or_missing_content_is_imported_with_a_warning(levels, fields):
    flat = ("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp5 Ngày làm việc10 USD(10 USD/người)")
    parsed = parse_dvcqg([record(CACHTHUCTHUCHIEN=flat), record(MATTHC="2.1", THANHPHANHOSO="--",
                                                                CACHTHUCTHUCHIEN=None)], levels, fields)
    assert [p.channels for p in parsed.procedures] == [[], []]
    notes = [(w.index, w.reason.split(":")[0]) for w in parsed.warnings]
    assert notes == [(0, f"its channels, time limits and fees (CACHTHUCTHUCHIEN) are one flat text of {len(flat)} "
                         "characters"),
                     (1, "no documents (THANHPHANHOSO)"), (1, "no channels (CACHTHUCTHUCHIEN)")]
    assert parsed.procedures[1].cases == []  # "--" is no document


def test_a_complete_record_has_no_warning(levels, fields):
    assert parse_dvcqg([record()], levels, fields).warnings == []


def test_a_crawled_portal_page_is_read_through_its_adapter(levels, fields):
    page = {"ma_thu_tuc": "1.000080", "ten_thu_tuc": "Thủ tục đăng ký nhận cha, mẹ, con",
            "cap_thuc_hien": "Cấp xã", "linh_vuc": "Hộ tịch", "yeu_cau_dieu_kien": "Không có thông tin",
            "thanh_phan_ho_so": "", "cach_thuc_thuc_hien": "",
            "trinh_tu_thuc_hien": "- Nộp hồ sơ.\n- Nhận kết quả.",
            "ket_qua_xu_ly": "Trích lục đăng ký nhận cha, mẹ, conMã: KQ.G15.000033Từ khóaKhông có thông tin"}
    assert from_portal_page(page)["KETQUATHUCHIEN"] == [{"TENKETQUA": "Trích lục đăng ký nhận cha, mẹ, con"}]
    procedure = parse_dvcqg([page], levels, fields).procedures[0]
    assert (procedure.code, procedure.levels, procedure.field) == ("1.000080", ["commune"], "HOTICH")
    assert procedure.cases[0].steps == ["- Nộp hồ sơ.", "- Nhận kết quả."]
    assert procedure.results == ["Trích lục đăng ký nhận cha, mẹ, con"] and procedure.requirements == []


def test_old_procedure_json_without_the_new_keys_still_reads():
    old = {"code": "1.1", "name": "A", "levels": ["commune"], "field": "HOTICH", "agencies": [],
           "channels": [{"channel": "in_person", "time_text": "03 ngày làm việc", "working_days": 3,
                         "fees": [{"amount_vnd": 50000, "description": ""}]}],
           "cases": [], "results": [], "legal_basis": []}
    procedure = Procedure.from_dict(old)
    assert procedure.local_codes == [] and procedure.channels[0].fees[0].currency == "VND"
    assert (procedure.channels[0].time_amount, procedure.channels[0].time_unit) == (None, "")


def test_a_lone_surrogate_is_a_refused_record_not_a_crash(levels, fields):
    broken = json.loads('[{"MATTHC": "1.\\ud800", "TENTTHC": "A", "CAPTHUCHIEN": "3", "LINHVUCTHUCHIEN": "Hộ tịch"}]')
    parsed = parse_dvcqg(broken + [record()], levels, fields)
    assert [p.code for p in parsed.procedures] == ["1.001193"]
    assert parsed.problems == [ImportProblem(0, "1.\\ud800", "text that is not valid Unicode (a lone surrogate "
                                                             "escape such as \\ud800)")]


@pytest.mark.parametrize(("channels", "expected"), [
    ("Nộp qua dịch vụ bưu chính công ích", ["postal"]),
    (["Trực tiếp tại Bộ phận Một cửa", 2], ["in_person", "online"]),
    ("Trực tiếp5 Ngày làm việc50.000 đồng", []),
])
def test_a_bare_channel_name_is_a_channel_and_a_flattened_row_is_not(levels, fields, channels, expected):
    parsed = parse_dvcqg([record(CACHTHUCTHUCHIEN=channels)], levels, fields)
    assert [t.channel for t in parsed.procedures[0].channels] == expected
    assert any("CACHTHUCTHUCHIEN" in w.reason for w in parsed.warnings) == (expected == [])


def test_a_document_name_that_says_how_many_copies_is_still_one_document(levels, fields):
    name = "Giấy chứng nhận kết hôn (01 bản chính hoặc 01 bản sao có chứng thực)"
    parsed = parse_dvcqg([record(THANHPHANHOSO=[{"TRUONGHOP": "", "GIAYTO": [{"TENGIAYTO": name}]}])],
                         levels, fields)
    assert parsed.problems == [] and parsed.procedures[0].cases[0].documents[0].name == name
