"""Call staff to the kiosk: the button on every screen that notifies the centre (its /admin page)
and tells the citizen where the information desk is. Only the screen's name is sent, never
anything the citizen typed or scanned.

Never queued in the outbox: a call for help that arrives ten minutes later, after the citizen
has given up or walked to the desk, would only send staff to an empty kiosk. When it cannot be
sent now, the citizen is told so at once and pointed to the information desk instead."""

from __future__ import annotations

import enum
import logging

from ..client.api import BackendClient
from ..client.errors import BackendError
from ..i18n import N_

log = logging.getLogger(__name__)


class HelpOutcome(str, enum.Enum):
    SENT = "sent"
    """Staff were notified: someone is coming."""
    REPEATED = "repeated"
    """Staff had already been notified of this kiosk's call a moment ago: someone is coming."""
    NOT_SENT = "not_sent"
    """No backend, no terminal id, no connection, or the backend refused: nobody was notified."""

    @property
    def message(self) -> str:
        """What the citizen reads, in English (Vietnamese through the catalogue)."""
        return HELP_MESSAGES[self]


HELP_MESSAGES = {
    HelpOutcome.SENT: N_("The staff have been told. Someone will come to help you here."),
    HelpOutcome.REPEATED: N_("The staff have already been told and someone is coming. Please wait here."),
    HelpOutcome.NOT_SENT: N_("The staff could not be told from this kiosk. Please go to the information desk."),
}


async def call_for_help(client: BackendClient | None, terminal_id: int | None, screen: str) -> HelpOutcome:
    """Notify the centre that a citizen at this kiosk needs help on `screen` (the screen's name,
    such as "dossier"). Never raises for network trouble: NOT_SENT then."""
    if client is None or terminal_id is None:
        return HelpOutcome.NOT_SENT
    try:
        answer = await client.call_for_help(terminal_id, screen)
    except BackendError as error:
        log.warning("call for help not sent: %s", error.detail or error.summary)
        return HelpOutcome.NOT_SENT
    return HelpOutcome.REPEATED if answer.repeated else HelpOutcome.SENT
