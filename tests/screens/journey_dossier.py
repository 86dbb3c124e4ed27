"""The dossier journey, driven by test_app.py (one Kivy App per process): keypad, card,
a wedge scan of a receipt, one for each timeliness, fees to pay, a citizen ID card's list,
too many ID cards in a minute, an unknown code, the province's system out of reach, the end of
the session. Starts and ends on the home screen."""

import asyncio
import contextlib
import dataclasses
import os
import socket
import unicodedata
from pathlib import Path

from kivy.core.window import Window

from kiosk.app import COUNTDOWN_SECONDS
from kiosk.backend.store import BackendStore
from kiosk.client.api import BackendClient
from kiosk.client.errors import Rejected
from kiosk.domain.calendar import now
from kiosk.domain.codes import dossier_code_shape
from kiosk.domain.dossier import Timeliness
from kiosk.hardware.escpos_decode import decode
from kiosk.hardware.receipts import dossier_slip
from kiosk.screens.dossier import KEYS

from hardware.test_printer import qr_texts
from screens.journey_layouts import MIN_TOUCH, check
from screens.kit import arrive, back, find, frames, next_citizen, shot, tap, until
from support import start_site

CARD = "052090000001||Nguyễn Văn An|01011990|Nam|Thôn 1, xã Ân Hảo Đông, huyện Hoài Ân, Bình Định|15082021"
PERSONAL = CARD.split("|")[0:1] + CARD.split("|")[2:4] + ["Thôn 1, xã Ân Hảo Đông"]
"""What the card gives that must never be kept: ID number, name, birth date, address."""
CARD_DOSSIERS = 3
"""The sample site's dossiers of that citizen."""
LOOKUPS_PER_MINUTE = 10
"""The backend's default limit of ID-card lookups per terminal."""


def wedge(text):
    """Keys on the window as a wedge scanner sends them: a burst within a few ms, then Enter."""
    for char in text:
        key = ord(char.lower()) if char.isascii() else 0
        shifted = char.isupper() or char in "|_:"
        Window.dispatch("on_key_down", key, 4, char, ["shift"] if shifted else [])
        Window.dispatch("on_textinput", char)
        Window.dispatch("on_key_up", key, 4)
    Window.dispatch("on_key_down", 13, 40, None, [])
    Window.dispatch("on_key_up", 13, 40)


def sample_dossier(db, sequence):
    store = BackendStore(db)
    try:
        code = next(c for c in store.dossier_codes() if c.endswith(f"-{sequence:04d}"))
        return code, store.dossier(code)
    finally:
        store.close()


def one_dossier_per_timeliness(server):
    """A sample dossier's code for each timeliness, as the backend judges it today."""
    store = BackendStore(server.db)
    try:
        codes = store.dossier_codes()
    finally:
        store.close()
    found = {}
    # The national portal's form (one sample dossier, G22.99-...) once the code reader knows it.
    for code in filter(dossier_code_shape, codes):
        standing = server.get(f"/api/v1/dossiers/{code}").json()["timeliness"]
        if standing:
            found.setdefault(Timeliness(standing["code"]), code)
    assert set(found) == set(Timeliness), found
    return found


def find_text(root, kind, text):
    for widget in root.walk():
        if type(widget).__name__ == kind and widget.text.startswith(text):
            return widget
    raise AssertionError(f"no {kind} saying {text!r}")


def assert_forgotten(app, data, codes, personal=PERSONAL):
    """Nothing of the citizen (`personal`) in the app's state, on any screen, or in any file the
    kiosk wrote (its data folder and Kivy's home)."""
    assert app.session_dossier_code == "" and app.session_ticket_id == ""
    shown = [text for screen in app.root.ids.screens.screens for text in texts(screen)]
    for secret in (*personal, *codes):
        assert not any(secret in text for text in shown), f"{secret} still on a screen"
    dossier = app.root.ids.screens.get_screen("dossier")
    assert dossier.report is None and dossier.dossiers == [] and dossier.typed == ""
    assert dossier.can == "" and dossier.holder_name == "" and dossier._chip_key is None
    written = [path for folder in (data, Path(os.environ["KIVY_HOME"])) for path in folder.rglob("*") if path.is_file()]
    assert any(path.name.startswith("catalogue.sqlite3") for path in written)  # the search was in the right place
    for path in written:
        content = path.read_bytes()
        for secret in personal:
            for form in {unicodedata.normalize("NFC", secret), unicodedata.normalize("NFD", secret)}:
                assert form.encode() not in content and form.encode("utf-16-le") not in content, f"{secret} in {path}"


def texts(widget):
    return [w.text for w in widget.walk() if hasattr(w, "text") and isinstance(w.text, str)]


async def province_unreachable(app, dossier, folder, look_up_on_keypad):
    """The dossier screen against a second real backend whose [upstream] is a closed port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    folder.mkdir(parents=True)
    (folder / "upstream-password").write_text("not-used", encoding="utf-8")
    (folder / "kiosk.ini").write_text(
        f"[upstream]\nadapter_url = {dead}\nauth_endpoint = /auth\nintegration_endpoint = /integration\n"
        f"username = kiosk\npassword_file = {folder / 'upstream-password'}\n", encoding="utf-8")
    # In a thread: the app's loop keeps drawing while the backend starts.
    server = await asyncio.to_thread(start_site, folder / "site", "--config", str(folder / "kiosk.ini"))
    client = app.services.client
    try:
        async with BackendClient(f"http://{server.host}:{server.port}", server.token) as asking:
            app.services.client = asking
            tap(find(dossier, "KioskButton", text=app.t("Try again")))
            await until(lambda: dossier.state == "ask")
            await frames(10)
            tap(find(dossier, "DossierKey", key="clear"))  # what was typed is kept: cleared by hand
            await look_up_on_keypad("000.00.53.H48-251103-0001")
            await until(lambda: dossier.state == "failed")
            await frames(10)
            await shot(app, "dossier-province-unreachable")
            assert dossier.message.startswith("The province's one-stop system cannot be reached")
            assert find(dossier, "Label", text=app.t(dossier.message)) is not None
    finally:
        app.services.client = client
        assert await asyncio.to_thread(server.stop) == 0


async def dossier_journey(app, server, data):
    screens = app.root.ids.screens
    code, stored = sample_dossier(server.db, 22)  # being processed at a ward: a holder, a deadline
    assert stored.holder is not None and stored.status == 4

    tap(find(app.root, "HomeTile", screen="dossier"))
    await arrive(app, "dossier")
    dossier = screens.current_screen

    async def type_on_keypad(keys):
        """Tap each key, turning the keypad's page (digits, letters) when it is on the other one."""
        for key in keys:
            if key not in KEYS[dossier.page]:
                tap(find(dossier, "DossierKey", key="ABC" if dossier.page == "digits" else "123"))
                await frames(10)  # the other page laid out before it is tapped
                assert key in KEYS[dossier.page], (key, dossier.page)
            tap(find(dossier, "DossierKey", key=key))

    async def look_up_on_keypad(keys):
        await type_on_keypad(keys)
        tap(find(dossier, "KioskButton", text=app.t("Look up")))
    assert dossier.state == "ask"
    await frames(10)  # the scanning line has moved
    await shot(app, "dossier-ask")
    app.large_text = True
    await frames(10)
    await shot(app, "dossier-ask-large")
    app.large_text = False
    await frames(10)

    # The keypad: a typo, deleted, then the whole code.
    tap(find(dossier, "DossierKey", key="9"))
    tap(find(dossier, "DossierKey", key="<"))
    await type_on_keypad(code)
    await frames()
    assert dossier.typed == code
    assert dossier._panel.ids.code.text == code
    await shot(app, "dossier-typed")
    tap(find(dossier, "KioskButton", text=app.t("Look up")))
    await until(lambda: dossier.state in ("card", "failed"))
    assert dossier.state == "card", dossier.message
    await frames()
    await shot(app, "dossier-card")
    shown = texts(dossier)
    assert find(dossier, "CardStatus").text == "Đang xử lý"
    assert any(stored.holder.officer_name in t and stored.holder.agency in t for t in shown), shown
    assert any(code in t for t in shown)
    assert app.session_dossier_code == code
    card = find(dossier, "ScrollView")
    card.scroll_y = 0  # the end of the card: the timeline
    await frames(10)
    await shot(app, "dossier-card-timeline")
    app.large_text = True
    await frames(10)
    await shot(app, "dossier-card-large")
    app.large_text = False
    app.language = "en"
    await frames(10)
    assert find(dossier, "CardStatus").text == "Being processed"
    await shot(app, "dossier-card-en")
    app.language = "vi"
    await frames(10)

    # Back, then a receipt's QR (a URL with the code) through the wedge scanner.
    tap(find(dossier, "KioskButton", text=app.t("Another dossier")))
    await until(lambda: dossier.state == "ask")
    await frames(10)  # the keypad laid out (nested layouts take a few frames) before it is tapped
    assert dossier.typed == "" and app.session_dossier_code == code  # the session keeps it for a rating
    other, _ = sample_dossier(server.db, 31)  # more documents requested
    wedge(f"https://dichvucong.binhdinh.gov.vn/tra-cuu?ma={other}")
    await until(lambda: dossier.state == "card")
    await frames()
    await shot(app, "dossier-card-scanned")
    assert find(dossier, "CardStatus").text == "Yêu cầu bổ sung giấy tờ"
    assert app.session_dossier_code == other

    # A receipt for each timeliness: the card says it in words, in green or red.
    for standing, scanned in one_dossier_per_timeliness(server).items():
        wedge(scanned)
        await until(lambda: dossier.state == "card" and dossier.report.dossier.code == scanned)
        await frames()
        said = find_text(dossier, "CardLine", standing.label_vi)
        good = standing in (Timeliness.EARLY, Timeliness.ON_TIME, Timeliness.NOT_YET_DUE)
        colours = [app.theme["ok"], app.theme["warning"]] if good else [app.theme["danger"]]
        assert tuple(said.color) in [tuple(colour) for colour in colours], (standing, said.color)
        await shot(app, f"dossier-{standing.value}")

    # Fees to pay: each amount and what it is for.
    fees, stored_fees = sample_dossier(server.db, 33)
    wedge(fees)
    await until(lambda: dossier.state == "card" and dossier.report.dossier.code == fees)
    await frames()
    await shot(app, "dossier-fees")
    assert find(dossier, "CardStatus").text == "Yêu cầu thực hiện nghĩa vụ tài chính"
    find_text(dossier, "CardHeading", "Phí, lệ phí cần nộp")
    for fee in stored_fees.fees_outstanding:
        amount = f"{fee.amount_vnd:,}".replace(",", ".")  # Vietnamese thousands: 1.250.000 đồng
        find_text(dossier, "CardLine", f"• {amount} đồng ({fee.description})")

    # A citizen ID card, scanned while a card is shown: that citizen's dossiers, names masked.
    wedge(CARD)
    await until(lambda: dossier.state == "list")
    await frames()
    await shot(app, "dossier-list")
    choices = [w for w in dossier.walk() if type(w).__name__ == "DossierChoice"]
    assert len(choices) == CARD_DOSSIERS
    assert all("Nguyễn Văn An" not in c.text and "052090000001" not in c.text for c in choices)
    assert all(c.text.startswith("Nguyễn V") for c in choices), [c.text for c in choices]
    assert not any("052090000001" in t or "Nguyễn Văn An" in t for t in texts(app.root))
    codes = {d.code for d in dossier.dossiers}
    await frames()
    tap(choices[0])
    await until(lambda: dossier.state == "card")
    await frames(10)  # laid out before "Another dossier" is tapped
    assert dossier.report.dossier.code in codes

    # The citizen walks away: "are you still there?", then everything they gave is forgotten.
    app.language = "en"
    # Untouched for the idle timeout and then some: 10 s of the countdown left.
    app._last_activity -= app.services.idle_timeout + COUNTDOWN_SECONDS - 10
    await until(lambda: app.countdown > 0, timeout=5)
    await frames()
    await shot(app, "countdown", popups=True)
    assert "Starting again in" in app._still_there.ids.seconds.text
    app._last_activity -= 15
    await arrive(app, "attract")
    assert app.language == "vi" and app.countdown == 0
    assert_forgotten(app, data, codes)
    tap(screens.current_screen)
    await arrive(app, "home")
    tap(find(app.root, "HomeTile", screen="dossier"))
    await arrive(app, "dossier")
    await frames(10)

    # A code no dossier has, typed with letters from the keypad's letter page (a real form:
    # letters in an agency group), then a scan that is nothing of ours.
    await type_on_keypad("000.00.BDC")
    await frames(10)
    assert dossier.page == "letters" and dossier.typed == "000.00.BDC"  # C is a letter, not "clear"
    tap(find(dossier, "DossierKey", key="<"))
    assert dossier.typed == "000.00.BD"
    await shot(app, "dossier-letters")
    app.large_text = True
    await frames(10)
    await shot(app, "dossier-letters-large")
    # The smallest screens a centre owns, with larger text: 28 keys, each label inside its key.
    first_size = Window.size
    for size in ((1280, 720), (1366, 768)):
        Window.size = size
        await frames(10)
        keys = [k for k in dossier.walk() if type(k).__name__ == "DossierKey"]
        assert len(keys) == 28 and not [k.text for k in keys if k.texture_size[1] > k.height or
                                        k.texture_size[0] > k.width], size
        await shot(app, f"dossier-letters-large-{size[0]}x{size[1]}")
    Window.size = first_size
    await frames(5)
    app.large_text = False
    await frames(10)
    await look_up_on_keypad(".H08-230411-0004")
    await until(lambda: dossier.state == "failed")
    await frames(10)
    await shot(app, "dossier-not-found")
    assert dossier.message.startswith("No dossier was found with this code")
    assert find(dossier, "Label", text=app.t(dossier.message)) is not None
    tap(find(dossier, "KioskButton", text=app.t("Try again")))
    await until(lambda: dossier.state == "ask")
    await frames(10)  # the keypad laid out (nested layouts take a few frames) before it is tapped
    assert dossier.page == "digits"  # a new question starts on the digits
    assert dossier.typed == "000.00.BD.H08-230411-0004"  # kept, to be mended
    tap(find(dossier, "DossierKey", key="clear"))
    await look_up_on_keypad("12-3")
    await until(lambda: dossier.state == "failed")
    await frames(10)
    await shot(app, "dossier-bad-code")
    assert dossier.message.startswith("This is not a dossier code")
    tap(find(dossier, "KioskButton", text=app.t("Try again")))
    await until(lambda: dossier.state == "ask")
    await frames(10)  # the keypad laid out (nested layouts take a few frames) before it is tapped

    # Typed without dots and dashes: completed when only one agency-code shape fits, and the
    # citizen told so when two do.
    tap(find(dossier, "DossierKey", key="clear"))
    await look_up_on_keypad(code.replace(".", "").replace("-", ""))
    await until(lambda: dossier.state in ("card", "failed"))
    assert dossier.state == "card" and dossier.report.dossier.code == code, dossier.message
    await frames(10)
    tap(find(dossier, "KioskButton", text=app.t("Another dossier")))
    await until(lambda: dossier.state == "ask")
    await frames(10)
    await look_up_on_keypad("G2299101010101010")  # G22.99.10-101010-1010 or G22.99-101010-101010
    await until(lambda: dossier.state == "failed")
    await frames(10)
    await shot(app, "dossier-ambiguous-code")
    assert dossier.message.startswith("This code can be read in more than one way")
    assert find(dossier, "Label", text=app.t(dossier.message)) is not None
    tap(find(dossier, "KioskButton", text=app.t("Try again")))
    await until(lambda: dossier.state == "ask")
    await frames(10)
    wedge("HELLO-WORLD-1234")
    await until(lambda: dossier.state == "failed")
    assert dossier.message.startswith("This code is not a dossier receipt")
    await frames(10)

    # Many ID cards in a minute (someone harvesting ID numbers?): the backend says no, and
    # the citizen is told to wait.
    # One more than the limit: the card scanned above may be more than a minute ago on a busy machine.
    for _ in range(LOOKUPS_PER_MINUTE + 1):
        try:
            await app.services.client.dossiers_of_citizen("052090000099", "qr")
        except Rejected as error:
            assert error.status == 429
            break
    else:
        raise AssertionError("no limit on ID-card lookups")
    wedge(CARD)
    await until(lambda: dossier.state == "failed")
    await frames(10)
    await shot(app, "dossier-too-many")
    assert dossier.message.startswith("This kiosk has looked up many ID cards")

    # No backend to ask (as when it cannot be reached): a clear message and a way back.
    client, app.services.client = app.services.client, None
    try:
        tap(find(dossier, "KioskButton", text=app.t("Try again")))
        await until(lambda: dossier.state == "ask")
        await frames(10)
        tap(find(dossier, "DossierKey", key="clear"))
        await look_up_on_keypad(code)
        await until(lambda: dossier.state == "failed")
        await frames(10)
        await shot(app, "dossier-no-connection")
        assert dossier.message.startswith("Looking up a dossier needs the connection")
    finally:
        app.services.client = client

    # A backend that asks the province's one-stop system for dossiers it lacks, and that system
    # cannot be reached: said as such, not "not found".
    await province_unreachable(app, dossier, data.parent / "upstream-site", look_up_on_keypad)

    # The end: everything forgotten.
    app.end_session()
    await arrive(app, "attract")
    assert app.session_dossier_code == "" and dossier.typed == "" and dossier.report is None
    assert dossier.dossiers == []

    # A receipt scanned on the attract screen opens its dossier straight away.
    wedge(f"https://dichvucong.binhdinh.gov.vn/tra-cuu?ma={other}")
    await arrive(app, "dossier")
    await until(lambda: dossier.state == "card")
    assert dossier.report.dossier.code == other
    app.end_session()
    await arrive(app, "attract")
    tap(screens.current_screen)
    await arrive(app, "home")


# -- a journey that forgives: codes as people type them, mending a typo, the code shown, a slip --------


def plain(code):
    """A code as a citizen may type it: its letters and digits only."""
    return code.replace(".", "").replace("-", "")


async def open_dossier_screen(app):
    tap(find(app.root, "HomeTile", screen="dossier"))
    await arrive(app, "dossier")
    await frames(10)  # the keypad laid out (nested layouts take a few frames) before it is tapped
    return app.root.ids.screens.current_screen


async def type_on_keypad(dossier, keys):
    """Tap each key, turning the keypad's page (digits, letters) when it is on the other one."""
    for key in keys:
        if key not in KEYS[dossier.page]:
            tap(find(dossier, "DossierKey", key="ABC" if dossier.page == "digits" else "123"))
            await frames(10)  # the other page laid out before it is tapped
        tap(find(dossier, "DossierKey", key=key))


async def look_up_typed(app, dossier, keys, state):
    await type_on_keypad(dossier, keys)
    tap(find(dossier, "KioskButton", text=app.t("Look up")))
    await until(lambda: dossier.state in ("card", "failed"))
    assert dossier.state == state, (dossier.message, dossier._panel.ids.sought.text, dossier.typed)
    await frames(10)


async def try_again(app, dossier):
    tap(find(dossier, "KioskButton", text=app.t("Try again")))
    await until(lambda: dossier.state == "ask")
    await frames(10)


def printed_slip(printer):
    """The last print of the simulated printer, decoded back from its ESC/POS bytes."""
    return decode(printer.printed[-1].with_suffix(".bin").read_bytes()).image()


def same_picture(one, other):
    return one.size == other.size and one.convert("1").tobytes() == other.convert("1").tobytes()


async def dossier_forgives(app, server, printer):
    fees, _ = sample_dossier(server.db, 33)  # fees to pay
    # Its code holds its day of receipt, some working days before today (the sample is dated
    # from today, in Vietnam's time zone): read from the site, never written here.
    returned, _ = sample_dossier(server.db, 50)
    dossier = await open_dossier_screen(app)
    muted = tuple(app.theme["muted"])

    # The empty field gives an example, and says it is one: grey, slanted, not bold.
    field = dossier._panel.ids.code
    assert field.text == "Ví dụ: 000.00.53.H48-220921-0099", field.text
    assert tuple(field.color) == muted and field.italic and not field.bold
    app.language = "en"
    await frames()
    assert field.text == "Example: 000.00.53.H48-220921-0099"
    app.language = "vi"
    await frames()

    # Typed without its dots and dashes: read as the one code it can be.
    await look_up_typed(app, dossier, plain(returned), "card")
    assert dossier.report.dossier.code == returned
    tap(find(dossier, "KioskButton", text=app.t("Another dossier")))
    await until(lambda: dossier.state == "ask")
    await frames(10)
    assert dossier.typed == ""  # another dossier starts afresh

    # A typo: "not found" says which code was looked for, in its printed form.
    typo = plain(fees)[:-1] + ("1" if plain(fees)[-1] != "1" else "2")
    await look_up_typed(app, dossier, typo, "failed")
    assert dossier.message.startswith("No dossier was found with this code")
    sought = dossier._panel.ids.sought
    assert sought.text == f"Mã hồ sơ đã tra: {fees[:-1]}{typo[-1]}", sought.text
    await shot(app, "dossier-forgives-not-found")

    # "Try again" keeps what was typed: the wrong digit is mended, not the whole code typed again.
    await try_again(app, dossier)
    assert dossier.typed == typo and dossier._panel.ids.code.text == typo  # a new panel: the field again
    await shot(app, "dossier-forgives-kept")
    tap(find(dossier, "DossierKey", key="<"))
    await look_up_typed(app, dossier, plain(fees)[-1], "card")
    assert dossier.report.dossier.code == fees

    # What cannot be read as a code is shown as typed.
    tap(find(dossier, "KioskButton", text=app.t("Another dossier")))
    await until(lambda: dossier.state == "ask")
    await frames(10)
    await look_up_typed(app, dossier, "12-3", "failed")
    assert dossier._panel.ids.sought.text == "Mã bạn đã bấm: 12-3"
    await try_again(app, dossier)
    tap(find(dossier, "DossierKey", key="clear"))

    # On a keyboard, typed fast in groups and ended with Enter, the code comes as a scan: read
    # the same way.
    typed = plain(returned)
    wedge(f"{typed[:5]} {typed[5:10]} {typed[10:]}")  # "00000 01H21 2610020050"
    await until(lambda: dossier.state in ("card", "failed"))
    assert dossier.state == "card" and dossier.report.dossier.code == returned, dossier.message
    wedge(plain(fees))
    await until(lambda: dossier.state == "card" and dossier.report.dossier.code == fees)
    await frames(10)

    # "In phiếu": the status slip, decoded back from the printer's bytes, is the slip of this
    # dossier, its QR the code, and nothing of the applicant's name on it.
    report, before = dossier.report, len(printer.printed)
    started = now()
    tap(find(dossier, "KioskButton", text="In phiếu"))
    await until(lambda: len(printer.printed) == before + 1 and not dossier.printing)
    await frames()
    picture = printed_slip(printer)
    assert qr_texts(picture) == [fees]
    slips = [dossier_slip(report, width=printer.width, printed_at=moment, language="vi") for moment in (started, now())]
    assert any(same_picture(picture, slip) for slip in slips), "not the dossier's status slip"
    someone_else = dataclasses.replace(report.dossier, applicant_name="Trần Thị Bình")
    renamed = dataclasses.replace(report, dossier=someone_else)
    assert any(same_picture(picture, dossier_slip(renamed, width=printer.width, printed_at=moment, language="vi"))
               for moment in (started, now())), "the applicant's name is on the slip"
    assert dossier._panel.ids.print_said.text == "Đã in xong. Mời bạn nhận phiếu."
    await shot(app, "dossier-printed")

    # Out of paper, and unplugged: nothing printed, and the citizen told why, in red.
    printer.state = "paper_out"
    tap(find(dossier, "KioskButton", text="In phiếu"))
    await until(lambda: dossier.print_why and not dossier.printing)
    await frames()
    said = dossier._panel.ids.print_said
    assert said.text.startswith("Máy in hết giấy.") and tuple(said.color) == tuple(app.theme["danger"]), said.text
    await shot(app, "dossier-print-paper-out")
    printer.state = "ok"
    opened = printer.escpos.open

    def unplugged(*_args, **_kwargs):
        raise OSError("[Errno 19] No such device")

    printer.escpos.open = unplugged
    try:
        tap(find(dossier, "KioskButton", text="In phiếu"))
        await until(lambda: dossier.print_why == "Cannot reach the printer" and not dossier.printing)
    finally:
        printer.escpos.open = opened
    await frames()
    assert said.text.startswith("Không kết nối được máy in.")
    assert len(printer.printed) == before + 1
    app.end_session()
    await next_citizen(app)


# -- every state of the dossier screen, on every screen size ------------------------------------------
# The question (digits, letters, a code typed), loading, the card (fees, printed, not printed,
# documents requested, its timeline), a citizen's list from an ID card, not found, a code that is
# none, the backend down: each through `check`, in both languages.


@contextlib.asynccontextmanager
async def held_answers(app, proxy, method, path):
    """The backend's answers to `method` `path` held back until the block ends, to show the
    screen waiting for them: the kiosk waits on them as long as it takes (on a busy machine the
    checks of a waiting screen outlast its few seconds' timeout, and it would give up)."""
    client, held = app.services.client, proxy.hold(method, path)
    timeout, client.timeout = client.timeout, 120
    try:
        yield held
    finally:
        held.release.set()
        proxy.holds.remove(held)
        client.timeout = timeout


def forget_card_lookups(db):
    """A minute passed since the last ID cards were read: the backend's limit on them (10 a
    minute per terminal) counts afresh. The earlier journeys read many."""
    store = BackendStore(db)
    try:
        with store.write():
            store.db.execute("DELETE FROM limit_events WHERE name = 'citizen_lookup'")
    finally:
        store.close()


def drawn_box(hint):
    """Where ScanHint draws, in window coordinates: the receipt, its code and the arrow."""
    left, bottom = hint.to_window(hint.center_x - hint.side * 0.28, hint.bottom - hint.side * 0.01)
    return left, bottom, left + hint.side * 0.56, bottom + hint.side * 0.99


def box(widget):
    left, bottom = widget.to_window(widget.x, widget.y)
    return left, bottom, left + widget.width, bottom + widget.height


def in_view(widget, scroller):
    """Drawn whole inside the part of the scrolled list on the screen, without scrolling."""
    inner, outer = box(widget), box(scroller)
    return inner[0] >= outer[0] - 1 and inner[1] >= outer[1] - 1 and inner[2] <= outer[2] + 1 and inner[3] <= outer[3] + 1


def overlap(one, other):
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


async def dossier_layouts(app, server, proxy, size, large):
    first_size = Window.size
    name = f"dossier-{size[0]}x{size[1]}" + ("-large" if large else "")
    Window.size, app.large_text = size, large
    await frames(5)
    fees, _ = sample_dossier(server.db, 33)
    requests, _ = sample_dossier(server.db, 31)
    try:
        dossier = await open_dossier_screen(app)

        # Entry: the picture beside the keypad, or above it on an upright screen; never under it.
        await check(app, f"{name}-entry")
        panel = dossier._panel
        picture, keypad = drawn_box(panel.ids.hint), box(panel.ids.keypad)
        assert not overlap(picture, keypad) and not overlap(picture, box(panel.ids.code)), (picture, keypad)
        assert panel.ids.hint.side >= MIN_TOUCH * 3, panel.ids.hint.side  # a picture one can make out
        if size[1] > size[0]:
            assert picture[1] >= keypad[3], "upright, the picture is above the keypad"
            keys = [k for k in panel.ids.keypad.children]
            assert all(k.height <= 2 * k.width for k in keys), [k.size for k in keys]
        tap(find(dossier, "DossierKey", key="ABC"))
        await frames(10)
        await check(app, f"{name}-letters")
        tap(find(dossier, "DossierKey", key="123"))
        await frames(10)
        await type_on_keypad(dossier, plain(fees))
        await frames()
        await check(app, f"{name}-typed")

        # Loading: the backend has answered, the answer not come yet.
        async with held_answers(app, proxy, "GET", r"/dossiers/") as held:
            tap(find(dossier, "KioskButton", text=app.t("Look up")))
            await until(lambda: held.answered.is_set() and dossier.state == "loading")
            await frames(5)
            await check(app, f"{name}-loading")
        await until(lambda: dossier.state == "card")
        await frames(10)

        # Found: fees to pay; printed; then more documents requested, its timeline at the end.
        await check(app, f"{name}-card-fees")
        # What is to be paid is seen without scrolling, on every screen: not below a long name.
        card = find(dossier, "ScrollView")
        assert in_view(find_text(dossier, "CardLine", "• "), card), f"{name}: the fees below the fold"
        tap(find(dossier, "KioskButton", text=app.t("Print a slip")))
        await until(lambda: dossier.print_message and not dossier.printing)
        await frames(5)
        await check(app, f"{name}-card-printed")
        printer = app.services.printer
        printer.state = "paper_out"  # a printing failure: said in red, with what to do instead
        try:
            tap(find(dossier, "KioskButton", text=app.t("Print a slip")))
            await until(lambda: dossier.print_why and not dossier.printing)
            await frames(5)
            await check(app, f"{name}-card-not-printed")
        finally:
            printer.state = "ok"
        wedge(requests)
        await until(lambda: dossier.state == "card" and dossier.report.dossier.code == requests)
        await frames(10)
        await check(app, f"{name}-card-requests")
        find(dossier, "ScrollView").scroll_y = 0
        await frames(10)
        await check(app, f"{name}-card-timeline")

        # A citizen ID card: that citizen's dossiers, a row each; Back to the question.
        forget_card_lookups(server.db)
        wedge(CARD)
        await until(lambda: dossier.state == "list")
        await frames(10)
        choices = [w for w in dossier.walk() if type(w).__name__ == "DossierChoice"]
        assert len(choices) == CARD_DOSSIERS
        # A list, not one long row: two dossiers at least seen whole, each with its code.
        seen = [c for c in choices if in_view(c, find(dossier, "ScrollView"))]
        assert len(seen) >= 2, f"{name}: {len(seen)} of the citizen's dossiers in view"
        await check(app, f"{name}-list")
        back(app)
        await until(lambda: dossier.state == "ask")
        await frames(10)

        # Not found, "Try again" with the code kept, a code that is none.
        await look_up_typed(app, dossier, "0000001H212610020099", "failed")
        assert dossier.message.startswith("No dossier was found with this code"), dossier.message
        await check(app, f"{name}-not-found")
        await try_again(app, dossier)  # the code kept: the question as "typed" above, not checked twice
        tap(find(dossier, "DossierKey", key="clear"))
        await look_up_typed(app, dossier, "12-3", "failed")
        await check(app, f"{name}-bad-code")
        await try_again(app, dossier)

        # The backend down: the network cut.
        tap(find(dossier, "DossierKey", key="clear"))
        proxy.down = True
        try:
            await look_up_typed(app, dossier, plain(fees), "failed")
            assert dossier.message.startswith("Looking up a dossier needs the connection"), dossier.message
            await check(app, f"{name}-backend-down")
        finally:
            proxy.down = False
        app.end_session()
        await next_citizen(app)
    finally:
        app.large_text = False
        Window.size = first_size
        await frames(5)
