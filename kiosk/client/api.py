"""The kiosk's client of the central backend: one aiohttp session, typed results and errors.

aiohttp takes longer to import (some 130 ms on a small machine) than the rest of the kiosk's
first frame: it is imported when the client sends its first request, the first sync, which
starts once that frame is drawn (KioskApp._after_first_frame), not before it."""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import time
import uuid
import zlib
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..bounded import ACCEPT_ENCODING, CHUNK, AnswerTooLarge, AnswerUnreadable, _size, read_bounded
from ..domain.dossier import Dossier, DossierReport, Timeliness
from ..domain.queue import ServiceStatus, Ticket
from ..domain.rating import Rating
from ..domain.serial import DataShapeError
from ..domain.terminal import Health, TerminalConfig
from . import API
from .connectivity import Connectivity
from .errors import (BackendError, NotFound, Offline, Rejected, ServerError, Timeout, TooManyRequests, Unauthorized,
                     UpstreamUnavailable)

if TYPE_CHECKING:
    import aiohttp


@dataclass
class CatalogueFetch:
    """A catalogue download: `body` is None when the kiosk's copy is current (304)."""

    etag: str | None
    body: bytes | None
    bytes_on_wire: int


@dataclass
class HelpAnswer:
    """The backend's answer to a call for staff: the call's id, and whether it was an open call
    of this kiosk pressed again (staff already notified) rather than a new one."""

    request_id: int
    repeated: bool


@dataclass
class CitizenDossier:
    code: str
    """"" when the backend answered masked (a proof less than its policy needs): the dossier is
    then shown, not opened."""
    procedure_name: str
    status: int
    applicant_name: str = field(repr=False)
    """Masked by the backend; the chip's full name where a chip was read (journeys.dossier)."""


class BackendClient:
    """Use `async with BackendClient(...) as client:`; one session for the app's life."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        ca_file: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        connectivity: Connectivity | None = None,
        max_answer: int = 1024 * 1024,
        max_catalogue: int = 64 * 1024 * 1024,
    ):
        """`max_answer`, `max_catalogue`: the most read of an answer, and of the catalogue, in
        bytes after decompression: a backend (or whatever answers in its place) that sends more,
        or a body that never ends, is refused before the kiosk runs out of memory."""
        self.base_url = base_url.rstrip("/")
        self.max_answer, self.max_catalogue = max_answer, max_catalogue
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.connectivity = connectivity or Connectivity()
        # Verified TLS always; a province's own CA is added, never a way around checking.
        self._ssl = ssl.create_default_context(cafile=ca_file) if ca_file else True
        self._open = False
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "BackendClient":
        self._open = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._open = False
        if self._session:
            await self._session.close()
            self._session = None

    def _opened_session(self) -> aiohttp.ClientSession:
        """The session, made at the first request (see the module's note)."""
        if not self._open:
            raise RuntimeError("use the client inside `async with`")
        if self._session is None:
            import aiohttp

            # auto_decompress off: read_bounded inflates under its bound.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self._ssl, limit=8),
                                                  auto_decompress=False, headers={"Accept-Encoding": ACCEPT_ENCODING})
        return self._session

    # -- the one way out -----------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool,
        timeout: float | None = None,
        expect: tuple[int, ...] = (200, 201),
        limit: int | None = None,
        compressed: bool = False,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request; retry with backoff only what may safely be sent twice.
        `compressed`: a 200's body as it came, under `limit` too, for the caller to inflate."""
        import aiohttp

        session = self._opened_session()
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        attempts = max(1, self.retries) if idempotent else 1  # retries=0: one try all the same
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                async with session.request(
                    method, self.base_url + path, json=body, headers=sent,
                    timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
                ) as response:
                    read = _read_compressed if compressed and response.status == 200 else read_bounded
                    data = await read(response, limit or self.max_answer)
                    status, answer_headers = response.status, response.headers.copy()  # case-insensitive
            except (AnswerTooLarge, AnswerUnreadable) as exc:
                # Not a network failure: the same answer would come again, so no retry.
                raise ServerError(f"{method} {path}: {exc}") from None
            except asyncio.TimeoutError:
                self.connectivity.failed()
                error: BackendError = Timeout(f"{method} {path}: no answer in {timeout or self.timeout:.0f} s")
            except aiohttp.ClientError as exc:
                self.connectivity.failed()
                error = Offline(f"{method} {path}: {exc}")
            else:
                if status >= 500 and _error_code(data) == "upstream_unavailable":
                    # The backend answered: this kiosk is online. The backend already waited
                    # for the province's system, so another try now would only keep the citizen waiting.
                    self.connectivity.succeeded(time.monotonic() - started)
                    raise UpstreamUnavailable(f"{method} {path}: HTTP {status}, the province's one-stop system did not answer")
                if status >= 500:
                    self.connectivity.failed()
                    error = ServerError(f"{method} {path}: HTTP {status}")
                else:
                    self.connectivity.succeeded(time.monotonic() - started)
                    if status in expect or status == 304:
                        return status, answer_headers, data
                    raise _client_error(status, data)
            if attempt < attempts:
                await asyncio.sleep(0.2 * 2 ** (attempt - 1) * (0.5 + random.random()))
        raise error

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        _, _, data = await self._call(method, path, **kwargs)
        try:
            return json.loads(data)
        except ValueError:
            raise ServerError(f"{method} {path}: the answer is not JSON") from None

    # -- calls -------------------------------------------------------------------------

    async def catalogue(self, etag: str | None = None) -> CatalogueFetch:
        headers = {"Accept-Encoding": "gzip"}
        if etag:
            headers["If-None-Match"] = etag
        status, answer_headers, data = await self._call(
            "GET", f"{API}/catalogue", headers=headers, idempotent=True, timeout=max(self.timeout, 60),
            limit=self.max_catalogue, compressed=True,
        )
        size = int(answer_headers.get("Content-Length", len(data)))
        if status == 304:
            return CatalogueFetch(etag, None, size)
        # Inflating some 20 MB holds whoever does it for tens of milliseconds: a thread, not the
        # loop that draws the screen (zlib lets go of the GIL while it works).
        encoding = answer_headers.get("Content-Encoding", "")
        try:
            data = await asyncio.to_thread(_inflated, data, encoding, self.max_catalogue)
        except (AnswerTooLarge, AnswerUnreadable) as exc:
            raise ServerError(f"GET {API}/catalogue: {exc}") from None
        return CatalogueFetch(answer_headers.get("ETag"), data, size)

    async def dossier(self, code: str) -> DossierReport:
        view = await self._json("GET", f"{API}/dossiers/{code}", idempotent=True)
        return _parse(_dossier_report, view)

    async def dossiers_of_citizen(self, id_number: str, proof: str, trust: str = "",
                                  active: str = "") -> list[CitizenDossier]:
        """`proof`: "qr" or "chip"; a chip's `trust` (its passive authentication's level) and
        `active` (its active authentication) go with it."""
        body = {"id_number": id_number, "proof": proof} | ({"trust": trust, "active": active} if proof == "chip" else {})
        # Not retried: each call counts against the terminal's limit and is audited.
        data = await self._json("POST", f"{API}/dossiers/by-citizen", body=body, idempotent=False)
        return _parse(lambda d: [
            CitizenDossier(x.get("code", ""), x["procedure_name"], int(x["status"]["code"]), x["applicant_name"])
            for x in d["dossiers"]
        ], data)

    async def services(self) -> list[ServiceStatus]:
        data = await self._json("GET", f"{API}/queue/services", idempotent=True)
        return _parse(lambda d: [ServiceStatus.from_dict(s) for s in d["services"]], data)

    async def issue_ticket(self, service: str, priority: str | None, key: str) -> Ticket:
        """Idempotent through `key`: the same key never gets a second ticket, so retrying is safe."""
        data = await self._json("POST", f"{API}/queue/tickets", body={"service": service, "priority": priority},
                                headers={"Idempotency-Key": key}, idempotent=True)
        return _parse(Ticket.from_dict, data)

    async def ticket(self, ticket_id: str) -> Ticket:
        return _parse(Ticket.from_dict, await self._json("GET", f"{API}/queue/tickets/{ticket_id}", idempotent=True))

    async def void_ticket(self, ticket_id: str) -> Ticket:
        data = await self._json("POST", f"{API}/queue/tickets/{ticket_id}/void", idempotent=True)
        return _parse(Ticket.from_dict, data)

    async def heartbeat(self, terminal_id: int, health: Health) -> tuple[int, TerminalConfig]:
        data = await self._json("POST", f"{API}/terminals/{terminal_id}/heartbeat", body=health.to_dict(),
                                idempotent=True)
        return _parse(lambda d: (int(d["config_version"]), TerminalConfig.from_newer(d["config"])), data)

    async def call_for_help(self, terminal_id: int, screen: str) -> HelpAnswer:
        """Call staff to this kiosk ("Gọi cán bộ hỗ trợ"), saying only which screen the citizen is
        on. Safe to send twice: the backend takes a second press within a minute as the same call.
        A short timeout: a citizen waits in front of the screen for the answer."""
        data = await self._json("POST", f"{API}/terminals/{terminal_id}/help", body={"screen": screen},
                                idempotent=True, timeout=min(self.timeout, 5.0))
        return _parse(lambda d: HelpAnswer(int(d["request"]["id"]), bool(d["repeated"])), data)

    async def enrol(self, code: str, name: str | None = None) -> tuple[int, str]:
        """Register this kiosk with a one-time code from `kiosk terminal add NAME --enrol`:
        its terminal id and token, to be kept. Needs no token. Not retried: a second try
        after an answer lost on the way would find the code used."""
        body = {"code": code} if name is None else {"code": code, "name": name}
        data = await self._json("POST", f"{API}/terminals/enrol", body=body, idempotent=False)
        return _parse(lambda d: (int(d["id"]), str(d["token"])), data)

    async def rate(self, rating: Rating, key: str | None = None) -> int:
        key = key or uuid.uuid4().hex
        data = await self._json("POST", f"{API}/ratings", body=rating.to_dict(),
                                headers={"Idempotency-Key": key}, idempotent=True)
        return _parse(lambda d: int(d["id"]), data)

    async def send(self, method: str, path: str, body: Any, key: str | None) -> None:
        """Send a stored request again (the outbox); it must be idempotent."""
        headers = {"Idempotency-Key": key} if key else {}
        await self._call(method, path, body=body, headers=headers, idempotent=True)


async def _read_compressed(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body as sent, at most `limit` bytes of it: `_inflated` bounds what it inflates to."""
    if (response.content_length or 0) > limit:
        raise AnswerTooLarge(f"the answer is larger than {_size(limit)}")
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(f"the answer is larger than {_size(limit)}")
        chunks.append(chunk)
    return b"".join(chunks)


def _inflated(data: bytes, encoding: str, limit: int) -> bytes:
    """`data` decompressed as its Content-Encoding says, at most `limit` bytes of it (a gzip bomb
    is refused after `limit` bytes), in one call that makes one copy."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise AnswerUnreadable(f"the answer is in an encoding that is not read here ({encoding[:20]!r})")
    inflater = zlib.decompressobj(47)  # 32 + 15: a gzip or zlib header, whichever comes
    try:
        plain = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise AnswerUnreadable("the answer's compression is broken") from None
    if len(plain) > limit:
        raise AnswerTooLarge(f"the answer is larger than {_size(limit)}")
    if not inflater.eof:
        raise AnswerUnreadable("the answer's compression is cut short")
    return plain


def _dossier_report(view: dict[str, Any]) -> DossierReport:
    standing = view.pop("timeliness")
    view["status"] = int(view["status"]["code"])
    return DossierReport(
        Dossier.from_dict(view),
        Timeliness(standing["code"]) if standing else None,
        standing["working_days_left"] if standing else None,
    )


def _parse(build: Any, data: Any) -> Any:
    """Build a typed result, or say that the backend answered something unreadable."""
    try:
        return build(data)
    except (DataShapeError, KeyError, IndexError, AttributeError) as error:
        raise ServerError(f"the backend's answer has an unexpected shape: {error}") from None


def _error_code(data: bytes) -> str:
    """The backend's error code in an error answer, or "" when it has none."""
    try:
        return str(json.loads(data)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _client_error(status: int, data: bytes) -> BackendError:
    try:
        error = json.loads(data)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "", data[:200].decode("utf-8", "replace")
    if status == 401:
        return Unauthorized(message)
    if status == 404:
        return NotFound(message)
    if status == 429:
        return TooManyRequests(message, code=code, status=status)
    return Rejected(message, code=code, status=status)
