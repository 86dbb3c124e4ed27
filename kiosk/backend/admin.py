"""The staff's pages at /admin: log in, the terminals with their health and configuration and
the citizens who called staff from them, the queue, the day's statistics and the audit log.
Plain server-rendered HTML, no JavaScript.

In Vietnamese, the staff's language, unless a page is asked for with ?lang=en (a link in every
page's header), which a cookie then remembers: not from the browser's Accept-Language, since many
staff computers run an English browser. The words come from the kiosk's catalogue (kiosk.i18n),
through Jinja2's i18n extension; messages are English in the code.

A sub-application, so that its middleware gives every page (errors too) the security
headers and an HTML answer, while /api/v1 keeps its JSON errors."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import functools
import hmac
import io
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from aiohttp import web
from markupsafe import Markup

from ..domain.dossier import Status, Timeliness
from ..domain.text import showable
from ..domain.rating import RATING_LEVELS, RATING_REASONS
from ..domain.terminal import HELP_DESK_LENGTH, IDLE_TIMEOUTS, LANGUAGES, PRINTER_DRIVERS, PrinterSettings, TerminalConfig
from ..i18n import N_, pick, translate
from .accounts import LOCK_AFTER, LOCK_FOR, USERNAME, Session, check_password, decoy_hash
from .errors import RequestError
from .http import (ACCOUNTS, CLOCK, INTEGRATIONS, QUEUE, SITES, STORE, TERMINALS, body_deadline, client_address,
                   csp_hash, is_https, path_int)
from .sites import Site
from .store import DEFAULT_SITE, LimitCheck
from .terminal_api import config_changes, daily_stats, stats_day, unknown_services

PREFIX = "/admin"
T = TypeVar("T")
LOGIN = f"{PREFIX}/login"
SESSION_COOKIE = "kiosk_admin"
LOGIN_COOKIE = "kiosk_admin_login"
"""Before there is a session, the login form's CSRF token is checked against this cookie."""
LANGUAGE_COOKIE = "kiosk_admin_lang"
"""The language staff chose with ?lang=; without it, Vietnamese."""
SITE_COOKIE = "kiosk_admin_site"
"""The site an account of several chose with ?site=: the pages show that site's kiosks, queue,
counters and statistics until another is chosen."""
ONLINE_WITHIN = dt.timedelta(minutes=3)  # kiosks send a heartbeat a minute: three missed is offline
FAILED_LOGIN_DELAY = 0.5  # seconds before a refused login is answered: guessing goes slower
ADDRESS_FAILURES = 20
"""Failed logins from one address in ADDRESS_PERIOD after which it may not try again until it ends."""
ADDRESS_PERIOD = 15 * 60.0
AUDIT_PAGE = 100
HELP_REFRESH_SECONDS = 30
"""How often the kiosk list, which shows the citizens calling for staff, reloads itself: the pages
have no script (the security policy allows none), so a refresh in the page's head does it."""

SESSION = web.RequestKey("admin_session", Session | None)  # the request's Session, or None
SITE = web.RequestKey("admin_site", str)
"""The site the request's pages show (`_choose_site`)."""
SITE_CHOICES = web.RequestKey("admin_sites", list)
"""The sites the request's account sees, for the header's choice."""

_TEMPLATES = Path(__file__).with_name("templates") / "admin"
def _showable(value: Any) -> Any:
    """Every value a page shows, as `showable` text (Markup is the pages' own, already safe)."""
    return showable(value) if isinstance(value, str) and not isinstance(value, Markup) else value


# The staff's pages, and the public ones (the hall display) in templates/public.
pages = jinja2.Environment(loader=jinja2.FileSystemLoader([_TEMPLATES, _TEMPLATES.parent / "public"]),
                           autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                           extensions=["jinja2.ext.i18n"], finalize=_showable)
pages.policies["ext.i18n.trimmed"] = True  # a {% trans %} block's message is one line, however it is wrapped


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return translate(message, context["lang"])


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, count: int) -> str:
    return translate(singular if count == 1 else plural, context["lang"])


@jinja2.pass_context
def _pick(context: jinja2.runtime.Context, vietnamese: str, english: str | None) -> str:
    return pick(vietnamese, english, context["lang"])


# The page's language is in its context ("lang"): one environment serves both languages.
pages.install_gettext_callables(_gettext, _ngettext, newstyle=True)
pages.globals["pick"] = _pick


def _when(text: str | None) -> str:
    """A stored time the Vietnamese way: day/month/year."""
    return dt.datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M:%S") if text else "—"


pages.filters["when"] = _when
# The one stylesheet is inline, allowed by its hash: the policy can then forbid every other style and script.
_STYLE = (_TEMPLATES / "admin.css").read_text(encoding="utf-8")
SECURITY_HEADERS = {
    "Content-Security-Policy": f"default-src 'self'; style-src {csp_hash(_STYLE)}; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

# The pages' words for codes, in English: translated when a page is drawn.
DEVICE_WORDS = {"ok": N_("Normal"), "paper_low": N_("Paper low"), "paper_out": N_("Out of paper"),
                "offline": N_("Disconnected"), "absent": N_("None"), "unknown": N_("Unknown")}
"""The states of printer, scanner and card reader that heartbeats report."""
STATE_WORDS = {"online": N_("Working"), "offline": N_("Out of contact"), "never": N_("Never connected"),
               "revoked": N_("Revoked")}
LANGUAGE_WORDS = {"vi": N_("Vietnamese"), "en": N_("English")}
ACTION_WORDS = {
    "login": N_("Logged in"), "login_failed": N_("Failed login"), "account_locked": N_("Account locked for a while"),
    "logout": N_("Logged out"), "admin_added": N_("Admin account added"), "site_added": N_("Site added"),
    "terminal_added": N_("Kiosk added"), "enrolment_code_issued": N_("Kiosk enrolment code issued"),
    "terminal_enrolled": N_("Kiosk enrolled itself"), "terminal_config_changed": N_("Kiosk configuration changed"),
    "terminal_revoked": N_("Kiosk revoked"),
    "integration_added": N_("One-stop system account added"),
    "integration_revoked": N_("One-stop system account revoked"),
    "integration_login": N_("One-stop system logged in"),
    "integration_login_failed": N_("One-stop system failed to log in"),
    "dossiers_synced": N_("Dossiers received from a one-stop system"),
    "dossiers_imported": N_("Dossiers imported from a file"),
    "help_requested": N_("A citizen called staff at a kiosk"),
    "help_answered": N_("Staff came to help at a kiosk"),
    "counter_called_next": N_("Counter called the next number"),
    "counter_recalled": N_("Counter called a number again"),
    "counter_no_show": N_("Counter marked a number not present"),
    "counter_finished": N_("Counter finished with a number"),
    "counter_transferred": N_("Counter sent a number to another service"),
    "counter_paused": N_("Counter paused"),
    "counter_resumed": N_("Counter resumed"),
}
# The kiosk's screens (kiosk/screens SCREENS) as staff know them, for the calls for help: where the
# citizen was tells staff what they were trying to do.
SCREEN_WORDS = {
    "attract": N_("Welcome screen"), "home": N_("Main menu"), "catalogue": N_("List of procedures"),
    "search": N_("Procedure search"), "procedure": N_("A procedure's details"), "dossier": N_("Dossier lookup"),
    "queue": N_("Queue number"), "rating": N_("Service rating"), "staff": N_("Staff mode"),
    "diagnostics": N_("Machine check"), "setup": N_("First setup"),
}
OTHER_SCREEN = N_("unknown ({})")
"""A screen this list does not know yet (a newer kiosk's): its name, rather than nothing."""
# TerminalConfig.problems() speak English to programs; staff read these, keyed by the field named first.
PROBLEM_WORDS = {
    "office_name": N_("The office name is longer than 200 characters."),
    "help_desk": N_("Where the information desk is: at most 200 characters."),
    "default_language": N_("The default language must be Vietnamese or English."),
    "idle_timeout_seconds": N_("The idle time must be a number of seconds from {} to {}."),
    "printer.driver": N_("The printer type is not valid."),
    "services": N_("Only the queue's services can be chosen."),
}
CONFIRM_FIRST = N_("Tick the box to confirm before revoking.")
TOO_MANY_TRIES = N_("Too many failed logins from this computer. Try again in 15 minutes.")
WRONG_LOGIN = N_("Wrong username or password, or the account is locked for a while after many wrong tries "
                 "(wait 15 minutes).")
DONE_WORDS = {
    "saved": N_("Configuration saved. The kiosk gets it with its next heartbeat (in about a minute)."),
    "unchanged": N_("The configuration did not change."),
    "revoked": N_("Revoked: this kiosk's access token no longer works."),
    "integration_revoked": N_("Revoked: this account can no longer log in, and its sessions have ended."),
    "help_answered": N_("Noted: staff came to help at that kiosk."),
    "help_answered_before": N_("Another staff member had already marked this call as answered."),
}


# -- pages and answers ----------------------------------------------------------------------

def _language(request: web.Request) -> str:
    """The pages' language: ?lang= if it names one, else the one chosen before, else Vietnamese."""
    for chosen in (request.query.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    return "vi"


def _words(request: web.Request) -> Callable[[str], str]:
    """Translates an English message into the request's language."""
    language = _language(request)
    return lambda message: translate(message, language)


def _page(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    session = request.get(SESSION)
    choices = request.get(SITE_CHOICES, [])
    body = pages.get_template(template).render(
        style=Markup(_STYLE), session=session, csrf_token=session.csrf_token if session else "",
        lang=_language(request), site=request.get(SITE, DEFAULT_SITE), site_choices=choices,
        site_query=site_query(request, request.get(SITE, DEFAULT_SITE)), **values
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
        async with body_deadline(request):
            return await request.post()
    except (ValueError, LookupError):  # a broken multipart body; a charset that is not a text encoding
        raise RequestError(400, "bad_form", N_("The form sent could not be read.")) from None


def _text(form: Any, name: str) -> str:
    """A form field as text; a file or a missing field is empty."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _check_csrf(sent: str, expected: str) -> None:
    if not (expected and expected.isascii() and sent.isascii()) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise RequestError(403, "csrf", N_("The form is not valid or is out of date (its anti-forgery code is "
                                           "missing). Open the page again and do it again."))


@web.middleware
async def _admin_pages(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    # Session tokens are URL-safe ASCII: a cookie of other bytes is no session, not a server error.
    accounts, clock = request.config_dict[ACCOUNTS], request.config_dict[CLOCK]
    request[SESSION] = await _run(request, accounts.session, token, clock()) if token and token.isascii() else None
    try:
        if request[SESSION] is not None:
            request[SITE], request[SITE_CHOICES] = await _choose_site(request, request[SESSION])
        response = await handler(request)
    except RequestError as error:
        # In the page's language when the message is one of the catalogue's.
        response = _page(request, "error.html", error.status, message=_words(request)(error.message))
    except web.HTTPException as error:
        if error.status < 400:
            error.headers.update(SECURITY_HEADERS)
            raise
        t = _words(request)
        message = t("There is no such page.") if error.status == 404 else t("Could not be done ({}).").format(error.reason)
        response = _page(request, "error.html", error.status, message=message)
        if "Allow" in error.headers:
            response.headers["Allow"] = error.headers["Allow"]
    response.headers.update(SECURITY_HEADERS)
    _remember_language(request, response)
    if SITE in request and request.query.get("site") == request[SITE] != request.cookies.get(SITE_COOKIE):
        _set_cookie(request, response, SITE_COOKIE, request[SITE], 365 * 24 * 3600)
    return response


async def _choose_site(request: web.Request, session: Session) -> tuple[str, list[Site]]:
    """The site the pages show, among those the account sees: the one ?site= names, else the one
    chosen before (a cookie), else "main" when the account sees it, else its first."""
    every = await _run(request, request.config_dict[SITES].list)
    visible = [s for s in every if session.may_see(s.code)]
    codes = [s.code for s in visible]
    if not codes:  # an account whose sites are all gone sees nothing, not "main"
        raise RequestError(403, "no_site", N_("This account may not work at this site."))
    asked = request.query.get("site")
    if asked is not None and asked not in codes:  # another site's page is none of this account's
        raise RequestError(404, "site_not_found", N_("There is no such site, or this account may not see it."))
    for chosen in (asked, request.cookies.get(SITE_COOKIE)):
        if chosen in codes:
            return chosen, visible
    return (DEFAULT_SITE if DEFAULT_SITE in codes else codes[0]), visible


def site_query(request: web.Request, site: str) -> str:
    """"site=<code>&" for an address within the pages, when the account sees several sites (the
    address then says which site it is about); nothing when it sees one."""
    return f"site={site}&" if len(request.get(SITE_CHOICES, [])) > 1 else ""


def site_of_form(request: web.Request, form: Any) -> str:
    """The site a posted form was drawn for (its hidden "site"), so that a page left open on one
    site acts there even after another tab chose another; the request's own without one."""
    sent = _text(form, "site")
    if not sent:
        return request[SITE]
    if sent not in {s.code for s in request[SITE_CHOICES]}:
        raise RequestError(403, "not_your_site", N_("This account may not work at this site."))
    return sent

def _remember_language(request: web.Request, response: web.StreamResponse) -> None:
    """A language asked for with ?lang= is kept for the pages that follow."""
    chosen = request.query.get("lang")
    if chosen in LANGUAGES and chosen != request.cookies.get(LANGUAGE_COOKIE):
        _set_cookie(request, response, LANGUAGE_COOKIE, chosen, 365 * 24 * 3600)


def _signed_in(handler: Callable[[web.Request, Session], Awaitable[web.Response]]
               ) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A page for logged-in staff of any role (the counter page); a form sent to it must carry
    the session's CSRF token."""

    @functools.wraps(handler)
    async def page(request: web.Request) -> web.Response:
        session = request[SESSION]
        if session is None:
            return _see_other(LOGIN)
        if request.method == "POST":
            _check_csrf(_text(await _form(request), "csrf_token"), session.csrf_token)
        return await handler(request, session)

    return page


def _only(allowed: Callable[[Session], bool]):
    """A page for the accounts `allowed` lets in; any other is sent to its own start page."""

    def decorate(handler: Callable[[web.Request, Session], Awaitable[web.Response]]
                 ) -> Callable[[web.Request], Awaitable[web.Response]]:
        @functools.wraps(handler)
        async def page(request: web.Request, session: Session) -> web.Response:
            if not allowed(session):
                return _see_other(_start_page(session))
            return await handler(request, session)

        return _signed_in(page)

    return decorate


_staff = _only(lambda session: session.is_admin)
"""A page for admins only: a counter officer is sent to the counter page."""
_province = _only(lambda session: session.is_province)
"""A page of the whole backend (the one-stop systems that push every site's dossiers): for an
admin of every site only; a site's admin is sent to its kiosks."""


def _start_page(session: Session) -> str:
    """Where a login leads: the kiosks for an admin, the counter page for a counter officer."""
    return f"{PREFIX}/terminals" if session.is_admin else f"{PREFIX}/counter"


def _run(request: web.Request, work: Callable[..., T], *args: Any) -> Awaitable[T]:
    """`work(*args)` on the store's thread (BackendStore.run): the event loop is not held up."""
    return request.config_dict[STORE].run(work, *args)


async def _audit(request: web.Request, who: str, action: str, target: str, detail: dict,
                 site: str | None = None) -> None:
    await _run(request, request.config_dict[STORE].audit, who, action, target, detail, request.config_dict[CLOCK](),
               site)


# -- logging in and out ---------------------------------------------------------------

async def home(request: web.Request) -> web.Response:
    session = request.get(SESSION)
    return _see_other(_start_page(session) if session else f"{PREFIX}/terminals")


def _login_page(request: web.Request, status: int = 200, message: str = "", username: str = "") -> web.Response:
    token = secrets.token_urlsafe(32)
    response = _page(request, "login.html", status, login_token=token, message=_words(request)(message),
                     username=username)
    _set_cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response


async def get_login(request: web.Request) -> web.Response:
    if request[SESSION] is not None:
        return _see_other(_start_page(request[SESSION]))
    return _login_page(request)


async def post_login(request: web.Request) -> web.Response:
    form = await _form(request)
    _check_csrf(_text(form, "csrf_token"), request.cookies.get(LOGIN_COOKIE, ""))
    username, password = _text(form, "username").strip(), _text(form, "password")
    address = client_address(request)
    accounts, store, now = request.config_dict[ACCOUNTS], request.config_dict[STORE], request.config_dict[CLOCK]()
    stored = await _run(request, accounts.password_hash, username) if USERNAME.match(username) else None
    # Every try is counted before its password is checked, in one transaction, and a right one
    # given back: tries sent all at once cannot all be checked. Per address, and per account
    # when it exists (a typed name is often a password typed in the wrong box: not kept).
    checks = [LimitCheck("admin_login_address", address, ADDRESS_FAILURES, ADDRESS_PERIOD)]
    if stored is not None:
        checks.append(LimitCheck("admin_login_account", username, LOCK_AFTER, LOCK_FOR.total_seconds()))
    full = await _run(request, store.take_limits, checks, now.timestamp())
    if full is checks[0]:
        await _audit(request, "—", "login_failed", "", {"reason": "too_many_failures_from_address", "address": address})
        return _login_page(request, 429, TOO_MANY_TRIES, username)
    if full is not None:
        # Answered as a wrong password is, so that it does not tell which names exist.
        reason = "locked" if await _run(request, accounts.locked, username, now) else "too_many_failures_of_account"
        await _audit(request, username, "login_failed", username, {"reason": reason, "address": address})
        await asyncio.sleep(FAILED_LOGIN_DELAY)
        return _login_page(request, 403, WRONG_LOGIN, username)
    # scrypt takes tens of milliseconds: off the event loop. An unknown name is checked against
    # a decoy, so that it takes as long as a wrong password.
    right = await asyncio.to_thread(check_password, password, stored or decoy_hash())
    if stored is not None and right and not await _run(request, accounts.locked, username, now):
        def log_in() -> tuple[str, Session]:
            for check in checks:
                store.give_back_limit(check.name, check.key)
            accounts.login_succeeded(username)
            opened = accounts.open_session(username, now)
            store.audit(username, "login", username, {"address": address}, now)
            return opened

        token, session = await _run(request, log_in)
        response = _see_other(_start_page(session))
        _set_cookie(request, response, SESSION_COOKIE, token, int((session.expires_at - now).total_seconds()))
        response.del_cookie(LOGIN_COOKIE, path=PREFIX)
        return response

    def refuse() -> None:
        if stored is None:
            # The typed name is not kept: it is often a password typed in the wrong box.
            store.audit("—", "login_failed", "", {"reason": "unknown_user", "address": address}, now)
        elif accounts.locked(username, now):
            store.audit(username, "login_failed", username, {"reason": "locked", "address": address}, now)
        else:
            store.audit(username, "login_failed", username, {"reason": "wrong_password", "address": address}, now)
            if accounts.login_failed(username, now):
                store.audit(username, "account_locked", username, {"minutes": 15}, now)

    await _run(request, refuse)
    await asyncio.sleep(FAILED_LOGIN_DELAY)
    return _login_page(request, 403, WRONG_LOGIN, username)


@_signed_in
async def post_logout(request: web.Request, session: Session) -> web.Response:
    await _run(request, request.config_dict[ACCOUNTS].close_session, request.cookies.get(SESSION_COOKIE, ""))
    await _audit(request, session.username, "logout", session.username, {})
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
    # English words, which the templates translate.
    devices = {f"{name}_words": DEVICE_WORDS.get(health.get(name, ""), "—") for name in ("printer", "scanner", "card_reader")}
    return {**row, **devices, "health": health, "state": state, "state_words": STATE_WORDS[state]}


def _help_calls(rows: list[dict[str, Any]], now: dt.datetime, t: Callable[[str], str]) -> list[dict[str, Any]]:
    """The open calls for staff as the kiosk list shows them: one line per kiosk, the longest
    waiting first, with its newest call's id and screen, how long ago the first came, and how many."""
    by_terminal: dict[int, list[dict[str, Any]]] = {}
    for row in rows:  # the oldest first
        by_terminal.setdefault(row["terminal_id"], []).append(row)
    calls = []
    for waiting in by_terminal.values():
        first, newest = waiting[0], waiting[-1]
        minutes = max(0, int((now - dt.datetime.fromisoformat(first["asked_at"])).total_seconds() // 60))
        screen = newest["screen"]
        calls.append({
            # Inside a message, out of reach of the pages' `finalize`: made showable here.
            "id": newest["id"], "terminal_id": newest["terminal_id"], "terminal_name": showable(newest["terminal_name"]),
            "screen_words": t(SCREEN_WORDS[screen]) if screen in SCREEN_WORDS else t(OTHER_SCREEN).format(screen),
            "ago": t("just now") if minutes < 1 else t("{} min ago").format(minutes),
            "asked_at": first["asked_at"], "count": len(waiting),
        })
    return calls


@_staff
async def get_terminals(request: web.Request, session: Session) -> web.Response:
    now = request.config_dict[CLOCK]()
    terminals = request.config_dict[TERMINALS]
    site = request[SITE]
    rows, waiting = await _run(request, lambda: (terminals.list(site), terminals.open_help_requests(site)))
    return _page(request, "terminals.html", terminals=[_terminal_view(row, now) for row in rows],
                 help_calls=_help_calls(waiting, now, _words(request)), refresh=HELP_REFRESH_SECONDS,
                 message=DONE_WORDS.get(request.query.get("done", ""), ""))


@_staff
async def post_help_answered(request: web.Request, session: Session) -> web.Response:
    """ "Came to help": the call, and that kiosk's earlier open ones, answered by this staff member."""
    number = path_int(request, "id")
    call = await _run(request, request.config_dict[TERMINALS].help_request, number)
    if call is None or not session.may_see(call["site"]):  # another site's call is none of this account's
        raise RequestError(404, "not_found", N_("There is no such call for help."))
    answered = await _run(request, request.config_dict[TERMINALS].answer_help, number, session.username,
                          request.config_dict[CLOCK]())
    if answered is None:
        raise RequestError(404, "not_found", N_("There is no such call for help."))
    if not answered:
        return _see_other(f"{PREFIX}/terminals?done=help_answered_before")
    call = await _run(request, request.config_dict[TERMINALS].help_request, number)
    await _audit(request, session.username, "help_answered", f"terminal {call['terminal_id']}",
                 {"requests": answered, "name": call["terminal_name"]}, call["site"])
    return _see_other(f"{PREFIX}/terminals?done=help_answered")


async def _terminal_row(request: web.Request) -> dict[str, Any]:
    text = request.match_info["id"]
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
    row = await _run(request, request.config_dict[TERMINALS].get, number) if number is not None else None
    if row is None or not request[SESSION].may_see(row["site"]):  # another site's kiosk is none of this account's
        t = _words(request)
        raise RequestError(404, "terminal_not_found", t("There is no kiosk number {}.").format(text))
    return row


async def _terminal_page(request: web.Request, row: dict[str, Any], config: TerminalConfig, status: int = 200,
                         problems: Sequence[str] = (), message: str = "") -> web.Response:
    services = (await _run(request, request.config_dict[QUEUE].at(row["site"]).config)).services
    return _page(request, "terminal.html", status, terminal=_terminal_view(row, request.config_dict[CLOCK]()),
                 config=config, services=services, problems=problems, message=message,
                 languages=[(code, LANGUAGE_WORDS[code]) for code in LANGUAGES], drivers=PRINTER_DRIVERS,
                 idle_range=IDLE_TIMEOUTS, help_desk_length=HELP_DESK_LENGTH)


@_staff
async def get_terminal(request: web.Request, session: Session) -> web.Response:
    row = await _terminal_row(request)
    _, config = await _run(request, request.config_dict[TERMINALS].config, row["id"])
    return await _terminal_page(request, row, config, message=DONE_WORDS.get(request.query.get("done", ""), ""))


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
        help_desk=" ".join(_text(form, "help_desk").split()),  # one line, as the pop-up shows it
    )
    return config, problems + config.problems()


def _problem_words(problem: str, t: Callable[[str], str]) -> str:
    """What is wrong, in the staff's words (through `t`), with the program's words after it."""
    field = problem.split()[0].rstrip(":")
    words = PROBLEM_WORDS.get(field) or N_("The value is not valid.")
    return f"{t(words).format(*IDLE_TIMEOUTS)} ({problem})"


@_staff
async def post_terminal(request: web.Request, session: Session) -> web.Response:
    row = await _terminal_row(request)
    terminals = request.config_dict[TERMINALS]
    _, old = await _run(request, terminals.config, row["id"])
    config, problems = _config_from_form(await _form(request), old)
    unknown = await _run(request, unknown_services, request.config_dict, config, row["id"])
    if unknown:
        problems.append(f"services: no service has the letters {unknown}")
    if problems:
        # The old configuration stays; the form shows what was typed, to be corrected.
        return await _terminal_page(request, row, config, 400, [_problem_words(p, _words(request)) for p in problems])
    if config == old:
        return _see_other(f"{PREFIX}/terminals/{row['id']}?done=unchanged")
    version = await _run(request, terminals.set_config, row["id"], config)
    await _audit(request, session.username, "terminal_config_changed", f"terminal {row['id']}",
                 {"version": version, "changes": config_changes(old, config)}, row["site"])
    return _see_other(f"{PREFIX}/terminals/{row['id']}?done=saved")


@_staff
async def post_revoke(request: web.Request, session: Session) -> web.Response:
    row = await _terminal_row(request)
    terminals = request.config_dict[TERMINALS]
    if "confirm" not in await _form(request):
        _, config = await _run(request, terminals.config, row["id"])
        return await _terminal_page(request, row, config, 400, [_words(request)(CONFIRM_FIRST)])
    if await _run(request, terminals.revoke, row["id"], request.config_dict[CLOCK]()):
        await _audit(request, session.username, "terminal_revoked", f"terminal {row['id']}", {"name": row["name"]},
                     row["site"])
    return _see_other(f"{PREFIX}/terminals/{row['id']}?done=revoked")


# -- one-stop systems that push dossiers --------------------------------------------------

@_province
async def get_integrations(request: web.Request, session: Session) -> web.Response:
    rows = await _run(request, request.config_dict[INTEGRATIONS].list)
    return _page(request, "integrations.html", integrations=rows, done=DONE_WORDS.get(request.query.get("done", ""), ""),
                 problem="")


@_province
async def post_integration_revoke(request: web.Request, session: Session) -> web.Response:
    number = path_int(request, "id")
    integrations = request.config_dict[INTEGRATIONS]
    rows = await _run(request, integrations.list)
    row = next((r for r in rows if r["id"] == number), None)
    if row is None:
        raise RequestError(404, "not_found", N_("There is no such account."))
    if "confirm" not in await _form(request):
        return _page(request, "integrations.html", 400, integrations=rows, done="",
                     problem=CONFIRM_FIRST)
    if await _run(request, integrations.revoke, number, request.config_dict[CLOCK]()):
        await _audit(request, session.username, "integration_revoked", f"integration {number}", {"name": row["name"]})
    return _see_other(f"{PREFIX}/integrations?done=integration_revoked")


# -- queue, statistics, audit log --------------------------------------------------------

@_staff
async def get_queue(request: web.Request, session: Session) -> web.Response:
    now = request.config_dict[CLOCK]()
    queue = request.config_dict[QUEUE].at(request[SITE])

    def read() -> tuple[list, list, dict]:
        called = {c["number"]: c["serving"] for c in queue.board(now)["counters"] if c["serving"]}
        return queue.services_overview(now), queue.config().counters, called

    services, counters, called = await _run(request, read)
    return _page(request, "queue.html", services=services, counters=counters, called=called, now=now)


def _stats_day(request: web.Request) -> tuple[dt.date, dt.datetime]:
    """The day the statistics are asked for (?date=, today without it), and now."""
    now = request.config_dict[CLOCK]()
    try:
        return stats_day(request.query.get("date") or None, now), now
    except RequestError:
        raise RequestError(400, "bad_date", N_("Not a valid date: choose a day (year-month-day).")) from None


@_staff
async def get_stats(request: web.Request, session: Session) -> web.Response:
    day, now = _stats_day(request)
    # Ratings' reasons are stored as the kiosks sent them, in Vietnamese: shown in English
    # when they are the kiosks' own.
    reasons = {translate(reason, "vi"): reason for reason in RATING_REASONS}
    queue = request.config_dict[QUEUE].at(request[SITE])
    services = (await _run(request, queue.config)).services
    english_names = {s.letter: s.name_en for s in services}
    stats = await _run(request, daily_stats, request.config_dict, day, now, request[SITE])
    work = await _run(request, queue.work, day)
    return _page(request, "stats.html", stats=stats, work=work, chart=_wait_chart(work["hours"]),
                 statuses=list(Status), timeliness=list(Timeliness), rating_levels=RATING_LEVELS,
                 english_reasons=reasons, english_names=english_names)


CHART_WIDTH, CHART_HEIGHT, BAR = 640, 200, 14


def _wait_chart(hours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bars of the median and 90th-percentile wait for each hour, as positions in an SVG drawn by
    the page (no script: the pages' security policy allows none)."""
    longest = max((h["wait_p90"] or 0 for h in hours), default=0) or 1
    step = CHART_WIDTH / max(len(hours), 1)
    bars = []
    for index, hour in enumerate(hours):
        for offset, key in ((0, "wait_p50"), (BAR, "wait_p90")):
            value = hour[key] or 0
            height = round(value / longest * (CHART_HEIGHT - 20))
            bars.append({"x": round(index * step + 4 + offset), "y": CHART_HEIGHT - 20 - height, "height": height,
                         "kind": key, "value": value, "hour": hour["hour"]})
    return bars


@_staff
async def get_stats_csv(request: web.Request, session: Session) -> web.Response:
    """The day's work per counter, per officer and by hour, for a spreadsheet."""
    day, _ = _stats_day(request)
    site = request[SITE]
    work = await _run(request, request.config_dict[QUEUE].at(site).work, day)
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["served", "no_show", "transferred"]
    times = ["calls", "wait_p50", "wait_p90", "served", "service_p50", "service_p90"]
    writer.writerow(["date", "kind", "who", *columns, "hour", *[f"{t}_minutes" if "_p" in t else t for t in times]])
    for row in work["counters"]:
        writer.writerow([day, "counter", row["counter"], *(row[c] for c in columns), "", *[""] * len(times)])
    for row in work["officers"]:
        writer.writerow([day, "officer", row["officer"], *(row[c] for c in columns), "", *[""] * len(times)])
    for row in [{"hour": "all", **work["day"]}, *work["hours"]]:
        writer.writerow([day, "hour", "", *[""] * len(columns), row["hour"],
                         *("" if row[t] is None else row[t] for t in times)])
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="queue-{site}-{day}.csv"'})


@_staff
async def get_audit(request: web.Request, session: Session) -> web.Response:
    text = request.query.get("page", "1")
    page = int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1
    # A province admin reads everything; a site's admin what was done at its sites.
    sites = None if session.is_province else [s.code for s in request[SITE_CHOICES]]
    entries = await _run(request, request.config_dict[STORE].audit_log, AUDIT_PAGE + 1, (page - 1) * AUDIT_PAGE, sites)
    for entry in entries:
        entry["action_words"] = ACTION_WORDS.get(entry["action"], entry["action"])
        entry["detail_text"] = json.dumps(entry["detail"], ensure_ascii=False) if entry["detail"] else ""
    return _page(request, "audit.html", entries=entries[:AUDIT_PAGE], page=page,
                 more=len(entries) > AUDIT_PAGE)


def admin_app() -> web.Application:
    """The sub-application to mount at PREFIX; it reads the store and the rest from its parent."""
    admin = web.Application(middlewares=[_admin_pages])
    admin.router.add_get("/", home)
    admin.router.add_get("/login", get_login)
    admin.router.add_post("/login", post_login)
    admin.router.add_post("/logout", post_logout)
    admin.router.add_get("/terminals", get_terminals)
    admin.router.add_get("/terminals/{id}", get_terminal)
    admin.router.add_post("/terminals/{id}", post_terminal)
    admin.router.add_post("/terminals/{id}/revoke", post_revoke)
    admin.router.add_post("/help/{id}/answered", post_help_answered)
    admin.router.add_get("/integrations", get_integrations)
    admin.router.add_post("/integrations/{id}/revoke", post_integration_revoke)
    admin.router.add_get("/queue", get_queue)
    admin.router.add_get("/stats", get_stats)
    admin.router.add_get("/stats.csv", get_stats_csv)
    admin.router.add_get("/audit", get_audit)
    return admin
