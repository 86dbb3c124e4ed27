"""HTTP handlers for terminals: heartbeats, configuration, citizen lookups, ratings, statistics."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from ..domain.dossier import Status, Timeliness, timeliness
from ..domain.rating import Rating
from ..domain.serial import JsonMixin
from ..domain.terminal import Health, TerminalConfig
from ..domain.text import mask_name
from .errors import RequestError
from .http import (
    CALENDAR, CITIZEN_LIMIT, CLOCK, QUEUE, RATINGS, STORE, TERMINALS,
    idempotency_key, json_response, path_int, read_json, require_admin, terminal_id,
)
from .ratings import audit_citizen_lookup

PROOFS = ("qr", "chip")


def _terminal(request: web.Request) -> int:
    number = path_int(request, "id")
    if not request.app[TERMINALS].exists(number):
        raise RequestError(404, "terminal_not_found", f"No terminal has the id {number}.")
    return number


async def post_heartbeat(request: web.Request) -> web.Response:
    caller = terminal_id(request)
    number = path_int(request, "id")
    if caller != number:
        raise RequestError(403, "forbidden", "A terminal sends its own heartbeat only.")
    health = await read_json(request, Health)
    request.app[TERMINALS].heartbeat(number, health, request.app[CLOCK]())
    version, config = request.app[TERMINALS].config(number)
    return json_response({"config_version": version, "config": config.to_dict()})


async def get_config(request: web.Request) -> web.Response:
    require_admin(request)
    version, config = request.app[TERMINALS].config(_terminal(request))
    return json_response({"config_version": version, "config": config.to_dict()})


async def put_config(request: web.Request) -> web.Response:
    require_admin(request)
    number = _terminal(request)
    config = await read_json(request, TerminalConfig)
    letters = {s.letter for s in request.app[QUEUE].config().services}
    unknown = sorted(set(config.services) - letters)
    if unknown:
        # 409, not 400: the body is well formed but does not fit this site's queue.
        raise RequestError(409, "unknown_services", f"services: no service has the letters {unknown}")
    version = request.app[TERMINALS].set_config(number, config)
    return json_response({"config_version": version, "config": config.to_dict()})


@dataclass
class CitizenLookup(JsonMixin):
    id_number: str
    proof: str

    def problems(self) -> list[str]:
        found = []
        if len(self.id_number) != 12 or not self.id_number.isascii() or not self.id_number.isdigit():
            found.append("id_number is the 12 digits of a citizen ID card")
        if self.proof not in PROOFS:
            found.append(f"proof must be one of {PROOFS}: how the card was read")
        return found


async def post_by_citizen(request: web.Request) -> web.Response:
    """A citizen's dossiers, for a kiosk that has just read their card."""
    terminal = terminal_id(request)
    if not request.app[CITIZEN_LIMIT].allow(terminal):
        raise RequestError(429, "too_many_lookups", "Too many citizen lookups from this terminal; try again in a minute.")
    lookup = await read_json(request, CitizenLookup)
    store = request.app[STORE]
    found = store.dossiers_of_citizen(lookup.id_number)
    audit_citizen_lookup(store, terminal, store.citizen_key(lookup.id_number), lookup.proof, len(found),
                         request.app[CLOCK]())
    dossiers = []
    for data in found:
        status = Status(data["status"])
        dossiers.append({
            "code": data["code"], "procedure_name": data["procedure_name"],
            "status": {"code": int(status), "label_vi": status.label_vi, "label_en": status.label_en},
            "applicant_name": mask_name(data["applicant_name"]),
        })
    return json_response({"dossiers": dossiers})


async def post_rating(request: web.Request) -> web.Response:
    terminal = terminal_id(request)
    key = idempotency_key(request, required=False)
    rating = await read_json(request, Rating)
    number, created = request.app[RATINGS].add(rating, terminal, key, request.app[CLOCK]())
    return json_response({"id": number, **rating.to_dict()}, status=201 if created else 200)


async def get_daily_stats(request: web.Request) -> web.Response:
    require_admin(request)
    now = request.app[CLOCK]()
    text = request.query.get("date")
    try:
        if text is not None and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text) if text is not None else now.date()
    except ValueError:
        raise RequestError(400, "bad_date", "date is YYYY-MM-DD.") from None
    by_status: Counter[str] = Counter()
    by_timeliness: Counter[str] = Counter()
    calendar = request.app[CALENDAR]
    for status, due_at, completed_at in request.app[STORE].dossier_deadlines():
        by_status[str(status)] += 1
        standing = timeliness(status, due_at, completed_at, now, calendar)
        by_timeliness[standing.value if standing else "no_deadline"] += 1
    return json_response({
        "date": day.isoformat(),
        "queue": request.app[QUEUE].daily(day),
        "dossiers": {
            "by_status": {str(s.value): by_status.get(str(s.value), 0) for s in Status},
            "by_timeliness": {t.value: by_timeliness.get(t.value, 0) for t in [*Timeliness]}
            | {"no_deadline": by_timeliness.get("no_deadline", 0)},
        },
        "ratings": request.app[RATINGS].daily(day),
    })


def add_routes(app: web.Application, api: str) -> None:
    app.router.add_post(f"{api}/terminals/{{id}}/heartbeat", post_heartbeat)
    app.router.add_get(f"{api}/terminals/{{id}}/config", get_config)
    app.router.add_put(f"{api}/terminals/{{id}}/config", put_config)
    app.router.add_post(f"{api}/dossiers/by-citizen", post_by_citizen)
    app.router.add_post(f"{api}/ratings", post_rating)
    app.router.add_get(f"{api}/stats/daily", get_daily_stats)
