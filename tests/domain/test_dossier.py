import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import load_config, working_calendar
from kiosk.domain.dossier import Dossier, Holder, Status, Step, Timeliness, timeliness, working_days_left
from kiosk.domain.procedure import Fee

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = working_calendar(load_config())


def at(y, m, d, h=16, mi=30):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


def dossier(status, due=None, completed=None):
    return Dossier(
        code="01.53.H08-250429-0001", procedure_code="1.001193.000.00.00.H08",
        procedure_name="Thủ tục đăng ký khai sinh", applicant_name="Nguyễn Văn An",
        status=status, received_at=at(2025, 4, 29, 8), due_at=due, completed_at=completed,
    )


# Received Tuesday 29 April 2025 with 3 working days: due Wednesday 7 May
# (30 April - 2 May off, 3-4 May weekend).
DUE = at(2025, 5, 7)


@pytest.mark.parametrize(
    "status, completed, now, expected",
    [
        (4, None, at(2025, 5, 2, 9), Timeliness.NOT_YET_DUE),  # a holiday, still in time
        (4, None, at(2025, 5, 7, 16, 0), Timeliness.NOT_YET_DUE),  # the due day itself
        (4, None, at(2025, 5, 8, 8, 0), Timeliness.OVERDUE),
        (5, None, at(2025, 5, 9, 8, 0), Timeliness.OVERDUE),
        (9, at(2025, 5, 6, 10), at(2025, 5, 20), Timeliness.EARLY),
        (10, at(2025, 5, 7, 9), at(2025, 5, 20), Timeliness.ON_TIME),
        # Finished on Saturday 3 May (a day off) is not a working day ahead of Monday... still early:
        # Monday 5 and Tuesday 6 are working days before the Wednesday deadline.
        (9, at(2025, 5, 3, 9), at(2025, 5, 20), Timeliness.EARLY),
        (10, at(2025, 5, 8, 9), at(2025, 5, 20), Timeliness.LATE),
    ],
)
def test_timeliness(status, completed, now, expected):
    assert dossier(status, DUE, completed).timeliness(now, CAL) is expected


def test_on_time_when_finished_over_the_weekend_before_a_monday_deadline():
    monday = at(2025, 5, 12)
    saturday = at(2025, 5, 10, 9)
    assert dossier(9, monday, saturday).timeliness(at(2025, 5, 20), CAL) is Timeliness.ON_TIME


@pytest.mark.parametrize("status", [3, 7, 8])
def test_no_deadline_for_closed_dossiers(status):
    assert dossier(status, DUE).timeliness(at(2025, 6, 1), CAL) is None


def test_working_days_left_counts_working_days_only():
    assert working_days_left(DUE, at(2025, 4, 29, 9), CAL) == 3
    assert working_days_left(DUE, at(2025, 5, 9, 9), CAL) == -2
    assert working_days_left(None, at(2025, 5, 9, 9), CAL) is None
    assert timeliness(4, DUE, None, at(2025, 5, 9, 9), CAL) is Timeliness.OVERDUE


def test_every_status_has_labels():
    for status in Status:
        assert status.label_vi and status.label_en
    for value in Timeliness:
        assert value.label_vi and value.label_en


def test_dossier_json_round_trip():
    original = dossier(6, DUE)
    original.holder = Holder("district", "Phòng Tài nguyên và Môi trường", "Bộ phận thẩm định", "Chuyên viên", "Lê Văn Tâm")
    original.timeline = [Step("Tiếp nhận", original.holder, at(2025, 4, 29, 8), None, DUE)]
    original.fees_outstanding = [Fee(250000, "Lệ phí cấp giấy chứng nhận")]
    data = original.to_dict()
    assert data["due_at"] == "2025-05-07T16:30:00+07:00"
    assert Dossier.from_dict(data) == original
