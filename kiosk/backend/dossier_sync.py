"""Dossiers and their processing steps as a province's one-stop system sends them to the
national portal (Cổng DVCQG): `DongBoHoSoMC` records and `CapNhatTienDoHoSoMC` steps, read
into the backend's dossiers; and a stored dossier written back as such a record (`TraCuuHoSo`).

Records are read tolerantly (senders fill many keys with empty strings, write numbers as text
and dates as yyyyMMddHHmmss in Vietnam's time) and each record that cannot be read is reported
with its position and reason while the others still go in.

Personal data: the applicant's name is kept masked, the identifier (`MaDoiTuong`) only as the
backend's keyed hash, and contact details, the summary (`TrichYeuHoSo`) and notes, which often
name people, are not kept at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..domain.calendar import TIMEZONE
from ..domain.codes import dossier_code_shape
from ..domain.dossier import Collection, Dossier, Holder, Status
from ..domain.procedure import Fee
from ..domain.text import fold, mask_name, nfc
from .store import BackendStore, _dump

MAX_RECORDS = 1000
"""Records (or steps) in one call: a day's work of a large centre in a few calls."""
MAX_CODE = 64

_FINISHED = {Status.PROCESSED, Status.RETURNED, Status.REJECTED, Status.WITHDRAWN, Status.STOPPED}
_DATE_FORMATS = ("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


@dataclass
class RecordProblem:
    index: int
    """0-based position of the record in the call's `data`."""
    code: str | None
    """Its MaHoSo, when it has one."""
    reason: str


@dataclass
class SyncResult:
    accepted: int = 0
    problems: list[RecordProblem] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    """The dossiers the call touched, in normal form."""


class _Bad(Exception):
    """A record that cannot be read; the message says why."""


# -- reading values ---------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(nfc(str(value)).split())


def lower_keys(record: object) -> dict:
    """The record with its keys in lower case, once, so that MaHoSo, MAHOSO and mahoso are one;
    {} for what is not an object."""
    return {k.lower(): v for k, v in record.items() if isinstance(k, str)} if isinstance(record, dict) else {}


def normal_code(raw: str) -> str:
    """A dossier code in its normal form, so that a scan finds it: codes are written in capitals
    on receipts, whatever a sender or an upstream wrote."""
    return dossier_code_shape(raw) or raw.upper()


def _get(record: dict, *keys: str) -> Any:
    """The first non-empty value among `keys` of a `lower_keys` record."""
    for key in keys:
        value = record.get(key.lower())
        if value not in (None, "", [], {}):
            return value
    return None


def _list(value: object) -> list[dict]:
    return [lower_keys(x) for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def parse_time(value: object, key: str) -> dt.datetime | None:
    """yyyyMMddHHmmss in Vietnam's time (the protocol's form; a few others senders use too);
    None when empty; _Bad when it is not a time."""
    text = _text(value)
    if not text:
        return None
    if len(text) == 14 and text.isdigit():  # the protocol's own form, by far the most common
        try:
            return dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                               int(text[12:]), tzinfo=TIMEZONE)
        except ValueError:
            raise _Bad(f"{key} {text!r} is not a time (yyyyMMddHHmmss)") from None
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=TIMEZONE)
        except ValueError:
            continue
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Bad(f"{key} {text[:40]!r} is not a time (yyyyMMddHHmmss)") from None
    return moment.astimezone(TIMEZONE) if moment.tzinfo else moment.replace(tzinfo=TIMEZONE)


def protocol_time(moment: dt.datetime | None) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y%m%d%H%M%S") if moment else ""


def _status(value: object, key: str) -> Status:
    text = _text(value)
    if not text:
        raise _Bad(f"no status ({key})")
    try:
        return Status(int(text))
    except ValueError:
        raise _Bad(f"{key} {text[:20]!r} is not a status of the national list (1 to 10)") from None


def _code(record: dict) -> str:
    raw = _text(_get(record, "MaHoSo"))
    if not raw:
        raise _Bad("no dossier code (MaHoSo)")
    if len(raw) > MAX_CODE or not raw.isprintable():
        raise _Bad(f"MaHoSo is not a dossier code (at most {MAX_CODE} printable characters)")
    return normal_code(raw)


def _amount(value: object) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0, round(value))
    digits = re.sub(r"[.,](?=\d{3}\b)", "", _text(value))  # "50.000" and "1,500,000"
    match = re.match(r"\d+", digits)
    return int(match.group()) if match else 0


def _fees(value: object) -> list[Fee]:
    fees = []
    for item in _list(value):
        name = _text(_get(item, "TenPhiLePhi", "MoTa"))
        amount = _amount(_get(item, "Gia", "SoTien", "MucPhi"))
        if name or amount:
            fees.append(Fee(amount, name))
    return fees


def _requested(value: object) -> list[str]:
    """What a request for more documents asks for, while it is not yet answered."""
    found = []
    for item in _list(value):
        if _text(_get(item, "NgayTiepNhanBoSung")):
            continue  # the citizen brought them already
        papers = _get(item, "DanhSachGiayToBoSung")
        wanted = [_text(_get(lower_keys(d), "TenGiayTo") if isinstance(d, dict) else d)
                  for d in papers] if isinstance(papers, list) else []
        for text in [_text(_get(item, "NoiDungBoSung")), *wanted]:
            if text and text not in found:
                found.append(text)
    return found


def _names(value: object, key: str) -> list[str]:
    found = []
    for item in _list(value):
        name = _text(_get(item, key))
        if name and name not in found:
            found.append(name)
    return found


# -- dossier records -----------------------------------------------------------------------


@dataclass
class _Record:
    dossier: Dossier
    """As the record says, without its timeline (that comes from the steps)."""
    applicant_id: str | None


def _read_record(record: object, levels_by_agency: dict[str, str]) -> _Record:
    if not isinstance(record, dict):
        raise _Bad("a record is an object with MaHoSo, MaTTHC, TrangThaiHoSo ...")
    record = lower_keys(record)
    code = _code(record)
    status = _status(_get(record, "TrangThaiHoSo"), "TrangThaiHoSo")
    received = parse_time(_get(record, "NgayTiepNhan"), "NgayTiepNhan")
    due = parse_time(_get(record, "NgayHenTra"), "NgayHenTra")
    returned = parse_time(_get(record, "NgayTra"), "NgayTra")
    finished = parse_time(_get(record, "NgayKetThucXuLy"), "NgayKetThucXuLy")
    if received is None:
        raise _Bad("no time of receipt (NgayTiepNhan)")
    procedure_code = _text(_get(record, "MaTTHC"))
    if not procedure_code:
        raise _Bad("no procedure code (MaTTHC)")
    agency = _text(_get(record, "DonViXuLy"))
    fees = _fees(_get(record, "DanhSachLePhi"))
    # "0" in person; "1" otherwise, which one sender uses for postal and online alike.
    channel = "online" if _text(_get(record, "HinhThuc")) == "1" else "in_person"
    place = _text(_get(record, "ThongTinTra")) or agency
    completed = finished or (returned if status in (Status.PROCESSED, Status.RETURNED) else None)
    dossier = Dossier(
        code=code,
        procedure_code=procedure_code,
        procedure_name=_text(_get(record, "TenTTHC")),
        applicant_name=mask_name(_text(_get(record, "ChuHoSo"))),
        status=int(status),
        received_at=received,
        due_at=due,
        completed_at=completed,
        returned_at=returned,
        channel=channel,
        holder=Holder(level=levels_by_agency.get(agency_key(agency), ""), agency=agency) if agency else None,
        fees_outstanding=fees if status == Status.FEES_DUE else [],
        requested_documents=_requested(_get(record, "DanhSachHoSoBoSung")),
        collection=Collection(place=place, available_from=completed or due) if place else None,
        field_name=_text(_get(record, "TenLinhVuc")),
        fees=fees,
        results=_names(_get(record, "DanhSachGiayToKetQua"), "TenGiayTo"),
    )
    applicant = _text(_get(record, "MaDoiTuong")) or None
    return _Record(dossier, applicant)


# -- steps ---------------------------------------------------------------------------------


_STEP_KEYS = ("MaHoSo", "NguoiXuLy", "ChucDanh", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai",
              "NgayBatDau", "NgayKetThucTheoQuyDinh")


def _read_step(step: object) -> tuple[str, dt.datetime, dict[str, str]]:
    """(dossier code, when, the step's values as text)."""
    if not isinstance(step, dict):
        raise _Bad("a step is an object with MaHoSo, ThoiDiemXuLy, NoiDungXuLy, TrangThai ...")
    step = lower_keys(step)
    code = _code(step)
    at = parse_time(_get(step, "ThoiDiemXuLy"), "ThoiDiemXuLy")
    if at is None:
        raise _Bad("no time of the step (ThoiDiemXuLy)")
    values = {key: _text(_get(step, key)) for key in _STEP_KEYS}
    values["MaHoSo"] = code
    if values["TrangThai"]:
        values["TrangThai"] = str(int(_status(values["TrangThai"], "TrangThai")))
    for key in ("NgayBatDau", "NgayKetThucTheoQuyDinh"):
        values[key] = protocol_time(parse_time(values[key], key))
    values["ThoiDiemXuLy"] = protocol_time(at)
    if not (values["NoiDungXuLy"] or values["TrangThai"]):
        raise _Bad("a step says neither what was done (NoiDungXuLy) nor the status (TrangThai)")
    return code, at, values


def _step_key(values: dict[str, str]) -> str:
    # Everything the step says: the same step sent twice is one step, a corrected one is another.
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def _iso(text: str) -> str | None:
    """A step's time as stored (yyyyMMddHHmmss, normalised by _read_step) in the dossier's JSON
    form; sliced, not parsed: rebuilding a timeline is the hot path of a sync."""
    if not text:
        return None
    return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}+07:00"


def _with_steps(data: dict[str, Any], steps: list[dict[str, str]], status: str | None) -> dict[str, Any]:
    """The dossier (its JSON form) with its timeline from `steps`, in time order: each step
    ends when the next begins, the last when the dossier is done; `status`, when given, is the
    one the latest step moved it to."""
    if status:
        data["status"] = int(status)
        if Status(data["status"]) == Status.FEES_DUE:
            data["fees_outstanding"] = list(data["fees"])
    finished_status = Status(data["status"]) in _FINISHED
    if not steps:
        if finished_status:
            data["holder"] = None
        return data
    holder = data["holder"] or {}
    agency, level = holder.get("agency", ""), holder.get("level", "")
    timeline = []
    for number, values in enumerate(steps):
        at = _iso(values["ThoiDiemXuLy"])
        if number + 1 < len(steps):
            following = steps[number + 1]
            finished = _iso(following["NgayBatDau"] or following["ThoiDiemXuLy"])
        else:
            finished = at if finished_status else None
        code = values["TrangThai"]
        timeline.append({
            "name": values["NoiDungXuLy"] or (Status(int(code)).label_vi if code else ""),
            "holder": {"level": level, "agency": agency, "department": values["PhongBanXuLy"],
                       "officer_title": values["ChucDanh"], "officer_name": values["NguoiXuLy"]},
            "started_at": _iso(values["NgayBatDau"]) or at,
            "finished_at": finished,
            "due_at": _iso(values["NgayKetThucTheoQuyDinh"]),
        })
    data["timeline"] = timeline
    data["holder"] = timeline[-1]["holder"] if timeline[-1]["finished_at"] is None else None
    return data


# -- into the store ------------------------------------------------------------------------


def agency_key(name: str) -> str:
    """An agency's name as records and catalogues both write it: "UBND phường Quy Nhơn" and
    "Ủy ban nhân dân phường Quy Nhơn" are one agency."""
    return " ".join(fold(name).replace("uy ban nhan dan", "ubnd").split())


def _levels_by_agency(store: BackendStore) -> dict[str, str]:
    """The level of each agency of the catalogue, by name, and by code (a sender may give that)."""
    found = {}
    for code, name, level in store.db.execute("SELECT code, name, level FROM agencies"):
        found[agency_key(name)] = level
        found[agency_key(code)] = level
    return found


def _rebuild(store: BackendStore, code: str) -> None:
    """The dossier as the kiosk reads it: its record, its steps in time order, and the status
    of the latest step when that step came after the record."""
    row = store.db.execute("SELECT base, steps_seen FROM dossiers WHERE code = ?", [code]).fetchone()
    if row is None or row[0] is None:
        return  # steps waiting for their dossier
    rows = store.db.execute(
        "SELECT id, data FROM dossier_steps WHERE dossier_code = ? ORDER BY at, id", [code]).fetchall()
    steps = [json.loads(data) for _, data in rows]
    latest = max(((values["ThoiDiemXuLy"], step_id, values["TrangThai"]) for (step_id, _), values in zip(rows, steps)
                  if values["TrangThai"]), default=None)
    moved = latest[2] if latest and latest[1] > row[1] else None
    data = _with_steps(json.loads(row[0]), steps, moved)
    store.db.execute("UPDATE dossiers SET status = ?, data = ? WHERE code = ?", [data["status"], _dump(data), code])


def sync_dossiers(store: BackendStore, records: list, updating: bool, now: dt.datetime,
                  origin: str = "sync") -> SyncResult:
    """Create or replace dossiers from `DongBoHoSoMC` records, in one transaction.

    `updating` is the sender's isUpdating: with False a dossier the backend already holds is
    replaced all the same (a sender that lost track of what it sent must be able to send again)."""
    hash_applicants(store, records)
    with store.write():
        return _put_records(store, records, now, origin)


def hash_applicants(store: BackendStore, records: object) -> None:
    """Make the applicants' ID hashes (as _read_record finds the number) before the write lock is
    taken: some 35 ms each (scrypt), which every other writer would wait out; the store keeps them
    in memory for _put_records. Reads nothing of the database: the server runs it on a thread of
    its own, so that the store's thread serves other requests meanwhile."""
    for record in records[:MAX_RECORDS] if isinstance(records, list) else []:
        applicant = _text(_get(lower_keys(record), "MaDoiTuong")) if isinstance(record, dict) else ""
        if applicant:
            store.citizen_key(applicant)



def sync_steps(store: BackendStore, steps: list, now: dt.datetime) -> SyncResult:
    """Add `CapNhatTienDoHoSoMC` steps to their dossiers' timelines, in one transaction: placed
    by their time, the same step twice kept once, a step for a dossier not yet sent kept for it."""
    with store.write():
        return _put_steps(store, steps)


def keep_looked_up(store: BackendStore, record: dict, steps: list, now: dt.datetime) -> SyncResult:
    """A dossier looked up in another system (`TraCuuHoSo`), with its whole history, kept in one
    transaction: its earlier steps are replaced (the answer holds them all, corrected ones too),
    and the record goes in after its steps, so that its status stands."""
    hash_applicants(store, [record])
    with store.write():
        code = _code(lower_keys(record)) if isinstance(record, dict) and _get(lower_keys(record), "MaHoSo") else ""
        if code:
            store.db.execute("DELETE FROM dossier_steps WHERE dossier_code = ?", [code])
            _put_steps(store, [{**s, "MaHoSo": code} for s in steps if isinstance(s, dict)])
        return _put_records(store, [record], now, "upstream")


def _put_records(store: BackendStore, records: list, now: dt.datetime, origin: str) -> SyncResult:
    result = SyncResult()
    levels = _levels_by_agency(store)
    last_step = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM dossier_steps").fetchone()[0]
    for index, record in enumerate(records):
        try:
            read = _read_record(record, levels)
        except _Bad as bad:
            code = _text(_get(lower_keys(record), "MaHoSo")) if isinstance(record, dict) else ""
            result.problems.append(RecordProblem(index, code[:MAX_CODE] or None, str(bad)))
            continue
        dossier = read.dossier
        key = store.citizen_key(read.applicant_id) if read.applicant_id else None
        base = _dump(dossier.to_dict())
        store.db.execute(
            """INSERT INTO dossiers (code, procedure_code, status, data, applicant_key, origin, fetched_at,
                                     base, steps_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (code) DO UPDATE SET procedure_code = excluded.procedure_code,
                   status = excluded.status, data = excluded.data, applicant_key = excluded.applicant_key,
                   origin = excluded.origin, fetched_at = excluded.fetched_at, base = excluded.base,
                   steps_seen = excluded.steps_seen""",
            [dossier.code, dossier.procedure_code, dossier.status, base, key, origin,
             now.isoformat(timespec="seconds"), base, last_step],
        )
        if store.db.execute("SELECT 1 FROM dossier_steps WHERE dossier_code = ? LIMIT 1", [dossier.code]).fetchone():
            _rebuild(store, dossier.code)
        result.accepted += 1
        if dossier.code not in result.codes:
            result.codes.append(dossier.code)
    return result


def _put_steps(store: BackendStore, steps: list) -> SyncResult:
    result = SyncResult()
    for index, step in enumerate(steps):
        try:
            code, at, values = _read_step(step)
        except _Bad as bad:
            code = _text(_get(lower_keys(step), "MaHoSo")) if isinstance(step, dict) else ""
            result.problems.append(RecordProblem(index, code[:MAX_CODE] or None, str(bad)))
            continue
        store.db.execute(
            "INSERT INTO dossier_steps (dossier_code, step_key, at, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [code, _step_key(values), at.isoformat(), _dump(values)],
        )
        result.accepted += 1
        if code not in result.codes:
            result.codes.append(code)
    for code in result.codes:
        _rebuild(store, code)
    return result


# -- out again: TraCuuHoSo -------------------------------------------------------------------


def dossier_record(store: BackendStore, code: str) -> dict[str, Any] | None:
    """A stored dossier as a `DongBoHoSoMC` record plus its steps (`QuaTrinhXuLy`): what
    `TraCuuHoSo` answers. The name is masked; no identifier or contact is kept to give."""
    stored = store.dossier_data(code)
    if stored is None:
        return None
    dossier = Dossier.from_dict(stored)
    rows = store.db.execute("SELECT data FROM dossier_steps WHERE dossier_code = ? ORDER BY at, id", [code])
    steps = [json.loads(r[0]) for r in rows]
    if not steps:  # a dossier not pushed (the sample's, say): its timeline as steps
        steps = [{
            "MaHoSo": dossier.code, "NguoiXuLy": s.holder.officer_name, "ChucDanh": s.holder.officer_title,
            "ThoiDiemXuLy": protocol_time(s.finished_at or s.started_at), "PhongBanXuLy": s.holder.department,
            "NoiDungXuLy": s.name, "TrangThai": "", "NgayBatDau": protocol_time(s.started_at),
            "NgayKetThucTheoQuyDinh": protocol_time(s.due_at),
        } for s in dossier.timeline if s.started_at]
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure_code,
        "TenTTHC": dossier.procedure_name,
        "TenLinhVuc": dossier.field_name,
        "ChuHoSo": dossier.applicant_name,
        "NgayTiepNhan": protocol_time(dossier.received_at),
        "NgayHenTra": protocol_time(dossier.due_at),
        "NgayTra": protocol_time(dossier.returned_at),
        "NgayKetThucXuLy": protocol_time(dossier.completed_at),
        "TrangThaiHoSo": str(dossier.status),
        "HinhThuc": "0" if dossier.channel == "in_person" else "1",
        "DonViXuLy": dossier.holder.agency if dossier.holder else "",
        "ThongTinTra": dossier.collection.place if dossier.collection else "",
        "DanhSachLePhi": [{"TenPhiLePhi": f.description, "Gia": str(f.amount_vnd)}
                          for f in (dossier.fees or dossier.fees_outstanding)],
        "DanhSachHoSoBoSung": [{"NoiDungBoSung": text} for text in dossier.requested_documents],
        "DanhSachGiayToKetQua": [{"TenGiayTo": name} for name in dossier.results],
        "QuaTrinhXuLy": steps,
    }


def dossier_from_record(record: dict, steps: list[dict], levels_by_agency: dict[str, str] | None = None) -> Dossier:
    """A dossier from a record and its steps as another system answers them (a `TraCuuHoSo`
    look-up upstream), without a store; ValueError says why it cannot be read."""
    try:
        read = _read_record(record, levels_by_agency or {})
    except _Bad as bad:
        raise ValueError(str(bad)) from None
    readable = []
    for step in steps:
        try:  # one unreadable step does not hide the dossier from its citizen
            readable.append(_read_step({**step, "MaHoSo": read.dossier.code}))
        except (_Bad, TypeError):
            continue
    ordered = sorted(readable, key=lambda x: x[1])
    # The record's own status stands: it is the answer to a look-up made just now.
    return Dossier.from_dict(_with_steps(read.dossier.to_dict(), [v for _, _, v in ordered], None))
