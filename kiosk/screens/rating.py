"""Rate the service: four faces, optional reasons that fit the face chosen, linked to this
session's ticket or dossier, if any. Offered after a dossier look-up and after a printed list of
documents; not after taking a number (the citizen has not been served yet): a queue ticket is
rated from its page on the citizen's phone once the counter has served it."""

from __future__ import annotations

import uuid

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import ListProperty, NumericProperty, StringProperty

from ..domain.rating import Rating, reasons_for
from ..i18n import translate
from ..journeys.rating import deliver_rating
from ..journeys.read_aloud import rating_script
from .base import KioskScreen, load_kv

THANKS_SECONDS = 5


class RatingScreen(KioskScreen):
    level = StringProperty("")
    """The face chosen: one of RATING_LEVELS, "" before a choice."""
    reasons = ListProperty()
    state = StringProperty("choosing")
    """"choosing", "sending", "thanks"."""

    face_label_height = NumericProperty(0)
    """The tallest of the faces' labels (a chosen one is bold, and may take two lines)."""

    _leave = None

    def on_kv_post(self, *_args) -> None:
        self.on_level()
        for face in self.ids.faces.children:
            face.ids.label.bind(texture_size=self._even_labels)

    def _even_labels(self, *_args) -> None:
        self.face_label_height = max(face.ids.label.texture_size[1] for face in self.ids.faces.children)

    def on_level(self, *_args) -> None:
        """The reasons that fit the face chosen. Before a choice, the unsatisfied ones are laid
        out unseen: the row keeps its height, and choosing a face moves nothing under the finger."""
        grid = self.ids.reasons
        grid.clear_widgets()
        offered = reasons_for(self.level) or reasons_for("unsatisfied")
        grid.cols = len(offered)
        for reason in offered:
            button = Factory.ReasonButton()  # a kv class: its properties exist once it is made
            button.screen, button.reason = self, reason
            grid.add_widget(button)
        self.reasons = [r for r in self.reasons if r in offered]

    def deactivate(self) -> None:
        if self._leave is not None:
            self._leave.cancel()  # the citizen left first; the next one must not be sent away
            self._leave = None
        self.level, self.reasons, self.state = "", [], "choosing"

    def spoken(self):
        return rating_script(self.app.language, self.state)

    def toggle_reason(self, reason: str) -> None:
        if reason not in reasons_for(self.level):
            return
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
