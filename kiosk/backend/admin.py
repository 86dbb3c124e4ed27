"""The staff's pages at /admin: log in, the terminals with their health and configuration,
the queue, the day's statistics and the audit log. Plain server-rendered HTML, no JavaScript.

A sub-application, so that its middleware gives every page (errors too) the security
headers and an HTML answer, while /api/v1 keeps its JSON errors."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from ..domain.dossier import Status, Timeliness
from ..domain.queue import display_number
from ..domain.rating import RATING_LEVELS
from ..domain.terminal import IDLE_TIMEOUTS, LANGUAGES, PRINTER_DRIVERS, PrinterSettings, TerminalConfig
from .accounts import USERNAME, Session, check_password, decoy_hash
from .errors import RequestError
from .http import (ACCOUNTS, CLOCK, INTEGRATIONS, QUEUE, STORE, TERMINALS, RateLimit, client_address, is_https,
                   path_int)
from .terminal_api import config_changes, daily_stats, stats_day, unknown_services

PREFIX = "/admin"
LOGIN = f"{PREFIX}/login"
SESSION_COOKIE = "kiosk_admin"
LOGIN_COOKIE = "kiosk_admin_login"
"""Before there is a session, the login form's CSRF token is checked against this cookie."""
ONLINE_WITHIN = dt.timedelta(minutes=3)  # kiosks send a heartbeat a minute: three missed is offline
FAILED_LOGIN_DELAY = 0.5  # seconds before a refused login is answered: guessing goes slower
ADDRESS_FAILURES = 20
"""Failed logins from one address in ADDRESS_PERIOD after which it may not try again until it ends."""
ADDRESS_PERIOD = 15 * 60.0
AUDIT_PAGE = 100

SESSION = "admin_session"  # the request's Session, or None
LOGIN_LIMIT = web.AppKey("admin_login_limit", RateLimit)

_TEMPLATES = Path(__file__).with_name("templates") / "admin"
_pages = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _when(text: str | None) -> str:
    """A stored time the Vietnamese way: day/month/year."""
    return dt.datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M:%S") if text else "—"


_pages.filters["when"] = _when
# The one stylesheet is inline, allowed by its hash: the policy can then forbid every other style and script.
_STYLE = (_TEMPLATES / "admin.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
SECURITY_HEADERS = {
    "Content-Security-Policy": f"default-src 'self'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

DEVICE_VI = {"ok": "Bình thường", "paper_low": "Sắp hết giấy", "paper_out": "Hết giấy",
             "offline": "Mất kết nối", "absent": "Không có", "unknown": "Không rõ"}
"""The states of printer, scanner and card reader that heartbeats report."""
STATE_VI = {"online": "Đang hoạt động", "offline": "Mất liên lạc", "never": "Chưa kết nối",
            "revoked": "Đã thu hồi"}
LANGUAGE_VI = {"vi": "Tiếng Việt", "en": "Tiếng Anh"}
ACTION_VI = {
    "login": "Đăng nhập", "login_failed": "Đăng nhập không thành công", "account_locked": "Tạm khóa tài khoản",
    "logout": "Đăng xuất", "admin_added": "Thêm tài khoản quản trị",
    "terminal_added": "Thêm kiosk", "enrolment_code_issued": "Cấp mã đăng ký kiosk",
    "terminal_enrolled": "Kiosk tự đăng ký", "terminal_config_changed": "Sửa cấu hình kiosk",
    "terminal_revoked": "Thu hồi kiosk",
    "integration_added": "Thêm tài khoản hệ thống một cửa", "integration_revoked": "Thu hồi tài khoản hệ thống một cửa",
    "integration_login": "Hệ thống một cửa đăng nhập",
    "integration_login_failed": "Hệ thống một cửa đăng nhập không thành công",
    "dossiers_synced": "Nhận hồ sơ từ hệ thống một cửa", "dossiers_imported": "Nhập hồ sơ từ tệp",
}
# TerminalConfig.problems() speak English to programs; staff read these, keyed by the field named first.
PROBLEM_VI = {
    "office_name": "Tên đơn vị dài quá 200 ký tự.",
    "default_language": "Ngôn ngữ mặc định phải là tiếng Việt hoặc tiếng Anh.",
    "idle_timeout_seconds": "Thời gian chờ phải là số giây từ {} đến {}.".format(*IDLE_TIMEOUTS),
    "printer.driver": "Loại máy in không hợp lệ.",
    "services": "Chỉ chọn được các dịch vụ của hàng đợi.",
}
DONE_VI = {
    "saved": "Đã lưu cấu hình. Kiosk nhận cấu hình mới ở lần báo trạng thái tiếp theo (khoảng một phút).",
    "unchanged": "Cấu hình không thay đổi.",
    "revoked": "Đã thu hồi: mã truy cập của kiosk này không còn dùng được.",
    "integration_revoked": "Đã thu hồi: tài khoản này không đăng nhập được nữa, các phiên của nó đã hết.",
}


# -- pages and answers ----------------------------------------------------------------------

def _page(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    session = request.get(SESSION)
    body = _pages.get_template(template).render(
        style=Markup(_STYLE), session=session, csrf_token=session.csrf_token if session else "", **values
    )
    # Text stored before it was checked at the edge may hold half a character: shown as "?".
    return web.Response(body=body.encode("utf-8", "replace"), status=status, content_type="text/html",
                        charset="utf-8")


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _set_cookie(request: web.Request, response: web.Response, name: str, value: str, max_age: int) -> None:
    # Secure only over https, so that a plain-http test or demo can still log in.
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="Strict",
                        secure=is_https(request) or None)


async def _form(request: web.Request) -> Any:
    """The posted form; a body that is not one is a 400 page, not a server error."""
    try:
        return await request.post()
    except ValueError:  # what aiohttp raises for a broken multipart body
        raise RequestError(400, "bad_form", "Biểu mẫu gửi lên không đọc được.") from None


def _text(form: Any, name: str) -> str:
    """A form field as text; a file or a missing field is empty."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _check_csrf(sent: str, expected: str) -> None:
    if not (expected and expected.isascii() and sent.isascii()) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise RequestError(403, "csrf", "Biểu mẫu không hợp lệ hoặc đã cũ (thiếu mã chống giả mạo). "
                                        "Hãy mở lại trang và làm lại.")


@web.middleware
async def _admin_pages(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    # Session tokens are URL-safe ASCII: a cookie of other bytes is no session, not a server error.
    request[SESSION] = (request.config_dict[ACCOUNTS].session(token, request.config_dict[CLOCK]())
                        if token and token.isascii() else None)
    try:
        response = await handler(request)
    except RequestError as error:
        response = _page(request, "error.html", error.status, message=error.message)
    except web.HTTPException as error:
        if error.status < 400:
            error.headers.update(SECURITY_HEADERS)
            raise
        message = "Không có trang này." if error.status == 404 else f"Không thực hiện được ({error.reason})."
        response = _page(request, "error.html", error.status, message=message)
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
    response.headers.update(SECURITY_HEADERS)
    return response


def _staff(handler: Callable[[web.Request, Session], Awaitable[web.Response]]
           ) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A page for logged-in staff only; a form sent to it must carry the session's CSRF token."""

    @functools.wraps(handler)
    async def page(request: web.Request) -> web.Response:
        session = request[SESSION]
        if session is None:
            return _see_other(LOGIN)
        if request.method == "POST":
            _check_csrf(_text(await _form(request), "csrf_token"), session.csrf_token)
        return await handler(request, session)

    return page


def _audit(request: web.Request, who: str, action: str, target: str, detail: dict) -> None:
    request.config_dict[STORE].audit(who, action, target, detail, request.config_dict[CLOCK]())


# -- logging in and out ---------------------------------------------------------------

async def home(request: web.Request) -> web.Response:
    return _see_other(f"{PREFIX}/terminals")


def _login_page(request: web.Request, status: int = 200, message: str = "", username: str = "") -> web.Response:
    token = secrets.token_urlsafe(32)
    response = _page(request, "login.html", status, login_token=token, message=message, username=username)
    _set_cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response


async def get_login(request: web.Request) -> web.Response:
    if request[SESSION] is not None:
        return _see_other(f"{PREFIX}/terminals")
    return _login_page(request)


async def post_login(request: web.Request) -> web.Response:
    form = await _form(request)
    _check_csrf(_text(form, "csrf_token"), request.cookies.get(LOGIN_COOKIE, ""))
    username, password = _text(form, "username").strip(), _text(form, "password")
    address = client_address(request)
    accounts, limit, now = request.config_dict[ACCOUNTS], request.config_dict[LOGIN_LIMIT], request.config_dict[CLOCK]()
    if limit.full(address):
        _audit(request, "—", "login_failed", "", {"reason": "too_many_failures_from_address", "address": address})
        return _login_page(request, 429, "Đã đăng nhập sai quá nhiều lần từ máy này. Hãy thử lại sau 15 phút.",
                           username)
    stored = accounts.password_hash(username) if USERNAME.match(username) else None
    # scrypt takes tens of milliseconds: off the event loop. An unknown name is checked against
    # a decoy, so that it takes as long as a wrong password.
    right = await asyncio.to_thread(check_password, password, stored or decoy_hash())
    if stored is not None and right and not accounts.locked(username, now):
        accounts.login_succeeded(username)
        token, session = accounts.open_session(username, now)
        _audit(request, username, "login", username, {"address": address})
        response = _see_other(f"{PREFIX}/terminals")
        _set_cookie(request, response, SESSION_COOKIE, token, int((session.expires_at - now).total_seconds()))
        response.del_cookie(LOGIN_COOKIE, path=PREFIX)
        return response
    limit.note(address)
    if stored is None:
        # The typed name is not kept: it is often a password typed in the wrong box.
        _audit(request, "—", "login_failed", "", {"reason": "unknown_user", "address": address})
    elif accounts.locked(username, now):
        _audit(request, username, "login_failed", username, {"reason": "locked", "address": address})
    else:
        _audit(request, username, "login_failed", username, {"reason": "wrong_password", "address": address})
        if accounts.login_failed(username, now):
            _audit(request, username, "account_locked", username, {"minutes": 15})
    await asyncio.sleep(FAILED_LOGIN_DELAY)
    return _login_page(request, 403, "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang tạm khóa "
                                     "sau nhiều lần nhập sai (hãy đợi 15 phút).", username)


@_staff
async def post_logout(request: web.Request, session: Session) -> web.Response:
    request.config_dict[ACCOUNTS].close_session(request.cookies.get(SESSION_COOKIE, ""))
    _audit(request, session.username, "logout", session.username, {})
    response = _see_other(LOGIN)
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# -- terminals ------------------------------------------------------------------------------

def _terminal_view(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A terminal as the pages show it: its state from the age of its last heartbeat."""
    last_seen = dt.datetime.fromisoformat(row["last_seen"]) if row["last_seen"] else None
    if row["revoked_at"]:
        state = "revoked"
    elif last_seen is None:
        state = "never"
    else:
        state = "online" if now - last_seen <= ONLINE_WITHIN else "offline"
    health = row["health"] or {}
    devices = {f"{name}_vi": DEVICE_VI.get(health.get(name, ""), "—") for name in ("printer", "scanner", "card_reader")}
    return {**row, **devices, "health": health, "state": state, "state_vi": STATE_VI[state]}


@_staff
async def get_terminals(request: web.Request, session: Session) -> web.Response:
    now = request.config_dict[CLOCK]()
    terminals = [_terminal_view(row, now) for row in request.config_dict[TERMINALS].list()]
    return _page(request, "terminals.html", terminals=terminals)


def _terminal_row(request: web.Request) -> dict[str, Any]:
    text = request.match_info["id"]
    row = request.config_dict[TERMINALS].get(int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else None
    if row is None:
        raise RequestError(404, "terminal_not_found", f"Không có kiosk số {text}.")
    return row


def _terminal_page(request: web.Request, row: dict[str, Any], config: TerminalConfig, status: int = 200,
                   problems: Sequence[str] = (), message: str = "") -> web.Response:
    services = request.config_dict[QUEUE].config().services
    return _page(request, "terminal.html", status, terminal=_terminal_view(row, request.config_dict[CLOCK]()),
                 config=config, services=services, problems=problems, message=message,
                 languages=[(code, LANGUAGE_VI[code]) for code in LANGUAGES], drivers=PRINTER_DRIVERS,
                 idle_range=IDLE_TIMEOUTS)


@_staff
async def get_terminal(request: web.Request, session: Session) -> web.Response:
    row = _terminal_row(request)
    _, config = request.config_dict[TERMINALS].config(row["id"])
    return _terminal_page(request, row, config, message=DONE_VI.get(request.query.get("done", ""), ""))


def _config_from_form(form: Any, old: TerminalConfig) -> tuple[TerminalConfig, list[str]]:
    """The configuration the form describes, and what is wrong with it (in English)."""
    problems = []
    idle_text = _text(form, "idle_timeout_seconds").strip()
    if idle_text.isascii() and idle_text.isdigit() and len(idle_text) <= 6:
        idle = int(idle_text)
    else:
        problems.append("idle_timeout_seconds must be a whole number of seconds")
        idle = old.idle_timeout_seconds
    config = TerminalConfig(
        office_name=_text(form, "office_name").strip(),
        services=sorted({s for s in form.getall("services", []) if isinstance(s, str)}),
        default_language=_text(form, "default_language"),
        idle_timeout_seconds=idle,
        large_text="large_text" in form,
        printer=PrinterSettings(driver=_text(form, "printer_driver"), profile=_text(form, "printer_profile").strip(),
                                address=_text(form, "printer_address").strip()),
    )
    return config, problems + config.problems()


def _problem_vi(problem: str) -> str:
    field = problem.split()[0].rstrip(":")
    return f"{PROBLEM_VI.get(field, 'Giá trị không hợp lệ.')} ({problem})"


@_staff
async def post_terminal(request: web.Request, session: Session) -> web.Response:
    row = _terminal_row(request)
    terminals = request.config_dict[TERMINALS]
    _, old = terminals.config(row["id"])
    config, problems = _config_from_form(await _form(request), old)
    unknown = unknown_services(request.config_dict, config)
    if unknown:
        problems.append(f"services: no service has the letters {unknown}")
    if problems:
        # The old configuration stays; the form shows what was typed, to be corrected.
        return _terminal_page(request, row, config, 400, [_problem_vi(p) for p in problems])
    if config == old:
        return _see_other(f"{PREFIX}/terminals/{row['id']}?done=unchanged")
    version = terminals.set_config(row["id"], config)
    _audit(request, session.username, "terminal_config_changed", f"terminal {row['id']}",
           {"version": version, "changes": config_changes(old, config)})
    return _see_other(f"{PREFIX}/terminals/{row['id']}?done=saved")


@_staff
async def post_revoke(request: web.Request, session: Session) -> web.Response:
    row = _terminal_row(request)
    terminals = request.config_dict[TERMINALS]
    if "confirm" not in await _form(request):
        _, config = terminals.config(row["id"])
        return _terminal_page(request, row, config, 400, ["Hãy đánh dấu ô xác nhận trước khi thu hồi."])
    if terminals.revoke(row["id"], request.config_dict[CLOCK]()):
        _audit(request, session.username, "terminal_revoked", f"terminal {row['id']}", {"name": row["name"]})
    return _see_other(f"{PREFIX}/terminals/{row['id']}?done=revoked")


# -- one-stop systems that push dossiers --------------------------------------------------

@_staff
async def get_integrations(request: web.Request, session: Session) -> web.Response:
    rows = request.config_dict[INTEGRATIONS].list()
    return _page(request, "integrations.html", integrations=rows, done=DONE_VI.get(request.query.get("done", ""), ""),
                 problem="")


@_staff
async def post_integration_revoke(request: web.Request, session: Session) -> web.Response:
    number = path_int(request, "id")
    integrations = request.config_dict[INTEGRATIONS]
    row = next((r for r in integrations.list() if r["id"] == number), None)
    if row is None:
        raise RequestError(404, "not_found", "Không có tài khoản này.")
    if "confirm" not in await _form(request):
        return _page(request, "integrations.html", 400, integrations=integrations.list(), done="",
                     problem="Hãy đánh dấu ô xác nhận trước khi thu hồi.")
    if integrations.revoke(number, request.config_dict[CLOCK]()):
        _audit(request, session.username, "integration_revoked", f"integration {number}", {"name": row["name"]})
    return _see_other(f"{PREFIX}/integrations?done=integration_revoked")


# -- queue, statistics, audit log --------------------------------------------------------

@_staff
async def get_queue(request: web.Request, session: Session) -> web.Response:
    now = request.config_dict[CLOCK]()
    queue = request.config_dict[QUEUE]
    called = {
        counter: display_number(letter, number)
        for counter, letter, number in request.config_dict[STORE].db.execute(
            "SELECT counter, service, number FROM tickets WHERE status = 'called' AND day = ?", [now.date().isoformat()]
        )
    }
    return _page(request, "queue.html", services=queue.services_overview(now), counters=queue.config().counters,
                 called=called, now=now)


@_staff
async def get_stats(request: web.Request, session: Session) -> web.Response:
    now = request.config_dict[CLOCK]()
    try:
        day = stats_day(request.query.get("date") or None, now)
    except RequestError:
        raise RequestError(400, "bad_date", "Ngày không hợp lệ: hãy chọn một ngày (năm-tháng-ngày).") from None
    return _page(request, "stats.html", stats=daily_stats(request.config_dict, day, now),
                 statuses=list(Status), timeliness=[(t.value, t.label_vi) for t in Timeliness],
                 rating_levels=RATING_LEVELS)


@_staff
async def get_audit(request: web.Request, session: Session) -> web.Response:
    text = request.query.get("page", "1")
    page = int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1
    entries = request.config_dict[STORE].audit_log(AUDIT_PAGE + 1, (page - 1) * AUDIT_PAGE)
    for entry in entries:
        entry["action_vi"] = ACTION_VI.get(entry["action"], entry["action"])
        entry["detail_text"] = json.dumps(entry["detail"], ensure_ascii=False) if entry["detail"] else ""
    return _page(request, "audit.html", entries=entries[:AUDIT_PAGE], page=page,
                 more=len(entries) > AUDIT_PAGE)


def admin_app() -> web.Application:
    """The sub-application to mount at PREFIX; it reads the store and the rest from its parent."""
    admin = web.Application(middlewares=[_admin_pages])
    admin[LOGIN_LIMIT] = RateLimit(ADDRESS_FAILURES, ADDRESS_PERIOD)
    admin.router.add_get("/", home)
    admin.router.add_get("/login", get_login)
    admin.router.add_post("/login", post_login)
    admin.router.add_post("/logout", post_logout)
    admin.router.add_get("/terminals", get_terminals)
    admin.router.add_get("/terminals/{id}", get_terminal)
    admin.router.add_post("/terminals/{id}", post_terminal)
    admin.router.add_post("/terminals/{id}/revoke", post_revoke)
    admin.router.add_get("/integrations", get_integrations)
    admin.router.add_post("/integrations/{id}/revoke", post_integration_revoke)
    admin.router.add_get("/queue", get_queue)
    admin.router.add_get("/stats", get_stats)
    admin.router.add_get("/audit", get_audit)
    return admin
