"""Parser for the sharing format of the national procedure database (CSDL quốc gia
về TTHC, as served by Cổng Dịch vụ công quốc gia, "DVCQG").

The input is already-decoded JSON: an answer of the national database
(`{"result": [...]}`), the same answer wrapped by a proxy as
`{"message": "<the JSON as text>"}`, or a bare list of records (`records_of`
unwraps them). Each record has upper-case Vietnamese keys (MATTHC, TENTTHC,
CAPTHUCHIEN, ...). Publishers differ in key case and in how much they fill in,
so every part but the code, name, level and field is optional; what is missing
is reported as a warning, a record that cannot be imported as a problem, never
raised.

Procedures are keyed by their national code ("1.001193"); a province's long form
of it ("1.001193.000.00.00.H08") is kept in `local_codes`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..domain.procedure import (
    Case,
    ChannelTerms,
    Document,
    Fee,
    Field,
    LegalBasis,
    Level,
    Procedure,
    national_code,
)
from ..domain.text import fold, nfc

# Keys under which an export wraps its list of records; checked in this order.
_LIST_KEYS = ("result", "data", "items", "records", "danhsach")

# CAPTHUCHIEN as a number: 0 ministry, 1 province, 2 district, 3 commune.
# Mapped to names, not ranks, because a site may have only some of the levels.
_LEVEL_NUMBERS = {"0": "bo", "1": "tinh", "2": "huyen", "3": "xa"}
# What a level is called in a reason, whether the site has it or not.
_LEVEL_WORDS = {"bo": "ministry", "tinh": "province", "huyen": "district", "xa": "commune"}
# "Cấp tỉnh, Cấp xã", "Cấp Tỉnh; Cấp Huyện", "Cấp tỉnh và cấp xã": several levels in one text.
_LEVEL_SEPARATORS = re.compile(r"\s*(?:[,;/\n]|\bvà\b|\bhoặc\b)\s*", re.IGNORECASE)

# Past these sizes a "document" or a "channel" is a whole table flattened into one
# text (as some portals and crawlers export it), not one item: the longest real
# document names run to some 400 characters.
_FLAT_DOCUMENT = 600
_FLAT_CHANNEL = 80
# THANHPHANHOSO as bare text (not a list) this long is a table, not one document's name.
_FLAT_TEXT = 100
# "...khai sinh.1 bản chính", "0 bản chính,1 bản sao": the counts that end each row of a
# flattened table, glued to the row's text; a name's own "(01 bản chính hoặc 01 bản sao)" is not.
_COUNTS = re.compile(r"(?<=[^\s(\d])\d+\s*bản\s*(?:chính|sao)", re.IGNORECASE)
# The national portal's table of documents, its header glued to its rows when flattened.
_TABLE_HEADER = re.compile(r"tên giấy tờ\s*mẫu đơn", re.IGNORECASE)

# The national portal's procedure page as crawled (snake_case keys, each table flattened
# into one text, as in the public repository chatbot-tthc/chatbot_tthc) -> DVCQG keys.
_PORTAL_PAGE_KEYS = {
    "ma_thu_tuc": "MATTHC", "ten_thu_tuc": "TENTTHC", "cap_thuc_hien": "CAPTHUCHIEN",
    "linh_vuc": "LINHVUCTHUCHIEN", "co_quan_thuc_hien": "COQUANTHUCHIEN",
    "doi_tuong_thuc_hien": "MOTADOITUONGTHUCHIEN", "yeu_cau_dieu_kien": "YEUCAU",
    "cach_thuc_thuc_hien": "CACHTHUCTHUCHIEN", "thanh_phan_ho_so": "THANHPHANHOSO",
    "trinh_tu_thuc_hien": "TRINHTUTHUCHIEN",
}
_NO_INFORMATION = "khong co thong tin"  # the portal's "Không có thông tin"

_CHANNEL_NUMBERS = {"1": "in_person", "2": "online", "3": "postal"}

# Amounts: "50.000", "1,500,000", "50000" or "50000.0" (a float written out).
_AMOUNT = r"(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]0{1,2})?"
# Currencies as DONVI or an amount's text writes them, folded -> ISO 4217.
_CURRENCIES = (
    (re.compile(r"\b(?:usd|us\$|do la my|dola my|do la)\b|\$"), "USD"),
    (re.compile(r"\b(?:eur|euro)\b|€"), "EUR"),
    (re.compile(r"\b(?:vnd|dong|d)\b|₫"), "VND"),
)
_CURRENCY_WORDS = r"(?:đồng|đ|vnđ|vnd|dong|việt nam đồng|usd|us\$|\$|đô la mỹ|đô la|eur|euro|€)"
_PLAIN_AMOUNT = re.compile(
    rf"\s*{_CURRENCY_WORDS}?\s*{_AMOUNT}\s*{_CURRENCY_WORDS}?\s*\.?\s*", re.IGNORECASE)
_ANY_AMOUNT = re.compile(_AMOUNT)
_LEADING_NUMBER = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*(.*)", re.DOTALL)
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


@dataclass
class ImportProblem:
    index: int
    """0-based position of the record in the input list."""
    code: str | None
    """Its MATTHC, when it has one."""
    reason: str
    """In words a person reads: what is wrong, or (for a warning) what is missing."""


@dataclass
class ParsedCatalogue:
    procedures: list[Procedure]
    fields: list[Field]
    """Only the fields that were not among the known ones, once each."""
    problems: list[ImportProblem]
    """Records that were not imported, and why."""
    warnings: list[ImportProblem] = field(default_factory=list)
    """Records imported with something missing or dropped, and what."""


class _Skip(Exception):
    """A record that cannot be imported; the message says why."""


def records_of(answer: object) -> list[Any]:
    """The procedure records of an answer of the national database: `{"result": [...]}`
    (or "data", "items"...), `{"message": "<that JSON as text>"}` as one province's proxy
    wraps it, or a bare list. ValueError, with what was found, for anything else."""
    for _ in range(3):  # a wrapper in a wrapper at most; never a loop
        if isinstance(answer, list):
            return answer
        if not isinstance(answer, dict):
            break
        by_key = {_key(k): v for k, v in answer.items() if isinstance(k, str)}
        for key in _LIST_KEYS:
            if isinstance(by_key.get(_key(key)), list):
                return by_key[_key(key)]
        message = by_key.get("MESSAGE")
        if not isinstance(message, str) or not message.lstrip().startswith(("{", "[")):
            detail = f"; its message says {_line(message)[:200]!r}" if isinstance(message, str) and message else ""
            raise ValueError(
                f"expected a list of DVCQG records or an object holding one under {', '.join(_LIST_KEYS)} "
                f"or message; found an object with the keys {', '.join(sorted(map(str, answer))[:10])}{detail}"
            )
        try:
            answer = json.loads(message)
        except (ValueError, RecursionError):
            raise ValueError("expected a list of DVCQG records; the answer's message is not JSON") from None
    raise ValueError(f"expected a list of DVCQG records, not {_json_type(answer)}")


def parse_dvcqg(data: object, levels: list[Level], known_fields: list[Field]) -> ParsedCatalogue:
    """Turn DVCQG records (or an answer holding them, see `records_of`) into Procedures,
    reporting the records it had to skip and what is missing from those it imported.

    Fields are matched to `known_fields` by code, then by name; records of one
    procedure (its national code and a local long form) become one procedure."""
    records = records_of(data)
    level_index = _level_index(levels)
    fields = _FieldIndex(known_fields)
    level_codes = {level.code for level in levels}
    site_levels = ", ".join(level.name for level in levels)
    procedures: list[Procedure] = []
    problems: list[ImportProblem] = []
    warnings: list[ImportProblem] = []
    seen: dict[str, tuple[int, Procedure]] = {}
    for index, record in enumerate(records):
        if isinstance(record, dict) and "ma_thu_tuc" in record:
            record = from_portal_page(record)  # the second shape: a crawled portal page
        code = _line(_get(record, "MATTHC", "MATHUTUC")) if isinstance(record, dict) else ""
        notes: list[str] = []
        try:
            if not _valid_unicode(record):
                code = code.encode("utf-8", "backslashreplace").decode("utf-8")  # printable in the report
                raise _Skip("text that is not valid Unicode (a lone surrogate escape such as \\ud800)")
            if national_code(code) in seen:
                first, kept = seen[national_code(code)]
                if code != kept.code and code not in kept.local_codes:
                    kept.local_codes.append(code)  # another local form of the same procedure
                    raise _Skip(f"same procedure as record {first} ({kept.code}); its code {code} "
                                f"was kept as a local code, the rest of this record was not imported")
                raise _Skip(f"duplicate code {code}: already imported from record {first}")
            procedure, new_field = _procedure(record, level_index, site_levels, fields, notes)
            field_codes = fields.codes | ({new_field.code} if new_field else set())
            wrong = procedure.problems(level_codes, field_codes)
            if wrong:
                raise _Skip("; ".join(wrong))
        except _Skip as skip:
            problems.append(ImportProblem(index, code or None, str(skip)))
            continue
        except (TypeError, ValueError, AttributeError) as error:
            # A shape no helper foresaw: one odd record must not stop the import.
            problems.append(ImportProblem(index, code or None, f"malformed record: {error}"))
            continue
        if new_field:
            fields.add(new_field)
        seen[procedure.code] = (index, procedure)
        procedures.append(procedure)
        warnings.extend(ImportProblem(index, procedure.code, note) for note in notes)
    return ParsedCatalogue(procedures, fields.new, problems, warnings)


def _valid_unicode(record: object) -> bool:
    """Whether every text in the record can be written as UTF-8: JSON's "\\ud800" escapes
    decode to lone surrogates, which no database or screen takes."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except (TypeError, ValueError):
        pass  # not JSON data at all: the record's own checks say what is wrong
    return True


def _procedure(record: object, level_index: dict[str, str], site_levels: str, fields: _FieldIndex,
               notes: list[str]) -> tuple[Procedure, Field | None]:
    """The Procedure of one record; `notes` gets what is missing from it."""
    if not isinstance(record, dict):
        raise _Skip(f"record is {_json_type(record)}, not an object")
    code = _line(_get(record, "MATTHC", "MATHUTUC"))
    name = _line(_get(record, "TENTTHC", "TENTHUTUC"))
    if not code:
        raise _Skip("no procedure code (MATTHC)")
    if not name:
        raise _Skip("no procedure name (TENTTHC)")
    key = national_code(code)
    level_codes = _levels(_get(record, "CAPTHUCHIEN"), level_index, site_levels, notes)
    field_code, new_field = fields.resolve(_items(_get(record, "LINHVUCTHUCHIEN", "LINHVUC")))
    documents = _get(record, "THANHPHANHOSO")
    flat = _flat_documents(documents)
    if flat:
        # One giant "document" would be printed as the list of what to bring: a person
        # would rather have the record refused, and the old entry, if any, kept.
        raise _Skip(f"its documents (THANHPHANHOSO) are {flat}, not a list of documents: "
                    "import the structured record (LayThuTuc) instead")
    channels = _channels(_get(record, "CACHTHUCTHUCHIEN"), notes)
    cases = _cases(documents, _get(record, "TRINHTUTHUCHIEN"))
    if not any(case.documents for case in cases):
        notes.append("no documents (THANHPHANHOSO): the kiosk lists nothing to bring")
    if not channels and not any("CACHTHUCTHUCHIEN" in note for note in notes):
        notes.append("no channels (CACHTHUCTHUCHIEN): the kiosk shows no time limit and no fee")
    procedure = Procedure(
        code=key,
        name=name,
        levels=level_codes,
        field=field_code,
        agencies=_names(_get(record, "COQUANTHUCHIEN"), "TENDONVI", "TENCOQUAN", "TEN"),
        channels=channels,
        cases=cases,
        results=_names(_get(record, "KETQUATHUCHIEN"), "TENKETQUA", "TENGIAYTO", "TEN"),
        legal_basis=_legal_basis(_get(record, "CANCUPHAPLY")),
        online_level=_online_level(_get(record, "MUCDO", "MUCDODVC", "MUCDODVCTT", "MUCDOTRUCTUYEN")),
        applicants=_names(_get(record, "DOITUONGTHUCHIEN"), "TENDOITUONG", "TEN")
        or _lines(_get(record, "MOTADOITUONGTHUCHIEN")),
        requirements=_requirements(_get(record, "YEUCAUDIEUKIEN", "YEUCAU", "DIEUKIEN")),
        keywords=_keywords(_get(record, "TUKHOA")),
        local_codes=[code] if code != key else [],
    )
    return procedure, new_field


# --- levels and fields -------------------------------------------------------


def _level_index(levels: list[Level]) -> dict[str, str]:
    """Folded spellings of each level ("cap xa", "xa", "commune") -> level code."""
    index: dict[str, str] = {}
    for level in levels:
        for spelling in (level.code, level.name, level.name_en):
            for key in _level_keys(spelling):
                index.setdefault(key, level.code)
    return index


def _level_keys(text: str) -> list[str]:
    key = fold(text)
    keys = [key]
    if key.startswith("cap "):
        keys.append(key[4:])
    return keys


def _levels(value: object, index: dict[str, str], site_levels: str, notes: list[str]) -> list[str]:
    """Level codes of CAPTHUCHIEN: a list of objects, numbers or names, or one text naming
    several ("Cấp tỉnh, Cấp xã"). Levels this site lacks are dropped with a note; none
    left is a reason to skip the record."""
    found: list[str] = []
    unknown: list[str] = []
    for item in _items(value):
        if isinstance(item, dict):
            name = _line(_get(item, "TENCAP", "TENCAPTHUCHIEN", "TEN"))
            number = _line(_get(item, "CAPTHUCHIEN", "MACAP", "MA"))
            spellings = [[name, number]]
        else:
            spellings = [[part] for part in _LEVEL_SEPARATORS.split(_line(item)) if part]
        for names in spellings:
            keys = [k for s in names if s for k in _level_keys(s)]
            keys += [_LEVEL_NUMBERS[s] for s in names if s in _LEVEL_NUMBERS]
            code = next((index[k] for k in keys if k in index), None)
            if code is None:
                unknown.append(_level_words(names))
            elif code not in found:
                found.append(code)
    if not found:
        if unknown:
            raise _Skip("; ".join(f"{u} is not a level of this site ({site_levels})" for u in unknown))
        raise _Skip("no level (CAPTHUCHIEN)")
    for u in unknown:
        notes.append(f"{u} is not a level of this site: imported at its other levels only")
    return found


def _level_words(names: list[str]) -> str:
    """"level 'Cấp Bộ' (ministry)", "level '0' (ministry)": what a person can read."""
    shown = next((n for n in names if n), "")
    keys = [k for n in names if n for k in _level_keys(n)] + [_LEVEL_NUMBERS.get(n, "") for n in names]
    meaning = next((_LEVEL_WORDS[k] for k in keys if k in _LEVEL_WORDS), "")
    return f"level {shown!r}" + (f" ({meaning})" if meaning else "")


def _field_key(name: str) -> str:
    """"Lĩnh vực Thi đua - Khen thưởng" and "Thi đua, khen thưởng" are one field."""
    key = re.sub(r"[^a-z0-9 ]", " ", fold(name))
    key = " ".join(key.split())
    return key[len("linh vuc "):] if key.startswith("linh vuc ") else key


class _FieldIndex:
    """Known fields by code and by folded name, plus the new ones met so far."""

    def __init__(self, known: list[Field]) -> None:
        self.codes: set[str] = set()
        self.by_name: dict[str, str] = {}
        self.aliases: dict[str, str] = {}
        """A publisher's field code -> the known code it was matched to by name."""
        self.new: list[Field] = []
        for known_field in known:
            self._remember(known_field)

    def _remember(self, new_field: Field) -> None:
        self.codes.add(new_field.code)
        self.by_name.setdefault(_field_key(new_field.name), new_field.code)

    def add(self, new_field: Field) -> None:
        self.new.append(new_field)
        self._remember(new_field)

    def resolve(self, items: list[Any]) -> tuple[str, Field | None]:
        """The code of the record's field, and a Field if it is a new one: a known field
        by code first, then by name, for any of the record's fields, before a new one."""
        pairs = []
        for item in items:
            if isinstance(item, dict):
                pairs.append((_line(_get(item, "MALINHVUC", "MA")), _line(_get(item, "TENLINHVUC", "TEN"))))
            else:
                pairs.append(("", _line(item)))
        for code, _ in pairs:
            if code in self.codes:
                return code, None
            if code in self.aliases:
                return self.aliases[code], None
        for code, name in pairs:
            if name and _field_key(name) in self.by_name:
                known = self.by_name[_field_key(name)]
                if code:
                    self.aliases[code] = known
                return known, None
        for code, name in pairs:
            if code or name:
                # Without a code, make a stable one from the name: "Thủy lợi" -> "THUYLOI".
                code = code or re.sub(r"[^A-Z0-9]", "", fold(name).upper())
                if code:
                    return code, Field(code=code, name=name or code, name_en="")
        raise _Skip("no field (LINHVUCTHUCHIEN)")


# --- channels, times and fees --------------------------------------------------


def _channels(value: object, notes: list[str]) -> list[ChannelTerms]:
    terms: list[ChannelTerms] = []
    for item in _items(value):
        if not isinstance(item, dict):
            text = _line(item)
            # A channel's name ("Trực tiếp", "Nộp qua dịch vụ bưu chính công ích") or number
            # ("1"); with times or fees in it, or past any name's length, a flattened table.
            if text not in _CHANNEL_NUMBERS and (len(text) > _FLAT_CHANNEL or re.search(r"\d", text)):
                # A table of channels, times and fees flattened into one text: a number
                # read out of it would be a guess, so none is.
                notes.append(f"its channels, time limits and fees (CACHTHUCTHUCHIEN) are one flat text of "
                             f"{len(text)} characters: not imported, the kiosk shows no time limit and no fee")
                continue
            item = {"KENH": item}  # just the channel's name or number
        channel = _channel(_get(item, "KENH", "MAKENH", "TENKENH"))
        if channel is None:
            continue  # a channel the kiosk has no name for: nothing to show
        shared_fees = _fees(_get(item, "PHILEPHI"))
        times = [t for t in _items(_get(item, "THOIGIAN")) if isinstance(t, dict)]
        for time in times:
            text, amount, unit = _time(time)
            fees = _fees(_get(time, "PHILEPHI")) + shared_fees
            terms.append(ChannelTerms(channel, text, _working_days(amount, unit), fees, amount, unit))
        if not times:
            terms.append(ChannelTerms(channel, "", None, shared_fees))
    return terms


def _channel(value: object) -> str | None:
    text = _line(value)
    if text in _CHANNEL_NUMBERS:
        return _CHANNEL_NUMBERS[text]
    key = fold(text)
    if "truc tiep" in key or "in person" in key or key == "in_person":
        return "in_person"
    if "truc tuyen" in key or "online" in key:
        return "online"
    if "buu chinh" in key or "postal" in key:
        return "postal"
    return None


def _time(time: dict[str, Any]) -> tuple[str, float | None, str]:
    """("05 Ngày làm việc (...)", 5.0, "Ngày làm việc") from one THOIGIAN entry."""
    amount_text = _line(_get(time, "THOIGIANGIAIQUYET", "THOIGIAN"))
    unit = _line(_get(time, "DONVITINH", "DONVI"))
    note = _text(_get(time, "MOTA"))
    number: float | None = None
    match = _LEADING_NUMBER.fullmatch(amount_text)
    if match:
        number = float(match.group(1).replace(",", "."))
        # "05 ngày làm việc" written whole in THOIGIANGIAIQUYET.
        unit = unit or match.group(2).strip()
    elif amount_text:
        note = f"{amount_text}; {note}" if note else amount_text
    published = f"{_number_text(number)} {unit}".strip() if number is not None else ""
    if number == 0 and note:
        published = ""  # "0 Ngày" stands for "Trong ngày", which the note says better
    text = f"{published} ({note})" if published and note else published or note or unit
    return text, number, unit


def _working_days(number: float | None, unit: str) -> float | None:
    """The time in working days, only when it is counted in working days: calendar days,
    hours and months are not, and a kiosk must not count them as if they were."""
    return number if number is not None and fold(unit).startswith("ngay lam viec") else None


def _number_text(number: float) -> str:
    # Official texts pad day counts to two digits: "05 ngày làm việc".
    if number.is_integer():
        return f"{int(number):02d}"
    return f"{number:g}".replace(".", ",")


def _fees(value: object) -> list[Fee]:
    fees = []
    for item in _items(value):
        if isinstance(item, dict):
            raw = _get(item, "SOTIEN", "MUCPHI", "MUCTHU", "SOTIENPHI")
            note = _text(_get(item, "MOTA", "TENPHILEPHI"))
            kind = _line(_get(item, "MAPHILEPHI"))  # often just "Phí" or "Lệ phí"
            unit = _line(_get(item, "DONVI", "DONVITIENTE", "LOAITIEN"))
        else:
            raw, note, kind, unit = item, "", "", ""
        if raw is None and not note:
            continue
        amount, published = _amount(raw)
        description = "; ".join(part for part in (published, note) if part) or kind
        # DONVI first; else what the amount's own text says ("50 USD"); else dong.
        currency = _currency(unit) or (_currency(raw) if isinstance(raw, str) else None) or "VND"
        fees.append(Fee(amount, description, currency))
    return fees


def _currency(text: object) -> str | None:
    """ISO 4217 code of "Đồng", "VNĐ", "Việt Nam Đồng", "USD", "Đô la Mỹ"...; None if unsaid."""
    key = fold(_line(text))
    if not key:
        return None
    for pattern, code in _CURRENCIES:
        if pattern.search(key):
            return code
    upper = _line(text).upper()
    return upper if re.fullmatch(r"[A-Z]{3}", upper) else None


def _amount(raw: object) -> tuple[int, str]:
    """The amount, and the published text when it says more than a bare number."""
    if isinstance(raw, bool) or raw is None:
        return 0, ""
    if isinstance(raw, (int, float)):
        return max(0, round(raw)), ""
    text = _text(raw)
    plain = _PLAIN_AMOUNT.fullmatch(text)
    if plain:
        return _digits(plain.group(1)), ""
    found = _ANY_AMOUNT.findall(text)
    if len(found) == 1:
        # "2.000 đồng/trang": the amount, and the text for what it is per.
        return _digits(found[0]), text
    return 0, text


def _digits(number: str) -> int:
    return int(re.sub(r"\D", "", number))


# --- cases, documents and steps ----------------------------------------------


def _flat_documents(value: object) -> str:
    """What is wrong when THANHPHANHOSO is a table flattened into text ("" when it is not):
    a text (bare, in a list, or as a document's name) past the length of any document's
    name, or holding the counts of several rows ("1 bản chính ... 1 bản chính")."""
    if isinstance(value, str) and len(_line(value)) > _FLAT_TEXT:
        return f"one flat text of {len(_line(value))} characters"  # bare text, not even a list
    texts = []
    for item in _items(value):
        if isinstance(item, dict):
            if _has(item, "GIAYTO", "TRUONGHOP"):
                texts += [_get(doc, "TENGIAYTO", "TEN") if isinstance(doc, dict) else doc
                          for doc in _items(_get(item, "GIAYTO"))]
            else:
                texts.append(_get(item, "TENGIAYTO", "TEN"))
        else:
            texts.append(item)
    for text in texts:
        text = _text(text)
        if len(text) > _FLAT_DOCUMENT or len(_COUNTS.findall(text)) > 1 or _TABLE_HEADER.search(text):
            return f"one flat text of {len(text)} characters"
    return ""


def from_portal_page(page: dict[str, Any]) -> dict[str, Any]:
    """A DVCQG record from a crawled page of the national portal (snake_case keys, tables
    flattened to text): what the page says, under the keys the parser reads. Flattened
    tables stay flattened, so the parser refuses or flags them as it would any record."""
    record: dict[str, Any] = {}
    for key, national_key in _PORTAL_PAGE_KEYS.items():
        value = page.get(key)
        if isinstance(value, str) and fold(value).rstrip(".") != _NO_INFORMATION:
            record[national_key] = value
    steps = page.get("trinh_tu_thuc_hien")
    if isinstance(steps, str):
        record["TRINHTUTHUCHIEN"] = [line for line in _text(steps).split("\n") if line]
    result = page.get("ket_qua_xu_ly")
    if isinstance(result, str):
        # "Giấy khai sinhMã: KQ.G15.000031Từ khóa...": the result's name, before its code.
        name = re.split(r"Mã:\s*KQ", result, maxsplit=1)[0]
        record["KETQUATHUCHIEN"] = [{"TENKETQUA": name}] if _line(name) else []
    return record


def _cases(documents: object, procedures: object) -> list[Case]:
    """Cases (trường hợp) from THANHPHANHOSO and TRINHTUTHUCHIEN, matched by name.

    A group without a name applies to every case, so it is put first in each.
    """
    docs_by_case = _groups(documents, "GIAYTO", _document)
    steps_by_case = _groups(procedures, "TRINHTU", _step)
    common_docs = docs_by_case.pop("", ([], ""))[0]
    common_steps = steps_by_case.pop("", ([], ""))[0]
    names: dict[str, str] = {}
    for key, (_, name) in [*docs_by_case.items(), *steps_by_case.items()]:
        names.setdefault(key, name)
    if not names:
        if not common_docs and not common_steps:
            return []
        return [Case("", common_docs, common_steps)]
    cases = [
        Case(
            name,
            common_docs + docs_by_case.get(key, ([], ""))[0],
            common_steps + steps_by_case.get(key, ([], ""))[0],
        )
        for key, name in names.items()
    ]
    if len(cases) == 1:
        cases[0].name = ""  # one case needs no name to choose it by
    return cases


def _groups(value: object, list_key: str, make: Any) -> dict[str, tuple[list[Any], str]]:
    """Folded case name -> (items, case name as published)."""
    groups: dict[str, tuple[list[Any], str]] = {}
    for item in _items(value):
        if _has(item, list_key, "TRUONGHOP"):
            name = _line(_get(item, "TRUONGHOP", "TENTRUONGHOP"))
            entries = _items(_get(item, list_key))
        else:
            # A bare document or step, or plain text, with no case around it.
            name, entries = "", [item]
        made = [x for x in (make(entry) for entry in entries) if x]
        groups.setdefault(fold(name), ([], name))[0].extend(made)
    return groups


def _document(item: object) -> Document | None:
    if not isinstance(item, dict):
        name = _line(item)
        return Document(name) if _has_letters(name) else None
    name = _line(_get(item, "TENGIAYTO", "TEN"))
    if not _has_letters(name):
        return None  # "", or a placeholder such as "--"
    form = _get(item, "TENMAUDON", "MAUDON", "TENMAUTOKHAI")
    if isinstance(form, dict):
        form = _get(form, "TENMAUDON", "TEN", "TENTEP")
    elif isinstance(form, list):
        form = "; ".join(_line(_get(f, "TENMAUDON", "TEN", "TENTEP") if isinstance(f, dict) else f) for f in form)
    return Document(
        name=name,
        originals=_count(_get(item, "SOBANCHINH")),
        copies=_count(_get(item, "SOBANSAO")),
        form=_line(form) or None,
        note=_text(_get(item, "GHICHU", "MOTA")),
    )


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _step(item: object) -> str:
    text = _get(item, "TENTRINHTU", "NOIDUNG", "MOTA", "TEN") if isinstance(item, dict) else item
    return _text(text)


def _count(value: object) -> int:
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, (int, float)):
        return max(0, int(value))
    match = re.search(r"\d+", _line(value))
    return int(match.group()) if match else 0


# --- the rest ------------------------------------------------------------------


def _legal_basis(value: object) -> list[LegalBasis]:
    found = []
    for item in _items(value):
        if isinstance(item, dict):
            number = _line(_get(item, "SOVANBAN", "SOHIEU", "KYHIEU"))
            title = _line(_get(item, "TENVANBAN", "TRICHYEU", "TEN"))
            issued = _iso_date(_get(item, "NGAYBANHANH"))
            issuer = _line(_get(item, "COQUANBANHANH"))
        else:
            number, title, issued, issuer = "", _line(item), None, ""
        if number or title:
            found.append(LegalBasis(number, title, issued, issuer))
    return found


def _iso_date(value: object) -> str | None:
    text = _line(value)
    # "2015-11-20T00:00:00" and "20/11/2015 00:00:00": the date is all we keep.
    text = re.split(r"[T ]", text, maxsplit=1)[0]
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def _online_level(value: object) -> str:
    """"full", "partial" or "none" from MUCDO: "Toàn trình", "Một phần", 4, 3, 2 ..."""
    best = "none"
    for item in _items(value):
        key = fold(_line(_get(item, "MUCDO", "TEN", "MA") if isinstance(item, dict) else item))
        digits = re.findall(r"\d", key)
        if "toan trinh" in key or "full" in key or (digits and digits[-1] == "4"):
            return "full"
        if "mot phan" in key or "partial" in key or (digits and digits[-1] == "3"):
            best = "partial"
    return best


def _requirements(value: object) -> list[str]:
    found = []
    for line in _lines(value):
        # Publishers write "Không" or "Không có" for "no requirements".
        if fold(line).rstrip(".") not in ("khong", "khong co", "khong quy dinh"):
            found.append(line)
    return found


def _keywords(value: object) -> list[str]:
    words: list[str] = []
    for item in _items(value):
        for word in re.split(r"[,;\n]", _text(item)):
            word = word.strip()
            if word and word not in words:
                words.append(word)
    return words


def _names(value: object, *keys: str) -> list[str]:
    """Display names from a list of objects or strings, without repeats."""
    found: list[str] = []
    for item in _items(value):
        name = _line(_get(item, *keys) if isinstance(item, dict) else item)
        if name and name not in found:
            found.append(name)
    return found


def _lines(value: object) -> list[str]:
    found: list[str] = []
    for item in _items(value):
        text = _text(_get(item, "TEN", "NOIDUNG", "MOTA") if isinstance(item, dict) else item)
        found.extend(line for line in text.split("\n") if line)
    return found


# --- tolerant access ---------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


@functools.lru_cache(maxsize=4096)
def _key(name: str) -> str:
    # MaTTHC, MATTHC and Ma_TTHC are the same key. Cached: a record's few dozen key
    # spellings are looked up thousands of times in an import.
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def _get(obj: object, *names: str) -> Any:
    """The first non-empty value among `names`, whatever their case."""
    if not isinstance(obj, dict):
        return None
    by_key = {_key(k): v for k, v in obj.items() if isinstance(k, str)}
    for name in names:
        value = by_key.get(_key(name))
        if value is not None and value != "" and value != [] and value != {}:
            return value
    return None


def _has(obj: object, *names: str) -> bool:
    """Whether `obj` has any of the keys, even with an empty value."""
    if not isinstance(obj, dict):
        return False
    keys = {_key(k) for k in obj if isinstance(k, str)}
    return any(_key(name) in keys for name in names)


def _items(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: object) -> str:
    """NFC text, each line stripped, empty lines dropped."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    lines = (" ".join(line.split()) for line in nfc(str(value)).splitlines())
    return "\n".join(line for line in lines if line)


def _line(value: object) -> str:
    """NFC text on one line, white space collapsed."""
    return " ".join(_text(value).split())
