"""The configuration file (INI): where it is and what it says."""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

from .domain.calendar import WorkingCalendar
from .domain.terminal import IDLE_TIMEOUTS
from .hardware.scanners import SCANNER_KINDS, ScannerSettings

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


@dataclass
class KioskSettings:
    """What a kiosk needs to know to reach its backend and keep its data."""

    backend_url: str
    token: str | None
    terminal_id: int | None
    ca_file: str | None
    data_dir: Path
    idle_timeout: int = 90
    """Seconds without a touch before "are you still there?" and then the attract screen."""


def kiosk_settings(
    config: configparser.ConfigParser,
    backend_url: str | None = None,
    token_file: str | None = None,
    data_dir: str | None = None,
) -> KioskSettings:
    """The [kiosk] section, with command-line values taking precedence."""
    section = config["kiosk"] if config.has_section("kiosk") else {}
    token_path = token_file or section.get("token_file", "")
    token = None
    if token_path:
        try:
            token = Path(token_path).expanduser().read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read the terminal token file {token_path}: {error}") from None
    terminal = section.get("terminal_id", "")
    try:
        terminal_id = int(terminal) if terminal else None
    except ValueError:
        raise ConfigError(f"[kiosk] terminal_id must be a number, not {terminal!r}") from None
    idle = section.get("idle_timeout", "").strip()
    try:
        idle_timeout = int(idle) if idle else 90
    except ValueError:
        idle_timeout = 0
    if not IDLE_TIMEOUTS[0] <= idle_timeout <= IDLE_TIMEOUTS[1]:
        raise ConfigError(f"[kiosk] idle_timeout must be whole seconds from {IDLE_TIMEOUTS[0]} to {IDLE_TIMEOUTS[1]}, not {idle!r}")
    return KioskSettings(
        backend_url=backend_url or section.get("backend_url", "http://127.0.0.1:8080"),
        token=token,
        terminal_id=terminal_id,
        ca_file=section.get("ca_file") or None,
        data_dir=Path(data_dir or section.get("data_dir", "~/.local/share/tthc-kiosk")).expanduser(),
        idle_timeout=idle_timeout,
    )


def scanner_settings(config: configparser.ConfigParser) -> ScannerSettings:
    """The [scanner] section: the scanner to start besides the keyboard wedge, which is always read."""
    section = config["scanner"] if config.has_section("scanner") else {}
    kind_text = section.get("kind", "")
    kind = kind_text.strip().lower() or "wedge"
    if kind not in SCANNER_KINDS:
        raise ConfigError(f"[scanner] kind must be one of {', '.join(SCANNER_KINDS)}, not {kind_text!r}")
    port = section.get("port", "").strip()
    if kind == "serial" and not port:
        raise ConfigError("[scanner] port is needed with kind = serial: the scanner's device, such as /dev/ttyACM0")
    baud_text = section.get("baudrate", "").strip()
    try:
        baudrate = int(baud_text) if baud_text else 9600
    except ValueError:
        baudrate = 0
    if baudrate <= 0:
        raise ConfigError(f"[scanner] baudrate must be a positive whole number, such as 9600, not {baud_text!r}")
    # A camera: a number is its index, anything else its device path; none given, the first.
    device: int | str = section.get("device", "").strip() or 0
    if isinstance(device, str) and device.isascii() and device.isdigit():
        device = int(device)
    return ScannerSettings(kind=kind, port=port, baudrate=baudrate, device=device)
