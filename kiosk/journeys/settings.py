"""Save staff's settings: each change checked where it can be (the backend answers with the
token, the printer answers), then the file saved as a whole; on any error nothing changes."""

from __future__ import annotations

import asyncio
import configparser
from dataclasses import dataclass
from pathlib import Path

from ..client.api import BackendClient
from ..client.errors import BackendError, NotFound
from ..client.files import write_atomically
from ..config import ConfigError, kiosk_settings, load_config, printer_settings, save_config
from ..hardware.printer import PrinterError, open_printer

TOKEN = ("kiosk", "token")
"""Not a key of the file: a new token goes to the file [kiosk] token_file names."""
NO_SUCH_DOSSIER = "000.00.00.H00-000101-0000"

NOTHING, SAVED, NOT_SAVED = "nothing", "saved", "not saved"


@dataclass(frozen=True)
class SettingsSaved:
    outcome: str
    """NOTHING changed, SAVED, or NOT_SAVED (`error` says why)."""
    error: str = ""
    restart: bool = False
    """The backend, the token or the scanner changed: in force after a restart."""
    printer_changed: bool = False
    config: configparser.ConfigParser | None = None
    """The file as saved."""


async def save_settings(path: Path, typed: dict[tuple[str, str], str], saved: dict[tuple[str, str], str]) -> SettingsSaved:
    """`typed`: every field as staff left it (TOKEN included, "" to keep the token in use);
    `saved`: the values the file had when the fields were filled."""
    typed = {place: value.strip() for place, value in typed.items()}
    token = typed.pop(TOKEN, "")
    changes: dict[str, dict[str, str]] = {}
    for (section, key), value in typed.items():
        if value != saved.get((section, key), ""):
            changes.setdefault(section, {})[key] = value
    if not changes and not token:
        return SettingsSaved(NOTHING)
    try:
        config = load_config(path)
        settings = kiosk_settings(config)
        named = config.get("kiosk", "token_file", fallback="").strip()
        token_file = Path(named).expanduser() if named else settings.data_dir / "terminal-token"
        if token and not named:
            changes.setdefault("kiosk", {})["token_file"] = str(token_file)
        if "backend_url" in changes.get("kiosk", {}) or token:
            await backend_answers(typed[("kiosk", "backend_url")], token or settings.token)
        if "printer" in changes and typed.get(("printer", "driver"), "none") != "none":
            await asyncio.to_thread(printer_answers, {key: typed[("printer", key)] for key in ("driver", "profile", "address")})
        await asyncio.to_thread(save_config, path, changes)
        if token:
            await asyncio.to_thread(write_atomically, token_file, token.encode() + b"\n", 0o600)
    except (ConfigError, BackendError, PrinterError, OSError) as error:
        return SettingsSaved(NOT_SAVED, str(error))
    restart = bool({"backend_url", "token_file"} & set(changes.get("kiosk", {})) or "scanner" in changes or token)
    return SettingsSaved(SAVED, restart=restart, printer_changed="printer" in changes, config=load_config(path))


async def backend_answers(url: str, token: str | None) -> None:
    """BackendError unless the backend at `url` takes the token: a dossier lookup needs it,
    and one for a code no dossier has answers "not found" to a good token."""
    if not token:
        raise BackendError("no terminal token")
    async with BackendClient(url, token, retries=1, timeout=5) as client:
        try:
            await client.dossier(NO_SUCH_DOSSIER)
        except NotFound:
            pass


def printer_answers(values: dict[str, str]) -> None:
    """PrinterError unless the printer of these [printer] values can be reached."""
    config = configparser.ConfigParser()
    config["printer"] = values
    printer = open_printer(printer_settings(config))
    if printer is not None and printer.status() == "offline":
        raise PrinterError("offline", "the printer does not answer at that address")
