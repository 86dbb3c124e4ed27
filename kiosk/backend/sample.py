"""The sample sites shipped for the demo and the tests, and synthetic catalogues for benchmarks.

Two sites (sample_data/<site>/): "two-level", the default, a province's public-administration
service centre and its communes after 1 July 2025, with real procedures of the national
database (sample_data/two-level/SOURCES.md); and "district-2019", the three-level district
site of before the reform (Hoài Ân, Bình Định), kept as history. Dossiers, applicants and
officers are invented in both.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from ..domain.calendar import TIMEZONE, WorkingCalendar
from ..domain.queue import QueueConfig
from .dossier_sync import agency_key, dossier_from_record, protocol_time, sync_dossiers, sync_steps
from .queue import TicketQueue
from .store import BackendStore
from ..domain.dossier import Collection, Dossier, Holder, Step
from ..domain.procedure import (
    Agency,
    Case,
    Catalogue,
    ChannelTerms,
    Document,
    Fee,
    Field,
    LegalBasis,
    Level,
    Procedure,
    Site,
)

SAMPLE_ROOT = Path(__file__).resolve().parent / "sample_data"
SITES = ("two-level", "district-2019")
DEFAULT_SITE = "two-level"
SAMPLE_DIR = SAMPLE_ROOT / DEFAULT_SITE
"""The default sample site's folder."""


def site_dir(site: str) -> Path:
    if site not in SITES:
        raise ValueError(f"unknown sample site {site!r}: one of {', '.join(SITES)}")
    return SAMPLE_ROOT / site


def _read(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _catalogue(site: dict[str, Any], procedures: list[dict[str, Any]]) -> Catalogue:
    return Catalogue(
        version="",
        site=Site.from_dict(site["site"]),
        levels=[Level.from_dict(x) for x in site["levels"]],
        fields=[Field.from_dict(x) for x in site["fields"]],
        agencies=[Agency.from_dict(x) for x in site["agencies"]],
        procedures=[Procedure.from_dict(x) for x in procedures],
    )


def sample_procedures(site: str = DEFAULT_SITE) -> list[dict[str, Any]]:
    """The site's procedures as its files hold them, each with the `source` it came from
    (the two-level site's) left in."""
    procedures = []
    for path in sorted((site_dir(site) / "procedures").glob("*.json")):
        procedures.extend(_read(path))
    return procedures


def sample_catalogue(site: str = DEFAULT_SITE) -> Catalogue:
    """A sample site's catalogue: "two-level" (the default) or "district-2019"."""
    procedures = [{k: v for k, v in p.items() if k != "source"} for p in sample_procedures(site)]
    return _catalogue(_read(site_dir(site) / "site.json"), procedures)


def _clock(calendar: WorkingCalendar, today: dt.date) -> Any:
    """at(offset, hour, minute): the time `offset` working days from `today` (the last
    working day when today is not one), or None."""
    anchor = today if calendar.is_working_day(today) else calendar.add_working_days(today, -1)

    def at(offset: int | None, hour: int, minute: int = 0) -> dt.datetime | None:
        if offset is None:
            return None
        day = calendar.add_working_days(anchor, offset)
        return dt.datetime.combine(day, dt.time(hour, minute), TIMEZONE)

    return at


def _code(spec: dict[str, Any], received: dt.datetime) -> str:
    return f"{spec['agency']}-{received:%y%m%d}-{spec['seq']:0{spec.get('seq_width', 4)}d}"


def sample_records(
    catalogue: Catalogue, calendar: WorkingCalendar, today: dt.date, site: str = DEFAULT_SITE
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The site's sample dossiers as the national portal's sync protocol carries them:
    `DongBoHoSoMC` records and `CapNhatTienDoHoSoMC` steps, dated around `today` (the file
    holds working-day offsets) so that every status and timeliness shows whenever it runs.
    The two-level site's only: the district site's dossiers cross agencies at three levels,
    which one record (one processing agency) cannot say."""
    if site == "district-2019":
        raise ValueError("the district-2019 sample dossiers are not written as protocol records")
    procedures = {p.code: p for p in catalogue.procedures}
    fields = {f.code: f for f in catalogue.fields}
    agencies = {a.code: a for a in catalogue.agencies}
    at = _clock(calendar, today)
    records, steps = [], []
    for spec in _read(site_dir(site) / "dossiers.json")["dossiers"]:
        procedure = procedures[spec["procedure"]]
        received = at(spec["received"], 8, 30)
        assert received is not None
        code = _code(spec, received)
        processing = agencies[spec["processing"]]
        place = agencies[spec["collect_at"]]
        finished = spec["status"] in (9, 10)
        fees = spec.get("fees") or [
            {"amount_vnd": fee.amount_vnd, "description": "Phí, lệ phí theo quy định"}
            for terms in procedure.channels[:1] for fee in terms.fees[:1] if fee.amount_vnd
        ]
        requested = spec.get("requested_documents", [])
        asked = next((s for s in reversed(spec["steps"]) if s["start"] is not None), None)
        records.append({
            "MaHoSo": code,
            "MaTTHC": procedure.code,
            "TenTTHC": procedure.name,
            "MaLinhVuc": procedure.field,
            "TenLinhVuc": fields[procedure.field].name,
            "SoBienNhan": "",
            "ChuHoSo": spec["applicant"],
            "LoaiDoiTuong": "1",
            "MaDoiTuong": spec["applicant_id"],
            "ThongTinKhac": "", "Email": "", "Fax": "", "SoDienThoai": "",
            "TrichYeuHoSo": "",
            "NgayTiepNhan": protocol_time(received),
            "NgayHenTra": protocol_time(at(spec.get("due"), 16, 30)),
            "NgayTra": protocol_time(at(spec.get("returned"), 10)),
            "NgayKetThucXuLy": protocol_time(at(spec.get("completed"), 15, 30)),
            "TrangThaiHoSo": str(spec["status"]),
            "ThongTinTra": f"{place.name}, {place.address}",
            "HinhThuc": "0" if spec.get("channel", "in_person") == "in_person" else "1",
            "DonViXuLy": processing.name,
            "GhiChu": "Dữ liệu mẫu (SAMPLE)",
            "TaiLieuNop": [],
            "DanhSachLePhi": [{"TenPhiLePhi": f["description"], "MaPhiLePhi": "", "HinhThucThu": "",
                               "Gia": str(f["amount_vnd"]), "LoaiPhiLePhi": "1"} for f in fees],
            "DanhSachTepDinhKemKhac": [],
            "DanhSachHoSoBoSung": [{
                "HoSoBoSungId": "1", "NguoiYeuCauBoSung": asked["officer_name"] if asked else "",
                "NoiDungBoSung": "", "NgayBoSung": protocol_time(at(asked["start"], 15) if asked else None),
                "NguoiTiepNhanBoSung": "", "ThongTinTiepNhan": "", "NgayTiepNhanBoSung": "",
                "TrangThaiBoSung": "0", "DanhSachGiayToBoSung": [{"TenGiayTo": d} for d in requested],
                "DanhSachLePhiBoSung": [], "NgayHenTraTruoc": "", "NgayHenTraMoi": "",
            }] if requested else [],
            "DanhSachGiayToKetQua": [{"TenGiayTo": r, "MaThanhPhanHoSo": "", "GiayToId": "", "DuongDanTepTinKetQua": ""}
                                     for r in procedure.results[:2]] if finished else [],
        })
        for number, step in enumerate(s for s in spec["steps"] if s["start"] is not None):
            agency = agencies[step["agency"]]
            # The protocol names one processing agency a dossier; a step elsewhere says where.
            department = step["department"]
            if agency.code != processing.code:
                department = f"{department}, {agency.name}"
            started = at(step["start"], 8, 30 + number)
            steps.append({
                "MaHoSo": code,
                "NguoiXuLy": step["officer_name"],
                "ChucDanh": step["officer_title"],
                "ThoiDiemXuLy": protocol_time(started),
                "PhongBanXuLy": department,
                "NoiDungXuLy": step["name"],
                "TrangThai": "",
                "NgayBatDau": protocol_time(started),
                "NgayKetThucTheoQuyDinh": protocol_time(at(step.get("due"), 16, 30)),
            })
    return records, steps


def sample_dossiers(
    catalogue: Catalogue, calendar: WorkingCalendar, today: dt.date, site: str = DEFAULT_SITE
) -> list[Dossier]:
    """The sample dossiers, their dates placed around `today` so that every status and
    timeliness stays true whenever the demo runs. The two-level site's are read from their
    protocol records by the same reader that loads them."""
    if site != "district-2019":
        records, steps = sample_records(catalogue, calendar, today, site)
        levels = {agency_key(a.name): a.level for a in catalogue.agencies}
        return [dossier_from_record(r, [s for s in steps if s["MaHoSo"] == r["MaHoSo"]], levels) for r in records]
    names = {p.code: p.name for p in catalogue.procedures}
    agencies = {a.code: a for a in catalogue.agencies}
    at = _clock(calendar, today)
    dossiers = []
    for spec in _read(site_dir(site) / "dossiers.json")["dossiers"]:
        received = at(spec["received"], 8, 30)
        assert received is not None
        steps = [
            Step(
                name=s["name"],
                holder=Holder(
                    level=agencies[s["agency"]].level,
                    agency=agencies[s["agency"]].name,
                    department=s.get("department", ""),
                    officer_title=s.get("officer_title", ""),
                    officer_name=s.get("officer_name", ""),
                ),
                started_at=at(s.get("start"), 8, 30),
                finished_at=at(s.get("finish"), 15, 30),
                due_at=at(s.get("due"), 16, 30),
            )
            for s in spec["steps"]
        ]
        current = next((s for s in steps if s.started_at and not s.finished_at), None)
        completed = at(spec.get("completed"), 15, 30)
        place = agencies[spec["collect_at"]]
        dossiers.append(
            Dossier(
                code=_code(spec, received),
                procedure_code=spec["procedure"],
                procedure_name=names[spec["procedure"]],
                applicant_name=spec["applicant"],
                status=spec["status"],
                received_at=received,
                due_at=at(spec.get("due"), 16, 30),
                completed_at=completed,
                returned_at=at(spec.get("returned"), 10),
                channel=spec.get("channel", "in_person"),
                holder=current.holder if current else None,
                timeline=steps,
                fees_outstanding=[Fee.from_dict(f) for f in spec.get("fees", [])],
                requested_documents=spec.get("requested_documents", []),
                collection=Collection(
                    place=f"Bộ phận Tiếp nhận và Trả kết quả - {place.name}, {place.address}".rstrip(", "),
                    available_from=completed or at(spec.get("due"), 8),
                    note=spec.get("collect_note", ""),
                ),
                note=spec.get("note", ""),
            )
        )
    return dossiers


# Words to build synthetic but realistic-looking procedures from.
_ACTS = ["Cấp", "Cấp lại", "Cấp đổi", "Điều chỉnh", "Gia hạn", "Đăng ký", "Xác nhận", "Thẩm định", "Công nhận", "Thu hồi"]
_OBJECTS = [
    "giấy phép", "giấy chứng nhận", "chứng chỉ hành nghề", "văn bản chấp thuận", "quyết định hỗ trợ",
    "giấy xác nhận", "thẻ", "bản sao trích lục", "hồ sơ đăng ký", "giấy đăng ký",
]
_TOPICS = [
    "kinh doanh dịch vụ lữ hành", "hoạt động thủy sản", "khai thác nước mặt", "cơ sở giáo dục mầm non",
    "nhà ở riêng lẻ", "hộ kinh doanh", "phương tiện thủy nội địa", "cơ sở bán lẻ thuốc", "trang trại chăn nuôi",
    "điểm cung cấp dịch vụ trò chơi điện tử", "cơ sở in", "cửa hàng xăng dầu", "hợp tác xã nông nghiệp",
    "cơ sở trợ giúp xã hội", "tổ chức lễ hội", "quảng cáo ngoài trời", "vận tải hành khách", "giống cây trồng",
]


def synthetic_catalogue(count: int, seed: int = 0) -> Catalogue:
    """The default sample site's levels, fields and agencies with `count` generated procedures."""
    base = sample_catalogue()
    rng = random.Random(seed)
    level_codes = [x.code for x in base.levels]
    field_codes = [x.code for x in base.fields]
    procedures = []
    for number in range(count):
        name = f"{rng.choice(_ACTS)} {rng.choice(_OBJECTS)} {rng.choice(_TOPICS)}"
        days = rng.choice([1, 3, 5, 7, 10, 15, 20, 30])
        fee = Fee(rng.choice([0, 20_000, 50_000, 100_000, 500_000]), "Lệ phí theo quy định")
        documents = [
            Document(f"Giấy tờ số {k + 1} cho {name.lower()}", originals=1, copies=rng.randint(0, 2),
                     form=f"Mẫu số {k + 1:02d}" if k == 0 else None)
            for k in range(rng.randint(2, 6))
        ]
        procedures.append(
            Procedure(
                code=f"9.{number:06d}",
                name=name,
                levels=[rng.choice(level_codes)],
                field=rng.choice(field_codes),
                agencies=[rng.choice(["Ủy ban nhân dân cấp xã", "Ủy ban nhân dân cấp tỉnh"])],
                channels=[
                    ChannelTerms(c, f"{days:02d} ngày làm việc", days, [fee])
                    for c in ("in_person", "online", "postal")
                ],
                cases=[Case("", documents, ["Nộp hồ sơ", "Tiếp nhận và kiểm tra", "Thẩm định", "Trả kết quả"])],
                results=[name.split(" ", 1)[1].capitalize()],
                legal_basis=[LegalBasis("01/2025/NĐ-CP", "Nghị định mẫu (dữ liệu tổng hợp)")],
                online_level=rng.choice(["full", "partial", "none"]),
            )
        )
    base.procedures = procedures
    return base


def sample_queue(all_day: bool = False, site: str = DEFAULT_SITE) -> QueueConfig:
    """The sample site's services, counters and priority categories; `all_day` opens the
    services around the clock, every day (for a demo or a test run at any hour)."""
    data = _read(site_dir(site) / "queue.json")
    del data["_note"]
    config = QueueConfig.from_dict(data)
    if all_day:
        for service in config.services:
            service.hours, service.days = [["00:00", "24:00"]], "all"
    return config


class SampleLoadError(RuntimeError):
    """The sample dossiers did not all go through the sync protocol's reader."""


def load_sample_site(
    store: BackendStore, calendar: WorkingCalendar, today: dt.date, all_day: bool = False,
    site: str = DEFAULT_SITE,
) -> str:
    """Fill an empty backend with a sample site; answers the catalogue version. The
    two-level site's dossiers go in as a one-stop system sends them, through the national
    portal's sync protocol (`DongBoHoSoMC`, then `CapNhatTienDoHoSoMC`)."""
    catalogue = sample_catalogue(site)
    version = store.replace_catalogue(catalogue)
    if site == "district-2019":
        dossiers = sample_dossiers(catalogue, calendar, today, site)
        specs = _read(site_dir(site) / "dossiers.json")["dossiers"]
        store.put_dossiers(dossiers, {d.code: spec["applicant_id"] for d, spec in zip(dossiers, specs)})
    else:
        records, steps = sample_records(catalogue, calendar, today, site)
        now = dt.datetime.combine(today, dt.time(12), TIMEZONE)
        for result in (sync_dossiers(store, records, False, now), sync_steps(store, steps, now)):
            if result.problems:
                raise SampleLoadError(f"sample dossiers refused: {result.problems[:3]}")
    TicketQueue(store, calendar).configure(sample_queue(all_day, site))
    return version
