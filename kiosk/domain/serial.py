"""JSON round-trip for the domain dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any, TypeVar, get_args, get_origin

T = TypeVar("T")


def _strict(kind: type) -> Any:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is kind or (kind is float and type(value) is int):
            return value
        raise TypeError(f"expected {kind.__name__}, not {type(value).__name__}")

    return structure


def _strict_list(value: Any, kind: Any) -> list[Any]:
    # By default any iterable would do, and "commune" would become ["c", "o", ...].
    if not isinstance(value, list):
        raise TypeError(f"expected a list, not {type(value).__name__}")
    (item,) = get_args(kind)
    return [converter().structure(x, item) for x in value]


@functools.cache
def converter():
    """The one cattrs converter, made at the first data read: cattrs is not loaded while the
    kiosk starts (its attract screen reads no data).

    Strict: an unknown key, or a number where text belongs, is a mistake in the data, not
    something to drop or convert silently (cattrs would turn 5 into "5" by default)."""
    import cattrs

    made = cattrs.Converter(forbid_extra_keys=True)
    made.register_structure_hook_func(lambda kind: get_origin(kind) is list, _strict_list)
    for kind in (str, int, float, bool):
        made.register_structure_hook(kind, _strict(kind))
    made.register_structure_hook(dt.datetime, lambda value, _: dt.datetime.fromisoformat(value))
    made.register_structure_hook(dt.date, lambda value, _: dt.date.fromisoformat(value))
    return made


class DataShapeError(ValueError):
    """Data that does not fit a dataclass; the message says where and why."""


def parse_datetime(text: str | None) -> dt.datetime | None:
    """An ISO date-time as stored in the JSON form, or None."""
    return dt.datetime.fromisoformat(text) if text else None


def _encode(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _dict_factory(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _encode(value) for key, value in pairs}


class JsonMixin:
    """`to_dict()` gives JSON-ready data; `from_dict()` rebuilds and type-checks it."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self, dict_factory=_dict_factory)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        import cattrs

        try:
            return converter().structure(data, cls)
        except cattrs.BaseValidationError as error:
            raise DataShapeError("; ".join(cattrs.transform_error(error))) from None
        except (TypeError, ValueError, AttributeError) as error:
            raise DataShapeError(str(error)) from None

