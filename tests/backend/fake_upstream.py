"""A fake adapter of a province's one-stop system, speaking the national portal's integration
protocol, for tests and benchmarks: run as its own process.

    python fake_upstream.py DATA.json [--session-calls N]

DATA.json: {"accounts": {"user": "password"}, "dossiers": {code: record with its steps under
"QuaTrinhXuLy"}, "procedures": [procedure records]}. It listens on 127.0.0.1 on a free port and
prints "listening on http://127.0.0.1:PORT".

    POST /auth         {"username", "password"} -> {"session", "error_code": 0}
    POST /integration  {"session", "madonvi", "service", ...}: TraCuuHoSo, LayDanhSachTTHC, LayThuTuc
    POST /control      {"mode": ..., "expire": true, "session_calls": N}: how it behaves from now on
    GET  /stats        what it was asked: {"logins", "failed_logins", "refused", "calls": {service: n}}

Modes: "normal"; "wrap" (answers as {"message": "<the JSON as text>"}, as one province's proxy
does); "hang" (never answers); "garbage" (HTML, not JSON); "huge" (a 20 MB JSON body, chunked,
without a length); "bomb" (a small gzip body that inflates to 200 MB); "deep" (JSON nested 64
deep, which a parser reads). A session stops working after `session_calls` calls (0: never) or
when told to expire; it is then refused as this backend's own endpoint refuses it (HTTP 401, "session_expired").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import sys
import zlib
from collections import Counter

from aiohttp import web

VIETNAM = dt.timezone(dt.timedelta(hours=7))

CITIZEN_ID, PHONE = "052090000001", "0905123456"
"""Personal data in the records, which the backend must not keep."""


def code(sequence: int) -> str:
    """The provincial form seen on Quảng Ngãi's receipts (agency 000.00.53.H48, yymmdd,
    sequence); the sequences are invented."""
    return f"000.00.53.H48-251103-{sequence:04d}"


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


def record(sequence: int, steps_key: str | None = "QuaTrinhXuLy") -> dict:
    """A TraCuuHoSo record with its steps, as the fake answers it (our own backend's shape)."""
    received = dt.datetime.now(VIETNAM).replace(microsecond=0) - dt.timedelta(days=3)
    found = {
        "MaHoSo": code(sequence), "MaTTHC": "1.001193", "TenTTHC": "Thủ tục đăng ký khai sinh",
        "MaLinhVuc": "", "TenLinhVuc": "Hộ tịch", "ChuHoSo": "Nguyễn Văn An", "LoaiDoiTuong": "1",
        "MaDoiTuong": CITIZEN_ID, "SoDienThoai": PHONE, "Email": "", "TrichYeuHoSo": "",
        "NgayTiepNhan": stamp(received), "NgayHenTra": stamp(received + dt.timedelta(days=7)),
        "NgayTra": "", "NgayKetThucXuLy": "", "TrangThaiHoSo": "4", "HinhThuc": "0",
        "DonViXuLy": "UBND phường Trương Quang Trọng", "ThongTinTra": "Bộ phận một cửa phường",
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí đăng ký khai sinh", "Gia": "0"}],
    }
    if steps_key:
        found[steps_key] = [
            {"MaHoSo": code(sequence), "NguoiXuLy": "Trần Thị Bình", "ChucDanh": "Công chức một cửa",
             "ThoiDiemXuLy": stamp(received), "PhongBanXuLy": "Bộ phận một cửa", "NoiDungXuLy": "Tiếp nhận hồ sơ",
             "TrangThai": "2", "NgayBatDau": stamp(received), "NgayKetThucTheoQuyDinh": ""},
            {"MaHoSo": code(sequence), "NguoiXuLy": "Lê Văn Cường", "ChucDanh": "Công chức tư pháp - hộ tịch",
             "ThoiDiemXuLy": stamp(received + dt.timedelta(hours=2)), "PhongBanXuLy": "Tư pháp - hộ tịch",
             "NoiDungXuLy": "Thẩm định hồ sơ", "TrangThai": "4", "NgayBatDau": "", "NgayKetThucTheoQuyDinh": ""},
        ]
    return found


class Fake:
    def __init__(self, data: dict, session_calls: int):
        self.accounts = data.get("accounts", {})
        self.dossiers = {key.upper(): value for key, value in data.get("dossiers", {}).items()}
        self.procedures = data.get("procedures", [])
        self.session_calls = session_calls
        self.sessions: dict[str, int] = {}  # session -> calls left (None: unlimited)
        self.mode = "normal"
        self.stats = {"logins": 0, "failed_logins": 0, "refused": 0, "calls": Counter()}

    async def answer(self, body: dict, status: int = 200) -> web.StreamResponse:
        if self.mode == "hang":
            await asyncio.sleep(3600)
        if self.mode == "garbage":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if self.mode == "bomb":
            return web.Response(body=bomb(), headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
        if self.mode == "deep":
            return web.Response(text="[" * 64 + "]" * 64, content_type="application/json")
        text = json.dumps(body, ensure_ascii=False)
        if self.mode == "wrap":
            text = json.dumps({"message": text}, ensure_ascii=False)
        return web.Response(text=text, status=status, content_type="application/json")

    async def auth(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "huge":
            return await huge(request)
        data = await request.json()
        if self.accounts.get(data.get("username")) != data.get("password") or not data.get("password"):
            self.stats["failed_logins"] += 1
            return await self.answer({"error_code": 1, "message": "Sai tên đăng nhập hoặc mật khẩu"}, 401)
        self.stats["logins"] += 1
        session = secrets.token_hex(16)
        self.sessions[session] = self.session_calls or None
        return await self.answer({"session": session, "error_code": 0, "message": "OK"})

    async def integration(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "huge":
            return await huge(request)
        data = await request.json()
        service = str(data.get("service"))
        left = self.sessions.get(data.get("session"), 0)
        if left is not None and left <= 0:
            self.stats["refused"] += 1
            return await self.answer({"error_code": "session_expired", "message": "Phiên làm việc đã hết hạn"}, 401)
        if left is not None:
            self.sessions[data["session"]] = left - 1
        self.stats["calls"][service] += 1
        if service == "TraCuuHoSo":
            record = self.dossiers.get(str(data.get("mahoso", "")).upper())
            return await self.answer({"error_code": "00", "message": "OK", "result": [record] if record else []})
        if service == "LayDanhSachTTHC":
            listed = [{"MATTHC": code_of(r), "TENTTHC": key(r, "TENTTHC")} for r in self.procedures if code_of(r)]
            return await self.answer({"error_code": "00", "result": listed})
        if service == "LayThuTuc":
            wanted = str(data.get("maTTHC", "")).strip()
            found = [r for r in self.procedures if code_of(r) == wanted]
            return await self.answer({"error_code": "00", "result": found[:1]})
        return await self.answer({"error_code": "99", "message": f"Không có dịch vụ {service}"})

    async def control(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.mode = data.get("mode", self.mode)
        if data.get("expire"):
            self.sessions = {session: 0 for session in self.sessions}
        if "session_calls" in data:
            self.session_calls = int(data["session_calls"])
        return web.json_response({"mode": self.mode})

    async def stats_view(self, _request: web.Request) -> web.Response:
        return web.json_response({**self.stats, "calls": dict(self.stats["calls"])})


def key(record: object, name: str) -> object:
    """A record's value under `name` in any case (MATTHC, MaTTHC): senders differ."""
    if not isinstance(record, dict):
        return None
    return next((v for k, v in record.items() if isinstance(k, str) and k.upper() == name), None)


def code_of(record: object) -> str:
    value = key(record, "MATTHC")
    return value.strip() if isinstance(value, str) else ""


_BOMB: list[bytes] = []


def bomb() -> bytes:
    """A gzip body of about 200 kB that inflates to 200 MB of JSON; made once, a chunk at a time."""
    if not _BOMB:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [packer.compress(b'{"error_code": "00", "result": ["')]
        parts += [packer.compress(b" " * (1024 * 1024)) for _ in range(200)]
        parts += [packer.compress(b'"]}'), packer.flush()]
        _BOMB.append(b"".join(parts))
    return _BOMB[0]


async def huge(request: web.Request) -> web.StreamResponse:
    """20 MB of JSON, chunked: no length to refuse it by before reading."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        await response.write(b'{"error_code": "00", "result": ["')
        for _ in range(20):
            await response.write(b"x" * (1024 * 1024))
        await response.write(b'"]}')
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client stopped reading, as it should
    return response


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data")
    parser.add_argument("--session-calls", type=int, default=0)
    args = parser.parse_args()
    with open(args.data, encoding="utf-8") as handle:
        fake = Fake(json.load(handle), args.session_calls)
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/auth", fake.auth)
    app.router.add_post("/integration", fake.integration)
    app.router.add_post("/control", fake.control)
    app.router.add_get("/stats", fake.stats_view)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
