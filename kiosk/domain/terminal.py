"""What a terminal reports about itself and the configuration the centre gives it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .serial import JsonMixin

PRINTER_STATES = ("ok", "paper_low", "paper_out", "offline", "unknown")
DEVICE_STATES = ("ok", "offline", "absent", "unknown")
PRINTER_DRIVERS = ("none", "usb", "serial", "network", "file")
LANGUAGES = ("vi", "en")
IDLE_TIMEOUTS = (30, 600)
"""Seconds without a touch before the session ends. Shorter, and a slow reader is interrupted
(the last 15 s ask "are you still there?"); longer, and the next citizen finds the last
one's dossier on the screen."""
HELP_DESK_LENGTH = 200
"""The most characters of TerminalConfig.help_desk: a sentence on the help pop-up, not a map."""


@dataclass
class PrinterSettings(JsonMixin):
    driver: str = "none"
    """One of PRINTER_DRIVERS."""
    profile: str = "TM-T20II"
    """A python-escpos capability profile; it gives the paper width."""
    address: str = ""
    """USB "vendor:product", serial device, "host:port" or file path, by driver."""


@dataclass
class TerminalConfig(JsonMixin):
    office_name: str = ""
    services: list[str] = field(default_factory=list)
    """Letters of the queue services this kiosk offers; empty offers all."""
    default_language: str = "vi"
    idle_timeout_seconds: int = 90
    large_text: bool = False
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    help_desk: str = ""
    """Where the information desk is, as the kiosk tells a citizen who calls staff for help
    ("Quầy hướng dẫn, bên phải cửa vào"); empty: the kiosk's own [kiosk] help_desk."""

    @classmethod
    def from_newer(cls, data: dict[str, Any]) -> TerminalConfig:
        """The configuration a backend sent, leaving out settings this kiosk's version does not
        know: a backend upgraded before its kiosks adds settings they cannot use, and must not
        stop them from taking the ones they can (from_dict refuses any unknown key)."""
        known = {f.name for f in fields(cls)}
        kept = {key: value for key, value in data.items() if key in known}
        if isinstance(kept.get("printer"), dict):
            printer = {f.name for f in fields(PrinterSettings)}
            kept["printer"] = {key: value for key, value in kept["printer"].items() if key in printer}
        return cls.from_dict(kept)

    def problems(self) -> list[str]:
        found = []
        if len(self.office_name) > 200:
            found.append("office_name is longer than 200 characters")
        if len(self.help_desk) > HELP_DESK_LENGTH:
            found.append(f"help_desk is longer than {HELP_DESK_LENGTH} characters")
        if self.default_language not in LANGUAGES:
            found.append(f"default_language must be one of {LANGUAGES}")
        if not IDLE_TIMEOUTS[0] <= self.idle_timeout_seconds <= IDLE_TIMEOUTS[1]:
            found.append("idle_timeout_seconds must be between {} and {}".format(*IDLE_TIMEOUTS))
        if self.printer.driver not in PRINTER_DRIVERS:
            found.append(f"printer.driver must be one of {PRINTER_DRIVERS}")
        if len(self.services) > 26 or any(len(s) != 1 for s in self.services):
            found.append("services must be service letters")
        return found


@dataclass
class Health(JsonMixin):
    """A heartbeat: how a terminal is."""

    app_version: str
    catalogue_version: str = ""
    printer: str = "unknown"
    scanner: str = "unknown"
    card_reader: str = "unknown"
    free_disk_mb: int = 0
    outbox_size: int = 0

    def problems(self) -> list[str]:
        found = []
        if self.printer not in PRINTER_STATES:
            found.append(f"printer must be one of {PRINTER_STATES}")
        for name in ("scanner", "card_reader"):
            if getattr(self, name) not in DEVICE_STATES:
                found.append(f"{name} must be one of {DEVICE_STATES}")
        if self.free_disk_mb < 0 or self.outbox_size < 0:
            found.append("free_disk_mb and outbox_size cannot be negative")
        if len(self.app_version) > 50 or len(self.catalogue_version) > 50:
            found.append("versions are at most 50 characters")
        return found
