"""The configuration file (INI): where it is and what it says."""

from __future__ import annotations

import configparser
import os
import re
import unicodedata
from dataclasses import dataclass, field as dataclass_field
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any

from .client.files import write_atomically
from .domain.calendar import WorkingCalendar
from .domain.terminal import HELP_DESK_LENGTH, IDLE_TIMEOUTS, LANGUAGES, PRINTER_DRIVERS, PrinterSettings
from .hardware.scanners import SCANNER_KINDS, ScannerSettings

# Inside the package, so that an installed kiosk (a wheel, not a checkout) has its defaults.
# A site's own file (KIOSK_CONFIG=/etc/tthc-kiosk/kiosk.ini in the systemd unit) wins.
EXAMPLE_CONFIG = Path(__file__).resolve().with_name("kiosk.ini")


class ConfigError(Exception):
    """A configuration file that cannot be used, with the reason."""


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The configuration file in use: `path`, else $KIOSK_CONFIG, else the example config
    shipped inside the package (kiosk/kiosk.ini)."""
    return Path(path or os.environ.get("KIOSK_CONFIG") or EXAMPLE_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None) -> configparser.ConfigParser:
    """Read the configuration file (config_path)."""
    chosen = config_path(path)
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
    max_catalogue_bytes: int = 64 * 1024 * 1024
    max_answer_bytes: int = 1024 * 1024
    """The most the kiosk reads of a catalogue, and of any other answer, after decompression."""


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
        except FileNotFoundError:
            token = None  # not enrolled yet: the app starts with its set-up screen, which writes it
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
    max_catalogue = _whole(section, "max_catalogue_mb", 64, 1, 1024)
    max_answer = _whole(section, "max_answer_kb", 1024, 64, 65536)
    return KioskSettings(
        backend_url=backend_url or section.get("backend_url", "http://127.0.0.1:8080"),
        token=token,
        terminal_id=terminal_id,
        ca_file=section.get("ca_file") or None,
        data_dir=Path(data_dir or section.get("data_dir", "~/.local/share/tthc-kiosk")).expanduser(),
        idle_timeout=idle_timeout,
        max_catalogue_bytes=max_catalogue * 1024 * 1024,
        max_answer_bytes=max_answer * 1024,
    )


def _whole(section: Any, key: str, default: int, low: int, high: int) -> int:
    """A whole number of [kiosk] from `low` to `high`; empty: `default`."""
    text = str(section.get(key, "") or "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"[kiosk] {key} must be a whole number from {low} to {high}, not {text!r}")
    return value


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


# -- what staff set on the kiosk ----------------------------------------------------


@dataclass(frozen=True)
class KioskPreferences:
    """How the kiosk presents itself, as staff set it in [kiosk]."""

    office_name: str = ""
    """The office's name as citizens see it; empty: the site's name from the catalogue."""
    default_language: str = "vi"
    """One of LANGUAGES: the language each session starts in."""
    large_text: bool = False
    """Each session starts with large text."""
    services: tuple[str, ...] = ()
    """Letters of the queue services this kiosk gives tickets for; empty offers all."""
    help_desk: str = ""
    """Where the information desk is, told to a citizen who calls staff for help; the centre's
    configuration (TerminalConfig.help_desk) overrides it when it names one."""
    speech: bool = True
    """The kiosk reads its screens aloud on request (the Listen button), and a new queue number."""


def kiosk_preferences(config: configparser.ConfigParser) -> KioskPreferences:
    """The office name, language, text size, services, help desk and speech of the [kiosk] section."""
    section = config["kiosk"] if config.has_section("kiosk") else {}
    office_name = section.get("office_name", "").strip()
    if len(office_name) > 200:  # the limit TerminalConfig puts on the same name
        raise ConfigError(f"[kiosk] office_name must be at most 200 characters, not {len(office_name)}")
    language_text = section.get("default_language", "")
    language = language_text.strip().lower() or "vi"
    if language not in LANGUAGES:
        raise ConfigError(f"[kiosk] default_language must be one of {', '.join(LANGUAGES)}, not {language_text!r}")
    large_text = section.get("large_text", "").strip().lower() or "false"
    if large_text not in configparser.ConfigParser.BOOLEAN_STATES:
        raise ConfigError(f"[kiosk] large_text must be true or false, not {large_text!r}")
    services_text = section.get("services", "")
    services = tuple(services_text.replace(",", " ").split())
    if any(not re.fullmatch("[A-Z]", letter) for letter in services) or len(set(services)) != len(services):
        raise ConfigError("[kiosk] services must be the letters A to Z of the queue services, each once, "
                          f'separated by spaces or commas, such as "A B C", not {services_text!r}')
    help_desk = " ".join(section.get("help_desk", "").split())  # one line, however the file wraps it
    if len(help_desk) > HELP_DESK_LENGTH:  # the limit TerminalConfig puts on the same words
        raise ConfigError(f"[kiosk] help_desk must be at most {HELP_DESK_LENGTH} characters, not {len(help_desk)}")
    speech = section.get("speech", "").strip().lower() or "on"
    if speech not in configparser.ConfigParser.BOOLEAN_STATES:
        raise ConfigError(f"[kiosk] speech must be on or off, not {speech!r}")
    return KioskPreferences(office_name, language, configparser.ConfigParser.BOOLEAN_STATES[large_text], services,
                            help_desk, configparser.ConfigParser.BOOLEAN_STATES[speech])


def card_reader_enabled(config: configparser.ConfigParser) -> bool:
    """[card_reader] enabled: whether this kiosk has a smart-card reader (through pcscd) whose
    state its heartbeat and staff mode report; empty: no."""
    section = config["card_reader"] if config.has_section("card_reader") else {}
    enabled = section.get("enabled", "").strip().lower() or "false"
    if enabled not in configparser.ConfigParser.BOOLEAN_STATES:
        raise ConfigError(f"[card_reader] enabled must be true or false, not {enabled!r}")
    return configparser.ConfigParser.BOOLEAN_STATES[enabled]


@dataclass(frozen=True)
class ChipSettings:
    """[card_reader]: reading citizens' ID card chips on the dossier screen."""

    reader: str | None = None
    """The PC/SC reader's name; None: the first one holding a card."""
    csca_folder: Path | None = None
    """The CSCA certificates the site installed (PEM or DER files); None: none installed."""


def chip_settings(config: configparser.ConfigParser) -> ChipSettings | None:
    """[card_reader]: how the dossier screen reads ID card chips; None when the kiosk has no card
    reader (the card's QR only)."""
    if not card_reader_enabled(config):
        return None
    section = config["card_reader"]
    folder_text = section.get("csca_folder", "").strip()
    folder = Path(folder_text).expanduser() if folder_text else None
    if folder is not None and not folder.is_dir():
        raise ConfigError(f"[card_reader] csca_folder must be a folder of CSCA certificates, not {folder_text!r}")
    return ChipSettings(section.get("reader", "").strip() or None, folder)


def id_card_chip(config: configparser.ConfigParser) -> Any:
    """The kiosk's ID card chip reader (kiosk.hardware.idcard.chip.PcscChip), or None."""
    settings = chip_settings(config)
    if settings is None:
        return None
    from .hardware.idcard.chip import PcscChip

    return PcscChip(settings.reader, settings.csca_folder)


@dataclass(frozen=True)
class UpstreamSettings:
    """[upstream]: the province's one-stop system, reached in the national portal's integration
    protocol, that `kiosk backend` asks for dossiers it does not hold and pulls its catalogue from."""

    adapter_url: str
    auth_endpoint: str
    integration_endpoint: str
    username: str
    password: str = dataclass_field(repr=False)
    madonvi: str = ""
    keep_minutes: int = 10
    """How long a dossier looked up there is answered from the backend's copy."""
    catalogue_hours: int = 0
    """How often the catalogue is pulled; 0: never (only `kiosk import-catalogue --upstream`)."""


def upstream_settings(config: configparser.ConfigParser) -> UpstreamSettings | None:
    """The [upstream] section, its password read from its file; None without the section."""
    if not config.has_section("upstream"):
        return None
    section = config["upstream"]
    url = section.get("adapter_url", "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"[upstream] adapter_url must be an http:// or https:// address, not {url!r}")
    paths = {}
    for key in ("auth_endpoint", "integration_endpoint"):
        path = section.get(key, "").strip()
        if not path.startswith("/"):
            raise ConfigError(f"[upstream] {key} must be a path starting with /, such as /auth, not {path!r}")
        paths[key] = path
    username = section.get("username", "").strip()
    password_file = section.get("password_file", "").strip()
    if not username or not password_file:
        raise ConfigError("[upstream] needs username and password_file (the password never goes in this file)")
    try:
        password = Path(password_file).expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"[upstream] cannot read the password file {password_file}: {error}") from None
    if not password:
        raise ConfigError(f"[upstream] the password file {password_file} is empty")
    numbers = {}
    for key, default in (("keep_minutes", 10), ("catalogue_hours", 0)):
        text = section.get(key, "").strip()
        try:
            numbers[key] = int(text) if text else default
        except ValueError:
            numbers[key] = -1
        if numbers[key] < 0:
            raise ConfigError(f"[upstream] {key} must be a whole number, 0 or more, not {text!r}")
    return UpstreamSettings(url, paths["auth_endpoint"], paths["integration_endpoint"], username, password,
                            section.get("madonvi", "").strip(), numbers["keep_minutes"], numbers["catalogue_hours"])


BACKEND_LIMITS = ("citizen_lookups_per_minute", "citizen_lookups_per_minute_site", "citizen_lookups_per_minute_all",
                  "tickets_per_minute",
                  "tickets_per_hour", "ratings_per_minute", "ratings_per_hour", "client_seconds")
"""The [backend] keys of kiosk.backend.http.Limits, each a whole number, 1 or more."""


def backend_limits(config: configparser.ConfigParser) -> Any:
    """The [backend] ceilings (kiosk.backend.http.Limits), defaults for keys left out."""
    from .backend.http import Limits  # the backend's own type; loaded only by the backend's commands

    section = config["backend"] if config.has_section("backend") else {}
    values: dict[str, int] = {}
    for key in BACKEND_LIMITS:
        text = section.get(key, "").strip()
        if not text:
            continue
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ConfigError(f"[backend] {key} must be a whole number, 1 or more, not {text!r}")
        values[key] = int(text)
    return Limits(**values)


CITIZEN_DETAIL_NEEDS = ("qr", "chip", "chip-chain")
"""[backend] citizen_detail_needs: see kiosk.backend.terminal_api.DETAIL_NEEDS."""


def citizen_detail_needs(config: configparser.ConfigParser) -> str:
    """[backend] citizen_detail_needs: the least proof of a citizen's card answered with their
    dossiers' codes; qr (any card read) when empty."""
    text = config.get("backend", "citizen_detail_needs", fallback="").strip().lower() or "qr"
    if text not in CITIZEN_DETAIL_NEEDS:
        raise ConfigError(f"[backend] citizen_detail_needs must be one of {', '.join(CITIZEN_DETAIL_NEEDS)}, not {text!r}")
    return text


def citizen_key_file(config: configparser.ConfigParser) -> Path | None:
    """[backend] citizen_key_file: the key of the ID-number hashes, kept apart from the database;
    None: the default, beside the database (kiosk-backend.sqlite3 -> kiosk-backend.citizen.key)."""
    text = config.get("backend", "citizen_key_file", fallback="").strip()
    return Path(text).expanduser() if text else None


def printer_settings(config: configparser.ConfigParser) -> PrinterSettings:
    """The [printer] section, its address checked for its driver without reaching the printer."""
    section = config["printer"] if config.has_section("printer") else {}
    driver = section.get("driver", "").strip() or "none"
    profile = section.get("profile", "").strip() or "TM-T20II"
    address = section.get("address", "").strip()
    if driver not in PRINTER_DRIVERS:
        raise ConfigError(f"[printer] driver must be one of {', '.join(PRINTER_DRIVERS)}, not {driver!r}")
    settings = PrinterSettings(driver, profile, address)
    if driver == "none":
        return settings
    # Loaded only here: python-escpos reads its list of printers at import.
    from .hardware.escpos_devices import get_profile

    try:
        get_profile(profile)
    except KeyError:
        raise ConfigError(f"[printer] profile {profile!r} is not a printer python-escpos knows, such as TM-T20II") from None
    examples = {"usb": '"vendor:product" in hex, such as 04b8:0202', "serial": "a device, such as /dev/ttyUSB0",
                "network": '"host:port", such as 192.168.1.50:9100', "file": "a device file, such as /dev/usb/lp0"}
    if not address:
        raise ConfigError(f"[printer] address is needed with driver = {driver}: {examples[driver]}")
    # The same forms as the printer module reads (kiosk.hardware.escpos_devices.device_for).
    # usb: "04b8:0202", or with the in and out endpoints "04b8:0202:81:02"; serial: a device,
    # or "device:baud"; network: "host" (port 9100) or "host:port".
    head, _, number = address.rpartition(":")
    if driver == "usb":
        good = re.fullmatch(r"[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2})?", address)
    elif driver == "serial" and number.isdigit():
        good = head and int(number) > 0
    elif driver == "network":
        good = head and number.isdigit() and 0 < int(number) < 65536 if head else ":" not in address
    else:
        good = True
    if not good:
        raise ConfigError(f"[printer] address must be {examples[driver]}, not {address!r}")
    return settings


def check_config(config: configparser.ConfigParser) -> None:
    """Read the whole configuration as `kiosk run` would, without the network or the devices:
    ConfigError with a one-line reason for the first value that is wrong."""
    # Every value, so that a stray "%" (interpolation) anywhere is caught here, not at start-up.
    for name in config.sections():
        for key in config[name]:
            try:
                config[name][key]
            except configparser.Error as error:
                raise ConfigError(f"[{name}] {key} cannot be read: {_first_line(error)}") from None
    settings = kiosk_settings(config)
    url = urlsplit(settings.backend_url)
    try:
        url.port  # a bad port number raises here
    except ValueError:
        url = urlsplit("")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError("[kiosk] backend_url must be an http:// or https:// address, such as "
                          f"https://motcua.example.vn, not {settings.backend_url!r}")
    kiosk_preferences(config)
    printer_settings(config)
    scanner_settings(config)
    chip_settings(config)
    working_calendar(config)


_NAME = re.compile(r"[a-z][a-z0-9_]*")
"""Section and key names staff mode may write: what the kiosk reads, and nothing that could
break the file's syntax."""


def save_config(path: str | os.PathLike[str], changes: dict[str, dict[str, str]]) -> None:
    """Apply `changes` (section -> key -> value) to the configuration file and save it, or
    change nothing.

    The file keeps its comments, order and layout: a value is replaced where it stands, a
    new key goes after the last key of its section, a new section at the end. The values
    are text as the kiosk should read it back (a "%" is written as the "%%" the reader
    wants). The result is checked as a whole (check_config); ConfigError with a one-line
    reason naming the section and key when anything is wrong, and then the file is left
    byte for byte as it was. Otherwise it is written atomically (write_atomically), keeping
    its mode. Whether the backend answers is not checked here.
    """
    from configupdater import ConfigUpdater

    path = Path(path)
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read configuration {path}: {error}") from None
    # configupdater glues a new section onto a last line that has no line end.
    updater = ConfigUpdater()  # its defaults parse as load_config's ConfigParser does
    try:
        updater.read_string(old if not old or old.endswith("\n") else old + "\n")
    except configparser.Error as error:
        raise ConfigError(f"cannot read configuration {path}: {_first_line(error)}") from None
    for name, values in changes.items():
        if not _NAME.fullmatch(name):
            raise ConfigError(f"[{name}] is not a section name: small letters, digits and _")
        if not updater.has_section(name):
            _append_section(updater, name)
        section = updater[name]
        for key, value in values.items():
            if not _NAME.fullmatch(key):
                raise ConfigError(f"[{name}] {key!r} is not a key name: small letters, digits and _")
            if not isinstance(value, str):
                raise TypeError(f"[{name}] {key}: the value must be a str, not {type(value).__name__}")
            # A line end would start a new key or section; other control characters have no use.
            if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
                raise ConfigError(f"[{name}] {key} must be one line of text, without control characters")
            value = unicodedata.normalize("NFC", value.strip()).replace("%", "%%")
            if section.has_option(key):
                section[key].value = value
            else:
                _append_option(section, key, value)
    new = str(updater)
    config = configparser.ConfigParser(inline_comment_prefixes=None)
    try:
        config.read_string(new, source=str(path))
    except configparser.Error as error:
        raise ConfigError(f"the changed configuration cannot be read: {_first_line(error)}") from None
    check_config(config)
    if new == old:
        return
    try:
        write_atomically(path, new.encode("utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot write configuration {path}: {error}") from None


def _append_option(section, key: str, value: str) -> None:
    """After the section's last key, so that the new key stays before the blank line and any
    comment that belongs to the next section."""
    from configupdater import Option

    options = [block for block in section.iter_blocks() if isinstance(block, Option)]
    if options:
        options[-1].add_after.option(key, value)
    elif section.first_block is not None:
        section.first_block.add_before.option(key, value)
    else:
        section.set(key, value)


def _append_section(updater, name: str) -> None:
    """At the end of the file, after a blank line."""
    from configupdater import Section, Space

    last = updater.last_block
    if last is None:
        updater.add_section(name)
        return
    # A file's blank lines at the end belong to its last section.
    tail = (last.last_block or last) if isinstance(last, Section) else last
    if isinstance(tail, Space):
        updater.add_section(name)
    else:
        last.add_after.space(1).section(name)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


