"""Staff mode: the kiosk's settings, each checked before it is saved; the file is written
whole or not at all. Reached through the PIN pad only; the idle timeout ends it like a
citizen's session."""

from __future__ import annotations

import asyncio
import configparser
from pathlib import Path

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from ..client.api import BackendClient
from ..client.errors import BackendError, NotFound
from ..client.files import write_atomically
from ..config import (ConfigError, card_reader_enabled, kiosk_preferences, kiosk_settings, load_config,
                      printer_settings, save_config)
from ..domain.terminal import PRINTER_DRIVERS, TerminalConfig
from ..hardware.printer import PrinterError, open_printer
from ..hardware.scanners import SCANNER_KINDS
from .base import KioskScreen, load_kv

PROFILES = ("TM-T20II", "TM-T88V", "POS-5890")
NO_SUCH_DOSSIER = "000.00.00.H00-000101-0000"
TOKEN = ("kiosk", "token")
"""Not a key of the file: a new token goes to the file [kiosk] token_file names."""

# (section, key, English label, choices or None for free text), in the order shown.
FIELDS = [
    ("kiosk", "backend_url", "Backend address", None),
    (*TOKEN, "New terminal token (empty: keep the one in use)", None),
    ("kiosk", "office_name", "Office name", None),
    ("kiosk", "default_language", "Language a session starts in", ("vi", "en")),
    ("kiosk", "idle_timeout", "Seconds without a touch before starting again (30 to 600)", None),
    ("kiosk", "large_text", "Larger text from the start", ("false", "true")),
    ("kiosk", "services", "Queue services offered, by letter (empty: all)", None),
    ("printer", "driver", "Printer connection", PRINTER_DRIVERS),
    ("printer", "profile", "Printer model", PROFILES),
    ("printer", "address", "Printer address (USB vendor:product, device, host:port)", None),
    ("scanner", "kind", "Scanner besides keyboard-wedge ones", SCANNER_KINDS),
    ("scanner", "port", "Serial scanner port", None),
    ("scanner", "device", "Camera (number or device)", None),
    ("card_reader", "enabled", "Smart-card reader (through pcscd)", ("false", "true")),
]


def centre_values(config: TerminalConfig | None) -> dict[tuple[str, str], str]:
    """The settings the centre's configuration decides (KioskApp.apply_centre_config), as
    the file would write them."""
    if config is None:
        return {}
    values = {
        ("kiosk", "default_language"): config.default_language,
        ("kiosk", "idle_timeout"): str(config.idle_timeout_seconds),
        ("kiosk", "large_text"): "true" if config.large_text else "false",
        ("kiosk", "services"): " ".join(config.services),
    }
    if config.office_name:
        values["kiosk", "office_name"] = config.office_name
    if config.printer.driver != "none":
        values.update({("printer", "driver"): config.printer.driver, ("printer", "profile"): config.printer.profile,
                       ("printer", "address"): config.printer.address})
    return values


class StaffScreen(KioskScreen):
    message = StringProperty("")
    saving = BooleanProperty(False)

    def activate(self) -> None:
        self.message = ""
        self.ids.keyboard.use_words(self.app.t)
        self._build()

    def deactivate(self) -> None:
        self.ids.fields.clear_widgets()  # the token typed is forgotten
        self._inputs = {}

    def _build(self) -> None:
        app = self.app
        path = app.services.config_path
        config = load_config(path) if path else None
        centre = centre_values(app.centre_config)
        grid = self.ids.fields
        grid.clear_widgets()
        self._inputs = {}
        self._saved = {}
        for section, key, label, choices in FIELDS:
            value = "" if (section, key) == TOKEN or config is None else config.get(section, key, fallback="")
            self._saved[section, key] = value
            note = app.t("set by the centre: {}").format(centre[section, key]) if (section, key) in centre else ""
            grid.add_widget(Factory.StaffLabel(text=app.t(label) + (f"\n[color=0a559e]{note}[/color]" if note else "")))
            if choices:
                field = Factory.StaffChoice(text=value or choices[0], values=list(choices))
            else:
                field = Factory.StaffInput(text=value, password=(section, key) == TOKEN)
                self.ids.keyboard.follow(field)
            field.disabled = config is None
            grid.add_widget(field)
            self._inputs[section, key] = field
        if config is None:
            self.message = app.t("This kiosk was started without a configuration file: settings cannot be saved here.")

    def save(self) -> None:
        if not self.saving and self._inputs:
            self.saving = True
            self.app.spawn(self._save())

    async def _save(self) -> None:
        try:
            self.message = await self._check_and_save()
        finally:
            self.saving = False

    async def _check_and_save(self) -> str:
        """Each change checked where it can be (the backend answers with the token, the
        printer answers), then the file saved as a whole: on any error, nothing changes."""
        app, path = self.app, self.app.services.config_path
        typed = {place: field.text.strip() for place, field in self._inputs.items()}
        token = typed.pop(TOKEN)
        changes: dict[str, dict[str, str]] = {}
        for (section, key), value in typed.items():
            if value != self._saved[section, key]:
                changes.setdefault(section, {})[key] = value
        if not changes and not token:
            return app.t("Nothing was changed.")
        config = load_config(path)
        settings = kiosk_settings(config)
        named = config.get("kiosk", "token_file", fallback="").strip()
        token_file = Path(named).expanduser() if named else settings.data_dir / "terminal-token"
        if token and not named:
            changes.setdefault("kiosk", {})["token_file"] = str(token_file)
        try:
            if "backend_url" in changes.get("kiosk", {}) or token:
                await _answers(typed["kiosk", "backend_url"], token or settings.token)
            if "printer" in changes and typed["printer", "driver"] != "none":
                await asyncio.to_thread(_printer_answers, {key: typed["printer", key] for key in ("driver", "profile", "address")})
            await asyncio.to_thread(save_config, path, changes)
            if token:
                await asyncio.to_thread(write_atomically, token_file, token.encode() + b"\n", 0o600)
        except (ConfigError, BackendError, PrinterError, OSError) as error:
            return app.t("Not saved, the settings in use are kept: {}").format(error)
        self._apply(load_config(path), printer_changed="printer" in changes)
        self._build()
        restart = {"backend_url", "token_file"} & set(changes.get("kiosk", {})) or "scanner" in changes or token
        return app.t("Saved. Restart the app for the backend and scanner to change.") if restart else app.t("Saved.")

    def _apply(self, config, printer_changed: bool) -> None:
        """What can change without a restart, unless the centre decides it. The printer is
        opened again only when its settings changed: `kiosk demo`'s simulated one, for one,
        is not in the file."""
        app = self.app
        app.services.card_reader = card_reader_enabled(config)  # the centre does not decide this one
        if app.centre_config is not None:
            return  # the centre's configuration stands; the file takes over if the centre's goes
        preferences = kiosk_preferences(config)
        app.services.idle_timeout = kiosk_settings(config).idle_timeout
        app.office_name = preferences.office_name or app.services.office_name
        app.default_language, app.default_large_text = preferences.default_language, preferences.large_text
        app.offered_services = list(preferences.services)
        if printer_changed:
            app.spawn(self._use_printer(config))

    async def _use_printer(self, config) -> None:
        try:
            self.app.services.printer = await asyncio.to_thread(open_printer, printer_settings(config))
        except PrinterError as error:
            self.message = self.app.t("Saved, but the printer cannot be used yet: {}").format(error)


async def _answers(url: str, token: str | None) -> None:
    """BackendError unless the backend at `url` takes the token: a dossier lookup needs it,
    and one for a code no dossier has answers "not found" to a good token."""
    if not token:
        raise BackendError("no terminal token")
    async with BackendClient(url, token, retries=1, timeout=5) as client:
        try:
            await client.dossier(NO_SUCH_DOSSIER)
        except NotFound:
            pass


def _printer_answers(values: dict[str, str]) -> None:
    """PrinterError unless the printer of these [printer] values can be reached."""
    config = configparser.ConfigParser()
    config["printer"] = values
    printer = open_printer(printer_settings(config))
    if printer is not None and printer.status() == "offline":
        raise PrinterError("offline", "the printer does not answer at that address")


load_kv(__file__)
