"""Dossiers (hồ sơ): national status codes, holders, timelines and timeliness."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from ..i18n import N_, Message, translate
from .calendar import WorkingCalendar
from .procedure import Fee
from .serial import JsonMixin


class _Labelled:
    """Words for an enum member, from LABELS below: in English, and in Vietnamese through the
    translation catalogue (the API carries both, for clients without the catalogue)."""

    @property
    def label(self) -> Message:
        return Message(LABELS[self])

    @property
    def label_vi(self) -> str:
        return translate(LABELS[self], "vi")

    @property
    def label_en(self) -> str:
        return LABELS[self]


class Status(_Labelled, enum.IntEnum):
    """The national list of dossier statuses."""

    REGISTERED = 1
    RECEIVED = 2
    REJECTED = 3
    PROCESSING = 4
    MORE_DOCUMENTS = 5
    FEES_DUE = 6
    WITHDRAWN = 7
    STOPPED = 8
    PROCESSED = 9
    RETURNED = 10


# In English; Vietnamese from the translation catalogue (the national list's own words).
STATUS_LABELS = {
    Status.REGISTERED: N_("Newly registered"),
    Status.RECEIVED: N_("Received"),
    Status.REJECTED: N_("Not accepted"),
    Status.PROCESSING: N_("Being processed"),
    Status.MORE_DOCUMENTS: N_("More documents requested"),
    Status.FEES_DUE: N_("Fees or taxes to pay"),
    Status.WITHDRAWN: N_("Withdrawn by the applicant"),
    Status.STOPPED: N_("Processing stopped"),
    Status.PROCESSED: N_("Processed, result ready"),
    Status.RETURNED: N_("Result returned"),
}

# Statuses whose dossier will not be processed to the end: no deadline applies.
_CLOSED_UNFINISHED = {Status.REJECTED, Status.WITHDRAWN, Status.STOPPED}
_FINISHED = {Status.PROCESSED, Status.RETURNED}


class Timeliness(_Labelled, str, enum.Enum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"
    NOT_YET_DUE = "not_yet_due"


TIMELINESS_LABELS = {
    Timeliness.EARLY: N_("Finished early"),
    Timeliness.ON_TIME: N_("Finished on time"),
    Timeliness.LATE: N_("Finished late"),
    Timeliness.OVERDUE: N_("Overdue"),
    Timeliness.NOT_YET_DUE: N_("Not yet due"),
}

LABELS: dict[enum.Enum, str] = {**STATUS_LABELS, **TIMELINESS_LABELS}


@dataclass
class Holder(JsonMixin):
    """Who has the dossier in hand."""

    level: str
    agency: str
    department: str = ""
    officer_title: str = ""
    officer_name: str = ""


@dataclass
class Step(JsonMixin):
    name: str
    holder: Holder
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    due_at: dt.datetime | None = None


@dataclass
class Collection(JsonMixin):
    """Where and from when the result can be collected."""

    place: str
    available_from: dt.datetime | None = None
    note: str = ""


@dataclass
class Dossier(JsonMixin):
    code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    status: int
    received_at: dt.datetime
    due_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    channel: str = "in_person"
    holder: Holder | None = None
    timeline: list[Step] = field(default_factory=list)
    fees_outstanding: list[Fee] = field(default_factory=list)
    requested_documents: list[str] = field(default_factory=list)
    collection: Collection | None = None
    note: str = ""
    field_name: str = ""
    """The procedure's field (lĩnh vực), as the sending system names it."""
    fees: list[Fee] = field(default_factory=list)
    """Every fee of the dossier, paid or not; `fees_outstanding` are those still to pay."""
    results: list[str] = field(default_factory=list)
    """The papers the citizen gets back (giấy tờ kết quả)."""

    def timeliness(self, now: dt.datetime, calendar: WorkingCalendar) -> Timeliness | None:
        return timeliness(self.status, self.due_at, self.completed_at, now, calendar)


@dataclass
class DossierReport:
    """A dossier as the backend shows it to a kiosk: the applicant's name masked,
    timeliness judged by the backend's calendar."""

    dossier: Dossier
    timeliness: Timeliness | None
    working_days_left: int | None


def timeliness(
    status: int,
    due_at: dt.datetime | None,
    completed_at: dt.datetime | None,
    now: dt.datetime,
    calendar: WorkingCalendar,
) -> Timeliness | None:
    """How a dossier stands against its appointment; None when no deadline applies.

    Takes the few values it needs rather than a Dossier, so that a server can
    answer from stored JSON without rebuilding the whole object."""
    if Status(status) in _CLOSED_UNFINISHED or due_at is None:
        return None
    finished = completed_at if Status(status) in _FINISHED else None
    if finished is None:
        return Timeliness.NOT_YET_DUE if now <= due_at else Timeliness.OVERDUE
    if finished > due_at:
        return Timeliness.LATE
    # Early means finished on a working day before the due day; finishing on the due
    # day, or over the weekend just before it, is on time.
    day = dt.timedelta(days=1)
    if calendar.working_days_between(finished.date() - day, due_at.date() - day) >= 1:
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def working_days_left(due_at: dt.datetime | None, now: dt.datetime, calendar: WorkingCalendar) -> int | None:
    """Working days from today to the appointment date (negative once overdue)."""
    if due_at is None:
        return None
    return calendar.working_days_between(now.date(), due_at.date())
