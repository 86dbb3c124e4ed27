"""A fake provincial one-stop system, run as a process of its own: it speaks the national
portal's integration protocol as NATIONAL-FORMATS.md describes it (log in for a session, then
`DongBoHoSoMC` and `CapNhatTienDoHoSoMC` calls with the session, logging in again when the
session is refused), and pushes a working month of a province's dossiers to the address given.

Standard library only, and nothing from the kiosk package: it knows the backend only by the
protocol. What it sent, what the backend answered, and what each dossier must look like after
it are written to the plan file for the test to check.

    python fake_one_stop.py URL USERNAME PASSWORD_FILE PLAN_FILE [--dossiers N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import urllib.error
import urllib.request

AGENCIES = [  # real agency-code forms: letters in the agency group, short codes, the national portal's
    ("000.00.BD.H08", "UBND xã Ân Tín"),
    ("000.A0.01.H26", "Trung tâm Phục vụ hành chính công tỉnh"),
    ("000.00.53.H48", "UBND phường Trương Quang Trọng"),
    ("38.98.H29", "UBND xã Hòa Tiến"),
    ("G22.99.08", "Cổng Dịch vụ công quốc gia"),
]
PROCEDURES = [
    ("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch"),
    ("1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch"),
    ("1.004227", "Thủ tục cấp bản sao trích lục hộ tịch", "Hộ tịch"),
    ("1.003005", "Thủ tục đăng ký biến động quyền sử dụng đất", "Đất đai"),
    ("2.000815", "Thủ tục chứng thực bản sao từ bản chính", "Chứng thực"),
]
# A dossier's path through the national list of statuses, step by step.
PATHS = [
    [("Tiếp nhận hồ sơ", "2"), ("Thẩm định hồ sơ", "4"), ("Trình ký", "4"), ("Ký duyệt", "9"), ("Trả kết quả", "10")],
    [("Tiếp nhận hồ sơ", "2"), ("Thẩm định hồ sơ", "4"), ("Yêu cầu bổ sung", "5"), ("Nhận bổ sung", "4"),
     ("Chuyển xử lý", "4")],
    [("Tiếp nhận hồ sơ", "2"), ("Kiểm tra hồ sơ", "4"), ("Thông báo nộp thuế", "6"), ("Đã nộp thuế", "4"),
     ("Ký duyệt", "9")],
]
OFFICERS = [("Trần Thị Mỹ Duyên", "Công chức một cửa"), ("Lê Văn Hùng", "Công chức Tư pháp - Hộ tịch"),
            ("Nguyễn Thị Thu Hà", "Phó Chủ tịch UBND")]
VIETNAM = dt.timezone(dt.timedelta(hours=7))


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


class Adapter:
    """The sending side of the protocol: a session, renewed when the backend refuses it."""

    def __init__(self, url: str, username: str, password: str):
        self.url, self.username, self.password = url.rstrip("/"), username, password
        self.session = ""
        self.logins = 0

    def _post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, json.dumps(body, ensure_ascii=False).encode(),
                                         {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def log_in(self) -> None:
        status, answer = self._post("/api/v1/dvcqg/auth", {"username": self.username, "password": self.password})
        if str(answer.get("error_code")) != "0":
            raise SystemExit(f"log-in refused ({status}): {answer}")
        self.session, self.logins = answer["session"], self.logins + 1

    def call(self, service: str, **fields) -> dict:
        for _ in range(2):
            if not self.session:
                self.log_in()
            status, answer = self._post("/api/v1/dvcqg", {"session": self.session, "madonvi": "000.00.00.H08",
                                                          "service": service, **fields})
            if status != 401:
                return {"status": status, **answer}
            self.session = ""  # refused: log in again and send again, as senders to the portal do
        raise SystemExit(f"{service} refused twice after a new log-in: {answer}")


def month_of_dossiers(count: int, rng: random.Random, today: dt.date):
    """Dossiers with their records and steps, and what each must show afterwards."""
    dossiers = []
    for number in range(count):
        agency, agency_name = AGENCIES[number % len(AGENCIES)]
        code_number, procedure_name, field_name = PROCEDURES[number % len(PROCEDURES)]
        received = dt.datetime.combine(today - dt.timedelta(days=rng.randint(5, 30)), dt.time(8, 0), VIETNAM) \
            + dt.timedelta(minutes=rng.randint(0, 480))
        sequence = f"{number + 1:06d}" if agency.startswith("G22") else f"{number + 1:04d}"
        code = f"{agency}-{received:%y%m%d}-{sequence}"
        path = PATHS[number % len(PATHS)]
        moments = [received + dt.timedelta(hours=6 * k + rng.randint(0, 5), minutes=rng.randint(0, 59))
                   for k in range(len(path))]
        steps = []
        for (content, status), moment in zip(path, moments):
            officer, title = rng.choice(OFFICERS)
            steps.append({"MaHoSo": code, "NguoiXuLy": officer, "ChucDanh": title, "ThoiDiemXuLy": stamp(moment),
                          "PhongBanXuLy": "Bộ phận Tiếp nhận và Trả kết quả", "NoiDungXuLy": content,
                          "TrangThai": status, "NgayBatDau": stamp(moment),
                          "NgayKetThucTheoQuyDinh": stamp(moment + dt.timedelta(days=2))})
        record = {
            "MaHoSo": code, "MaTTHC": code_number, "TenTTHC": procedure_name, "MaLinhVuc": "", "TenLinhVuc": field_name,
            "SoBienNhan": "", "ChuHoSo": f"Phạm Văn Khách {number}", "LoaiDoiTuong": "1",
            "MaDoiTuong": f"0520{number:08d}", "ThongTinKhac": "", "Email": f"khach{number}@example.org", "Fax": "",
            "SoDienThoai": f"09{number:08d}", "TrichYeuHoSo": f"Hồ sơ của ông Phạm Văn Khách {number}",
            "NgayTiepNhan": stamp(received), "NgayHenTra": stamp(received + dt.timedelta(days=5)), "NgayTra": "",
            "NgayKetThucXuLy": "", "TrangThaiHoSo": "2", "ThongTinTra": "", "HinhThuc": "0",
            "DonViXuLy": agency_name, "GhiChu": "", "TaiLieuNop": [],
            "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "", "HinhThucThu": "", "Gia": "8000",
                               "LoaiPhiLePhi": "1"}],
            "DanhSachTepDinhKemKhac": [], "DanhSachHoSoBoSung": [], "DanhSachGiayToKetQua": [],
        }
        dossiers.append({"code": code, "record": record, "steps": steps,
                         "expected_status": int(path[-1][1]), "expected_timeline": [c for c, _ in path],
                         "id": record["MaDoiTuong"], "name": record["ChuHoSo"], "phone": record["SoDienThoai"]})
    return dossiers


def broken_records(rng: random.Random) -> list[tuple[object, str]]:
    """Records a careless sender sends, each with a word the backend's reason must contain."""
    good = {"MaTTHC": "1.001193", "TenTTHC": "Thủ tục đăng ký khai sinh", "TrangThaiHoSo": "2",
            "NgayTiepNhan": "20251201080000"}
    return [
        ({**good, "MaHoSo": ""}, "MaHoSo"),
        ({**good, "MaHoSo": "000.00.BD.H08-251201-9001", "NgayTiepNhan": "2025-13-45 99:00"}, "NgayTiepNhan"),
        ({**good, "MaHoSo": "000.00.BD.H08-251201-9002", "TrangThaiHoSo": "11"}, "TrangThaiHoSo"),
        ({**good, "MaHoSo": "000.00.BD.H08-251201-9003", "TrangThaiHoSo": ""}, "TrangThaiHoSo"),
        ({**good, "MaHoSo": "000.00.BD.H08-251201-9004", "NgayHenTra": "mai"}, "NgayHenTra"),
        ({**good, "MaHoSo": "000.00.BD.H08-251201-9005", "MaTTHC": ""}, "MaTTHC"),
        ("000.00.BD.H08-251201-9006", "record"),
    ]


def broken_steps() -> list[tuple[object, str]]:
    return [
        ({"MaHoSo": "000.00.BD.H08-251201-9101", "NoiDungXuLy": "Thẩm định", "TrangThai": "4"}, "ThoiDiemXuLy"),
        ({"MaHoSo": "000.00.BD.H08-251201-9102", "ThoiDiemXuLy": "20251202090000", "TrangThai": "99"}, "TrangThai"),
        ({"NoiDungXuLy": "Thẩm định", "ThoiDiemXuLy": "20251202090000", "TrangThai": "4"}, "MaHoSo"),
        (None, "step"),
    ]


def push(adapter: Adapter, dossiers: list[dict], rng: random.Random, batch: int) -> dict:
    answers: list[dict] = []
    broken: list[dict] = []

    def send(service: str, items: list[tuple[object, str | None]], **fields) -> None:
        answer = adapter.call(service, data=[item for item, _ in items], **fields)
        answers.append({"service": service, "count": len(items), "answer": answer})
        for index, (_, word) in enumerate(items):
            if word:
                broken.append({"service": service, "call": len(answers) - 1, "index": index, "word": word})

    def batches(items: list) -> list[list]:
        return [items[i:i + batch] for i in range(0, len(items), batch)]

    # A tenth of the dossiers have their steps sent before the dossier itself (a sender's queue
    # drained out of order); their record then carries the status they have reached.
    early = {d["code"] for d in rng.sample(dossiers, len(dossiers) // 10)}
    steps = [(s, None) for d in dossiers for s in d["steps"]]
    rng.shuffle(steps)  # out of order, across dossiers and within each
    early_steps = [s for s in steps if s[0]["MaHoSo"] in early]
    late_steps = [s for s in steps if s[0]["MaHoSo"] not in early]
    for chunk in batches(early_steps):
        send("CapNhatTienDoHoSoMC", chunk)

    records = []
    for dossier in dossiers:
        record = dict(dossier["record"])
        if dossier["code"] in early:
            record["TrangThaiHoSo"] = str(dossier["expected_status"])
        records.append((record, None))
    bad = broken_records(rng)
    for chunk_number, chunk in enumerate(batches(records)):
        # Broken records among good ones, at the start, in the middle and at the end of a batch.
        if chunk_number < len(bad):
            chunk = list(chunk)
            chunk.insert([0, len(chunk) // 2, len(chunk)][chunk_number % 3], bad[chunk_number])
        send("DongBoHoSoMC", chunk, isUpdating="False")
    for leftover in bad[len(batches(records)):]:
        send("DongBoHoSoMC", [leftover], isUpdating="False")

    bad_steps = broken_steps()
    for chunk_number, chunk in enumerate(batches(late_steps)):
        if chunk_number < len(bad_steps):
            chunk = [*chunk, bad_steps[chunk_number]]
        send("CapNhatTienDoHoSoMC", chunk)
    for leftover in bad_steps[len(batches(late_steps)):]:
        send("CapNhatTienDoHoSoMC", [leftover])
    # Retries of a sender that never saw the answer: the same steps again, once more.
    again = rng.sample(late_steps, len(late_steps) // 10)
    for chunk in batches(again):
        send("CapNhatTienDoHoSoMC", chunk)
    return {"answers": answers, "broken": broken, "early": sorted(early), "resent_steps": len(again)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("username")
    parser.add_argument("password_file")
    parser.add_argument("plan")
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.password_file, encoding="utf-8") as handle:
        password = handle.read().strip()
    adapter = Adapter(args.url, args.username, password)
    dossiers = month_of_dossiers(args.dossiers, rng, dt.date.today())
    report = push(adapter, dossiers, rng, args.batch)
    report["logins"] = adapter.logins
    report["dossiers"] = [{k: d[k] for k in ("code", "expected_status", "expected_timeline", "id", "name", "phone")}
                          for d in dossiers]
    report["steps_sent"] = sum(len(d["steps"]) for d in dossiers)
    with open(args.plan, "w", encoding="utf-8") as handle:
        json.dump(report, handle, ensure_ascii=False)


if __name__ == "__main__":
    main()
