"""The dossier screen reading a citizen's ID card from its chip, driven by test_app.py: the card
placed and the 6 digits typed; the QR scanned before the card is placed (the screen waits for
it); a wrong CAN and "Try again"; "Continue without the chip" against a backend that answers a
QR masked; then the session wiped, and nothing the chip held left on a screen, in the app's
state, on disk or in the logs.

The card is the test card (tests/idcard_card.py), answering in this process: the chip's path
through pyscard and a real pcscd is tested in tests/journeys/test_journey_chip.py, and the
app's thread cannot share one process's PC/SC socket with the tests' pcscd fixture across
modules. Everything else is real: the chip's cryptography, the reader code, the backend."""

import asyncio
import contextlib
import logging

from kivy.core.window import Window

from idcard_card import VirtualCccd
from kiosk.client.api import BackendClient
from kiosk.hardware.idcard.chip import ChipKey, PcscChip
from kiosk.hardware.idcard.errors import NoCard, NoReader, WrongAccessKey
from kiosk.journeys.dossier import MASKED_CHIP, TRUST_WORDS
from kiosk.screens.dossier import CAN_KEYS
from journeys.test_journey_chip import HOLDER
from screens.journey_dossier import CARD, CARD_DOSSIERS, PERSONAL, assert_forgotten, forget_card_lookups, texts, wedge
from screens.kit import arrive, find, frames, next_citizen, shot, tap, until
from support import start_site

CHIP_ONLY = ["Nguyễn Văn Bố", "Trần Thị Mẹ", "Nốt ruồi thử", "Xã Thử, tỉnh Mẫu", "01/01/1990", "NGUYEN<<VAN<AN",
             "Nguyễn Văn An"]
"""What the test card's chip holds beyond its QR (parents, marks, origin, the MRZ), and the
full name the chip puts on the screen: none of it may outlive the session."""


class Reader:
    """The kiosk's card reader with the test card on it, or none (`card` None)."""

    def __init__(self):
        self.card = None

    @contextlib.contextmanager
    def connect(self, _reader):
        card = self.card
        if card is None:
            raise NoCard("no test card on the reader")
        yield card.transmit


class Unplugged(Reader):
    """The reader gone (pulled out, or pcscd stopped)."""

    @contextlib.contextmanager
    def connect(self, _reader):
        raise NoReader("the test reader was unplugged")
        yield


def held_card(loop):
    """A test card whose first answer waits until `release` is set, and `started`, set when it
    is asked: to see the screen while a read is under way."""
    started, release = asyncio.Event(), asyncio.Event()

    class Held(VirtualCccd):
        def transmit(self, apdu):
            if not release.is_set():
                loop.call_soon_threadsafe(started.set)
                asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=120)
            return super().transmit(apdu)

    return Held(HOLDER), started, release


class Said(logging.Handler):
    """Every log record the app makes during the journey, as it would be written."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def chip_data_alive():
    """What a card read leaves in memory and is still reachable: identities (the chip's and the
    QR's), reads and keys; the test's own key to its card aside."""
    import gc

    from journeys.test_journey_chip import QR_KEY
    from kiosk.domain.scan import Identity as QrIdentity
    from kiosk.hardware.idcard.groups import Identity
    from kiosk.hardware.idcard.reader import CardRead

    gc.collect()
    # By exact type: isinstance() on a weak proxy whose object is gone raises ReferenceError.
    kinds = {Identity, QrIdentity, CardRead, ChipKey}
    return [type(o).__name__ for o in gc.get_objects() if type(o) in kinds and o is not QR_KEY]


async def scan_card_with_none_on_the_reader(app, dossier, reader):
    """From the home screen: the dossier screen, the card's QR scanned with no card on the reader;
    the chip's panel then waits for the card."""
    reader.card = None
    tap(find(app.root, "HomeTile", screen="dossier"))
    await arrive(app, "dossier")
    await frames(10)
    wedge(CARD)
    await until(lambda: dossier.state == "chip" and dossier.card_waited)
    await frames(10)


async def type_can(dossier, digits):
    for digit in digits:
        tap(find(dossier, "DossierKey", key=digit))
    await frames()


async def chip_journey(app, server, data):
    screens = app.root.ids.screens
    reader, said, root = Reader(), Said(), logging.getLogger()
    level, root.level = root.level, logging.DEBUG
    root.addHandler(said)
    forget_card_lookups(server.db)
    app.services.chip = PcscChip(connect=reader.connect)
    try:
        tap(find(app.root, "HomeTile", screen="dossier"))
        await arrive(app, "dossier")
        dossier = screens.current_screen
        await frames(10)

        # The question offers the chip; its panel asks for the card and the 6 digits.
        await shot(app, "dossier-chip-offered")
        tap(find(dossier, "KioskButton", text=app.t("Use the chip of your ID card"), disabled=False))
        await until(lambda: dossier.state == "chip")
        await frames(10)
        assert [k.key for k in reversed(dossier._panel.ids.keypad.children)] == CAN_KEYS
        read = find(dossier, "KioskButton", text=app.t("Read the card"))
        assert read.disabled
        await type_can(dossier, "9" + HOLDER.id_number[-6:])  # one digit too many: ignored
        assert dossier.can == "9" + HOLDER.id_number[-6:-1], dossier.can
        tap(find(dossier, "DossierKey", key="clear"))
        await type_can(dossier, HOLDER.id_number[-6:])
        assert dossier._panel.ids.can.text == " ".join(HOLDER.id_number[-6:]) and not read.disabled
        await shot(app, "dossier-chip")

        # The card on the reader, "Read the card": its holder's dossiers, with their name.
        reader.card = VirtualCccd(HOLDER)
        tap(read)
        await until(lambda: dossier.state == "list")
        await frames(10)
        await shot(app, "dossier-chip-list")
        assert reader.card.read == ["COM", 1, 13, "SOD", 14, 15]  # never DG2, the face
        heading = find(dossier, "CardHeading")
        assert heading.text == f"Hồ sơ của {HOLDER.name}"
        find(dossier, "CardLine", text=app.t(TRUST_WORDS["signature"]))
        choices = [w for w in dossier.walk() if type(w).__name__ == "DossierChoice"]
        assert len(choices) == CARD_DOSSIERS and all(c.text.startswith(HOLDER.name + " · ") for c in choices)
        codes = {d.code for d in dossier.dossiers}
        tap(choices[0])
        await until(lambda: dossier.state == "card")
        await frames(10)
        app.end_session()
        await next_citizen(app)
        assert_forgotten(app, data, codes, PERSONAL + CHIP_ONLY)

        # The QR scanned first: the screen waits for the card, and reads it once it comes.
        await scan_card_with_none_on_the_reader(app, dossier, reader)
        assert find(dossier, "Label", text=app.t("Waiting for your card on the reader…")) and dossier.qr_kept
        await shot(app, "dossier-chip-waiting")
        reader.card = VirtualCccd(HOLDER)
        await until(lambda: dossier.state == "list")
        assert len(dossier.dossiers) == CARD_DOSSIERS and dossier.holder_name == HOLDER.name
        await frames(10)

        # The digits typed before the card is placed: waited for too, with no way on without the
        # chip (6 digits look nobody up).
        tap(find(app.root.ids.nav, "NavButton", text=app.t("Back")))
        await until(lambda: dossier.state == "ask")
        await frames(10)
        reader.card = None
        tap(find(dossier, "KioskButton", text=app.t("Use the chip of your ID card"), disabled=False))
        await until(lambda: dossier.state == "chip")
        await frames(10)
        await type_can(dossier, HOLDER.id_number[-6:])
        tap(find(dossier, "KioskButton", text=app.t("Read the card")))
        await until(lambda: dossier.state == "chip" and dossier.card_waited)
        await frames(10)
        assert not dossier.qr_kept and find(dossier, "KioskButton", text=app.t("Continue without the chip")).disabled
        reader.card = VirtualCccd(HOLDER)
        await until(lambda: dossier.state == "list")
        assert dossier.holder_name == HOLDER.name
        await frames(10)

        # Six digits that are not this card's: said so, and "Try again" back to the digits.
        back_to_question = find(app.root.ids.nav, "NavButton", text=app.t("Back"))
        tap(back_to_question)
        await until(lambda: dossier.state == "ask")
        await frames(10)
        tap(find(dossier, "KioskButton", text=app.t("Use the chip of your ID card"), disabled=False))
        await until(lambda: dossier.state == "chip")
        await frames(10)
        await type_can(dossier, "000000")
        tap(find(dossier, "KioskButton", text=app.t("Read the card")))
        await until(lambda: dossier.state == "failed")
        await frames(10)
        assert dossier.message == WrongAccessKey.message
        await shot(app, "dossier-chip-wrong-digits")
        tap(find(dossier, "KioskButton", text=app.t("Try again")))
        await until(lambda: dossier.state == "chip")
        assert dossier.can == "000000"  # kept, to be mended
        app.end_session()
        await next_citizen(app)

        # The citizen goes back while a read with wrong digits is under way, and reads again with
        # the right ones: the first read's answer, come late, is not the screen's any more.
        tap(find(app.root, "HomeTile", screen="dossier"))
        await arrive(app, "dossier")
        await frames(10)
        reader.card, started, release = held_card(asyncio.get_running_loop())
        dossier.read_chip(ChipKey.of_digits("000000"))
        await asyncio.wait_for(started.wait(), 20)
        tap(find(app.root.ids.nav, "NavButton", text=app.t("Back")))
        await until(lambda: dossier.state == "ask")
        dossier.read_chip(ChipKey.of_digits(HOLDER.id_number[-6:]))  # waits for the first read to end
        release.set()
        await until(lambda: dossier.state in ("list", "failed"))
        assert dossier.state == "list" and dossier.holder_name == HOLDER.name, dossier.message
        await frames(10)

        # The reader unplugged while the screen waits for the card: said, not waited for ever.
        app.services.chip = PcscChip(connect=Reader().connect)
        wedge(CARD)
        await until(lambda: dossier.state == "chip" and dossier.card_waited)
        app.services.chip._connect = Unplugged().connect
        await until(lambda: dossier.state == "failed")
        assert dossier.message == NoReader.message and dossier._chip_key is None
        await frames(10)
        await shot(app, "dossier-chip-reader-gone")
        tap(find(dossier, "KioskButton", text=app.t("Try again")))
        await until(lambda: dossier.state == "chip")
        app.services.chip = PcscChip(connect=reader.connect)
        app.end_session()
        await next_citizen(app)

        # A backend that lists in full only to a chip: "Continue without the chip" gets the
        # dossiers without their codes, shown and not opened; the chip gets them in full.
        await without_the_chip(app, dossier, reader, data.parent / "strict-site")
        app.end_session()
        await next_citizen(app)
        assert_forgotten(app, data, codes, PERSONAL + CHIP_ONLY)
        assert not chip_data_alive(), "what a chip gave is still held after the session"
        assert said.lines, "no log records were captured"
        for secret in PERSONAL + CHIP_ONLY:
            assert not any(secret in line for line in said.lines), f"{secret} in the logs"
    finally:
        app.services.chip = None
        root.removeHandler(said)
        root.level = level


async def without_the_chip(app, dossier, reader, folder):
    folder.mkdir(parents=True)
    # In a thread: the app's loop keeps drawing while the backend starts.
    server = await asyncio.to_thread(start_site, folder, backend={"citizen_detail_needs": "chip"})
    client = app.services.client
    try:
        async with BackendClient(f"http://{server.host}:{server.port}", server.token) as strict:
            app.services.client = strict
            await scan_card_with_none_on_the_reader(app, dossier, reader)
            tap(find(dossier, "KioskButton", text=app.t("Continue without the chip")))
            await until(lambda: dossier.state == "list")
            await frames(10)
            await shot(app, "dossier-chip-masked")
            assert dossier.masked and dossier.holder_name == ""
            assert not [w for w in dossier.walk() if type(w).__name__ == "DossierChoice"]
            shown = [w for w in dossier.walk() if type(w).__name__ == "DossierShown"]
            assert len(shown) == CARD_DOSSIERS and all(w.text.startswith("Nguyễn V** A · ") for w in shown)
            find(dossier, "CardLine", text=app.t(MASKED_CHIP))
            assert not any("." in w.text.split("\n")[0].split(" · ")[-1] for w in shown), "a code in a masked row"
            tap(shown[0])  # not a button: nothing happens
            await frames(5)
            assert dossier.state == "list"
            texts_before = texts(dossier)
            assert not any(HOLDER.id_number in t for t in texts_before)

            # The same citizen with the card on the reader: in full.
            app.end_session()
            await next_citizen(app)
            reader.card = VirtualCccd(HOLDER)
            tap(find(app.root, "HomeTile", screen="dossier"))
            await arrive(app, "dossier")
            await frames(10)
            wedge(CARD)
            await until(lambda: dossier.state == "list")
            await frames(10)
            assert not dossier.masked and all(d.code for d in dossier.dossiers)
            assert len([w for w in dossier.walk() if type(w).__name__ == "DossierChoice"]) == CARD_DOSSIERS
    finally:
        app.services.client = client
        assert await asyncio.to_thread(server.stop) == 0


# -- every state of the chip's journey, on every screen size ----------------------------------------


async def chip_layouts(app, server, size, large):
    """The question with the chip offered, the chip's panel (digits typed; waiting for the card
    after its QR), reading, a card that is not the digits', the list read from the chip, and a
    list answered masked: each through `check`, in both languages."""
    from kiosk.client.api import CitizenDossier
    from kiosk.journeys.dossier import CitizenFound
    from screens.journey_dossier import open_dossier_screen
    from screens.journey_layouts import MIN_TOUCH, check

    first_size = Window.size
    name = f"chip-{size[0]}x{size[1]}" + ("-large" if large else "")
    Window.size, app.large_text = size, large
    reader = Reader()
    app.services.chip = PcscChip(connect=reader.connect)
    forget_card_lookups(server.db)
    await frames(5)
    try:
        dossier = await open_dossier_screen(app)
        await check(app, f"{name}-offered")
        tap(find(dossier, "KioskButton", text=app.t("Use the chip of your ID card"), disabled=False))
        await until(lambda: dossier.state == "chip")
        await frames(10)
        panel = dossier._panel
        assert panel.ids.card_hint.side >= MIN_TOUCH * 3, panel.ids.card_hint.side  # a picture one can make out
        await type_can(dossier, HOLDER.id_number[-6:])
        await check(app, f"{name}-digits")

        # Reading: the card's first answer held back until the screen is checked.
        reader.card, started, release = held_card(asyncio.get_running_loop())
        tap(find(dossier, "KioskButton", text=app.t("Read the card")))
        await asyncio.wait_for(started.wait(), 20)
        await frames(5)
        assert dossier.state == "loading" and dossier.reading_card
        await check(app, f"{name}-reading")
        release.set()
        await until(lambda: dossier.state == "list")
        await frames(10)
        await check(app, f"{name}-list")
        rows = list(dossier.dossiers)

        # Back; the QR scanned with no card on the reader: waiting for it.
        tap(find(app.root.ids.nav, "NavButton", text=app.t("Back")))
        await until(lambda: dossier.state == "ask")
        reader.card = None
        await frames(10)
        wedge(CARD)
        await until(lambda: dossier.state == "chip" and dossier.card_waited)
        await frames(10)
        await check(app, f"{name}-waiting")

        # Digits that are not this card's.
        reader.card = VirtualCccd(HOLDER)
        dossier.read_chip(ChipKey.of_digits("000000"))
        await until(lambda: dossier.state == "failed")
        await frames(10)
        await check(app, f"{name}-wrong-digits")

        # A list answered masked (the screen as the journey above gets it from a strict backend).
        dossier._show_citizen(CitizenFound([CitizenDossier("", d.procedure_name, d.status, "Nguyễn V** A")
                                            for d in rows]))
        await frames(10)
        await check(app, f"{name}-masked")
        app.end_session()
        await next_citizen(app)
    finally:
        app.services.chip = None
        app.large_text = False
        Window.size = first_size
        await frames(5)
