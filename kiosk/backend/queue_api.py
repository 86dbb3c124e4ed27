"""HTTP handlers of the queue, and the public page a ticket's QR code opens."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..domain.rating import RATING_LEVELS, Rating, reasons_for
from ..domain.scan import TICKET_ID_PATTERN
from ..domain.serial import JsonMixin
from ..i18n import N_, translate
from .board import BOARD, event_stream
from .errors import RequestError
from .http import (CLOCK, LIMITS, QUEUE, RATINGS, SITES, STORE, body_deadline, client_address, csp_hash,
                   idempotency_key, json_response, path_int, read_json, require_admin, requested_site, take_limits,
                   terminal_and_site, terminal_or_admin)
from .ratings import PHONE, phone_key
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


async def _kiosk_site(request: web.Request) -> str:
    """The site a kiosk's call is about: its own, when it sends its token; else ?site= ("main")."""
    try:
        return (await terminal_and_site(request))[1]
    except RequestError:  # no token, or not a kiosk's: the services are public
        return await requested_site(request)


async def get_services(request: web.Request) -> web.Response:
    store, queue = request.app[STORE], request.app[QUEUE].at(await _kiosk_site(request))
    return json_response({"services": await store.run(queue.services_overview, request.app[CLOCK]())})


async def post_ticket(request: web.Request) -> web.Response:
    app = request.app
    store, queue, limits = app[STORE], app[QUEUE], app[LIMITS]
    # Who asks, before anything of the request is read: a caller without a good token waits for
    # no body and takes no write lock.
    terminal, site = await terminal_and_site(request)  # a kiosk's tickets are its own site's
    key = idempotency_key(request, required=True)
    body = await read_json(request, TicketRequest)
    now = app[CLOCK]()

    def issue() -> tuple[dict[str, Any] | None, bool, RequestError | None]:
        # A kiosk with a stuck button, or a stolen token, cannot fill the day's queue with numbers.
        if store.count_limits([LimitCheck("ticket", str(terminal), limits.tickets_per_minute, 60),
                               LimitCheck("ticket", str(terminal), limits.tickets_per_hour, 3600)],
                              now.timestamp()):
            raise RequestError(429, "too_many_tickets", "This kiosk has issued too many tickets just now; "
                                                        "please wait a minute or ask at the information desk.")
        try:
            return *queue.at(site).issue_within(body.service, body.priority, terminal, key, now), None
        except RequestError as error:
            return None, False, error  # counted against the ceilings all the same, as every well-formed call is

    # The ceilings, the ticket and its event in one transaction, shared with the other kiosks'
    # tickets of the moment: one commit for them all.
    ticket, created, failed = await store.run_write(issue)
    if failed is not None:
        raise failed
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


async def _counter_action(request: web.Request, method: str) -> web.Response:
    """A counter's call made with the admin token, at the site ?site= names ("main" without it)."""
    require_admin(request)
    queue = request.app[QUEUE].at(await requested_site(request))
    ticket = await request.app[STORE].run(getattr(queue, method), path_int(request, "number"), request.app[CLOCK]())
    return json_response({"ticket": ticket})


async def post_call_next(request: web.Request) -> web.Response:
    return await _counter_action(request, "call_next")


async def post_recall(request: web.Request) -> web.Response:
    return await _counter_action(request, "recall")


async def post_no_show(request: web.Request) -> web.Response:
    return await _counter_action(request, "no_show")


# -- the page on the citizen's phone ------------------------------------------------

_STYLE = """body { font-family: sans-serif; margin: 0; padding: 1.5rem; text-align: center; color: #1a1a1a; }
.office { font-size: 1rem; color: #555; }
.number { font-size: 5rem; font-weight: bold; margin: 1rem 0; }
.state { font-size: 1.5rem; margin: 0.5rem 0; }
.state.called { font-size: 2rem; font-weight: bold; color: #fff; background: #1f7a3a; padding: 1rem; border-radius: 0.5rem; }
.en { color: #666; font-size: 1rem; }
.rating { border-top: 1px solid #ccc; margin-top: 1.5rem; padding-top: 1rem; }
.ask { font-size: 1.4rem; font-weight: bold; margin: 0.5rem 0; }
.faces { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75rem; max-width: 30rem; margin: 1rem auto; }
.faces button, .send { font-size: 1.2rem; padding: 1rem 0.5rem; min-height: 4.5rem; border: 0; border-radius: 0.5rem;
  color: #fff; width: 100%; }
.faces .en, .send .en, .reason .en { color: inherit; opacity: 0.85; font-size: 0.9rem; }
.very_satisfied { background: #1f7a3a; } .satisfied { background: #4d7f1a; }
.unsatisfied { background: #a85c00; } .very_unsatisfied { background: #b3261e; }
.reasons { max-width: 30rem; margin: 1rem auto; text-align: left; }
.reason { display: flex; align-items: center; gap: 0.75rem; font-size: 1.2rem; padding: 0.75rem;
  margin: 0.5rem 0; border: 1px solid #999; border-radius: 0.5rem; min-height: 3rem; }
.reason input { width: 1.75rem; height: 1.75rem; }
.send { background: #0b559f; max-width: 30rem; }
.again { display: inline-block; font-size: 1.1rem; padding: 1rem; }
"""
_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}<title>{title}</title>
<style>{style}</style></head>
<body data-status="{status}" data-events="{events}">
<p class="office">{office}</p>
<p>{service}</p>
<p class="number">{display}</p>
<p class="state{called}" id="state-vi">{state_vi}</p>
<p class="en" id="state-en">{state_en}</p>
<p class="en" id="updated">{updated}</p>
{rating}{script}</body></html>
"""
# While the ticket waits or is called, the page follows the queue's event stream: its words
# change as the line moves, and when its status changes (called, served) the page is drawn
# again, with the rating once served. Without a script, it reloads itself every 20 s.
LIVE_SCRIPT = """
(function () {
  var body = document.body;
  var source = new EventSource(body.dataset.events);
  source.onopen = function () { body.dataset.live = "yes"; };
  source.onmessage = function (message) {
    var ticket = JSON.parse(message.data);
    if (ticket.status !== body.dataset.status) { source.close(); location.reload(); return; }
    document.getElementById("state-vi").innerHTML = ticket.vi;
    document.getElementById("state-en").innerHTML = ticket.en;
    document.getElementById("updated").innerHTML = ticket.updated;
  };
})();
"""
# Only the page's own style and script run (by their hashes), and it is framed nowhere.
PAGE_HEADERS = {
    "Content-Security-Policy": f"default-src 'self'; style-src {csp_hash(_STYLE)}; "
                               f"script-src {csp_hash(LIVE_SCRIPT)}; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
}


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
        return _both(N_("It is your turn! Please go to counter {counter}."), counter=ticket["counter"])
    if status == "served":
        return _both(N_("Served. Thank you!"))
    if status == "no_show":
        return _both(N_("You were called but not there. Please ask at the information desk."))
    return _both(N_("This ticket was cancelled."))


# -- rating the service from that page, once the counter has served the ticket ---------------
# The kiosk no longer asks right after a number is taken: the citizen has not been served then.
# The page asks once the backend knows the counter has finished with the ticket. Plain forms,
# no script: any phone's browser. Nothing personal is asked; one rating per ticket.


def _line(message: str, css: str = "", **values: Any) -> str:
    """`message` in Vietnamese, and in English below it, smaller."""
    vi, en = _both(message, **values)
    return f'<p class="{css}">{vi}</p>\n<p class="en">{en}</p>\n'


def _faces(public_id: str) -> str:
    buttons = "".join(
        f'<button name="level" value="{level}" class="{level}">{html.escape(translate(words, "vi"))}<br>'
        f'<span class="en">{html.escape(words)}</span></button>\n'
        for level, words in RATING_LEVELS.items())
    # A GET form: choosing a face changes nothing yet, it shows the reasons that fit it.
    return (f'<form class="rating" method="get" action="/t/{public_id}#rating">\n'
            f'{_line(N_("How satisfied are you with the service today?"), "ask")}'
            f'<div class="faces">\n{buttons}</div></form>\n')


def _reasons(public_id: str, level: str) -> str:
    reasons = "".join(
        f'<label class="reason"><input type="checkbox" name="reason" value="{html.escape(reason)}">'
        f'<span>{html.escape(translate(reason, "vi"))}<br>'
        f'<span class="en">{html.escape(reason)}</span></span></label>\n'
        for reason in reasons_for(level))
    words = RATING_LEVELS[level]
    again = " · ".join(_both(N_("Choose another face")))
    return (f'<form class="rating" id="rating" method="post" action="/t/{public_id}">\n'
            f'<input type="hidden" name="level" value="{level}">\n'
            f'{_line(words, "ask")}{_line(N_("Why? (you may skip this)"))}'
            f'<div class="reasons">\n{reasons}</div>\n'
            f'<button class="send" type="submit">{html.escape(translate("Send", "vi"))}<br>'
            f'<span class="en">{html.escape(translate("Send", "en"))}</span></button>\n'
            f'<p><a class="again" href="/t/{public_id}">{again}</a></p>\n'
            f'</form>\n')


def _rating_part(public_id: str, ticket: dict[str, Any], rated: bool, level: str | None) -> str:
    if ticket["status"] != "served":
        return ""
    if rated:
        return f'<div class="rating">\n{_line(N_("Thank you! Your rating helps us serve you better."), "ask")}</div>\n'
    return _reasons(public_id, level) if level in RATING_LEVELS else _faces(public_id)


def _page(status: int, message: str) -> web.Response:
    """A page that only says `message`: no such ticket, or a rating refused."""
    state_vi, state_en = _both(message)
    body = _PAGE.format(style=_STYLE, refresh="", title=state_vi, display="—", office="", service="", status="", events="",
                        called="", state_vi=state_vi, state_en=state_en, updated="", rating="", script="")
    return web.Response(status=status, text=body, content_type="text/html", headers=PAGE_HEADERS)


async def _ticket_response(request: web.Request, public_id: str, level: str | None = None) -> web.Response:
    now = request.app[CLOCK]()
    store = request.app[STORE]
    queue, sites = request.app[QUEUE], request.app[SITES]
    ticket, site = await store.run(lambda: (queue.ticket(public_id, now), sites.get(queue.site_of(public_id) or ""))
                                   ) if _PUBLIC_ID.match(public_id) else (None, None)
    if ticket is None:
        return _page(404, N_("No such ticket."))
    state_vi, state_en = _state(ticket)
    live = ticket["status"] in ("waiting", "called")
    rated = ticket["status"] == "served" and await store.run(request.app[RATINGS].rated_from_page, public_id)
    body = _PAGE.format(
        style=_STYLE, refresh='<noscript><meta http-equiv="refresh" content="20"></noscript>\n' if live else "",
        status=ticket["status"], events=f"/t/{public_id}/events", script=f"<script>{LIVE_SCRIPT}</script>\n" if live else "",
        called=" called" if ticket["status"] == "called" else "",
        title=_both(N_("Queue number {number}"), number=ticket["display"])[0],
        display=html.escape(ticket["display"]),
        office=html.escape(site.name if site else ""),
        service=html.escape(f"{ticket['service']['letter']} - {ticket['service']['name']}"),
        state_vi=state_vi, state_en=state_en,
        updated=_updated(now),
        rating=_rating_part(public_id, ticket, rated, level),
    )
    return web.Response(text=body, content_type="text/html", headers=PAGE_HEADERS)


def _updated(now: dt.datetime) -> str:
    return " · ".join(_both(N_("Updated at {time}"), time=f"{now:%H:%M:%S}"))


async def ticket_events(request: web.Request) -> web.StreamResponse:
    """The ticket's words each time they change, for its page (Server-Sent Events)."""
    public_id = _public_id(request)
    store, queue, clock = request.app[STORE], request.app[QUEUE], request.app[CLOCK]
    sent: dict[str, str] = {}

    async def message(_board: dict[str, Any]) -> dict[str, str] | None:
        ticket = await store.run(queue.ticket, public_id, clock())
        if ticket is None:
            return None
        state_vi, state_en = _state(ticket)
        shown = {"status": ticket["status"], "vi": state_vi, "en": state_en}
        if shown == sent:
            return None
        sent.update(shown)
        return shown | {"updated": _updated(clock())}

    site = await store.run(queue.site_of, public_id)
    if site is None:
        raise RequestError(404, "ticket_not_found", "No ticket has this id.")
    return await event_stream(request, request.app[BOARD].of(site), message)


async def ticket_page(request: web.Request) -> web.Response:
    level = request.query.get("level")
    return await _ticket_response(request, request.match_info["id"], level)


async def rate_from_ticket_page(request: web.Request) -> web.Response:
    """The rating posted from a ticket's page: checked like a kiosk's (the same Rating, the same
    ceilings, counted per caller's address), recorded once per ticket, no terminal, nothing personal."""
    public_id = request.match_info["id"]
    if not _PUBLIC_ID.match(public_id):
        return _page(404, N_("No such ticket."))
    try:
        async with body_deadline(request):
            form = await request.post()
    except (ValueError, LookupError):  # a broken body; a charset that is not a text encoding
        return _page(400, N_("The form sent could not be read."))
    now = request.app[CLOCK]()
    store = request.app[STORE]
    ticket = await store.run(request.app[QUEUE].ticket, public_id, now)
    if ticket is None:
        return _page(404, N_("No such ticket."))
    if ticket["status"] != "served":
        return _page(409, N_("A ticket can be rated once the counter has served it."))
    level = form.get("level")
    reasons = form.getall("reason", [])
    offered = reasons_for(level) if isinstance(level, str) else []
    if not offered or len(reasons) > len(offered) or any(r not in offered for r in reasons):
        return _page(400, N_("Please choose one of the faces, and only the reasons shown under it."))
    rating = Rating(level=level, reasons=[translate(r, "vi") for r in dict.fromkeys(reasons)], ticket_id=public_id)
    if rating.problems():
        return _page(400, N_("Please choose one of the faces, and only the reasons shown under it."))
    limits = request.app[LIMITS]
    address = client_address(request)
    try:
        await take_limits(request, [LimitCheck("rating-page", address, limits.ratings_per_minute, 60),
                                    LimitCheck("rating-page", address, limits.ratings_per_hour, 3600)],
                          "too_many_ratings", "Too many ratings from this address.")
    except RequestError:
        return _page(429, N_("Too many ratings from here just now. Please try again in a minute."))
    site = await store.run(request.app[QUEUE].site_of, public_id)
    await store.run(request.app[RATINGS].add, rating, PHONE, phone_key(public_id), now, site)
    return await _ticket_response(request, public_id)


def add_routes(app: web.Application, api: str) -> None:
    app.router.add_get(f"{api}/queue/services", get_services)
    app.router.add_post(f"{api}/queue/tickets", post_ticket)
    app.router.add_get(f"{api}/queue/tickets/{{id}}", get_ticket)
    app.router.add_post(f"{api}/queue/tickets/{{id}}/void", post_void)
    app.router.add_post(f"{api}/queue/counters/{{number}}/call-next", post_call_next)
    app.router.add_post(f"{api}/queue/counters/{{number}}/recall", post_recall)
    app.router.add_post(f"{api}/queue/counters/{{number}}/no-show", post_no_show)
    app.router.add_get("/t/{id}", ticket_page)
    app.router.add_get("/t/{id}/events", ticket_events)
    app.router.add_post("/t/{id}", rate_from_ticket_page)
