"""What people come to a centre for (a child is born, a marriage, a death in the family...):
the home screen's first tiles, each a search the citizen would otherwise have to know how
to word. Data, in kiosk/assets/life_events.json, which a centre may change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import ASSETS

LIFE_EVENTS = ASSETS / "life_events.json"


@dataclass(frozen=True)
class LifeEvent:
    name: str
    """In Vietnamese, as the tile says it."""
    name_en: str
    pictogram: str
    """A Material Design Icons name, with _ for - ("baby_carriage")."""
    query: str
    """What the tile searches for, in the words citizens type."""


def load_life_events(path: Path = LIFE_EVENTS) -> list[LifeEvent]:
    """The events in the file's order. ValueError, saying what is wrong, for a file that
    is not the list it should be: the home screen then shows its other tiles."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        events = [LifeEvent(**{key: str(entry[key]).strip() for key in LifeEvent.__dataclass_fields__})
                  for entry in data["events"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path.name}: {error}") from None
    empty = [event.name or "(no name)" for event in events if not all(vars(event).values())]
    if empty:
        raise ValueError(f"{path.name}: every event needs name, name_en, pictogram and query: {', '.join(empty)}")
    return events
