"""First run: a kiosk without a terminal token asks staff for the backend's address and a
one-time enrolment code (`kiosk terminal add NAME --enrol` at the centre), registers, keeps
the token, then asks for the staff PIN that opens staff mode from then on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kivy.properties import BooleanProperty, StringProperty

from ..client.api import BackendClient
from ..client.errors import BackendError
from ..client.files import write_atomically
from ..config import ConfigError, kiosk_settings, load_config, save_config
from .base import KioskScreen, load_kv
from .staff import StaffScreen  # noqa: F401  (its .kv's StaffLabel and StaffInput, which setup.kv uses)


class SetupScreen(KioskScreen):
    citizen = False  # staff's own: their buttons lead in and out of staff mode
    has_back = BooleanProperty(False)
    has_home = BooleanProperty(False)

    state = StringProperty("enrol")
    """"enrol", "pin", "done"."""
    message = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, _base) -> None:
        for field in ("backend_url", "code", "pin", "pin_again"):
            self.ids.keyboard.follow(self.ids[field])

    def activate(self) -> None:
        self.state, self.message = "enrol", ""
        self._use_words()
        self.app.bind(language=self._use_words)
        path = self.app.services.config_path
        if path is not None:
            self.ids.backend_url.text = load_config(path).get("kiosk", "backend_url", fallback="")

    def deactivate(self) -> None:
        self.app.unbind(language=self._use_words)
        for field in ("code", "pin", "pin_again"):
            self.ids[field].text = ""

    def _use_words(self, *_args) -> None:
        self.ids.keyboard.use_words(self.app.t)  # Space, Delete: in the language chosen

    def enrol(self) -> None:
        if not self.busy:
            self.busy = True
            self.app.spawn(self._enrol(self.ids.backend_url.text.strip(), self.ids.code.text.strip()))

    async def _enrol(self, url: str, code: str) -> None:
        path = self.app.services.config_path
        try:
            async with BackendClient(url, retries=1, timeout=10) as client:
                terminal_id, token = await client.enrol(code)
            config = load_config(path)
            named = config.get("kiosk", "token_file", fallback="").strip()
            token_file = Path(named).expanduser() if named else kiosk_settings(config).data_dir / "terminal-token"
            token_file.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(write_atomically, token_file, token.encode() + b"\n", 0o600)
            await asyncio.to_thread(save_config, path, {"kiosk": {
                "backend_url": url, "terminal_id": str(terminal_id), "token_file": str(token_file)}})
        except (BackendError, ConfigError, OSError, ValueError) as error:
            self.say("Not registered: {}", str(error) or type(error).__name__)
            return
        finally:
            self.busy = False
        self.say("Registered as terminal {}.", terminal_id)
        self.state = "pin" if self.app.services.pin is not None else "done"

    def set_pin(self) -> None:
        pin = self.ids.pin.text
        if pin != self.ids.pin_again.text:
            self.say("The two PINs differ. Type them again.")
        else:
            try:
                self.app.services.pin.set(pin)
            except (ValueError, OSError) as error:
                self.message = str(error)
            else:
                self.say("The staff PIN is set.")
                self.state = "done"
        self.ids.pin.text = self.ids.pin_again.text = ""


load_kv(__file__)
