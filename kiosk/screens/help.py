""""Call staff for help": the centre is told which kiosk and screen need someone, and the citizen
is told where the information desk is, whether the call went through or not."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

from ..i18n import N_
from ..journeys.help import call_for_help
from .base import load_kv


class HelpView(ModalView):
    """Opened by the bottom bar's help button over the screen `screen`."""

    screen = StringProperty("")
    outcome = StringProperty("calling")
    """"calling" while the centre is being told, then a HelpOutcome's value."""
    message = StringProperty(N_("Telling the staff…"))
    """What the citizen reads about the call, in English (shown translated)."""

    def on_open(self) -> None:
        app = App.get_running_app()
        services = app.services
        app.spawn(self._call(services.client, services.terminal_id), session=False)

    async def _call(self, client, terminal_id) -> None:
        outcome = await call_for_help(client, terminal_id, self.screen)
        self.outcome, self.message = outcome.value, outcome.message


load_kv(__file__)
