"""Issue -> print -> void: a queue number counts only if it printed. A number the backend
issued that then did not print, or whose journey was cancelled, is voided at once (or, with
the backend gone, through the outbox), so that no number is ever called for nobody."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from ..client.api import BackendClient
from ..client.errors import BackendError, Rejected, TooManyRequests
from ..client.outbox import Outbox
from ..domain.queue import Ticket
from ..hardware.printer import PrinterError
from ..hardware.receipts import queue_ticket

log = logging.getLogger(__name__)

# Why the journey could not go on, in English (Vietnamese through the catalogue).
NO_CONNECTION = "Queue numbers need the connection to the system. Please ask at the information desk."
ALL_CLOSED = "No service is giving out numbers now. Please come back during opening hours."
SERVICE_CLOSED = "This service is not giving out numbers now. Please ask at the information desk."
BUSY = "This kiosk has given out many numbers in the last few minutes. Please wait a minute and try again."
NOT_PRINTED = ("The ticket could not be printed, so that number was cancelled. "
               "Please ask at the information desk for a number.")

# How long a wait is, in words a person says: nobody ahead is "you are next", never "0 people,
# about 0 minutes"; a wait under two minutes is "about a minute", never "about 0 minutes" (an
# estimate rounds down to 0 when a few counters serve quickly). English counts one person apart.
YOU_ARE_NEXT = "You are next. Please take your printed ticket."
AHEAD = {
    (True, True): "1 person ahead of you, about a minute. Please take your printed ticket.",
    (True, False): "1 person ahead of you, about {} minutes. Please take your printed ticket.",
    (False, True): "{} people ahead of you, about a minute. Please take your printed ticket.",
    (False, False): "{} people ahead of you, about {} minutes. Please take your printed ticket.",
}
NOBODY_WAITING = "Nobody waiting"
WAITING = {True: "{} waiting, about a minute", False: "{} waiting, about {} minutes"}
MESSAGES = (NO_CONNECTION, ALL_CLOSED, SERVICE_CLOSED, BUSY, NOT_PRINTED, YOU_ARE_NEXT, *AHEAD.values(), NOBODY_WAITING,
            *WAITING.values())
"""Every message of this journey, each with its Vietnamese in the catalogue."""


def ticket_wait(people_ahead: int, minutes: int) -> tuple[str, tuple[int, ...]]:
    """What the screen says of a ticket's wait: an English message (translated where it is
    shown) and the numbers to format it with."""
    if people_ahead <= 0:
        return YOU_ARE_NEXT, ()
    message = AHEAD[people_ahead == 1, minutes <= 1]
    numbers = (minutes,) if people_ahead == 1 else (people_ahead, minutes)
    return message, numbers[:message.count("{}")]


def service_wait(waiting: int, minutes: int) -> tuple[str, tuple[int, ...]]:
    """What the list of services says of one service's queue: message and numbers, as ticket_wait."""
    if waiting <= 0:
        return NOBODY_WAITING, ()
    message = WAITING[minutes <= 1]
    return message, (waiting, minutes)[:message.count("{}")]


@dataclass(frozen=True)
class Issued:
    """A journey's end: the ticket printed, or why there is none (`message`)."""

    ticket: Ticket | None
    message: str = ""


async def issue_and_print(client: BackendClient | None, printer, outbox: Outbox, service: str,
                          priority: str | None, *, office_name: str, priority_name: str | None = None,
                          language: str = "vi") -> Issued:
    """Issue a ticket for `service`, print it, and void it if it does not print.

    Cancelled at any point, the ticket is voided if the backend issued it, and the
    cancellation goes on: a cancelled journey never hands a ticket to anyone."""
    if client is None:
        return Issued(None, NO_CONNECTION)
    # The request goes on when the journey is cancelled: only its answer tells which ticket
    # the backend may have issued, so that it can be voided.
    request = asyncio.ensure_future(client.issue_ticket(service, priority, uuid.uuid4().hex))
    try:
        ticket = await asyncio.shield(request)
    except TooManyRequests:
        return Issued(None, BUSY)  # the backend's ceiling per kiosk: the service is not closed
    except Rejected:
        return Issued(None, SERVICE_CLOSED)
    except BackendError:
        return Issued(None, NO_CONNECTION)
    except asyncio.CancelledError:
        try:
            ticket = await request
        except BackendError:
            raise asyncio.CancelledError from None  # nothing was issued, nothing to void
        log.info("queue ticket %s issued for a journey left meanwhile: voided", ticket.id)
        await void(client, outbox, ticket)
        raise
    try:
        await print_ticket(printer, ticket, office_name=office_name, url=f"{client.base_url}/t/{ticket.id}",
                           priority_name=priority_name, language=language)
    except PrinterError as error:
        log.warning("queue ticket %s not printed (%s): voided", ticket.id, error)
        await void(client, outbox, ticket)
        return Issued(None, NOT_PRINTED)
    except asyncio.CancelledError:
        # Left while the printer worked: the paper may come out, but the number is not called.
        log.info("queue ticket %s: the journey was left while printing; voided", ticket.id)
        await void(client, outbox, ticket)
        raise
    return Issued(ticket)


async def print_ticket(printer, ticket: Ticket, *, office_name: str, url: str, priority_name: str | None,
                       language: str = "vi") -> None:
    """The ticket in `language`, the citizen's (`priority_name` already in it)."""
    if printer is None:
        raise PrinterError("unreachable", "this kiosk has no printer")
    image = queue_ticket(ticket, office_name=office_name, width=printer.width, url=url, priority_name=priority_name,
                         language=language)
    # The printer blocks while it works: never on the loop that draws the screen.
    await asyncio.to_thread(printer.print_image, image)


async def void(client: BackendClient, outbox: Outbox, ticket: Ticket) -> None:
    """Void at once, or through the outbox, which sends it before anything else once the
    backend is back. Shielded: a second cancellation does not leave the number standing."""
    try:
        await asyncio.shield(client.void_ticket(ticket.id))
    except (BackendError, asyncio.CancelledError):
        outbox.add_void(ticket.id)


async def services_offered(client: BackendClient | None, offered: list[str], field: str = ""):
    """The services giving numbers that this kiosk offers (all when `offered` is empty),
    and the one serving `field` if any: (services, chosen or None, message)."""
    if client is None:
        return [], None, NO_CONNECTION
    try:
        services = await client.services()
    except BackendError:
        return [], None, NO_CONNECTION
    shown = [s for s in services if s.issuing and (not offered or s.letter in offered)]
    if not shown:
        return [], None, ALL_CLOSED
    serving = [s for s in shown if field and field in s.fields]
    return shown, (serving[0] if serving else None), ""
