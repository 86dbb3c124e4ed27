"""HTTP handlers of the queue, and the public page a ticket's QR code opens."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..domain.scan import TICKET_ID_PATTERN
from ..domain.serial import JsonMixin
from ..i18n import N_, translate
from .errors import RequestError
from .http import (CLOCK, LIMITS, QUEUE, STORE, idempotency_key, json_response, path_int, read_json, require_admin,
                   take_limits, terminal_id, terminal_or_admin)
from .store import LimitCheck

_PUBLIC_ID = re.compile(TICKET_ID_PATTERN + r"\Z")


@dataclass
class TicketRequest(JsonMixin):
    service: str
    priority: str | None = None

    def problems(self) -> list[str]:
        found = []
        if not 1 <= len(self.service) <= 2:
            found.append("service is a service letter")
        if self.priority is not None and not 1 <= len(self.priority) <= 40:
            found.append("priority is a priority category code")
        return found


def _public_id(request: web.Request) -> str:
    public_id = request.match_info["id"]
    if not _PUBLIC_ID.match(public_id):
        raise RequestError(400, "bad_ticket_id", "This is not a ticket id.")
    return public_id


async def get_services(request: web.Request) -> web.Response:
    store, queue = request.app[STORE], request.app[QUEUE]
    return json_response({"services": await store.run(queue.services_overview, request.app[CLOCK]())})


async def post_ticket(request: web.Request) -> web.Response:
    terminal = await terminal_id(request)
    key = idempotency_key(request, required=True)
    body = await read_json(request, TicketRequest)
    limits = request.app[LIMITS]
    # A kiosk with a stuck button, or a stolen token, cannot fill the day's queue with numbers.
    await take_limits(request, [LimitCheck("ticket", str(terminal), limits.tickets_per_minute, 60),
                                LimitCheck("ticket", str(terminal), limits.tickets_per_hour, 3600)],
                      "too_many_tickets", "This kiosk has issued too many tickets just now; please wait a minute "
                                          "or ask at the information desk.")
    ticket, created = await request.app[STORE].run(request.app[QUEUE].issue, body.service, body.priority, terminal,
                                                   key, request.app[CLOCK]())
    return json_response(ticket, status=201 if created else 200)


async def get_ticket(request: web.Request) -> web.Response:
    ticket = await request.app[STORE].run(request.app[QUEUE].ticket, _public_id(request), request.app[CLOCK]())
    if ticket is None:
        raise RequestError(404, "ticket_not_found", "No ticket has this id.")
    return json_response(ticket)


async def post_void(request: web.Request) -> web.Response:
    # A kiosk voids the tickets it issued itself (one that did not print), and no other: any
    # token could otherwise empty the queue of another kiosk's citizens. Staff may void any.
    caller = await terminal_or_admin(request)
    queue = request.app[QUEUE]
    return json_response(await request.app[STORE].run(queue.void, _public_id(request), request.app[CLOCK](), caller))


async def post_call_next(request: web.Request) -> web.Response:
    require_admin(request)
    ticket = await request.app[STORE].run(request.app[QUEUE].call_next, path_int(request, "number"), request.app[CLOCK]())
    return json_response({"ticket": ticket})


async def post_recall(request: web.Request) -> web.Response:
    require_admin(request)
    ticket = await request.app[STORE].run(request.app[QUEUE].recall, path_int(request, "number"), request.app[CLOCK]())
    return json_response({"ticket": ticket})


async def post_no_show(request: web.Request) -> web.Response:
    require_admin(request)
    ticket = await request.app[STORE].run(request.app[QUEUE].no_show, path_int(request, "number"), request.app[CLOCK]())
    return json_response({"ticket": ticket})


# -- the page on the citizen's phone ------------------------------------------------

_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 0; padding: 1.5rem; text-align: center; color: #1a1a1a; }}
.office {{ font-size: 1rem; color: #555; }}
.number {{ font-size: 5rem; font-weight: bold; margin: 1rem 0; }}
.state {{ font-size: 1.5rem; margin: 0.5rem 0; }}
.en {{ color: #666; font-size: 1rem; }}
</style></head>
<body>
<p class="office">{office}</p>
<p>{service}</p>
<p class="number">{display}</p>
<p class="state">{state_vi}</p>
<p class="en">{state_en}</p>
<p class="en">{updated}</p>
</body></html>
"""


def _both(message: str, **values: Any) -> tuple[str, str]:
    """`message` in Vietnamese and in English, escaped for the page: a phone may be anyone's,
    so the page shows both, Vietnamese first."""
    return tuple(html.escape(translate(message, language).format(**values)) for language in ("vi", "en"))


def _state(ticket: dict[str, Any]) -> tuple[str, str]:
    status = ticket["status"]
    if status == "waiting":
        ahead, minutes = ticket["people_ahead"], ticket["estimated_wait_minutes"]
        if ahead == 0:
            return _both(N_("You are next."))
        return _both(N_("{ahead} people ahead of you, about {minutes} minutes."), ahead=ahead, minutes=minutes)
    if status == "called":
        return _both(N_("Please go to counter {counter}."), counter=ticket["counter"])
    if status == "served":
        return _both(N_("Served. Thank you!"))
    if status == "no_show":
        return _both(N_("You were called but not there. Please ask at the information desk."))
    return _both(N_("This ticket was cancelled."))


async def ticket_page(request: web.Request) -> web.Response:
    public_id = request.match_info["id"]
    now = request.app[CLOCK]()
    store = request.app[STORE]
    ticket = await store.run(request.app[QUEUE].ticket, public_id, now) if _PUBLIC_ID.match(public_id) else None
    if ticket is None:
        state_vi, state_en = _both(N_("No such ticket."))
        body = _PAGE.format(refresh="", title=state_vi, display="—", office="", service="",
                            state_vi=state_vi, state_en=state_en, updated="")
        return web.Response(status=404, text=body, content_type="text/html")
    site = json.loads(await store.run(store.meta, "site") or "{}")
    state_vi, state_en = _state(ticket)
    live = ticket["status"] in ("waiting", "called")
    body = _PAGE.format(
        refresh='<meta http-equiv="refresh" content="20">\n' if live else "",
        title=_both(N_("Queue number {number}"), number=ticket["display"])[0],
        display=html.escape(ticket["display"]),
        office=html.escape(site.get("name", "")),
        service=html.escape(f"{ticket['service']['letter']} - {ticket['service']['name']}"),
        state_vi=state_vi, state_en=state_en,
        updated=" · ".join(_both(N_("Updated at {time}"), time=f"{now:%H:%M}")),
    )
    return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application, api: str) -> None:
    app.router.add_get(f"{api}/queue/services", get_services)
    app.router.add_post(f"{api}/queue/tickets", post_ticket)
    app.router.add_get(f"{api}/queue/tickets/{{id}}", get_ticket)
    app.router.add_post(f"{api}/queue/tickets/{{id}}/void", post_void)
    app.router.add_post(f"{api}/queue/counters/{{number}}/call-next", post_call_next)
    app.router.add_post(f"{api}/queue/counters/{{number}}/recall", post_recall)
    app.router.add_post(f"{api}/queue/counters/{{number}}/no-show", post_no_show)
    app.router.add_get("/t/{id}", ticket_page)
