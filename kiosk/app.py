"""KioskApp: navigation, the citizen's session, idle reset, lockdown.

Kivy reads its settings when first imported: call `kivy_setup.prepare_kivy` first
(`kiosk demo` and `kiosk run` do)."""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import shutil
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, DictProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.layout import Layout
from kivy.uix.screenmanager import NoTransition

from . import ASSETS, __version__
from .config import KioskPreferences
from .hardware.wedge_kivy import WedgeCapture
from .i18n import N_, money, pick, translate
from .kivy_setup import drop_text_surfaces
from .memory import tidy_up
from .screens import SCREENS, pictograms
from .speaker import Speaker

if TYPE_CHECKING:
    # Loaded where they are first used, after the first frame: a start that imports only what
    # the attract screen needs shows it sooner (benchmarks/bench_app_start.py).
    from .client.api import BackendClient
    from .client.outbox import Outbox
    from .client.pin import StaffPin
    from .client.store import LocalStore
    from .domain.terminal import Health, PrinterSettings, TerminalConfig
    from .hardware.scanners import Scan, ScannerSettings
    from .screens.confirm import Confirm
    from .screens.manager import Screens

log = logging.getLogger(__name__)

COUNTDOWN_SECONDS = 15
"""How long "are you still there?" is shown before the session is wiped. It is asked after the
configured idle timeout ([kiosk] idle_timeout, the centre's idle_timeout_seconds), as kiosk.ini
says: the countdown comes on top, not out of it."""
LARGE_TEXT = 1.3
DESIGN_HEIGHT = 720
"""Sizes in the kv files are written for a 1280x720 screen; on a larger one everything grows with
it (see KioskApp.screen_scale)."""
MAX_SCREEN_SCALE = 2.0
STAFF_TAPS, STAFF_TAP_SECONDS, STAFF_CORNER = 5, 3.0, 96
"""Staff mode's door: five taps within three seconds in the top right corner (dp square)."""
EXIT_TO_DESKTOP = 3
"""`kiosk run`'s exit status when staff leave for the desktop: the service unit does not
restart the app for it (any other status, it does)."""
ESCAPE, F1 = 27, 282
OPENS_DOSSIER = ("dossier", "identity")
"""The kinds of scan (domain.scan) that open the dossier screen from any screen."""
NO_FULL_COLLECTION = 10**9
"""The garbage collector's third threshold while the app runs: no full collection comes on
its own (KioskApp.on_start says why)."""

THEME = {
    "brand": (0.04, 0.33, 0.62, 1), "brand_dark": (0.02, 0.2, 0.4, 1), "on_brand": (1, 1, 1, 1), "text": (0.1, 0.1, 0.12, 1),
    "background": (0.96, 0.97, 0.98, 1), "warning": (0.95, 0.55, 0.1, 1), "danger": (0.8, 0.15, 0.15, 1),
    "ok": (0.15, 0.6, 0.3, 1), "muted": (0.4, 0.42, 0.45, 1),
    # Words that come second (a document's form, a step's officer): darker than "muted", which is
    # for buttons and placeholders, so that an old eye still reads them (10:1 on the background).
    "secondary": (0.22, 0.24, 0.27, 1),
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
    site_help_desk: str = ""
    """Where the information desk is, as the catalogue's site says (when the centre's
    configuration and kiosk.ini say nothing)."""
    idle_timeout: int = 90
    terminal_id: int | None = None
    """This kiosk's id at the backend: with it, heartbeats go out and the centre's
    configuration comes back."""
    heartbeat_every: float = 60.0
    preferences: KioskPreferences = field(default_factory=KioskPreferences)
    """What staff set in [kiosk]: language and text size a session starts with, services."""
    config_path: Path | None = None
    """The configuration file staff mode edits; None: staff mode cannot save settings."""
    pin: StaffPin | None = None
    """The staff PIN that opens staff mode; None: no staff mode on this kiosk."""
    card_reader: bool = False
    """The kiosk has a smart-card reader, whose state it reports ([card_reader] enabled)."""
    chip: Any = None
    """Its reader of ID card chips (kiosk.hardware.idcard.chip.PcscChip): with one, the dossier
    screen reads a citizen's card from its chip; None: from its QR only."""
    needs_setup: bool = False
    """No terminal token yet: the app starts with the setup wizard."""


class KioskApp(App):
    language = StringProperty("vi")
    large_text = BooleanProperty(False)
    screen_scale = NumericProperty(1.0)
    """How much larger than a 1280x720 screen this one is (its shorter side against 720): a
    1080p kiosk draws text and targets 1.5 times as many dots, so that they keep their size in
    millimetres on a screen of the same diagonal, instead of a 720p layout drawn small."""
    text_scale = NumericProperty(1.0)
    """screen_scale, times LARGE_TEXT when the citizen chose larger text: every size written
    as `app.sp_text(n, app.text_scale)` or `app.dp_text(n, app.text_scale)` in kv follows it."""
    link = StringProperty("offline")
    """online / degraded / offline: the backend as the last calls found it."""
    office_name = StringProperty("")
    help_desk = StringProperty("")
    """Where the centre's information desk is, in the centre's words: said by "Call staff for help"."""
    countdown = NumericProperty(0)
    """Seconds left before the session is wiped, while asking "are you still there?"; 0 otherwise."""
    theme = DictProperty(THEME)
    # The citizen's session: wiped on idle timeout and after each journey.
    session_ticket_id = StringProperty("")
    session_dossier_code = StringProperty("")
    search_query = StringProperty("")
    """What the citizen typed on the search screen: there again, with its results, back from a procedure."""
    # What a session starts with: the centre may change them.
    default_language = StringProperty("vi")
    default_large_text = BooleanProperty(False)
    offered_services = ListProperty()
    """Letters of the queue services this kiosk gives numbers for; empty: all."""
    centre_version = NumericProperty(0)
    """The version of the configuration the centre's staff last saved for this kiosk; 0: none."""
    centre_config = ObjectProperty(None, allownone=True)
    """That configuration (TerminalConfig), for staff mode to show "set by the centre"."""
    came_from = StringProperty("")
    """The screen shown before the one shown now, for a Back that goes where the citizen was."""
    speech_on = BooleanProperty(False)
    """This kiosk speaks ([kiosk] speech): the bar's Listen button, a new queue number read out."""
    speaking = BooleanProperty(False)
    """A screen is being read aloud: the Listen button stops it."""
    text_keyboard = ObjectProperty(None, allownone=True)
    """The window's keyboard that the wedge scanner holds and every text field borrows
    (kiosk.hardware.wedge_kivy says why)."""

    def __init__(self, services: KioskServices, **kwargs: Any):
        super().__init__(**kwargs)
        self.services = services
        # The spoken phrases are kept in the kiosk's data folder, beside its catalogue.
        self.speaker = Speaker(services.store.path.parent / "speech")
        self.speaker.bind(speaking=self.setter("speaking"))
        preferences = services.preferences
        self.office_name = preferences.office_name or services.office_name
        self.default_language = self.language = preferences.default_language
        self.default_large_text = self.large_text = preferences.large_text
        self.offered_services = list(preferences.services)
        self.speech_on = preferences.speech
        self.exit_status = 0
        self.recent_log = RecentLog()
        self._corner_taps: list[float] = []
        self.pin_pad = None
        """The staff PIN pad while it is open."""
        self.use_kivy_settings = False
        self._last_activity = 0.0
        self._tasks: list[asyncio.Task] = []
        self._session_tasks: dict[asyncio.Task, str] = {}
        """The citizen's session's tasks, each with the screen that started it."""
        self._still_there = None
        self._asking: Confirm | None = None
        """"Go back to the home screen?", while it is asked."""
        self._helping = None
        """"Call staff for help"'s view while it is shown."""
        self._swallowed: set[Any] = set()
        """The touches that answered "are you still there?": theirs to the end, no widget's."""
        self._sorry = None
        """The "sorry, something went wrong" view while it is shown."""
        self._reading = ""
        """The text being read aloud."""
        self._crash_handler = CrashHandler(self)
        self._thresholds = gc.get_threshold()
        """The garbage collector's thresholds before the app ran, given back when it stops."""
        self._making_screens = None
        """The clock's event that makes the screens after the first frame, while it runs."""

    # -- words and sizes ------------------------------------------------------------

    def t(self, message: str, *_watched: Any) -> str:
        """The message (English, as the code writes it) in the current language, through
        kiosk.i18n's catalogue. kv passes `app.language` as well, so that the text is looked
        up again when the language changes."""
        return translate(message, self.language)

    def pick(self, vietnamese: str, english: str | None, *_watched: Any) -> str:
        """Of a pair of words that came as data in both languages (a service's name and
        name_en), the current language's; Vietnamese when
        there is no English."""
        return pick(vietnamese, english, self.language)

    def money(self, fee: Any, *_watched: Any) -> str:
        """A fee (domain Fee) written as the current language writes amounts."""
        return money(fee, self.language)

    def sp_text(self, size: float, *_watched: Any) -> float:
        """A font size written for 1280x720, for this screen and the citizen's text size. kv
        passes `app.text_scale` as well, so that the size is computed again when it changes."""
        return sp(size) * self.text_scale

    def dp_text(self, size: float, *_watched: Any) -> float:
        """A length that grows with the text (a button's height, a padding), as sp_text."""
        return dp(size) * self.text_scale

    def dp_screen(self, size: float, *_watched: Any) -> float:
        """A length that follows the screen but not the citizen's text size (kv passes
        `app.screen_scale`)."""
        return dp(size) * self.screen_scale

    def on_large_text(self, *_args: Any) -> None:
        self.text_scale = self.screen_scale * (LARGE_TEXT if self.large_text else 1)

    on_screen_scale = on_large_text

    def _follow_window(self, _window: Any, size: tuple[int, int]) -> None:
        width, height = size
        self.screen_scale = min(MAX_SCREEN_SCALE, max(1.0, min(width, height) / dp(DESIGN_HEIGHT)))

    # -- building and lockdown -------------------------------------------------------------

    def build(self):
        # Noto Sans, as on the receipts: every Vietnamese letter, in regular and bold.
        fonts = ASSETS / "fonts"
        drop_text_surfaces()
        LabelBase.register("Roboto", str(fonts / "NotoSans-Regular.ttf"), fn_bold=str(fonts / "NotoSans-Bold.ttf"))
        pictograms.register()
        # Before any widget is made, so that the first frame has this screen's sizes.
        Window.bind(size=self._follow_window)
        self._follow_window(Window, Window.size)
        # The frame's rules first: the screens' kv files build on KioskButton and its kin.
        Builder.load_file(str(Path(__file__).with_name("app.kv")))
        root = Factory.KioskRoot()
        manager: Screens = root.ids.screens
        # No animation: Kivy's shader transitions draw a manager that is not at the window's
        # origin (ours sits above the language bar) shifted while they run.
        manager.transition = NoTransition()
        for name, kind in SCREENS:
            manager.expect(name, kind)
        manager.get_screen(SCREENS[0][0])  # the first frame's; the others after it (_after_first_frame)
        Window.bind(on_request_close=lambda *_args, **_kwargs: True, on_keyboard=self._on_keyboard)
        Window.bind(on_touch_down=self._touch_down, on_touch_move=self._touch_goes_on,
                    on_touch_up=self._touch_up, on_key_down=self._note_activity)
        Window.bind(on_touch_down=self._staff_door)
        Window.clearcolor = THEME["background"]
        return root

    def open_settings(self, *_args: Any) -> bool:
        return False  # F1 and the settings panel are not for citizens

    def _on_keyboard(self, _window: Any, key: int, *_args: Any) -> bool:
        return key in (ESCAPE, F1)  # True: handled here, so Kivy does nothing with it

    def on_start(self) -> None:
        # Whatever goes wrong unexpectedly, in a Kivy callback or a task: logged, the citizen
        # told and sent home, and the app stays up (Electrum's Kivy GUI did so too).
        ExceptionManager.add_handler(self._crash_handler)
        # A full garbage collection walks every object the app holds: 30 ms and more with a
        # large catalogue, a frozen screen if it comes while a citizen types. What lasts is
        # frozen out of its way once the screens are made (_make_a_screen), and the full
        # collections come between citizens (end_session), not when Python's counts say.
        gc.set_threshold(self._thresholds[0], self._thresholds[1], NO_FULL_COLLECTION)
        asyncio.get_running_loop().set_exception_handler(self._loop_exception)
        kiosk_log = logging.getLogger("kiosk")
        kiosk_log.addHandler(self.recent_log)
        if kiosk_log.level == logging.NOTSET:
            kiosk_log.setLevel(logging.INFO)  # the service's journal and the diagnostics get INFO
        # One wedge scanner for the whole app: a scan on any screen does the right thing.
        self._scanners = [WedgeCapture(self.on_scan, is_code=self._acts_on_scan, takes_anything=self._screen_reads_scans)]
        if self.services.scanner is not None:
            from .hardware.scanners import ScannerError, open_scanner

            try:
                extra = open_scanner(self.services.scanner, self._scanned_elsewhere)
            except ScannerError as error:
                log.error("the %s scanner cannot start: %s", self.services.scanner.kind, error)
            else:
                self._scanners += [extra] if extra else []
        for scanner in self._scanners:
            scanner.start()
        self.text_keyboard = self._scanners[0].keyboard
        self._choose_help_desk()
        self._last_activity = Clock.get_time()
        Clock.schedule_interval(self._check_idle, 1)
        Clock.schedule_interval(self._check_reading, 0.5)
        if self.services.needs_setup:
            log.warning("this kiosk has no terminal token yet: it shows the set-up screen")
            self.root.ids.screens.current = "setup"
        self.root.ids.screens.current_screen.activate()
        if self.root.ids.screens.current != "attract":
            self._add_the_bar()  # the set-up screen shows it: in its first frame, not the next
        self._lay_out_now()
        Window.bind(on_flip=self._after_first_frame)

    def _lay_out_now(self) -> None:
        """Every layout placed once, from the window down, before the first frame's text is
        drawn. Kivy draws a label's text before its layout has given it its width, then again
        at that width: for the attract screen's wrapped lines that first drawing, at Kivy's
        default 100 dots, measured word after word and cost the first frame some 10 ms."""
        for widget in self.root.walk(restrict=True):
            if isinstance(widget, Layout):
                widget.do_layout()

    def _after_first_frame(self, *_args: Any) -> None:
        """What the attract screen does not need waits until it is on the display: the
        connection's work, then the other screens, one a frame (kiosk.screens.manager)."""
        Window.unbind(on_flip=self._after_first_frame)
        self._add_the_bar()
        self._making_screens = Clock.schedule_interval(self._make_a_screen, 0)
        client = self.services.client
        if client is not None:
            from .client.sync import keep_heartbeat, keep_in_sync

            client.connectivity.subscribe(lambda state, _since: setattr(self, "link", state))
            self.spawn(keep_in_sync(client, self.services.store, self.services.outbox,
                                    on_change=self._catalogue_changed), session=False)
            if self.services.terminal_id is not None:
                self.spawn(keep_heartbeat(client, self.services.terminal_id, self.health, self.apply_centre_config,
                                          self.services.heartbeat_every), session=False)

    def _add_the_bar(self) -> None:
        """The bar at the foot of the screens (FrameBar in app.kv), made after the first frame
        when that frame is the attract screen's, which folds the bar away: its 18 widgets and
        12 labels would cost that frame some 10 ms on a machine without a GPU. It sits under the
        frame's ids, with its buttons (root.ids.nav, root.ids.home...), as if the frame had made it."""
        root = self.root
        if "nav" in root.ids:
            return
        bar = Factory.FrameBar(screens=root.ids.screens.__self__)
        root.ids.frame.add_widget(bar)
        root.ids.update({"nav": bar.proxy_ref, **bar.ids})
        bar.keep(bar.ids.listen, self.speech_on)

    def _make_a_screen(self, _dt: float) -> bool:
        """One more screen made, each frame until all are (False: Kivy's clock stops calling)."""
        if self.root is not None and self.root.ids.screens.make_one():
            return True
        # The modules, the screens and their widgets last as long as the app: out of the way of
        # every collection from now on. (Not collected first: a citizen may be typing already.)
        gc.freeze()
        return False

    def _catalogue_changed(self, _sync: Any) -> None:
        """A new catalogue: its search index built now, in a thread, and swapped in on this
        loop, so that the next citizen's search does not wait for it."""
        from .journeys.catalogue import CATALOGUE

        self.spawn(CATALOGUE.load(self.services.store.path), session=False)

    def _choose_help_desk(self) -> None:
        """Where "Call staff for help" sends the citizen: the centre's word for this kiosk, else
        kiosk.ini's, else the catalogue's site's."""
        centre = self.centre_config.help_desk if self.centre_config is not None else ""
        self.help_desk = centre or self.services.preferences.help_desk or self.services.site_help_desk

    # -- the centre ----------------------------------------------------------------

    async def health(self) -> Health:
        """How this kiosk is, for the heartbeat: nothing of any citizen in it."""
        from .domain.terminal import Health
        from .hardware import card_reader

        services = self.services
        printer = "unknown" if services.printer is None else await asyncio.to_thread(services.printer.status)
        extra = [scanner for scanner in self._scanners if hasattr(scanner, "connected")]
        scanner = ("ok" if extra[0].connected else "offline") if extra else "unknown"
        reader = (await asyncio.to_thread(card_reader.probe)).health if services.card_reader else "absent"
        free = await asyncio.to_thread(shutil.disk_usage, services.store.path.parent)
        return Health(app_version=__version__, catalogue_version=services.store.version or "", printer=printer,
                      scanner=scanner, card_reader=reader, free_disk_mb=free.free // 2**20,
                      outbox_size=len(services.outbox))

    def apply_centre_config(self, version: int, config: TerminalConfig) -> None:
        """What the centre's staff saved for this kiosk, in force at once, without a restart.
        Version 1 is the backend's default, which nobody chose: the kiosk's own settings stand.
        An empty office name, and a printer driver "none", leave the kiosk's own."""
        if version <= max(1, self.centre_version):
            return
        self.centre_version, self.centre_config = version, config
        self.services.idle_timeout = config.idle_timeout_seconds
        if config.office_name:
            self.office_name = config.office_name
        self._choose_help_desk()
        self.default_language, self.default_large_text = config.default_language, config.large_text
        self.offered_services = list(config.services)
        if self.root.ids.screens.current == "attract":  # nobody is in the middle of something
            self.language, self.large_text = self.default_language, self.default_large_text
        if config.printer.driver != "none":
            self.spawn(self._use_printer(config.printer), session=False)
        log.info("configuration %d from the centre applied", version)

    async def _use_printer(self, settings: PrinterSettings) -> None:
        from .hardware.printer import PrinterError, open_printer

        try:
            printer = await asyncio.to_thread(open_printer, settings)
        except PrinterError as error:
            log.error("the centre's printer settings do not work here (%s); the old printer stays", error)
            return
        self.services.printer = printer

    def stop(self, *_args: Any) -> None:
        """Ends Kivy's loop once the frame under way is done; `run` then stops the app (on_stop).
        Kivy's own `stop` forgets the running app at once, while that frame still runs the
        triggers of the widgets made in it (a screen made after the first frame): their kv rules
        that read `app` then fail (a SIGTERM just after the start left a traceback)."""
        from kivy.base import stopTouchApp

        stopTouchApp()

    def on_stop(self) -> None:
        # Kivy's window and clock outlive the app (the tests run many in one process).
        Window.unbind(on_flip=self._after_first_frame)
        if self._making_screens is not None:
            self._making_screens.cancel()
        gc.unfreeze()
        gc.set_threshold(*self._thresholds)
        self.speaker.close()
        logging.getLogger("kiosk").removeHandler(self.recent_log)
        ExceptionManager.remove_handler(self._crash_handler)
        for scanner in self._scanners:
            scanner.stop()
        for task in self._tasks:
            task.cancel()

    def on_scan(self, scan: Scan) -> None:
        """A screen that reads scans gets them all; elsewhere a receipt or an ID card opens
        the dossier screen, and anything else is ignored."""
        from .domain.scan import parse_scan

        self._note_activity()
        screen = self.root.ids.screens.current_screen
        if hasattr(screen, "on_scan"):
            screen.on_scan(scan)
        elif parse_scan(scan.text).kind in OPENS_DOSSIER:
            self.go("dossier")
            self.root.ids.screens.current_screen.on_scan(scan)

    def _screen_reads_scans(self) -> bool:
        """Whether the screen shown takes every scan, even one it cannot read (to say so)."""
        return hasattr(self.root.ids.screens.current_screen, "on_scan")

    def _acts_on_scan(self, text: str) -> bool:
        """Whether `text`, scanned on a screen that does not read scans itself, would do
        something (on_scan): the wedge scanner's keys that would not are a person's, typed into
        the field that has the focus."""
        from .domain.scan import parse_scan

        return parse_scan(text).kind in OPENS_DOSSIER

    def _scanned_elsewhere(self, scan: Scan) -> None:
        """A serial or camera scanner reads on its own thread: the scan goes on in Kivy's."""
        Clock.schedule_once(lambda _dt: self.on_scan(scan))

    # -- staff mode ------------------------------------------------------------------

    def _staff_door(self, _window: Any, touch: Any) -> bool:
        corner = dp(STAFF_CORNER)
        if touch.x < Window.width - corner or touch.y < Window.height - corner:
            return False
        now = Clock.get_time()
        self._corner_taps = [t for t in self._corner_taps if now - t < STAFF_TAP_SECONDS] + [now]
        if len(self._corner_taps) >= STAFF_TAPS:
            self._corner_taps = []
            self.open_pin_pad()
        return False  # the touch goes on: citizens see nothing happen

    def open_pin_pad(self) -> None:
        if self.services.pin is None or self.pin_pad is not None:
            return
        self.pin_pad = Factory.PinPad()
        self.pin_pad.bind(on_dismiss=lambda *_args: setattr(self, "pin_pad", None))
        self.pin_pad.open()

    def restart(self) -> None:
        """Close the app for the service manager to start it again."""
        self._leave(0)

    def exit_to_desktop(self) -> None:
        """Close the app and stay closed, for maintenance (EXIT_TO_DESKTOP)."""
        self._leave(EXIT_TO_DESKTOP)

    def _leave(self, status: int) -> None:
        log.warning("staff closed the app (exit status %d)", status)
        self.exit_status = status
        self.stop()

    # -- navigation and the session ----------------------------------------------------------

    def go(self, name: str) -> None:
        manager: Screens = self.root.ids.screens
        if manager.current == name:
            return
        self.speaker.stop()  # what was read was the screen left
        self._cancel_session_tasks(manager.current)  # the journey left: what it started ends
        manager.current_screen.deactivate()
        self.came_from = manager.current
        manager.current = name
        manager.current_screen.activate()

    def end_session(self) -> None:
        """Forget the citizen: everything they gave, then back to the attract screen. Staff
        mode ends too: staff who walk away must not leave it open to the next citizen."""
        if self.pin_pad is not None:
            self.pin_pad.dismiss(animation=False)
        for view in (self._asking, self._helping):
            if view is not None:
                view.dismiss(animation=False)
        self._close_sorry()
        self.speaker.stop()
        self._cancel_session_tasks()  # nothing a journey of this session started reaches the next
        self.go("setup" if self.services.needs_setup else "attract")
        self.session_ticket_id = ""
        self.session_dossier_code = ""
        self.search_query = ""
        self.countdown = 0
        self.large_text = self.default_large_text
        self.language = self.default_language
        # The session's garbage, collected while nobody waits for the screen (on_start says why).
        Clock.schedule_once(lambda _dt: tidy_up(), 0.5)

    def ask_home(self) -> None:
        """The bottom bar's Home. Going home forgets what the citizen typed and was shown in
        this visit (a search, a code, a dossier): when there is some, it asks first, for a tap
        meant for Back beside it must not lose it."""
        screen = self.root.ids.screens.current_screen
        if not (self.search_query or screen.holds_input()):
            self.go_home()
        elif self._asking is None:
            from .screens.confirm import Confirm

            self._asking = Confirm(question=N_("Go back to the home screen?"),
                                   detail=N_("What you chose and typed here will be forgotten. "
                                             "The language and the text size stay as they are."),
                                   yes=N_("Yes, go home"), colour="muted", action=self.go_home)
            self._asking.bind(on_dismiss=lambda *_args: setattr(self, "_asking", None))
            self._asking.open(animation=False)

    def call_for_help(self) -> None:
        """The bottom bar's help: the centre is told (kiosk.screens.help)."""
        if self._helping is None:
            from .screens.help import HelpView

            self._helping = HelpView(screen=self.root.ids.screens.current)
            self._helping.bind(on_dismiss=lambda *_args: setattr(self, "_helping", None))
            self._helping.open(animation=False)

    def listen(self) -> None:
        """The bottom bar's Listen: the screen read aloud in the session's language; pressed
        again while it speaks, silence."""
        if self.speaking:
            self.speaker.stop()
        else:
            self.read_aloud()

    def read_aloud(self) -> None:
        """The screen's main content (its `spoken()`), read aloud if this kiosk speaks."""
        if self.speech_on and self.root is not None:
            script = self.root.ids.screens.current_screen.spoken()
            self._reading = script.text if script else ""
            self.speaker.say(script)

    def _check_reading(self, _dt: float) -> None:
        """What is read is what the screen shows: when it shows something else (a step of the
        catalogue chosen, a dossier found, new results), the old reading stops, and Listen
        reads the new one."""
        if self.speaking:
            script = self.root.ids.screens.current_screen.spoken()
            if (script.text if script else "") != self._reading:
                self.speaker.stop()

    def on_speech_on(self, _app: Any, on: bool) -> None:
        """Speech switched on or off in staff mode: the Listen button comes or goes."""
        if not on:
            self.speaker.stop()
        if self.root is not None and "nav" in self.root.ids:  # else _add_the_bar sees to it
            self.root.ids.nav.keep(self.root.ids.listen, on)

    def on_language(self, *_args: Any) -> None:
        self.speaker.stop()  # it spoke the other language

    def go_home(self) -> None:
        """The citizen's own new start: what they gave is forgotten as at the end of a
        session, but they are still here: the home screen, in the language and text size
        they chose. (The idle timeout and "Finish" end the session for the next citizen.)"""
        language, large_text = self.language, self.large_text
        self.end_session()
        self.language, self.large_text = language, large_text
        if not self.services.needs_setup:
            self.go("home")

    def on_countdown(self, _app: Any, seconds: float) -> None:
        if seconds and self._still_there is None:
            self._still_there = Factory.StillThere()
            self._still_there.bind(on_dismiss=self._note_activity)
            self._still_there.open()
        elif not seconds and self._still_there is not None:
            view, self._still_there = self._still_there, None
            view.dismiss(animation=False)  # gone at once: the next touch is for the screen

    def _touch_down(self, _window: Any, touch: Any) -> bool:
        """Any touch keeps the session. The one that answers "are you still there?" does only
        that: swallowed whole (down, moves, up), it presses nothing under the finger; the
        prompt goes before the window would hand the touch on, so it cannot take it itself."""
        answering = self._still_there is not None
        self._note_activity()
        if answering:
            self._swallowed.add(touch.uid)
        return answering

    def _touch_goes_on(self, _window: Any, touch: Any) -> bool:
        return touch.uid in self._swallowed

    def _touch_up(self, _window: Any, touch: Any) -> bool:
        if touch.uid in self._swallowed:
            self._swallowed.discard(touch.uid)
            return True
        return False

    def _note_activity(self, *_args: Any) -> bool:
        self._last_activity = Clock.get_time()
        self.countdown = 0
        return False  # let the touch or key go on to the widgets

    def _check_idle(self, _dt: float) -> None:
        if self.root.ids.screens.current in ("attract", "setup"):
            return
        idle = Clock.get_time() - self._last_activity
        left = self.services.idle_timeout + COUNTDOWN_SECONDS - idle
        if left <= 0:
            self.end_session()
        elif left <= COUNTDOWN_SECONDS:
            self.countdown = math.ceil(left)
        else:
            self.countdown = 0

    def spawn(self, coroutine, *, session: bool = True) -> asyncio.Task:
        """Run network or disk work beside the UI, never in it. A task of the citizen's
        session (the default) belongs to the screen shown when it starts: leaving that
        screen, or the end of the session, cancels it. `session=False`: the app's own work
        (sync, heartbeat, the centre's printer), which outlives sessions."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.append(task)
        if session:
            self._session_tasks[task] = self.root.ids.screens.current if self.root else ""
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.remove(task)
        self._session_tasks.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            self.crashed(task.exception(), "a task")

    def _cancel_session_tasks(self, screen: str | None = None) -> None:
        """Cancel the session's tasks that `screen` started, or all of them."""
        for task, started_on in list(self._session_tasks.items()):
            if screen is None or started_on == screen:
                task.cancel()

    # -- the unexpected ----------------------------------------------------------------

    def crashed(self, error: BaseException, where: str) -> None:
        """An exception nobody expected: one line and the traceback's frames in the log (not
        the exception's own words, which may hold what a citizen gave), and the citizen told
        "sorry", with a way home. The app goes on."""
        screen = self.root.ids.screens.current if self.root else "-"
        # Only where it happened (file, line, function): the log can then hold nothing a citizen gave.
        frames = "\n".join(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
                            for frame in traceback.extract_tb(error.__traceback__))
        log.error("unexpected %s in %s on screen %s\n%s", type(error).__name__, where, screen, frames)
        # Not while the app stops: its kv rules find no running app to read sizes from.
        if self.root is not None and self._sorry is None and App.get_running_app() is self:
            self._sorry = Factory.Sorry()
            self._sorry.open(animation=False)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        """The asyncio loop's handler: exceptions no task's owner collected (futures, callbacks)."""
        error = context.get("exception")
        if error is None:
            log.error("asyncio: %s", context.get("message", "an error without an exception"))
        else:
            self.crashed(error, "the asyncio loop")

    def sorry_home(self) -> None:
        """The "sorry" view's button: back to the home screen, a new start."""
        self._close_sorry()
        self.go("setup" if self.services.needs_setup else "home")

    def _close_sorry(self) -> None:
        if self._sorry is not None:
            view, self._sorry = self._sorry, None
            view.dismiss(animation=False)


class CrashHandler(ExceptionHandler):
    """Kivy's hook for exceptions in its loop (touches, clock callbacks, kv rules): each is
    the app's `crashed`, and Kivy goes on (PASS). Not so for the end of the program
    (KeyboardInterrupt, SystemExit, a cancelled loop)."""

    def __init__(self, app: KioskApp):
        super().__init__()
        self.app = app

    def handle_exception(self, exception: BaseException) -> int:
        if not isinstance(exception, Exception):
            return ExceptionManager.RAISE
        self.app.crashed(exception, "a Kivy callback")
        return ExceptionManager.PASS


class RecentLog(logging.Handler):
    """The last lines of the kiosk's log, for staff mode's diagnostics. The log never holds
    what a citizen typed, scanned or inserted."""

    def __init__(self, lines: int = 40):
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=lines)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
