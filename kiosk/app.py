"""KioskApp: navigation, the citizen's session, idle reset, lockdown.

Kivy reads its settings when first imported: call `kivy_setup.prepare_kivy` first
(`kiosk demo` and `kiosk run` do)."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from . import ASSETS
from .client.api import BackendClient
from .client.outbox import Outbox
from .client.store import LocalStore
from .client.sync import keep_in_sync
from .domain.scan import parse_scan
from .hardware.scanners import Scan, ScannerError, ScannerSettings, open_scanner
from .hardware.wedge_kivy import WedgeCapture
from .i18n import Translator

log = logging.getLogger(__name__)

COUNTDOWN_SECONDS = 15
"""How long "are you still there?" is shown before the session is wiped."""
LARGE_TEXT = 1.3
ESCAPE, F1 = 27, 282

THEME = {
    "brand": (0.04, 0.33, 0.62, 1), "on_brand": (1, 1, 1, 1), "text": (0.1, 0.1, 0.12, 1),
    "background": (0.96, 0.97, 0.98, 1), "warning": (0.95, 0.55, 0.1, 1), "danger": (0.8, 0.15, 0.15, 1),
    "ok": (0.15, 0.6, 0.3, 1), "muted": (0.4, 0.42, 0.45, 1),
}


@dataclass
class KioskServices:
    """What the app works with; built by `kiosk demo` / `kiosk run`, or by the tests."""

    store: LocalStore
    outbox: Outbox
    client: BackendClient | None = None
    printer: Any = None
    """A ReceiptPrinter (or the simulator), None when the kiosk has none."""
    scanner: ScannerSettings | None = None
    """A serial or camera scanner to read besides the keyboard-wedge one, which is always read."""
    office_name: str = ""
    idle_timeout: int = 90


class KioskApp(App):
    language = StringProperty("vi")
    large_text = BooleanProperty(False)
    link = StringProperty("offline")
    """online / degraded / offline: the backend as the last calls found it."""
    office_name = StringProperty("")
    countdown = NumericProperty(0)
    """Seconds left before the session is wiped, while asking "are you still there?"; 0 otherwise."""
    theme = DictProperty(THEME)
    # The citizen's session: wiped on idle timeout and after each journey.
    session_ticket_id = StringProperty("")
    session_dossier_code = StringProperty("")

    def __init__(self, services: KioskServices, **kwargs: Any):
        super().__init__(**kwargs)
        self.services = services
        self.office_name = services.office_name
        self.use_kivy_settings = False
        self._translate = Translator()
        self._last_activity = 0.0
        self._tasks: list[asyncio.Task] = []
        self._still_there = None

    # -- words and sizes ------------------------------------------------------------

    def t(self, message: str, *_watched: Any) -> str:
        """The message in the current language. kv passes `app.language` as well, so that
        the text is looked up again when the language changes."""
        return self._translate(message, self.language)

    def sp_text(self, size: float, *_watched: Any) -> float:
        return sp(size) * (LARGE_TEXT if self.large_text else 1)

    def dp_text(self, size: float, *_watched: Any) -> float:
        return dp(size) * (LARGE_TEXT if self.large_text else 1)

    # -- building and lockdown -------------------------------------------------------------

    def build(self):
        # Noto Sans, as on the receipts: every Vietnamese letter, in regular and bold.
        fonts = ASSETS / "fonts"
        LabelBase.register("Roboto", str(fonts / "NotoSans-Regular.ttf"), fn_bold=str(fonts / "NotoSans-Bold.ttf"))
        # The frame's rules first: the screens' kv files build on KioskButton and its kin.
        Builder.load_file(str(Path(__file__).with_name("app.kv")))
        from .screens import SCREENS

        root = Factory.KioskRoot()
        manager: ScreenManager = root.ids.screens
        # No animation: Kivy's shader transitions draw a manager that is not at the window's
        # origin (ours sits above the language bar) shifted while they run.
        manager.transition = NoTransition()
        for name, kind in SCREENS:
            manager.add_widget(kind(name=name))
        Window.bind(on_request_close=lambda *_args, **_kwargs: True, on_keyboard=self._on_keyboard)
        Window.bind(on_touch_down=self._note_activity, on_key_down=self._note_activity)
        Window.clearcolor = THEME["background"]
        return root

    def open_settings(self, *_args: Any) -> bool:
        return False  # F1 and the settings panel are not for citizens

    def _on_keyboard(self, _window: Any, key: int, *_args: Any) -> bool:
        return key in (ESCAPE, F1)  # True: handled here, so Kivy does nothing with it

    def on_start(self) -> None:
        # One wedge scanner for the whole app: a scan on any screen does the right thing.
        self._scanners = [WedgeCapture(self.on_scan)]
        if self.services.scanner is not None:
            try:
                extra = open_scanner(self.services.scanner, self._scanned_elsewhere)
            except ScannerError as error:
                log.error("the %s scanner cannot start: %s", self.services.scanner.kind, error)
            else:
                self._scanners += [extra] if extra else []
        for scanner in self._scanners:
            scanner.start()
        self._last_activity = Clock.get_time()
        Clock.schedule_interval(self._check_idle, 1)
        self.root.ids.screens.current_screen.activate()
        client = self.services.client
        if client is not None:
            client.connectivity.subscribe(lambda state, _since: setattr(self, "link", state))
            self._tasks.append(asyncio.ensure_future(keep_in_sync(client, self.services.store, self.services.outbox)))

    def on_stop(self) -> None:
        for scanner in self._scanners:
            scanner.stop()
        for task in self._tasks:
            task.cancel()

    def on_scan(self, scan: Scan) -> None:
        """A screen that reads scans gets them all; elsewhere a receipt or an ID card opens
        the dossier screen, and anything else is ignored."""
        self._note_activity()
        screen = self.root.ids.screens.current_screen
        if hasattr(screen, "on_scan"):
            screen.on_scan(scan)
        elif parse_scan(scan.text).kind in ("dossier", "identity"):
            self.go("dossier")
            self.root.ids.screens.current_screen.on_scan(scan)

    def _scanned_elsewhere(self, scan: Scan) -> None:
        """A serial or camera scanner reads on its own thread: the scan goes on in Kivy's."""
        Clock.schedule_once(lambda _dt: self.on_scan(scan))

    # -- navigation and the session ----------------------------------------------------------

    def go(self, name: str) -> None:
        manager: ScreenManager = self.root.ids.screens
        if manager.current == name:
            return
        manager.current_screen.deactivate()
        manager.current = name
        manager.current_screen.activate()

    def end_session(self) -> None:
        """Forget the citizen: everything they gave, then back to the attract screen."""
        self.go("attract")
        self.session_ticket_id = ""
        self.session_dossier_code = ""
        self.countdown = 0
        self.large_text = False
        self.language = "vi"

    def on_countdown(self, _app: Any, seconds: float) -> None:
        if seconds and self._still_there is None:
            self._still_there = Factory.StillThere()
            self._still_there.bind(on_dismiss=self._note_activity)
            self._still_there.open()
        elif not seconds and self._still_there is not None:
            view, self._still_there = self._still_there, None
            view.dismiss(animation=False)  # gone at once: the next touch is for the screen

    def _note_activity(self, *_args: Any) -> bool:
        self._last_activity = Clock.get_time()
        self.countdown = 0
        return False  # let the touch or key go on to the widgets

    def _check_idle(self, _dt: float) -> None:
        if self.root.ids.screens.current == "attract":
            return
        idle = Clock.get_time() - self._last_activity
        left = self.services.idle_timeout - idle
        if left <= 0:
            self.end_session()
        elif left <= COUNTDOWN_SECONDS:
            self.countdown = math.ceil(left)
        else:
            self.countdown = 0

    def spawn(self, coroutine) -> asyncio.Task:
        """Run network or disk work beside the UI, never in it."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)
        return task
