"""Citizens' ratings of the service, on the scale of Vietnamese satisfaction surveys."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_
from .serial import JsonMixin

# From the best to the worst; in Vietnamese (through the catalogue) as the national
# satisfaction survey words them.
RATING_LEVELS = {
    "very_satisfied": N_("Very satisfied"),
    "satisfied": N_("Satisfied"),
    "unsatisfied": N_("Not satisfied"),
    "very_unsatisfied": N_("Dissatisfied"),
}

# Reasons a kiosk offers to tick, in English as the code's words (Vietnamese through the
# catalogue); they are sent in Vietnamese, the words the centre's statistics show. A reason
# fits the level it is offered under: praise under a satisfied face, complaints under an
# unsatisfied one ("Quick service" under "Not satisfied" read as a contradiction).
SATISFIED_LEVELS = ("very_satisfied", "satisfied")
POSITIVE_REASONS = [N_("Quick service"), N_("Helpful staff"), N_("Clear guidance")]
NEGATIVE_REASONS = [N_("Long wait"), N_("Unclear guidance"), N_("Asked for extra papers")]
RATING_REASONS = [*POSITIVE_REASONS, *NEGATIVE_REASONS]
"""Every reason any level offers: what the statistics may show."""


def reasons_for(level: str) -> list[str]:
    """The reasons offered after choosing `level`; none before a level is chosen."""
    if level in SATISFIED_LEVELS:
        return list(POSITIVE_REASONS)
    return list(NEGATIVE_REASONS) if level in RATING_LEVELS else []


@dataclass
class Rating(JsonMixin):
    level: str
    reasons: list[str] = field(default_factory=list)
    ticket_id: str | None = None
    dossier_code: str | None = None

    def problems(self) -> list[str]:
        found = []
        if self.level not in RATING_LEVELS:
            found.append(f"level must be one of {list(RATING_LEVELS)}")
        if len(self.reasons) > 10 or any(not 0 < len(r) <= 200 for r in self.reasons):
            found.append("at most 10 reasons of 1 to 200 characters")
        if self.ticket_id is not None and not 1 <= len(self.ticket_id) <= 64:
            found.append("ticket_id is 1 to 64 characters")
        if self.dossier_code is not None and not 1 <= len(self.dossier_code) <= 64:
            found.append("dossier_code is 1 to 64 characters")
        return found
