"""JSON round-trip for the domain dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, TypeVar

import dacite

T = TypeVar("T")

# strict: an unknown key is a mistake in a data file, not something to drop silently.
_CONFIG = dacite.Config(
    strict=True,
    type_hooks={dt.datetime: dt.datetime.fromisoformat, dt.date: dt.date.fromisoformat},
)


def _encode(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _dict_factory(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _encode(value) for key, value in pairs}


def parse_datetime(text: str | None) -> dt.datetime | None:
    """An ISO date-time as stored in the JSON form, or None."""
    return dt.datetime.fromisoformat(text) if text else None


class JsonMixin:
    """`to_dict()` gives JSON-ready data; `from_dict()` rebuilds and type-checks it."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self, dict_factory=_dict_factory)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        return dacite.from_dict(cls, data, _CONFIG)


DataError = (dacite.DaciteError, ValueError, TypeError)
"""What `from_dict` raises for data of the wrong shape."""
