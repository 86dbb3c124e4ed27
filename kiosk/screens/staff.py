"""Staff mode: the kiosk's settings, each checked before it is saved; the file is written
whole or not at all. Reached through the PIN pad only; the idle timeout ends it like a
citizen's session."""

from __future__ import annotations

import asyncio

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.spinner import Spinner
from kivy.utils import escape_markup

from ..config import card_reader_enabled, id_card_chip, kiosk_preferences, kiosk_settings, load_config, printer_settings
from ..domain.terminal import PRINTER_DRIVERS, TerminalConfig
from ..hardware.printer import PrinterError, open_printer
from ..hardware.scanners import SCANNER_KINDS
from ..i18n import N_
from ..journeys.settings import NOTHING, NOT_SAVED, TOKEN, save_settings
from .base import KioskScreen, load_kv

PROFILES = ("TM-T20II", "TM-T88V", "POS-5890")

# (section, key, English label, choices or None for free text), in the order shown.
FIELDS = [
    ("kiosk", "backend_url", "Backend address", None),
    (*TOKEN, "New terminal token (empty: keep the one in use)", None),
    ("kiosk", "office_name", "Office name", None),
    ("kiosk", "default_language", "Language a session starts in", ("vi", "en")),
    ("kiosk", "idle_timeout", "Seconds without a touch before \"Are you still there?\" (30 to 600)", None),
    ("kiosk", "large_text", "Larger text from the start", ("false", "true")),
    ("kiosk", "services", "Queue services offered, by letter (empty: all)", None),
    ("kiosk", "speech", "Read screens aloud (the Listen button, new queue numbers)", ("on", "off")),
    ("printer", "driver", "Printer connection", PRINTER_DRIVERS),
    ("printer", "profile", "Printer model", PROFILES),
    ("printer", "address", "Printer address (USB vendor:product, device, host:port)", None),
    ("scanner", "kind", "Scanner besides keyboard-wedge ones", SCANNER_KINDS),
    ("scanner", "port", "Serial scanner port", None),
    ("scanner", "device", "Camera (number or device)", None),
    ("card_reader", "enabled", "Smart-card reader (through pcscd)", ("false", "true")),
]

YES_NO = {"false": N_("No"), "true": N_("Yes")}
CHOICE_WORDS = {
    # Vietnamese by its own name, as the bar at the bottom names it; English in the words shown.
    ("kiosk", "default_language"): {"vi": "Tiếng Việt", "en": "English"},
    ("kiosk", "large_text"): YES_NO,
    ("kiosk", "speech"): {"on": N_("Yes"), "off": N_("No")},
    ("printer", "driver"): {"none": N_("No printer"), "usb": N_("USB"), "serial": N_("Serial port"),
                            "network": N_("Network"), "file": N_("Device file")},
    ("scanner", "kind"): {"wedge": N_("None: keyboard-wedge scanners only"), "serial": N_("Serial scanner"),
                          "camera": N_("Camera"), "none": N_("None")},
    ("card_reader", "enabled"): YES_NO,
    ("kiosk", "services"): {"": N_("all")},  # for the centre's value: the field itself stays free text
}
"""The words staff read for a setting's values: "Có", not "true". Printer models are names
already, shown as they are."""


def in_words(place: tuple[str, str], value: str, t) -> str:
    """A setting's value as staff read it, in the language of `t`."""
    word = CHOICE_WORDS.get(place, {}).get(value)
    return t(word) if word else value


class StaffChoice(Spinner):
    """A setting of a few values, each shown in words; `value` is what the file holds."""

    value = StringProperty("")

    def __init__(self, place: tuple[str, str], choices, value: str, **kwargs):
        self.place, self.choices = place, list(choices)
        self._t = lambda words: words
        super().__init__(**kwargs)
        self.bind(text=self._chosen)
        self.value = value

    def use_words(self, t) -> None:
        self._t = t
        self.values = [in_words(self.place, choice, t) for choice in self.choices]
        self.text = in_words(self.place, self.value, t)

    def on_value(self, *_args) -> None:
        self.text = in_words(self.place, self.value, self._t)

    def _chosen(self, _spinner, text: str) -> None:
        for choice in self.choices:
            if in_words(self.place, choice, self._t) == text:
                self.value = choice


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
    citizen = False  # staff's own: their buttons lead in and out of staff mode
    has_back = BooleanProperty(False)
    has_home = BooleanProperty(False)

    message = StringProperty("")
    saving = BooleanProperty(False)

    def on_kv_post(self, _base_widget) -> None:
        self.ids.keyboard.bind(target=self._keys_for)

    def activate(self) -> None:
        self.message = ""
        self._build()
        self.app.bind(language=self._relabel)

    def deactivate(self) -> None:
        self.app.unbind(language=self._relabel)
        self.ids.keyboard.target = None  # folded again until a field is touched
        self.ids.fields.clear_widgets()  # the token typed is forgotten
        self._inputs = {}
        self._labels = []

    def _keys_for(self, _keyboard, field) -> None:
        """The keys unfold under the settings when a text field is touched: that field kept in
        sight, once the list has its new, shorter height."""
        if field is not None:
            Clock.schedule_once(lambda _dt: self.ids.fields.parent.scroll_to(field, animate=False))

    def _relabel(self, *_args) -> None:
        """The fields' labels and the keyboard's words in the language chosen, what was typed kept."""
        app = self.app
        for widget, label, place, centre_value in self._labels:
            # Markup is on for the note's colour: the centre's values are escaped, shown as written.
            shown = escape_markup(in_words(place, centre_value, app.t)) if centre_value is not None else ""
            note = app.t("set by the centre: {}").format(shown) if centre_value is not None else ""
            widget.text = app.t(label) + (f"\n[color=0a559e]{note}[/color]" if note else "")
        for field in self._inputs.values():
            if isinstance(field, StaffChoice):
                field.use_words(app.t)
        self.ids.keyboard.use_words(app.t)

    def _build(self) -> None:
        app = self.app
        path = app.services.config_path
        config = load_config(path) if path else None
        centre = centre_values(app.centre_config)
        grid = self.ids.fields
        grid.clear_widgets()
        self._inputs = {}
        self._saved = {}
        self._labels = []
        for section, key, label, choices in FIELDS:
            value = "" if (section, key) == TOKEN or config is None else config.get(section, key, fallback="")
            self._saved[section, key] = value
            widget = Factory.StaffLabel()
            self._labels.append((widget, label, (section, key), centre.get((section, key))))
            grid.add_widget(widget)
            if choices:
                field = StaffChoice((section, key), choices, value or choices[0])
            else:
                field = Factory.StaffInput(text=value, password=(section, key) == TOKEN)
                self.ids.keyboard.follow(field)
            field.disabled = config is None
            grid.add_widget(field)
            self._inputs[section, key] = field
        self._relabel()
        if config is None:
            self.say("This kiosk was started without a configuration file: settings cannot be saved here.")

    def save(self) -> None:
        if not self.saving and self._inputs:
            self.saving = True
            self.app.spawn(self._save())

    async def _save(self) -> None:
        try:
            self.say(*await self._check_and_save())
        finally:
            self.saving = False

    async def _check_and_save(self) -> tuple:
        """What to say (an English message and its arguments, for `say`)."""
        app = self.app
        saved = await save_settings(app.services.config_path,
                                    {place: field.value if isinstance(field, StaffChoice) else field.text
                                     for place, field in self._inputs.items()}, self._saved)
        if saved.outcome == NOTHING:
            return (N_("Nothing was changed."),)
        if saved.outcome == NOT_SAVED:
            return N_("Not saved, the settings in use are kept: {}"), saved.error
        self._apply(saved.config, printer_changed=saved.printer_changed)
        self._build()
        return (N_("Saved. Restart the app for the backend and scanner to change.") if saved.restart else N_("Saved."),)

    def _apply(self, config, printer_changed: bool) -> None:
        """What can change without a restart, unless the centre decides it. The printer is
        opened again only when its settings changed: `kiosk demo`'s simulated one, for one,
        is not in the file."""
        app = self.app
        app.services.card_reader = card_reader_enabled(config)  # the centre does not decide these three
        app.services.chip = id_card_chip(config)
        app.speech_on = kiosk_preferences(config).speech
        if app.centre_config is not None:
            return  # the centre's configuration stands; the file takes over if the centre's goes
        preferences = kiosk_preferences(config)
        app.services.idle_timeout = kiosk_settings(config).idle_timeout
        app.office_name = preferences.office_name or app.services.office_name
        app.default_language, app.default_large_text = preferences.default_language, preferences.large_text
        app.offered_services = list(preferences.services)
        if printer_changed:
            app.spawn(self._use_printer(config), session=False)  # staff leaving does not undo it

    async def _use_printer(self, config) -> None:
        try:
            self.app.services.printer = await asyncio.to_thread(open_printer, printer_settings(config))
        except PrinterError as error:
            self.say("Saved, but the printer cannot be used yet: {}", error.why)


load_kv(__file__)
