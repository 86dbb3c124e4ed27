"""The configuration file (INI): where it is and what it says."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from .domain.calendar import WorkingCalendar

# The package is installed from its source tree, so the example config sits beside it.
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "config" / "kiosk.ini"


class ConfigError(Exception):
    """A configuration file that cannot be used, with the reason."""


def load_config(path: str | os.PathLike[str] | None = None) -> configparser.ConfigParser:
    """Read `path`, else $KIOSK_CONFIG, else the example config shipped with the source."""
    chosen = Path(path or os.environ.get("KIOSK_CONFIG") or EXAMPLE_CONFIG)
    config = configparser.ConfigParser(inline_comment_prefixes=None)
    try:
        with open(chosen, encoding="utf-8") as handle:
            config.read_file(handle)
    except FileNotFoundError:
        if path or os.environ.get("KIOSK_CONFIG"):
            raise ConfigError(f"configuration file not found: {chosen}") from None
    except (OSError, UnicodeDecodeError, configparser.Error) as error:
        raise ConfigError(f"cannot read configuration {chosen}: {error}") from None
    return config


def working_calendar(config: configparser.ConfigParser) -> WorkingCalendar:
    section = config["calendar"] if config.has_section("calendar") else {}
    try:
        return WorkingCalendar.from_text(section.get("holidays", ""), section.get("working_days", ""))
    except ValueError as error:
        raise ConfigError(f"[calendar] has a bad date: {error}") from None
