"""Where is my dossier? Look one up by its code, or a citizen's by their ID card (its QR, or
its chip read on the kiosk's card reader), and say in plain words why not when it cannot be:
not found, no connection, the province's system out of reach, too many ID cards in a minute,
a card that cannot be read. The ID number and what the chip holds are used for one request
and kept nowhere."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..client.api import BackendClient, CitizenDossier
from ..client.errors import BackendError, NotFound, Offline, Rejected, Timeout, UpstreamUnavailable
from ..client.store import LocalStore
from ..domain.codes import read_typed_code
from ..domain.dossier import DossierReport
from ..domain.text import mask_name
from ..hardware.idcard.errors import CardReadError
from ..hardware.printer import PrinterError
from ..hardware.receipts import dossier_slip
from ..i18n import N_, Message

log = logging.getLogger(__name__)

# Why the journey could not go on, in English (Vietnamese through the catalogue).
NOT_FOUND = "No dossier was found with this code. Please check the code on your receipt, or ask at the counter."
NO_CONNECTION = "Looking up a dossier needs the connection to the system. Please try again later or ask at the counter."
BAD_CODE = ("This is not a dossier code. It looks like 000.00.53.H48-220921-0099 or G22.99.08-260921-896048: "
            "please check it on your receipt.")
AMBIGUOUS_CODE = ("This code can be read in more than one way. "
                  "Please type it with its dots and dashes, as it is printed on your receipt.")
UNKNOWN_SCAN = "This code is not a dossier receipt or a citizen ID card. Please scan the code on your receipt."
NO_DOSSIERS = "No dossier was found for this ID card. Please ask at the counter."
TROUBLE = "Something went wrong reaching the system. Please try again later or ask at the counter."
TOO_MANY = "This kiosk has looked up many ID cards in the last minute. Please wait a minute and scan again."
NO_PROVINCE = ("The province's one-stop system cannot be reached right now, so the dossier cannot be looked up. "
               "Please try again later or ask at the counter.")
TRUST_WORDS = {
    "chain": N_("Read from your ID card's chip, and verified: the card is genuine."),
    "signature": N_("Read from your ID card's chip: its data is as the issuing authority signed it."),
    "integrity": N_("Read from your ID card's chip, but its signature could not be checked."),
    "none": N_("Read from your ID card's chip, but its signature could not be checked."),
}
"""What the list of a citizen's dossiers says of a card read from its chip, by how far passive
authentication got (kiosk.hardware.idcard.passive.LEVELS)."""
MASKED = N_("To open a dossier, scan the code on its receipt.")
"""Under a list answered masked (a proof less than the backend's policy needs: no codes)."""
MASKED_CHIP = N_("To open a dossier, scan the code on its receipt, or place your ID card on the reader and read it "
                 "from its chip.")
"""The same, on a kiosk that reads chips."""
MESSAGES = (NOT_FOUND, NO_CONNECTION, BAD_CODE, AMBIGUOUS_CODE, UNKNOWN_SCAN, NO_DOSSIERS, TROUBLE, TOO_MANY,
            NO_PROVINCE)


@dataclass(frozen=True)
class Found:
    """One dossier's report, or why there is none (`message`), with the names of the
    administrative levels (code -> (Vietnamese, English)) to show its holders with."""

    report: DossierReport | None
    message: str = ""
    levels: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CitizenFound:
    """A citizen's dossiers (names masked by the backend), or why there are none."""

    dossiers: list[CitizenDossier]
    message: str = ""
    name: str = field(default="", repr=False)
    """The citizen's full name, as their card's chip gave it: "" without a chip read."""
    trust: str = ""
    """How far the chip's data was verified (TRUST_WORDS); "" without a chip read."""
    card_error: str = ""
    """Why the chip could not be read (CardReadError.code), "" when it was or none was tried."""

    @property
    def masked(self) -> bool:
        """The backend answered without codes: the dossiers are shown, not opened."""
        return any(not dossier.code for dossier in self.dossiers)


async def look_up_code(client: BackendClient | None, code: str, store_path: Path | None = None) -> Found:
    try:
        if client is None:
            raise Offline("no backend")
        report = await client.dossier(code)
    except BackendError as error:
        return Found(None, why(error))
    levels = await level_names(store_path) if store_path is not None else {}
    return Found(report, "", levels)


async def look_up_citizen(client: BackendClient | None, id_number: str) -> CitizenFound:
    """A citizen's dossiers, with proof that the card was scanned (its QR)."""
    try:
        if client is None:
            raise Offline("no backend")
        found = await client.dossiers_of_citizen(id_number, "qr")
    except BackendError as error:
        return CitizenFound([], why(error, NO_DOSSIERS))
    return CitizenFound(found, "" if found else NO_DOSSIERS)


async def look_up_by_chip(client: BackendClient | None, chip, key) -> CitizenFound:
    """A citizen's dossiers with proof that their card is here: its chip read with `key`
    (kiosk.hardware.idcard.chip: ChipKey, PcscChip) and verified as far as it goes. The chip's
    full name takes the place of the backend's masked one where the two agree."""
    try:
        # Some 1 to 3 s of APDUs: in a thread, while the loop draws the screen.
        read = await asyncio.to_thread(chip.read, key)
    except CardReadError as error:
        log.info("ID card chip not read: %s", error.code)  # the kind of failure; never the card's data
        return CitizenFound([], error.message, card_error=error.code)
    identity, trust = read.identity, read.passive.level
    try:
        if client is None:
            raise Offline("no backend")
        found = await client.dossiers_of_citizen(identity.id_number, "chip", trust, read.active)
    except BackendError as error:
        return CitizenFound([], why(error, NO_DOSSIERS), trust=trust)
    masked = mask_name(identity.full_name)
    named = [replace(d, applicant_name=identity.full_name) if d.applicant_name == masked else d for d in found]
    return CitizenFound(named, "" if named else NO_DOSSIERS, identity.full_name, trust)


def typed_code(typed: str) -> tuple[str | None, str]:
    """The one code that `typed` (keypad or keyboard, with or without its dots and dashes) is,
    or why there is none: never a guess between two readings."""
    readings = read_typed_code(typed)
    if len(readings) == 1:
        return readings[0], ""
    return None, AMBIGUOUS_CODE if readings else BAD_CODE


async def print_status_slip(printer, report: DossierReport, language: str) -> Message | None:
    """Print the dossier's status slip; None when it printed, else why not (out of paper,
    unplugged, no printer), in words for the screen. The slip carries what the status card
    shows, without the applicant's name (receipts.dossier_slip)."""
    try:
        if printer is None:
            raise PrinterError("unreachable", "this kiosk has no printer")
        image = dossier_slip(report, width=printer.width, language=language)
        # The printer blocks while it works: never on the loop that draws the screen.
        await asyncio.to_thread(printer.print_image, image)
    except PrinterError as error:
        log.warning("dossier slip not printed: %s", error.detail or error.why)
        return error.why
    return None


def why(error: BackendError, not_found: str = NOT_FOUND) -> str:
    if isinstance(error, NotFound):
        return not_found
    if isinstance(error, UpstreamUnavailable):
        return NO_PROVINCE  # not "not found": the dossier may well exist there
    if isinstance(error, (Offline, Timeout)):
        return NO_CONNECTION
    if isinstance(error, Rejected) and error.status == 429:
        return TOO_MANY  # the backend's guard against harvesting ID numbers
    return TROUBLE


async def level_names(store_path: Path) -> dict[str, tuple[str, str]]:
    """Names of the administrative levels, from the local catalogue (levels are data); empty
    when the store has none, and the codes are shown instead."""
    try:
        levels = await asyncio.to_thread(_read_levels, store_path)
    except Exception:  # an empty or broken local store
        log.warning("no administrative levels in the local store", exc_info=True)
        return {}
    return {level.code: (level.name, level.name_en) for level in levels}


def _read_levels(path: Path) -> list:
    """Runs in a thread, with a connection of its own: SQLite connections stay in their thread."""
    store = LocalStore(path, snapshot=None)
    try:
        return store.levels()
    finally:
        store.close()
