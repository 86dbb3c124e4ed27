"""The province's one-stop system as the backend's upstream, reached in the national portal's
integration protocol (docs: NATIONAL-FORMATS section 1): a dossier code the backend does not
hold is looked up there (`TraCuuHoSo`) and kept for a while, and the procedure catalogue is
pulled from it (`LayDanhSachTTHC`, then `LayThuTuc` for each procedure).

The protocol: log in with POST {adapter_url}{auth_endpoint} `{"username", "password"}` →
`{"session", "error_code": 0}`; every other call POST {adapter_url}{integration_endpoint}
`{"session", "madonvi", "service", ...}`, success `"error_code": "00"` (or 0). No adapter
documents how it refuses an expired session (HTTP 401 with "session_expired" is what this
backend's own endpoint answers), so any refused call is sent once more after a new log-in.

Everything read from there is bounded: the answer's size (also decompressed), its nesting, its
text (no lone surrogates), and every call has a deadline. Dossier records carry personal
data: they are never logged, and kept only as dossier_sync keeps pushed ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from ..bounded import ACCEPT_ENCODING, AnswerTooLarge, AnswerUnreadable, read_bounded
from ..domain.text import nfc
from .dossier_sync import dossier_from_record, keep_looked_up, lower_keys, normal_code
from .dvcqg import parse_dvcqg, records_of
from .errors import RequestError
from .store import BackendStore

if TYPE_CHECKING:  # only its shape: the backend imports nothing of the kiosk's side
    from ..config import UpstreamSettings

log = logging.getLogger("kiosk.backend.upstream")

MAX_ANSWER = 4 * 1024 * 1024
"""Bytes of one answer, after decompression: a dossier is a few kB, a procedure some tens."""
MAX_DEPTH = 32
"""Nesting of an answer: a procedure record goes five levels deep."""
LOOKUP_DEADLINE = 2.5
"""Seconds a dossier look-up may take in all (log-in and a second try included), so that the
kiosk, which waits 10 s, hears within 3 s that the province's system does not answer."""
CALL_TIMEOUT = 30.0
"""Seconds for one call of the catalogue pull, which nobody stands waiting for."""
SESSION_LIFE = 10 * 60
"""Seconds a session is used before logging in again (OpenCPS keeps its session 10 minutes)."""
LOGIN_PAUSE = 60
"""Seconds without a new log-in after one was refused: a wrong password tried on every look-up
could lock the account."""
PULL_CONCURRENCY = 4
"""`LayThuTuc` calls at once while pulling the catalogue."""
PULL_RETRY = 15 * 60
"""Seconds before a failed scheduled pull is tried again."""
PULLED_AT = "upstream_catalogue_pulled_at"
PULL_CLAIMED_AT = "upstream_catalogue_pull_claimed_at"
"""When a backend process last took the scheduled pull on itself (`_claim_pull`)."""
"""The meta key that remembers the last good pull across restarts."""

UNAVAILABLE = ("Không liên lạc được với hệ thống một cửa của tỉnh. "
               "The province's one-stop system cannot be reached; please try again later.")
# Where an answer may put a dossier's steps: this backend's own TraCuuHoSo answers QuaTrinhXuLy.
_STEP_KEYS = ("QuaTrinhXuLy", "DanhSachTienDo", "TienDoXuLy", "QuaTrinh")
_SURROGATE = re.compile("[\ud800-\udfff]")


class UpstreamError(Exception):
    """The upstream did not give a usable answer; the message says why (no personal data)."""


class UpstreamTimeout(UpstreamError):
    pass


class LoginRefused(UpstreamError):
    pass


# -- reading answers ---------------------------------------------------------------------


async def _read_bounded(response: aiohttp.ClientResponse) -> bytes:
    """The body, at most MAX_ANSWER bytes of it after decompression."""
    try:
        return await read_bounded(response, MAX_ANSWER)
    except (AnswerTooLarge, AnswerUnreadable) as error:
        raise UpstreamError(str(error)) from None


def _checked(value: Any) -> Any:
    """`value` if it nests at most MAX_DEPTH deep and all its text is Unicode; else UpstreamError."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UpstreamError(f"the answer nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((x, depth + 1) for pair in item.items() for x in pair)
        elif isinstance(item, list):
            stack.extend((x, depth + 1) for x in item)
        elif isinstance(item, str) and _SURROGATE.search(item):
            raise UpstreamError("the answer has text that is not Unicode (a lone surrogate)")
    return value


def _decode(raw: bytes) -> Any:
    """JSON, unwrapped from the `{"message": "<the JSON as text>"}` one province's proxy sends."""
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested past the parser
        raise UpstreamError("the answer is not JSON") from None
    for _ in range(2):  # a wrapper in a wrapper at most
        message = lower_keys(answer).get("message")
        if not (isinstance(message, str) and message.lstrip().startswith(("{", "["))):
            break
        try:
            answer = json.loads(message)
        except (ValueError, RecursionError):
            break  # a message that only looks like JSON: the answer as it came
    return _checked(answer)


def _succeeded(answer: Any) -> bool:
    """error_code "00" (or 0); an answer without one succeeded if it holds a result (or is one)."""
    if isinstance(answer, list):
        return True
    keys = lower_keys(answer)
    code = keys.get("error_code")
    if code is None:
        return isinstance(keys.get("result"), list)
    return not isinstance(code, bool) and str(code).strip() in ("0", "00")


def _why(status: int, answer: Any) -> str:
    """What a refusal says, short and on one line."""
    keys = lower_keys(answer)
    said = " ".join(str(keys.get(k, "")) for k in ("error_code", "message") if keys.get(k) not in (None, ""))
    said = " ".join(nfc(said).split())[:200]
    return f"HTTP {status}" + (f", {said}" if said else "")


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _steps_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's steps, under whichever key the answer uses; none is fine."""
    keys = lower_keys(record)
    for key in _STEP_KEYS:
        if isinstance(keys.get(key.lower()), list):
            return [s for s in keys[key.lower()] if isinstance(s, dict)]
    for value in record.values():  # an unforeseen key: a list of things with a time of processing
        if isinstance(value, list) and value and all(isinstance(s, dict) and "thoidiemxuly" in lower_keys(s) for s in value):
            return value
    return []


# -- the client ----------------------------------------------------------------------------


class UpstreamClient:
    """`async with UpstreamClient(settings) as client:` — one HTTP session, one protocol session
    shared by all calls, renewed when old or refused."""

    def __init__(self, settings: UpstreamSettings):
        self.settings = settings
        self._http: aiohttp.ClientSession | None = None
        self._session: str | None = None
        self._session_at = 0.0
        self._login_lock = asyncio.Lock()
        self._refused_until = 0.0
        self._refusal = ""

    async def __aenter__(self) -> "UpstreamClient":
        # auto_decompress off: _read_bounded inflates with a bound of its own.
        self._http = aiohttp.ClientSession(auto_decompress=False, connector=aiohttp.TCPConnector(limit=16))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http:
            await self._http.close()
            self._http = None

    async def _post(self, path: str, body: dict[str, Any], timeout: float) -> tuple[int, Any]:
        assert self._http is not None, "use the client inside `async with`"
        url = self.settings.adapter_url + path
        try:
            async with self._http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=timeout),
                                       headers={"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING},
                                       allow_redirects=False) as response:
                return response.status, _decode(await _read_bounded(response))
        except asyncio.TimeoutError:
            raise UpstreamTimeout(f"no answer from {url} within {timeout:g} s") from None
        except aiohttp.ClientError as error:
            raise UpstreamError(f"cannot reach {url}: {' '.join(str(error).split())[:200]}") from None
        except UpstreamError as error:
            raise type(error)(f"{url}: {error}") from None

    async def _current_session(self, refused: str | None, timeout: float) -> tuple[str, bool]:
        """(session, whether it is new): the kept one unless it is old or is `refused`."""
        async with self._login_lock:  # many look-ups at once log in once
            if self._session and self._session != refused and time.monotonic() - self._session_at < SESSION_LIFE:
                return self._session, False
            self._session = None
            if time.monotonic() < self._refused_until:
                raise LoginRefused(self._refusal)
            status, answer = await self._post(self.settings.auth_endpoint,
                                              {"username": self.settings.username,
                                               "password": self.settings.password}, timeout)
            session = lower_keys(answer).get("session")
            if not (200 <= status < 300 and _succeeded(answer) and isinstance(session, str) and session.strip()):
                first = not self._refusal
                self._refusal = f"the log-in of {self.settings.username!r} was refused ({_why(status, answer)})"
                self._refused_until = time.monotonic() + LOGIN_PAUSE
                if first:  # once, not at every look-up while the password stays wrong
                    log.error("the province's one-stop system at %s: %s; check [upstream] username and "
                              "password_file", self.settings.adapter_url, self._refusal)
                raise LoginRefused(self._refusal)
            if self._refusal:
                log.warning("the province's one-stop system accepts the log-in again")
            self._refusal, self._refused_until = "", 0.0
            self._session, self._session_at = session.strip(), time.monotonic()
            return self._session, True

    async def call(self, service: str, timeout: float, **fields: Any) -> Any:
        """One call of the integration endpoint: the answer, unwrapped, when it succeeded."""
        refused: str | None = None
        while True:
            session, new = await self._current_session(refused, timeout)
            status, answer = await self._post(
                self.settings.integration_endpoint,
                {"session": session, "madonvi": self.settings.madonvi, "service": service, **fields}, timeout)
            if 200 <= status < 300 and _succeeded(answer):
                return answer
            if new or refused:
                raise UpstreamError(f"{service} was refused: {_why(status, answer)}")
            refused = session  # perhaps expired: log in again and send once more

    async def look_up(self, code: str, timeout: float = LOOKUP_DEADLINE) -> tuple[dict, list[dict]] | None:
        """`TraCuuHoSo`: the record of dossier `code` (normal form) and its steps, or None when
        the upstream does not know it."""
        answer = await self.call("TraCuuHoSo", timeout, mahoso=code)
        result = answer if isinstance(answer, list) else lower_keys(answer).get("result")
        for record in result if isinstance(result, list) else []:
            if isinstance(record, dict) and normal_code(_text(lower_keys(record).get("mahoso"))) == code:
                return record, _steps_of(record)
        return None

    async def procedure_records(self, concurrency: int = PULL_CONCURRENCY) -> tuple[list[Any], list[str]]:
        """Every procedure in full: `LayDanhSachTTHC`, then `LayThuTuc` for each. Also the codes
        whose `LayThuTuc` failed, with why."""
        try:
            listed = records_of(await self.call("LayDanhSachTTHC", CALL_TIMEOUT))
        except ValueError as error:
            raise UpstreamError(f"LayDanhSachTTHC: {error}") from None
        codes = list(dict.fromkeys(c for c in (_text(lower_keys(r).get("matthc")) for r in listed) if c))
        gate = asyncio.Semaphore(concurrency)
        failed: list[str] = []

        async def one(code: str) -> list[Any]:
            async with gate:
                try:
                    return records_of(await self.call("LayThuTuc", CALL_TIMEOUT, maTTHC=code))
                except (UpstreamError, ValueError) as error:
                    failed.append(f"{code}: {error}")
                    return []

        found = await asyncio.gather(*(one(code) for code in codes))
        return [record for records in found for record in records], failed


# -- the catalogue ---------------------------------------------------------------------------


@dataclass
class PullReport:
    imported: int
    new_fields: list[str]
    skipped: list[dict[str, Any]]
    failed: list[str]
    """Procedures whose LayThuTuc failed: their old copy, if any, stays."""
    catalogue_version: str


async def pull_catalogue(client: UpstreamClient, store: BackendStore) -> PullReport:
    """Pull the whole catalogue and add it to the store, in one transaction; nothing changes
    when nothing could be read (UpstreamError when the list itself could not be had)."""
    levels, fields = await store.run(store.levels), await store.run(store.fields)
    if not levels:
        raise UpstreamError("the backend has no administrative levels yet; load a site first")
    records, failed = await client.procedure_records()
    if failed and not records:
        raise UpstreamError(f"no LayThuTuc was answered ({len(failed)} tried), the first: {failed[0]}")
    parsed = await asyncio.to_thread(parse_dvcqg, records, levels, fields)
    version = await store.run(lambda: store.add_procedures(parsed.procedures, parsed.fields) if parsed.procedures
                              else store.catalogue_version)
    return PullReport(len(parsed.procedures), [f.code for f in parsed.fields],
                      [{"index": p.index, "code": p.code, "reason": p.reason} for p in parsed.problems],
                      failed, version)


# -- in the backend --------------------------------------------------------------------------


@dataclass
class Upstream:
    """The backend's side: look-ups and the copies it keeps, and the catalogue's schedule.
    `cleanup_ctx` opens the client with the application and closes it after."""

    settings: UpstreamSettings
    store: BackendStore
    clock: Callable[[], dt.datetime]
    client: UpstreamClient | None = None
    _inflight: dict[str, asyncio.Task] = field(default_factory=dict)
    _failing: type | None = None
    """The kind of error the last look-up met, None when it was answered."""

    async def cleanup_ctx(self, _app: web.Application):
        async with UpstreamClient(self.settings) as client:
            self.client = client
            pulls = asyncio.create_task(self._pull_on_schedule()) if self.settings.catalogue_hours else None
            try:
                yield
            finally:
                for task in [*self._inflight.values(), *([pulls] if pulls else [])]:
                    task.cancel()
                    with suppress(asyncio.CancelledError, Exception):
                        await task
                self.client = None

    # -- dossiers --

    def _held(self, code: str) -> tuple[str, str | None] | None:
        return self.store.db.execute("SELECT origin, fetched_at FROM dossiers WHERE code = ?", [code]).fetchone()

    def _fresh(self, held: tuple[str, str | None]) -> bool:
        origin, fetched_at = held
        if origin != "upstream":
            return True  # the backend's own (sample, import, pushed): the upstream is not asked
        try:
            fetched = dt.datetime.fromisoformat(fetched_at or "")
        except ValueError:
            return False
        return self.clock() - fetched < dt.timedelta(minutes=self.settings.keep_minutes)

    async def dossier_data(self, code: str) -> dict[str, Any] | None:
        """The dossier `code` (normal form) as the store holds it, looked up upstream first when
        the backend lacks it or its copy from there is old; None when nobody knows it.
        RequestError 503/504 `upstream_unavailable` when it had to be asked and did not answer
        (an old copy is answered instead, when there is one)."""
        store = self.store
        held = await store.run(self._held, code)
        if held and self._fresh(held):
            return await store.run(store.dossier_data, code)
        task = self._inflight.get(code)
        if task is None:  # kiosks asking for the same code at once share one look-up
            task = asyncio.create_task(self._fetch(code))
            self._inflight[code] = task
            task.add_done_callback(lambda done: self._done(code, done))
        try:
            found = await asyncio.shield(task)
        except UpstreamError as error:
            # Logged when the upstream starts failing (or fails differently), not at every look-up;
            # a refused log-in the client has logged already.
            if type(error) is not self._failing and not isinstance(error, LoginRefused):
                log.warning("looking dossiers up in the province's one-stop system fails: %s", error)
            self._failing = type(error)
            if held:
                return await store.run(store.dossier_data, code)  # better an older answer than none
            status = 504 if isinstance(error, UpstreamTimeout) else 503
            raise RequestError(status, "upstream_unavailable", UNAVAILABLE) from None
        if self._failing is not None:
            log.warning("the province's one-stop system answers look-ups again")
            self._failing = None
        return await store.run(store.dossier_data, code) if found else None

    def _done(self, code: str, task: asyncio.Task) -> None:
        self._inflight.pop(code, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so that a look-up nobody waits for any more is not logged as lost

    async def _fetch(self, code: str) -> bool:
        if self.client is None:
            raise UpstreamError("the upstream client is not running")
        try:
            async with asyncio.timeout(LOOKUP_DEADLINE):
                found = await self.client.look_up(code)
        except TimeoutError:
            raise UpstreamTimeout(f"TraCuuHoSo: no answer within {LOOKUP_DEADLINE:g} s") from None
        if found is None:
            return False
        record, steps = found
        try:  # read once whole before anything is stored
            dossier_from_record(record, steps)
        except ValueError as error:
            raise UpstreamError(f"TraCuuHoSo answered a record that cannot be read: {error}") from None
        await self.store.run(self._keep, record, steps)
        return True

    def _keep(self, record: dict, steps: list[dict]) -> None:
        result = keep_looked_up(self.store, record, steps, self.clock())
        if result.problems:
            raise UpstreamError(f"TraCuuHoSo answered a record that cannot be kept: {result.problems[0].reason}")

    # -- the catalogue --

    def _pulled(self) -> None:
        with self.store.write():
            self.store.db.upsert("meta", {"key": PULLED_AT, "value": self.clock().isoformat()}, pk="key")

    def _claim_pull(self) -> bool:
        """Whether this process is the one to pull now. Every process of a backend (`--workers`)
        runs the schedule; one pull is enough: the first to claim it, under the write lock,
        pulls; the others find it pulled or claimed (until PULL_RETRY, when a claim whose pull
        failed may be taken again) and wait for the next time."""
        now = self.clock()
        with self.store.write():
            for key, within in ((PULLED_AT, self.settings.catalogue_hours * 3600), (PULL_CLAIMED_AT, PULL_RETRY)):
                try:
                    if (now - dt.datetime.fromisoformat(self.store.meta(key) or "")).total_seconds() < within:
                        return False
                except ValueError:
                    pass  # never
            self.store.db.upsert("meta", {"key": PULL_CLAIMED_AT, "value": now.isoformat()}, pk="key")
        return True

    async def _pull_on_schedule(self) -> None:
        every = self.settings.catalogue_hours * 3600
        while True:
            try:
                last = dt.datetime.fromisoformat(await self.store.run(self.store.meta, PULLED_AT) or "")
                wait = every - (self.clock() - last).total_seconds()
            except ValueError:
                wait = 0  # never pulled
            await asyncio.sleep(max(0.0, min(wait, every)))
            if not await self.store.run(self._claim_pull):
                await asyncio.sleep(min(PULL_RETRY, every))  # another process pulls, or has pulled
                continue
            try:
                assert self.client is not None
                report = await pull_catalogue(self.client, self.store)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # one line, and the old catalogue stays
                log.warning("pulling the catalogue from the province's one-stop system failed: %s: %s; "
                            "the catalogue is kept, next try in %d minutes",
                            type(error).__name__, " ".join(str(error).split())[:300], PULL_RETRY // 60)
                await asyncio.sleep(min(PULL_RETRY, every))
                continue
            await self.store.run(self._pulled)
            log.info("pulled the catalogue from the province's one-stop system: %d procedures, %d skipped, "
                        "%d failed; version %s", report.imported, len(report.skipped), len(report.failed),
                        report.catalogue_version)
