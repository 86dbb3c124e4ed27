"""Reading a CCCD's chip through any way of sending it APDUs (`Transmit`: pyscard's connection on
a kiosk, the test card in the tests): select the eMRTD application, open secure messaging, read
EF.COM, DG1, DG13, DG14, DG15 and the SOD in chunks (never DG2, the face), and say who the card
is. Every read is bounded in time (DEADLINE); every failure is a CardReadError with words for
the screen.

PACE with the CAN comes first (the CCCD's own way); a card that refuses it is read with BAC,
each expiry date the law allows tried in turn.

Then passive authentication (passive.py): the groups read against the SOD's signed hashes, its
signature, and the chain to a CSCA the site installed.

And active authentication (active.py) when the card has DG15: it signs a fresh challenge with
the key DG15 holds, which a clone of its data cannot.

DG14 says which further protocols the chip offers (chip authentication): reported, not run.
Active authentication already shows the chip is not a copy, and chip authentication would only
replace BAC's or PACE's session keys, which PACE's are strong enough not to need.

Used by the dossier screen (kiosk.hardware.idcard.chip, journeys.dossier.look_up_by_chip) and
by staff's `kiosk read-card`."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import active, bac, pace
from .errors import CardReadError, ChipAnswerInvalid, ReadTimeout, WrongAccessKey
from .groups import (Identity, chip_authentication, groups_of_com, id_number_of_mrz, identity_of_dg13, mrz_of_dg1,
                     protocols_of_dg14)
from .passive import PassiveResult, signed_groups, verify
from .keys import (ENC, MAC, bac_seed, can_of, can_password, derive_key, document_number, expiry_candidates,
                   mrz_information)
from .secure_messaging import SecureMessaging
from .tlv import header

Transmit = Callable[[bytes], tuple[bytes, int]]
"""Sends one APDU and answers (data, status word); raises NoCard or CardRemoved when the card is
not there (the transport knows how its reader says so)."""

AID = bytes.fromhex("A0000002471001")
"""The eMRTD application (ICAO 9303 Part 10)."""
FILES = {"COM": 0x011E, 1: 0x0101, 13: 0x010D, 14: 0x010E, 15: 0x010F, "SOD": 0x011D}
"""Each elementary file's identifier. DG2 (the face) is not listed: it is never read."""
CHUNK = 0xDF
"""Bytes asked for at a time: what a short answer holds once secure messaging wraps it."""
MAX_FILE = 32 * 1024
"""The largest group read (DG13 is some 1 KB; the SOD a few KB): a larger length is nonsense."""
DEADLINE = 5.0
"""Seconds a whole read may take. Public figures for eMRTD readers are 1 to 3 s without the face
image (the CCCD's BAC or PACE, and 3 to 4 KB read); past 5 s the citizen is told to try again."""


class FileAbsent(CardReadError):
    """The card has no such group (6A82)."""

    code = "file_absent"


def _status_error(sw: int, step: str) -> CardReadError:
    if sw == 0x6300 or sw & 0xFFF0 == 0x63C0:
        return WrongAccessKey(f"{step}: {sw:04X}")
    if sw == 0x6A82:
        return FileAbsent(f"{step}: {sw:04X}")
    return ChipAnswerInvalid(f"{step}: status {sw:04X}")


class ChipReader:
    """One conversation with one card: commands in turn, under secure messaging once it is open."""

    def __init__(self, transmit: Transmit, deadline: float = DEADLINE, clock: Callable[[], float] = time.monotonic):
        self._transmit, self._clock = transmit, clock
        self._ends = clock() + deadline
        self.sm: SecureMessaging | None = None

    def command(self, apdu: bytes, step: str) -> bytes:
        if self._clock() > self._ends:
            raise ReadTimeout(step)
        data, sw = self._transmit(self.sm.wrap(apdu) if self.sm else apdu)
        if self.sm and (sw == 0x9000 or data):  # an error may come protected too (its status in DO99)
            data = self.sm.unwrap(data)
        if sw != 0x9000:
            raise _status_error(sw, step)
        return data

    def select_application(self) -> None:
        self.sm = None
        self.command(b"\x00\xa4\x04\x0c" + bytes([len(AID)]) + AID, "select the eMRTD application")

    def basic_access_control(self, mrz_info: str) -> None:
        seed = bac_seed(mrz_info)
        k_enc, k_mac = derive_key(seed, ENC, "3des"), derive_key(seed, MAC, "3des")
        rnd_ic = self.command(bytes.fromhex("0084000008"), "get challenge")
        if len(rnd_ic) != 8:
            raise ChipAnswerInvalid("challenge of the wrong size")
        rnd_ifd, k_ifd = secrets.token_bytes(8), secrets.token_bytes(16)
        data = bac.authenticate_data(k_enc, k_mac, rnd_ic, rnd_ifd, k_ifd)
        answer = self.command(bytes.fromhex("00820000") + bytes([len(data)]) + data + b"\x28", "mutual authenticate")
        self.sm = bac.session(k_enc, k_mac, answer, rnd_ic, rnd_ifd, k_ifd)

    def password_authenticated_connection(self, can: str) -> bool:
        """PACE with the CAN; False when the card does not know PACE (it refuses MSE:SET AT)."""
        try:
            pace.set_algorithm(self.command)
        except (ChipAnswerInvalid, FileAbsent):
            return False
        self.sm = pace.establish(self.command, can_password(can))
        return True

    def read_file(self, name: int | str) -> bytes:
        """A whole elementary file, read in chunks after its first bytes say its length."""
        self.command(b"\x00\xa4\x02\x0c\x02" + FILES[name].to_bytes(2, "big"), f"select {name}")
        data = self.command(b"\x00\xb0\x00\x00\x04", f"read {name}")
        _tag, length, start = header(data)
        total = start + length
        if total > MAX_FILE:
            raise ChipAnswerInvalid(f"{name} says it holds {total} bytes")
        while len(data) < total:
            offset = len(data)
            part = self.command(b"\x00\xb0" + offset.to_bytes(2, "big") + bytes([min(CHUNK, total - offset)]),
                                f"read {name}")
            if not part:
                raise ChipAnswerInvalid(f"{name} ended early")
            data += part
        return data[:total]


@dataclass(frozen=True)
class CardRead:
    """What was read and how far it is trusted; the identity lives in memory for one look-up."""

    identity: Identity
    access: str
    """"PACE" or "BAC": how the chip was opened."""
    groups: tuple = ()
    """The data groups EF.COM lists."""
    raw: dict = field(default_factory=dict, repr=False)
    """The groups' bytes, for the checks that follow (active authentication)."""
    passive: PassiveResult = PassiveResult("none", ())
    """How far passive authentication got."""
    active: str = "absent"
    """"verified" (the chip signed our challenge with DG15's key) or "absent" (no DG15)."""
    chip_authentication: str = ""
    """The chip authentication protocol DG14 offers (not run), "" without DG14."""


def read_card(transmit: Transmit, id_number: str | None = None, born: dt.date | None = None,
              issued: dt.date | None = None, can: str | None = None, cscas: tuple = (),
              deadline: float = DEADLINE, clock: Callable[[], float] = time.monotonic) -> CardRead:
    """Read the card of the citizen whose QR gave the ID number, date of birth and issue date (or
    who typed the 6 digits of the CAN): PACE with the CAN, or on an older card BAC with each expiry
    the law allows (which needs the QR's dates); then EF.COM, DG1 and DG13. The card must be that
    citizen's: its MRZ and DG13 hold the same ID number, which ends with the CAN."""
    if id_number is None and can is None:
        raise ValueError("an ID number or a CAN is needed")
    can = can or can_of(id_number)
    reader = ChipReader(transmit, deadline, clock)
    reader.select_application()
    access = "PACE"
    if not reader.password_authenticated_connection(can):
        access = "BAC"
        if id_number is None or born is None:
            raise WrongAccessKey("this card knows BAC only, which needs the QR's dates")
        _basic_access_control(reader, id_number, born, issued)
    raw = {name: reader.read_file(name) for name in ("COM", 1, 13)}
    groups = tuple(groups_of_com(raw["COM"]))
    identity = identity_of_dg13(raw[13])
    if id_number_of_mrz(mrz_of_dg1(raw[1])) != identity.id_number or not identity.id_number.endswith(can) \
            or identity.id_number != (id_number or identity.id_number):
        raise ChipAnswerInvalid("the card's groups name different ID numbers")
    try:
        raw["SOD"] = reader.read_file("SOD")  # EF.COM does not list it; every genuine card has one
    except FileAbsent:
        pass
    signed = signed_groups(raw["SOD"]) if "SOD" in raw else set()
    for name in (14, 15):
        # The SOD's list, not only EF.COM's (unsigned): a copy that leaves DG15 out of EF.COM, to
        # pass without active authentication, still has to show the DG15 its SOD signed.
        if name in groups or name in signed:
            try:
                raw[name] = reader.read_file(name)
            except FileAbsent:
                if name in signed:
                    raise ChipAnswerInvalid(f"DG{name} is signed for but absent") from None
    passive = PassiveResult("none", (), problem="the card has no SOD")
    if "SOD" in raw:
        passive = verify(raw["SOD"], {n: data for n, data in raw.items() if isinstance(n, int)}, list(cscas))
    proven = "absent"
    if 15 in raw:  # its key is the one the SOD signed (verify refused any other DG15)
        key, nonce = active.public_key(raw[15]), active.challenge()
        active.verify(key, nonce, reader.command(b"\x00\x88\x00\x00\x08" + nonce + b"\x00", "active authentication"))
        proven = "verified"
    try:  # only reported: a DG14 laid out otherwise than expected is no reason to refuse the card
        offered = chip_authentication(protocols_of_dg14(raw[14])) if 14 in raw else ""
    except ChipAnswerInvalid:
        offered = ""
    return CardRead(identity, access, groups, raw, passive, proven, offered)


def _basic_access_control(reader: ChipReader, id_number: str, born: dt.date, issued: dt.date | None) -> None:
    """BAC with each expiry date the law allows, until one opens the card."""
    number, birth = document_number(id_number), born.strftime("%y%m%d")
    refused: WrongAccessKey | None = None
    for expiry in expiry_candidates(born, issued):
        reader.select_application()
        try:
            reader.basic_access_control(mrz_information(number, birth, expiry))
            return
        except WrongAccessKey as error:
            refused = error
    raise refused or WrongAccessKey("no key")
