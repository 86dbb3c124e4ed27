"""Parser for the sharing format of the national procedure database (CSDL quốc gia
về TTHC, as served by Cổng Dịch vụ công quốc gia, "DVCQG").

The input is already-decoded JSON: a list of procedure records, or an object
holding that list under a key such as "result" or "data". Each record has
upper-case Vietnamese keys (MATTHC, TENTTHC, CAPTHUCHIEN, ...). Publishers
differ in key case and in how much they fill in, so every part but the code,
name, level and field is optional, and a bad record is reported, never raised.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
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
)
from ..domain.text import fold, nfc

# Keys under which an export wraps its list of records; checked in this order.
_LIST_KEYS = ("result", "data", "items", "records", "danhsach")

# CAPTHUCHIEN as a number: 0 ministry, 1 province, 2 district, 3 commune.
# Mapped to names, not ranks, because a site may have only some of the levels.
_LEVEL_NUMBERS = {"0": "bo", "1": "tinh", "2": "huyen", "3": "xa"}

_CHANNEL_NUMBERS = {"1": "in_person", "2": "online", "3": "postal"}

# Amounts: "50.000", "1,500,000", "50000" or "50000.0" (a float written out).
_AMOUNT = r"(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]0{1,2})?"
_PLAIN_AMOUNT = re.compile(rf"\s*{_AMOUNT}\s*(?:đồng|đ|vnđ|vnd|dong)?\s*\.?\s*", re.IGNORECASE)
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


@dataclass
class ParsedCatalogue:
    procedures: list[Procedure]
    fields: list[Field]
    """Only the fields that were not among the known ones, once each."""
    problems: list[ImportProblem]


class _Skip(Exception):
    """A record that cannot be imported; the message says why."""


def parse_dvcqg(data: object, levels: list[Level], known_fields: list[Field]) -> ParsedCatalogue:
    """Turn DVCQG records into Procedures, reporting the records it had to skip."""
    records = _records(data)
    level_index = _level_index(levels)
    fields = _FieldIndex(known_fields)
    level_codes = {level.code for level in levels}
    procedures: list[Procedure] = []
    problems: list[ImportProblem] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        code = _line(_get(record, "MATTHC", "MATHUTUC")) if isinstance(record, dict) else ""
        try:
            if code in seen:
                raise _Skip(f"duplicate code {code}: already imported from record {seen[code]}")
            procedure, new_field = _procedure(record, level_index, fields)
            field_codes = fields.codes | ({new_field.code} if new_field else set())
            wrong = procedure.problems(level_codes, field_codes)
            if wrong:
                raise _Skip("; ".join(wrong))
        except _Skip as skip:
            problems.append(ImportProblem(index, code or None, str(skip)))
            continue
        except (TypeError, ValueError, AttributeError) as error:
            # A shape no helper foresaw: one odd record must not stop the import.
            problems.append(ImportProblem(index, code or None, f"malformed record ({error})"))
            continue
        if new_field:
            fields.add(new_field)
        seen[code] = index
        procedures.append(procedure)
    return ParsedCatalogue(procedures, fields.new, problems)


def _records(data: object) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        by_key = {_key(k): v for k, v in data.items() if isinstance(k, str)}
        for key in _LIST_KEYS:
            if isinstance(by_key.get(_key(key)), list):
                return by_key[_key(key)]
        raise ValueError(
            f"expected a list of DVCQG records or an object holding one under one of {_LIST_KEYS}; "
            f"found an object with keys {sorted(map(str, data))[:10]}"
        )
    raise ValueError(f"expected a list of DVCQG records, not {_json_type(data)}")


def _procedure(record: object, level_index: dict[str, str], fields: _FieldIndex) -> tuple[Procedure, Field | None]:
    if not isinstance(record, dict):
        raise _Skip(f"record is {_json_type(record)}, not an object")
    code = _line(_get(record, "MATTHC", "MATHUTUC"))
    name = _line(_get(record, "TENTTHC", "TENTHUTUC"))
    if not code:
        raise _Skip("no procedure code (MATTHC)")
    if not name:
        raise _Skip("no procedure name (TENTTHC)")
    level_codes = _levels(_get(record, "CAPTHUCHIEN"), level_index)
    field_code, new_field = fields.resolve(_items(_get(record, "LINHVUCTHUCHIEN", "LINHVUC")))
    procedure = Procedure(
        code=code,
        name=name,
        levels=level_codes,
        field=field_code,
        agencies=_names(_get(record, "COQUANTHUCHIEN"), "TENDONVI", "TENCOQUAN", "TEN"),
        channels=_channels(_get(record, "CACHTHUCTHUCHIEN")),
        cases=_cases(_get(record, "THANHPHANHOSO"), _get(record, "TRINHTUTHUCHIEN")),
        results=_names(_get(record, "KETQUATHUCHIEN"), "TENKETQUA", "TENGIAYTO", "TEN"),
        legal_basis=_legal_basis(_get(record, "CANCUPHAPLY")),
        online_level=_online_level(_get(record, "MUCDO", "MUCDODVC", "MUCDODVCTT", "MUCDOTRUCTUYEN")),
        applicants=_names(_get(record, "DOITUONGTHUCHIEN"), "TENDOITUONG", "TEN")
        or _lines(_get(record, "MOTADOITUONGTHUCHIEN")),
        requirements=_requirements(_get(record, "YEUCAUDIEUKIEN", "YEUCAU", "DIEUKIEN")),
        keywords=_keywords(_get(record, "TUKHOA")),
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


def _levels(value: object, index: dict[str, str]) -> list[str]:
    found: list[str] = []
    unknown: list[str] = []
    for item in _items(value):
        name = _line(_get(item, "TENCAP", "TENCAPTHUCHIEN", "TEN")) if isinstance(item, dict) else ""
        number = _line(_get(item, "CAPTHUCHIEN", "MACAP", "MA")) if isinstance(item, dict) else _line(item)
        spellings = [name, number, _LEVEL_NUMBERS.get(number, "")]
        code = next((index[k] for s in spellings if s for k in _level_keys(s) if k in index), None)
        if code is None:
            unknown.append(name or number)
        elif code not in found:
            found.append(code)
    if not found:
        if unknown:
            raise _Skip(f"no level of this site among {unknown} (CAPTHUCHIEN)")
        raise _Skip("no level (CAPTHUCHIEN)")
    return found


class _FieldIndex:
    """Known fields by code and by folded name, plus the new ones met so far."""

    def __init__(self, known: list[Field]) -> None:
        self.codes: set[str] = set()
        self.by_name: dict[str, str] = {}
        self.new: list[Field] = []
        for known_field in known:
            self._remember(known_field)

    def _remember(self, new_field: Field) -> None:
        self.codes.add(new_field.code)
        self.by_name.setdefault(fold(new_field.name), new_field.code)

    def add(self, new_field: Field) -> None:
        self.new.append(new_field)
        self._remember(new_field)

    def resolve(self, items: list[Any]) -> tuple[str, Field | None]:
        """The code of the record's (first) field, and a Field if it is a new one."""
        for item in items:
            if isinstance(item, dict):
                code = _line(_get(item, "MALINHVUC", "MA"))
                name = _line(_get(item, "TENLINHVUC", "TEN"))
            else:
                code, name = "", _line(item)
            if code in self.codes:
                return code, None
            if name and fold(name) in self.by_name:
                return self.by_name[fold(name)], None
            if code or name:
                # Without a code, make a stable one from the name: "Thủy lợi" -> "THUYLOI".
                code = code or re.sub(r"[^A-Z0-9]", "", fold(name).upper())
                if code:
                    return code, Field(code=code, name=name or code, name_en="")
        raise _Skip("no field (LINHVUCTHUCHIEN)")


# --- channels, times and fees --------------------------------------------------


def _channels(value: object) -> list[ChannelTerms]:
    terms: list[ChannelTerms] = []
    for item in _items(value):
        if not isinstance(item, dict):
            item = {"KENH": item}  # just the channel's name or number
        channel = _channel(_get(item, "KENH", "MAKENH", "TENKENH"))
        if channel is None:
            continue  # a channel the kiosk has no name for: nothing to show
        shared_fees = _fees(_get(item, "PHILEPHI"))
        times = [t for t in _items(_get(item, "THOIGIAN")) if isinstance(t, dict)]
        for time in times:
            text, working_days = _time(time)
            fees = _fees(_get(time, "PHILEPHI")) + shared_fees
            terms.append(ChannelTerms(channel, text, working_days, fees))
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


def _time(time: dict[str, Any]) -> tuple[str, float | None]:
    """("05 Ngày làm việc (...)", 5.0) from one THOIGIAN entry."""
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
    working = number is not None and fold(unit).startswith("ngay lam viec")
    return text, number if working else None


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
        else:
            raw, note, kind = item, "", ""
        if raw is None and not note:
            continue
        amount, published = _amount(raw)
        description = "; ".join(part for part in (published, note) if part) or kind
        fees.append(Fee(amount, description))
    return fees


def _amount(raw: object) -> tuple[int, str]:
    """VND amount, and the published text when it says more than a bare number."""
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
        return Document(name) if name else None
    name = _line(_get(item, "TENGIAYTO", "TEN"))
    if not name:
        return None
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


def _key(name: str) -> str:
    # MaTTHC, MATTHC and Ma_TTHC are the same key.
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
