"""Take a queue number: choose the service, say whether you are in a priority group, get a
printed ticket and the number on screen. A ticket that does not print is voided at once,
so no number is ever called for nobody."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty

from ..domain.queue import PRIORITY_GROUPS, ServiceStatus
from ..journeys.queue import issue_and_print, service_wait, services_offered, ticket_wait
from ..journeys.read_aloud import queue_script
from .base import KioskScreen, in_language, load_kv


class QueueScreen(KioskScreen):
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

    upright = BooleanProperty(False)
    """The screen stands upright (1080x1920): the choices go low, where a seated person reaches."""
    REACH_LOW = 0.83
    """Upright, the bottom of the choices, as a share of the window's height from the top: above
    the lowest part of a standing screen, within reach from a wheelchair."""
    REACH_HIGH = 0.36
    """Upright, the top of the choices, as a share of the window's height from the top: higher
    than this a seated person does not reach. What does not fit between the two scrolls."""
    held_height = NumericProperty(0)
    """The height of what the panel shown holds: the body is no taller (queue.kv)."""

    _held = None
    """What the panel shown holds (a grid, a column): the body's height follows its height."""

    def activate(self) -> None:
        self.state = "loading"
        self.on_state()  # the waiting panel, even when the state did not change
        self.app.bind(language=self._build_buttons)
        self.app.spawn(self._load_services())

    def deactivate(self) -> None:
        self.app.unbind(language=self._build_buttons)
        self.state, self.services, self.service, self.ticket, self.message = "loading", [], None, None, ""
        self.field = ""

    async def _load_services(self) -> None:
        # The centre may give this kiosk some services only.
        services, serving, message = await services_offered(self.app.services.client, self.app.offered_services,
                                                            self.field)
        self.services = services
        if message:
            self._fail(message)
        elif serving:
            self.choose(serving)
        else:
            self.state = "services"

    def on_state(self, *_args) -> None:
        """Show the panel of the state: services, priority question, or the result."""
        kind = {"loading": "QueueWaitPanel", "services": "QueueServicesPanel", "priority": "QueuePriorityPanel",
                "issuing": "QueueWaitPanel", "done": "QueueResultPanel", "failed": "QueueResultPanel"}.get(self.state)
        body = self.ids.body
        body.clear_widgets()
        self.held_height = 0
        if self._held is not None:
            # A panel left behind still follows the language: its height is no longer the body's.
            self._held.unbind(height=self._fit_body)
            self._held = None
        if kind:
            panel = getattr(Factory, kind)()
            panel.screen = self  # a kv property: set after construction
            # The body is no taller than what the panel holds, so that the room left goes
            # around the block (above it, upright); what is taller scrolls, from its top.
            self._held = panel.children[0]
            self._held.bind(height=self._fit_body)
            self._fit_body(self._held, self._held.height)
            body.add_widget(panel)
            if kind == "QueueServicesPanel":
                self._services_grid = panel.ids.services
                self._build_buttons()

    def _fit_body(self, _held, height: float) -> None:
        self.held_height = height

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
        name = app.pick(service.name, service.name_en)
        message, numbers = service_wait(service.waiting, service.estimated_wait_minutes)
        waiting = in_language(app, message, *numbers)
        return f"{service.letter} · {name}\n{waiting}"

    def words(self, _language: str, ticket, message: str) -> str:
        """What the result panel says under the number: the wait, or why there is no number.
        The arguments are what kv watches."""
        if ticket is not None:
            message, numbers = ticket_wait(ticket.people_ahead, ticket.estimated_wait_minutes)
            return in_language(self.app, message, *numbers)
        return self.app.t(message) if message else ""

    def go_back(self) -> None:
        """From the priority question to the services, when there was a choice of them."""
        if self.state == "priority" and not self.field and len(self.services) > 1:
            self.state = "services"
        else:
            self.app.go("home")

    def holds_input(self) -> bool:
        return self.state == "done"  # the number on the screen: it may be the only copy

    def spoken(self):
        return queue_script(self.app.language, self.state, self.services, self.ticket, self.message)

    def choose(self, service: ServiceStatus) -> None:
        self.service = service
        self.state = "priority"

    def take(self, priority: str | None) -> None:
        if self.state != "priority":
            return
        self.state = "issuing"
        self.app.spawn(self._issue(priority))

    async def _issue(self, priority: str | None) -> None:
        app = self.app
        names = dict(PRIORITY_GROUPS)
        issued = await issue_and_print(
            app.services.client, app.services.printer, app.services.outbox, self.service.letter, priority,
            office_name=app.office_name,
            priority_name=app.t(names[priority]) if priority else None, language=app.language)
        if issued.ticket is None:
            self._fail(issued.message)
            return
        self.ticket = issued.ticket
        app.session_ticket_id = issued.ticket.id
        self.state = "done"
        app.read_aloud()  # the number said as well as shown: not every citizen reads it

    def _fail(self, message: str) -> None:
        self.message = message
        self.state = "failed"


load_kv(__file__)
