"""Rate the service: four faces, optional reasons, linked to this session's ticket or dossier."""

from __future__ import annotations

import uuid

from kivy.clock import Clock
from kivy.properties import ListProperty, StringProperty

from ..domain.rating import Rating
from ..i18n import translate
from ..journeys.rating import deliver_rating
from .base import KioskScreen, load_kv

THANKS_SECONDS = 5


class RatingScreen(KioskScreen):
    journey = "rating"
    level = StringProperty("")
    """The face chosen: one of RATING_LEVELS, "" before a choice."""
    reasons = ListProperty()
    state = StringProperty("choosing")
    """"choosing", "sending", "thanks"."""

    _leave = None

    def deactivate(self) -> None:
        if self._leave is not None:
            self._leave.cancel()  # the citizen left first; the next one must not be sent away
            self._leave = None
        self.level, self.reasons, self.state = "", [], "choosing"

    def toggle_reason(self, reason: str) -> None:
        self.reasons = [r for r in self.reasons if r != reason] if reason in self.reasons else [*self.reasons, reason]

    def send(self) -> None:
        if not self.level or self.state != "choosing":
            return
        app = self.app
        rating = Rating(
            level=self.level,
            # Sent in Vietnamese, the words the centre's staff read in the statistics.
            reasons=[translate(r, "vi") for r in self.reasons],
            ticket_id=app.session_ticket_id or None,
            dossier_code=app.session_dossier_code or None,
        )
        self.state = "sending"
        app.spawn(self._deliver(rating, uuid.uuid4().hex))

    async def _deliver(self, rating: Rating, key: str) -> None:
        services = self.app.services
        await deliver_rating(services.client, services.outbox, rating, key)
        if self.state != "sending":
            return  # the citizen left meanwhile (the rating is sent or kept all the same)
        self.state = "thanks"
        self._leave = Clock.schedule_once(lambda _dt: self.app.end_session(), THANKS_SECONDS)


load_kv(__file__)
