"""The sample site shipped for the demo and the tests, and synthetic catalogues for benchmarks."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from ..domain.calendar import TIMEZONE, WorkingCalendar
from ..domain.queue import QueueConfig
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

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"


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


def sample_catalogue() -> Catalogue:
    """The three-level sample site: a district centre, its communes and the province."""
    procedures = []
    for path in sorted((SAMPLE_DIR / "procedures").glob("*.json")):
        procedures.extend(_read(path))
    return _catalogue(_read(SAMPLE_DIR / "site.json"), procedures)


def two_level_catalogue() -> Catalogue:
    """A small catalogue of a province whose communes report to it directly."""
    data = _read(SAMPLE_DIR / "two_levels.json")
    return _catalogue(data, data["procedures"])


def sample_dossiers(
    catalogue: Catalogue, calendar: WorkingCalendar, today: dt.date
) -> list[Dossier]:
    """The sample dossiers, their dates placed around `today` so that every status and
    timeliness stays true whenever the demo runs. Offsets in the file are working days."""
    names = {p.code: p.name for p in catalogue.procedures}
    agencies = {a.code: a for a in catalogue.agencies}
    anchor = today if calendar.is_working_day(today) else calendar.add_working_days(today, -1)

    def at(offset: int | None, hour: int, minute: int = 0) -> dt.datetime | None:
        if offset is None:
            return None
        day = calendar.add_working_days(anchor, offset)
        return dt.datetime.combine(day, dt.time(hour, minute), TIMEZONE)

    dossiers = []
    for spec in _read(SAMPLE_DIR / "dossiers.json")["dossiers"]:
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
                code=f"{spec['agency']}-{received:%y%m%d}-{spec['seq']:04d}",
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
    """The sample site's levels, fields and agencies with `count` generated procedures."""
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
                code=f"9.{number:06d}.000.00.00.H08",
                name=name,
                levels=[rng.choice(level_codes)],
                field=rng.choice(field_codes),
                agencies=["Ủy ban nhân dân cấp huyện"],
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


def sample_queue(all_day: bool = False) -> QueueConfig:
    """The sample site's services, counters and priority categories; `all_day` opens the
    services around the clock, every day (for a demo or a test run at any hour)."""
    data = _read(SAMPLE_DIR / "queue.json")
    del data["_note"]
    config = QueueConfig.from_dict(data)
    if all_day:
        for service in config.services:
            service.hours, service.days = [["00:00", "24:00"]], "all"
    return config


def load_sample_site(store: BackendStore, calendar: WorkingCalendar, today: dt.date, all_day: bool = False) -> str:
    """Fill an empty backend with the sample site; answers the catalogue version."""
    catalogue = sample_catalogue()
    version = store.replace_catalogue(catalogue)
    dossiers = sample_dossiers(catalogue, calendar, today)
    specs = _read(SAMPLE_DIR / "dossiers.json")["dossiers"]
    store.put_dossiers(dossiers, {d.code: spec["applicant_id"] for d, spec in zip(dossiers, specs)})
    TicketQueue(store, calendar).configure(sample_queue(all_day))
    return version
