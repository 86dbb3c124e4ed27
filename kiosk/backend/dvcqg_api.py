"""The national portal's integration protocol, served by the backend so that a province's
one-stop system can push its dossiers here as it pushes them to Cổng DVCQG, changing only the
address: `POST /api/v1/dvcqg/auth` and `POST /api/v1/dvcqg` (`DongBoHoSoMC`,
`CapNhatTienDoHoSoMC`, `TraCuuHoSo`).

Answers keep the protocol's shape (`error_code` "00" on success, 0 at log-in) and carry the
backend's usual `{"error": {"code", "message"}}` beside it on failures, for people and tools.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from aiohttp import web

from ..domain.text import nfc
from .accounts import check_password, decoy_hash
from .dossier_sync import MAX_RECORDS, SyncResult, dossier_record, hash_applicants, sync_dossiers, sync_steps
from .errors import RequestError
from .http import CLOCK, INTEGRATIONS, STORE, check_unicode, client_address, json_response, read_body
from .integrations import Integrations
from .store import LimitCheck

AUTH_FAILURES_PER_MINUTE = 10  # per address and per account: a sending system logs in once an hour
FAILED_AUTH_DELAY = 0.5
MAX_SYNC_BODY = 16 * 1024 * 1024
"""A batch of MAX_RECORDS full records with fees and requests stays well under this."""

SERVICES = ("DongBoHoSoMC", "CapNhatTienDoHoSoMC", "TraCuuHoSo")


def _answer(status: int, error_code: str | int, message: str, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error_code": error_code, "message": message, **extra}
    if status >= 400:
        body["error"] = {"code": str(error_code), "message": message}
    return json_response(body, status=status)


def _refuse(status: int, error_code: str, message: str) -> RequestError:
    """A protocol error: raised, and answered in the protocol's shape by `_protocol`."""
    return RequestError(status, error_code, message)


def _protocol(handler):
    """Errors in the protocol's shape, and room for a batch of records in the body."""
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except RequestError as error:
            return _answer(error.status, error.code, error.message)
    wrapped.body_limit = MAX_SYNC_BODY  # type: ignore[attr-defined]
    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await read_body(request, MAX_SYNC_BODY)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise _refuse(400, "bad_json", "The body is not JSON (UTF-8).") from None
    if not isinstance(data, dict):
        raise _refuse(400, "bad_json", "The body is a JSON object: {\"session\", \"madonvi\", \"service\", ...}.")
    check_unicode(data)
    return data


def _string(data: dict[str, Any], key: str, limit: int = 256) -> str:
    value = data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return nfc(value.strip())[:limit] if isinstance(value, str) else ""


async def post_auth(request: web.Request) -> web.Response:
    data = await _body(request)
    username, password = _string(data, "username", 64), _string(data, "password", 1024)
    address = client_address(request)
    store, now = request.app[STORE], request.app[CLOCK]()
    integrations = request.app[INTEGRATIONS]
    found = await store.run(integrations.credentials, username) if username else None
    # Every try is counted before its password is checked, in one transaction, and a right one
    # given back: log-ins sent all at once cannot all be checked (an account is counted only
    # when it exists: a typed name is often a password typed in the wrong box).
    checks = [LimitCheck("dvcqg_auth_address", address, AUTH_FAILURES_PER_MINUTE, 60)]
    if found:
        checks.append(LimitCheck("dvcqg_auth_account", str(found[0]), AUTH_FAILURES_PER_MINUTE, 60))
    full = await store.run(store.take_limits, checks, now.timestamp())
    if full is not None:
        reason = "too_many_failures_from_address" if full is checks[0] else "too_many_failures_of_account"
        await store.run(store.audit, "—", "integration_login_failed", f"integration {found[0]}" if found else "",
                        {"reason": reason, "address": address}, now)
        return _answer(429, "too_many_failures", "Too many failed log-ins from this address or for this account; "
                                                 "try again in a minute.")
    right = await asyncio.to_thread(check_password, password, found[1] if found else decoy_hash())
    if found and right:
        def log_in() -> str:
            for check in checks:
                store.give_back_limit(check.name, check.key)
            token = integrations.open_session(found[0], now)
            store.audit(f"integration {username}", "integration_login", f"integration {found[0]}",
                        {"address": address}, now)
            return token

        return json_response({"session": await store.run(log_in), "error_code": 0, "message": "OK"})
    await store.run(store.audit, "—", "integration_login_failed", f"integration {found[0]}" if found else "",
                    {"reason": "wrong_password" if found else "unknown_account", "address": address}, now)
    await asyncio.sleep(FAILED_AUTH_DELAY)
    return _answer(401, 1, "Wrong username or password, or the account was revoked.")


def _records(data: dict[str, Any]) -> list:
    records = data.get("data")
    if not isinstance(records, list):
        raise _refuse(400, "bad_request", "data is the list of records.")
    if len(records) > MAX_RECORDS:
        raise _refuse(413, "too_many_records",
                      f"data has {len(records)} records; send at most {MAX_RECORDS} in one call.")
    return records


def _result(service: str, result: SyncResult) -> web.Response:
    errors = [{"index": p.index, "MaHoSo": p.code, "message": p.reason} for p in result.problems]
    if errors:
        message = f"{result.accepted} accepted, {len(errors)} refused: see errors."
        return _answer(200, "01", message, accepted=result.accepted, errors=errors)
    return _answer(200, "00", f"{result.accepted} accepted.", accepted=result.accepted, errors=[])


def run_service(store, data: dict[str, Any], now: dt.datetime) -> tuple[str, SyncResult]:
    """Carry out one `DongBoHoSoMC` or `CapNhatTienDoHoSoMC` body (no session needed: the
    caller has checked it); RequestError for a body that is not the protocol, changing nothing.
    Shared by the HTTP endpoint and `kiosk import-dossiers`."""
    service = _string(data, "service", 64)
    if not service:
        raise _refuse(400, "no_service", f"service is one of {', '.join(SERVICES)}.")
    if service == "DongBoHoSoMC":
        updating = _string(data, "isUpdating", 8).lower()
        if data.get("isUpdating") is not None and updating not in ("true", "false", "1", "0"):
            raise _refuse(400, "bad_request", "isUpdating is \"True\" or \"False\".")
        return service, sync_dossiers(store, _records(data), updating in ("true", "1"), now)
    if service == "CapNhatTienDoHoSoMC":
        return service, sync_steps(store, _records(data), now)
    raise _refuse(400, "unknown_service", f"service {service[:40]!r} is not one of {', '.join(SERVICES)}.")


async def post_service(request: web.Request) -> web.Response:
    data = await _body(request)
    store, now = request.app[STORE], request.app[CLOCK]()
    integration = await store.run(request.app[INTEGRATIONS].session, _string(data, "session", 128), now)
    if integration is None:
        # As the national portal's adapter does: the sender logs in again and sends again.
        return _answer(401, "session_expired", "The session is unknown or expired; log in again (POST /api/v1/dvcqg/auth).")
    who = f"integration {integration.name}"
    madonvi = _string(data, "madonvi", 64)
    if _string(data, "service", 64) == "TraCuuHoSo":
        code = _string(data, "mahoso", 64)
        if not code:
            raise _refuse(400, "bad_request", "mahoso is the dossier code to look up.")
        record = await store.run(dossier_record, store, code.upper())
        return _answer(200, "00", "OK" if record else "No dossier has this code.",
                       result=[record] if record else [])
    def sync() -> tuple[str, SyncResult]:
        service, result = run_service(store, data, now)
        store.audit(who, "dossiers_synced", f"integration {integration.id}",
                    {"service": service, "madonvi": madonvi, "accepted": result.accepted,
                     "refused": len(result.problems)}, now)
        return service, result

    # The applicants' hashes first, on a thread of their own (scrypt, some 35 ms each): the
    # store's one thread is not held up by them meanwhile.
    await asyncio.to_thread(hash_applicants, store, data.get("data"))
    service, result = await store.run(sync)
    return _result(service, result)


def add_routes(app: web.Application, api: str) -> None:
    app[INTEGRATIONS] = Integrations(app[STORE])
    app.router.add_post(f"{api}/dvcqg/auth", _protocol(post_auth))
    app.router.add_post(f"{api}/dvcqg", _protocol(post_service))
