"""HTTP handlers for terminals: enrolment, heartbeats, configuration, calls for staff, citizen
lookups, ratings, statistics."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..domain.dossier import Status, Timeliness, timeliness
from ..domain.rating import Rating
from ..domain.serial import JsonMixin
from ..domain.terminal import Health, TerminalConfig
from ..domain.text import mask_name
from .errors import RequestError
from .http import (
    CALENDAR, CITIZEN_DETAIL, CLOCK, LIMITS, QUEUE, RATINGS, STORE, TERMINALS, client_address, idempotency_key, json_response,
    path_int, read_json, require_admin, requested_site, take_limits, terminal_and_site, terminal_id,
)
from .ratings import audit_citizen_lookup
from .store import LimitCheck

PROOFS = ("qr", "chip")
TRUST_LEVELS = ("none", "integrity", "signature", "chain")
"""How far a chip's passive authentication got, as the kiosk reports it (kiosk.hardware.idcard.passive):
no SOD; the groups match it; its signature verifies; the signer chains to a CSCA the site installed."""
ACTIVE = ("verified", "absent")
"""Active authentication: the chip signed the kiosk's fresh challenge, or has no key to (no DG15).
A chip that fails it is refused by the kiosk and never reaches here."""
DETAIL_NEEDS = {"qr": "none", "chip": "signature", "chip-chain": "chain"}
"""[backend] citizen_detail_needs: the least proof answered in full (the dossiers' codes, which
open each one), and the chip's trust level it takes. `qr`: any card read (as before chips).
A lesser proof, such as the QR that a photo of the card also gives, is answered masked: each
dossier's procedure, status and masked name, but no code."""
ENROLMENTS_PER_MINUTE = 10  # per client address: an installer types a code a few times at most


async def _terminal(request: web.Request) -> int:
    number = path_int(request, "id")
    if not await request.app[STORE].run(request.app[TERMINALS].exists, number):
        raise RequestError(404, "terminal_not_found", f"No terminal has the id {number}.")
    return number


@dataclass
class Enrolment(JsonMixin):
    code: str
    name: str | None = None
    """What the kiosk calls itself; the name staff gave with the code otherwise."""

    def problems(self) -> list[str]:
        found = []
        if not 1 <= len(self.code) <= 64:
            found.append("code is the enrolment code from `kiosk terminal add --enrol`")
        if self.name is not None and len(self.name) > 100:
            found.append("name is at most 100 characters")
        return found


async def post_enrol(request: web.Request) -> web.Response:
    """A new kiosk registers itself with a one-time code, and gets its id and token."""
    body = await read_json(request, Enrolment)
    address = client_address(request)
    # Every well-formed try counts, right or wrong, so that codes are guessed no faster than this.
    await take_limits(request, [LimitCheck("enrol", address, ENROLMENTS_PER_MINUTE, 60)], "too_many_enrolments",
                      "Too many enrolment attempts from this address; try again in a minute.")
    store, now = request.app[STORE], request.app[CLOCK]()

    def enrol() -> tuple[int, str]:
        terminals = request.app[TERMINALS]
        number, token, name = terminals.enrol(body.code, (body.name or "").strip() or None, now)
        store.audit(f"terminal {number}", "terminal_enrolled", f"terminal {number}", {"name": name, "address": address},
                    now, terminals.site_of(number))
        return number, token

    number, token = await store.run(enrol)
    return json_response({"id": number, "token": token}, status=201)


async def post_heartbeat(request: web.Request) -> web.Response:
    caller = await terminal_id(request)
    number = path_int(request, "id")
    if caller != number:
        raise RequestError(403, "forbidden", "A terminal sends its own heartbeat only.")
    health = await read_json(request, Health)
    terminals, now = request.app[TERMINALS], request.app[CLOCK]()

    def beat() -> tuple[int, TerminalConfig]:
        terminals.heartbeat(number, health, now)
        return terminals.config(number)

    version, config = await request.app[STORE].run(beat)
    return json_response({"config_version": version, "config": config.to_dict()})


HELP_SCREEN = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")


@dataclass
class HelpCall(JsonMixin):
    """A citizen tapped "Gọi cán bộ hỗ trợ": the screen they were on, the only thing sent (its
    name in the app, such as "dossier"), so that staff know what the citizen was trying to do."""

    screen: str

    def problems(self) -> list[str]:
        if not HELP_SCREEN.match(self.screen):
            return ["screen is the screen's name: 1 to 32 of a-z, 0-9 and _, starting with a letter"]
        return []


async def post_help(request: web.Request) -> web.Response:
    """A terminal calls staff to a citizen: 201 with the new call, or 200 with the open one when
    it was pressed again within a minute ("repeated"), which notifies nobody twice."""
    caller = await terminal_id(request)
    number = path_int(request, "id")
    if caller != number:
        raise RequestError(403, "forbidden", "A terminal calls for help at itself only.")
    call = await read_json(request, HelpCall)
    terminals, store, now = request.app[TERMINALS], request.app[STORE], request.app[CLOCK]()

    def ask() -> tuple[dict, bool]:
        asked, created = terminals.ask_help(number, call.screen, now)
        if created:
            store.audit(f"terminal {number}", "help_requested", f"terminal {number}",
                        {"request": asked["id"], "screen": call.screen}, now, asked["site"])
        return asked, created

    asked, created = await store.run(ask)
    return json_response({"request": asked, "repeated": not created}, status=201 if created else 200)


def unknown_services(app: Mapping, config: TerminalConfig, terminal: int) -> list[str]:
    """Letters a configuration offers that the terminal's site's queue has no service for."""
    letters = {s.letter for s in app[QUEUE].at(app[TERMINALS].site_of(terminal)).config().services}
    return sorted(set(config.services) - letters)


async def get_config(request: web.Request) -> web.Response:
    require_admin(request)
    version, config = await request.app[STORE].run(request.app[TERMINALS].config, await _terminal(request))
    return json_response({"config_version": version, "config": config.to_dict()})


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


def config_changes(old: TerminalConfig, new: TerminalConfig) -> dict[str, list[Any]]:
    """What the audit log keeps of a configuration change: each changed field, before and after."""
    before, after = _flat(old.to_dict()), _flat(new.to_dict())
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


async def put_config(request: web.Request) -> web.Response:
    require_admin(request)
    number = await _terminal(request)
    config = await read_json(request, TerminalConfig)
    terminals, store, now = request.app[TERMINALS], request.app[STORE], request.app[CLOCK]()

    def save() -> int:
        unknown = unknown_services(request.app, config, number)
        if unknown:
            # 409, not 400: the body is well formed but does not fit this site's queue.
            raise RequestError(409, "unknown_services", f"services: no service has the letters {unknown}")
        _, old = terminals.config(number)
        version = terminals.set_config(number, config)
        store.audit("admin token", "terminal_config_changed", f"terminal {number}",
                    {"version": version, "changes": config_changes(old, config)}, now, terminals.site_of(number))
        return version

    version = await store.run(save)
    return json_response({"config_version": version, "config": config.to_dict()})


@dataclass
class CitizenLookup(JsonMixin):
    id_number: str
    proof: str
    trust: str = ""
    """With proof "chip": how far passive authentication got (TRUST_LEVELS)."""
    active: str = ""
    """With proof "chip": active authentication (ACTIVE)."""

    def problems(self) -> list[str]:
        found = []
        if len(self.id_number) != 12 or not self.id_number.isascii() or not self.id_number.isdigit():
            found.append("id_number is the 12 digits of a citizen ID card")
        if self.proof not in PROOFS:
            found.append(f"proof must be one of {PROOFS}: how the card was read")
        elif self.proof == "chip" and (self.trust not in TRUST_LEVELS or self.active not in ACTIVE):
            found.append(f"a chip proof gives trust (one of {TRUST_LEVELS}) and active (one of {ACTIVE})")
        elif self.proof == "qr" and (self.trust or self.active):
            found.append("trust and active come with a chip proof only")
        return found

    def full_detail(self, needs: str) -> bool:
        """Whether this proof is answered in full where the backend's policy `needs` (DETAIL_NEEDS) that much."""
        if needs == "qr":
            return True
        return self.proof == "chip" and TRUST_LEVELS.index(self.trust) >= TRUST_LEVELS.index(DETAIL_NEEDS[needs])

    def audited(self) -> str:
        """The proof as the audit log keeps it: "qr", or "chip signature active verified"."""
        return self.proof if self.proof == "qr" else f"chip {self.trust} active {self.active}"


async def post_by_citizen(request: web.Request) -> web.Response:
    """A citizen's dossiers, for a kiosk that has just read their card: in full (their codes), or
    masked (no codes) to a proof less than the backend's policy needs (DETAIL_NEEDS)."""
    terminal, site = await terminal_and_site(request)
    limits = request.app[LIMITS]
    # Per terminal, for its whole site and for all sites, so that more tokens do not make harvesting faster.
    await take_limits(request, [LimitCheck("citizen_lookup", str(terminal), limits.citizen_lookups_per_minute, 60),
                                LimitCheck("citizen_lookup", f"site:{site}", limits.citizen_lookups_per_minute_site, 60),
                                LimitCheck("citizen_lookup", "all", limits.citizen_lookups_per_minute_all, 60)],
                      "too_many_lookups", "Too many citizen lookups from this terminal or this centre; try again in a minute.")
    lookup = await read_json(request, CitizenLookup)
    store = request.app[STORE]
    # Some 35 ms a key (scrypt): off the event loop, which serves every other kiosk meanwhile.
    hashes, newest = await asyncio.to_thread(
        lambda: (store.citizen_hashes(lookup.id_number), store.citizen_key(lookup.id_number)))
    now = request.app[CLOCK]()

    def look_up() -> list[dict]:
        found = store.dossiers_of_citizen(lookup.id_number, hashes)
        audit_citizen_lookup(store, terminal, newest, lookup.audited(), len(found), now)
        return found

    found = await store.run(look_up)
    full = lookup.full_detail(request.app[CITIZEN_DETAIL])
    dossiers = []
    for data in found:
        status = Status(data["status"])
        dossiers.append({
            **({"code": data["code"]} if full else {}), "procedure_name": data["procedure_name"],
            "status": {"code": int(status), "label_vi": status.label_vi, "label_en": status.label_en},
            "applicant_name": mask_name(data["applicant_name"]),
        })
    return json_response({"dossiers": dossiers, "detail": "full" if full else "masked"})


async def post_rating(request: web.Request) -> web.Response:
    terminal, site = await terminal_and_site(request)
    key = idempotency_key(request, required=False)
    rating = await read_json(request, Rating)
    limits = request.app[LIMITS]
    await take_limits(request, [LimitCheck("rating", str(terminal), limits.ratings_per_minute, 60),
                                LimitCheck("rating", str(terminal), limits.ratings_per_hour, 3600)],
                      "too_many_ratings", "Too many ratings from this terminal; the rest wait and are sent later.")
    ratings = request.app[RATINGS]
    number, created = await request.app[STORE].run(ratings.add, rating, terminal, key, request.app[CLOCK](), site)
    return json_response({"id": number, **rating.to_dict()}, status=201 if created else 200)


def stats_day(text: str | None, now: dt.datetime) -> dt.date:
    """The day a `date=` parameter names (today without one); 400 when it names none."""
    try:
        if text is not None and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text) if text is not None else now.date()
    except ValueError:
        raise RequestError(400, "bad_date", "date is YYYY-MM-DD.") from None


def daily_stats(app: Mapping, day: dt.date, now: dt.datetime, site: str) -> dict:
    """A site's day in statistics: what GET /stats/daily answers and the admin pages show. `app`:
    the application, or a request's `config_dict` in a sub-application. The queue and the
    ratings are the site's; the dossiers are the whole backend's (a dossier is the province's,
    whichever centre received it)."""
    by_status: Counter[str] = Counter()
    by_timeliness: Counter[str] = Counter()
    calendar = app[CALENDAR]
    for status, due_at, completed_at in app[STORE].dossier_deadlines():
        by_status[str(status)] += 1
        standing = timeliness(status, due_at, completed_at, now, calendar)
        by_timeliness[standing.value if standing else "no_deadline"] += 1
    return {
        "date": day.isoformat(),
        "site": site,
        "queue": app[QUEUE].at(site).daily(day),
        "dossiers": {
            "by_status": {str(s.value): by_status.get(str(s.value), 0) for s in Status},
            "by_timeliness": {t.value: by_timeliness.get(t.value, 0) for t in [*Timeliness]}
            | {"no_deadline": by_timeliness.get("no_deadline", 0)},
        },
        "ratings": app[RATINGS].daily(day, site),
    }


async def get_daily_stats(request: web.Request) -> web.Response:
    require_admin(request)
    now = request.app[CLOCK]()
    day = stats_day(request.query.get("date"), now)
    site = await requested_site(request)
    return json_response(await request.app[STORE].run(daily_stats, request.app, day, now, site))


def add_routes(app: web.Application, api: str) -> None:
    app.router.add_post(f"{api}/terminals/enrol", post_enrol)
    app.router.add_post(f"{api}/terminals/{{id}}/heartbeat", post_heartbeat)
    app.router.add_post(f"{api}/terminals/{{id}}/help", post_help)
    app.router.add_get(f"{api}/terminals/{{id}}/config", get_config)
    app.router.add_put(f"{api}/terminals/{{id}}/config", put_config)
    app.router.add_post(f"{api}/dossiers/by-citizen", post_by_citizen)
    app.router.add_post(f"{api}/ratings", post_rating)
    app.router.add_get(f"{api}/stats/daily", get_daily_stats)
