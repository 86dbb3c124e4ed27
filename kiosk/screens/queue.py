"""Take a queue number: choose the service, say whether you are in a priority group, get a
printed ticket and the number on screen. A ticket that does not print is voided at once,
so no number is ever called for nobody."""

from __future__ import annotations

import asyncio
import uuid

from kivy.factory import Factory
from kivy.properties import ListProperty, ObjectProperty, StringProperty

from ..client.errors import BackendError, Rejected
from ..domain.queue import PRIORITY_GROUPS, ServiceStatus, Ticket
from ..hardware.printer import PrinterError
from ..hardware.receipts import queue_ticket
from .base import KioskScreen, load_kv

# Why the journey could not go on, in English (Vietnamese through the catalogue).
NO_CONNECTION = "Queue numbers need the connection to the system. Please ask at the information desk."
ALL_CLOSED = "No service is giving out numbers now. Please come back during opening hours."
SERVICE_CLOSED = "This service is not giving out numbers now. Please ask at the information desk."
NOT_PRINTED = ("The ticket could not be printed, so that number was cancelled. "
               "Please ask at the information desk for a number.")
MESSAGES = (NO_CONNECTION, ALL_CLOSED, SERVICE_CLOSED, NOT_PRINTED)


class QueueScreen(KioskScreen):
    journey = "queue"
    state = StringProperty("loading")
    """"loading", "services", "priority", "issuing", "done", "failed"."""
    services = ListProperty()
    service = ObjectProperty(None, allownone=True)
    ticket = ObjectProperty(None, allownone=True)
    message = StringProperty("")
    """Why the journey could not go on, in English (translated on screen)."""

    field = StringProperty("")
    """A field (lĩnh vực) code given by the screen that sent the citizen here: its service is
    chosen for them. Set before going to this screen; forgotten when leaving it."""

    def activate(self) -> None:
        self.state = "loading"
        self.app.bind(language=self._build_buttons)
        self.app.spawn(self._load_services())

    def deactivate(self) -> None:
        self.app.unbind(language=self._build_buttons)
        self.state, self.services, self.service, self.ticket, self.message = "loading", [], None, None, ""
        self.field = ""

    async def _load_services(self) -> None:
        client = self.app.services.client
        try:
            if client is None:
                raise BackendError("no backend")
            services = await client.services()
        except BackendError:
            self._fail(NO_CONNECTION)
            return
        offered = self.app.offered_services  # the centre may give this kiosk some services only
        self.services = [s for s in services if s.issuing and (not offered or s.letter in offered)]
        serving = [s for s in self.services if self.field and self.field in s.fields]
        if serving:
            self.choose(serving[0])
        elif self.services:
            self.state = "services"
        else:
            self._fail(ALL_CLOSED)

    def on_state(self, *_args) -> None:
        """Show the panel of the state: services, priority question, or the result."""
        kind = {"services": "QueueServicesPanel", "priority": "QueuePriorityPanel",
                "done": "QueueResultPanel", "failed": "QueueResultPanel"}.get(self.state)
        body = self.ids.body
        body.clear_widgets()
        if kind:
            panel = getattr(Factory, kind)()
            panel.screen = self  # a kv property: set after construction
            body.add_widget(panel)
            if kind == "QueueServicesPanel":
                self._services_grid = panel.ids.services
                self._build_buttons()

    def _build_buttons(self, *_args) -> None:
        grid = getattr(self, "_services_grid", None)
        if grid is None or self.state != "services":
            return
        grid.clear_widgets()
        for service in self.services:
            button = Factory.ServiceButton(text=self._describe(service))
            button.bind(on_release=lambda _button, chosen=service: self.choose(chosen))
            grid.add_widget(button)

    def _describe(self, service: ServiceStatus) -> str:
        app = self.app
        name = service.name if app.language == "vi" else service.name_en
        waiting = app.t("{} waiting, about {} minutes").format(service.waiting, service.estimated_wait_minutes)
        return f"{service.letter} · {name}\n{waiting}"

    def choose(self, service: ServiceStatus) -> None:
        self.service = service
        self.state = "priority"

    def take(self, priority: str | None) -> None:
        if self.state != "priority":
            return
        self.state = "issuing"
        self.app.spawn(self._issue(priority))

    async def _issue(self, priority: str | None) -> None:
        services = self.app.services
        try:
            ticket = await services.client.issue_ticket(self.service.letter, priority, uuid.uuid4().hex)
        except Rejected:
            self._fail(SERVICE_CLOSED)
            return
        except BackendError:
            self._fail(NO_CONNECTION)
            return
        try:
            await self._print(ticket, priority)
        except PrinterError:
            await self._void(ticket)
            self._fail(NOT_PRINTED)
            return
        self.ticket = ticket
        self.app.session_ticket_id = ticket.id
        self.state = "done"

    async def _print(self, ticket: Ticket, priority: str | None) -> None:
        printer = self.app.services.printer
        if printer is None:
            raise PrinterError("no printer")
        names = dict(PRIORITY_GROUPS)
        image = queue_ticket(
            ticket, office_name=self.app.office_name, width=printer.width,
            url=f"{self.app.services.client.base_url}/t/{ticket.id}",
            priority_name=self.app._translate(names[priority], "vi") if priority else None,
        )
        # The printer blocks while it works: never on the loop that draws the screen.
        await asyncio.to_thread(printer.print_image, image)

    async def _void(self, ticket: Ticket) -> None:
        services = self.app.services
        try:
            await services.client.void_ticket(ticket.id)
        except BackendError:
            services.outbox.add_void(ticket.id)  # sent when the backend is back, before anything else

    def _fail(self, message: str) -> None:
        self.message = message
        self.state = "failed"


load_kv(__file__)
