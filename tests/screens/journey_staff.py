"""Staff mode, driven by test_app.py: the hidden gesture, the PIN pad (a wrong PIN, the right
one), settings checked before they are saved (the file unchanged on error), the centre's
settings shown as such, the diagnostics (test print, sync now, a scan), and the setup
wizard enrolling a kiosk with a one-time code from `kiosk terminal add --enrol`.
Starts and ends on the attract screen."""

import json
import subprocess

from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch

from kiosk.config import load_config
from kiosk.journeys.settings import NO_SUCH_DOSSIER
from screens.journey_dossier import CARD, PERSONAL, texts, wedge
from screens.kit import arrive, find, frames, press_key, rendered, shot, tap, until
from support import KIOSK

STAFF_PIN = "2468"


def corner_taps(count):
    for _ in range(count):
        touch = UnitTestTouch(Window.width - 10, Window.height - 10)
        touch.touch_down()
        touch.touch_up()


def field(staff, section, key):
    return staff._inputs[section, key]


async def save(app, staff):
    staff.message = ""  # so that each answer is this save's
    tap(find(staff, "KioskButton", text=app.t("Save")))
    await until(lambda: not staff.saving)
    await frames()
    return staff.message


async def staff_journey(app, server, config_file):
    screens = app.root.ids.screens
    printer = app.services.printer

    # Four taps do nothing; five open the PIN pad. A wrong PIN is refused with what is left.
    corner_taps(4)
    await frames()
    assert app.pin_pad is None
    corner_taps(1)
    await until(lambda: app.pin_pad is not None)
    pad = app.pin_pad
    await frames(5)  # laid out before its keys are touched
    for key in "9999":
        tap(find(pad, "PinKey", key=key))
    await frames()
    await shot(app, "staff-pin-pad", popups=True)
    assert "9999" not in " ".join(texts(pad)), "the PIN is shown as dots"
    tap(find(pad, "PinButton", text=app.t("Enter")))
    await until(lambda: pad.message)
    assert pad.message.startswith("wrong PIN") and app.pin_pad is pad
    for key in STAFF_PIN:
        tap(find(pad, "PinKey", key=key))
    tap(find(pad, "PinButton", text=app.t("Enter")))
    await arrive(app, "staff")
    assert app.pin_pad is None
    staff = screens.current_screen
    await frames(5)
    await shot(app, "staff-settings")

    # What the centre decides is marked so.
    assert any("do trung tâm đặt: 45" in text for text in texts(staff)), "the centre's idle timeout"
    # The centre's values, shown on labels with markup on (for the note's colour), as written.
    notes = [rendered(label) for label in staff.walk() if type(label).__name__ == "StaffLabel"]
    assert any(app.centre_config.office_name in note for note in notes), notes

    # A bad value, then a backend that does not answer: refused, the file as it was.
    before = config_file.read_bytes()
    field(staff, "kiosk", "idle_timeout").text = "5"
    message = await save(app, staff)
    assert message.startswith("Chưa lưu") and "idle_timeout" in message, message
    field(staff, "kiosk", "idle_timeout").text = "120"
    field(staff, "kiosk", "backend_url").text = "http://127.0.0.1:9"
    message = await save(app, staff)
    assert message.startswith("Chưa lưu") and "127.0.0.1:9" in message, message
    await shot(app, "staff-not-saved")
    assert config_file.read_bytes() == before

    # Good values: saved, comments kept; the centre's settings still stand in the app.
    field(staff, "kiosk", "backend_url").text = f"http://{server.host}:{server.port}"
    field(staff, "kiosk", "idle_timeout").text = "120"
    field(staff, "kiosk", "office_name").text = "Trung tâm Phục vụ hành chính công phường Quy Nhơn (máy 1)"
    field(staff, "card_reader", "enabled").value = "true"  # shown as "Có"
    message = await save(app, staff)
    assert message.startswith("Đã lưu"), message
    assert app.services.card_reader and (await app.health()).card_reader == "offline", "no pcscd in this test"
    saved = load_config(config_file)
    assert saved.get("kiosk", "idle_timeout") == "120"
    assert saved.get("kiosk", "office_name") == "Trung tâm Phục vụ hành chính công phường Quy Nhơn (máy 1)"
    assert "# Seconds without a touch" in config_file.read_text(encoding="utf-8")
    assert app.services.idle_timeout == 45, "the centre's configuration stands"

    # Without the centre's configuration, a saved change is in force at once, and the printer
    # in use (here the simulated one, which is not in the file) stays when its settings did not change.
    centre, version, app.centre_config = app.centre_config, app.centre_version, None
    try:
        field(staff, "kiosk", "office_name").text = "Trung tâm Phục vụ hành chính công phường Quy Nhơn (máy 2)"
        message = await save(app, staff)
        await frames(5)
        assert message.startswith("Đã lưu"), message
        assert app.office_name == "Trung tâm Phục vụ hành chính công phường Quy Nhơn (máy 2)" and app.services.idle_timeout == 120
        assert app.services.printer is printer
    finally:
        app.centre_version = 0
        app.apply_centre_config(version, centre)  # as the next heartbeat would

    # Diagnostics: every part checked, test prints, sync now, a scan shown without personal data.
    tap(find(staff, "KioskButton", text=app.t("Check the machine")))
    await arrive(app, "diagnostics")
    diagnostics = screens.current_screen
    await until(lambda: len(diagnostics.checks) >= 6)
    what = {row[0]: row for row in diagnostics.checks}
    assert what["Hệ thống trung tâm"][2] == "ok" and "ms" in what["Hệ thống trung tâm"][1]
    assert what["Máy in"][2] == "ok"
    assert what["Đầu đọc thẻ"][1] == "Dịch vụ đầu đọc thẻ chưa chạy"
    printed = len(printer.printed)
    tap(find(diagnostics, "KioskButton", text=app.t("Test print")))
    await until(lambda: len(printer.printed) == printed + 3)
    tap(find(diagnostics, "KioskButton", text=app.t("Sync now")))
    await until(lambda: diagnostics.message.startswith("Danh mục đã cập nhật"))
    wedge(CARD)
    await until(lambda: diagnostics.last_scan)
    assert diagnostics.last_scan.startswith("Máy quét giả lập bàn phím: căn cước công dân"), diagnostics.last_scan
    assert not any(secret in diagnostics.last_scan for secret in PERSONAL)
    await frames(5)
    await shot(app, "staff-diagnostics")
    tap(find(diagnostics, "KioskButton", text=app.t("Leave staff mode")))
    await arrive(app, "attract")
    assert diagnostics.last_scan == ""

    # The setup wizard, as on a new kiosk: a one-time code from the centre, then a PIN.
    enrolment = subprocess.run([KIOSK, "terminal", "add", "Ki-ốt sảnh B", "--enrol", "--json", "--db", str(server.db)],
                               capture_output=True, text=True, timeout=60, check=True)
    code = json.loads(enrolment.stdout)["code"]
    app.go("setup")
    setup = screens.current_screen
    await frames(5)
    setup.ids.backend_url.text = f"http://{server.host}:{server.port}"
    setup.ids.code.text = "AAAA-BBBB-CCCC"
    setup.message = ""
    tap(find(setup, "KioskButton", text=app.t("Register this kiosk")))
    await until(lambda: setup.message and not setup.busy)
    assert setup.message.startswith("Chưa đăng ký được") and setup.state == "enrol"
    # Typed on the screen's own keyboard, capitals on: no keyboard needs plugging in.
    setup.ids.code.text = ""
    tap(setup.ids.code)
    await frames()
    for label in ["ABC", *code]:
        press_key(setup.ids.keyboard, label)
        await frames(1)
    assert setup.ids.code.text == code
    tap(find(setup, "KioskButton", text=app.t("Register this kiosk")))
    await until(lambda: setup.state == "pin")
    await shot(app, "setup-pin")
    kiosk = load_config(config_file)["kiosk"]
    token_file = kiosk["token_file"]
    token = open(token_file, encoding="utf-8").read().strip()
    assert server.get(f"/api/v1/dossiers/{NO_SUCH_DOSSIER}", token=token).status == 404  # not 401: the token works
    assert int(kiosk["terminal_id"]) > 1
    setup.ids.pin.text, setup.ids.pin_again.text = "1357", "1375"
    tap(find(setup, "KioskButton", text=app.t("Set the PIN")))
    await frames()
    assert setup.state == "pin" and setup.message == "Hai mã PIN không giống nhau. Vui lòng nhập lại."
    setup.ids.pin.text = setup.ids.pin_again.text = "1357"
    tap(find(setup, "KioskButton", text=app.t("Set the PIN")))
    await until(lambda: setup.state == "done")
    assert app.services.pin.check("1357").ok
    app.end_session()
    await arrive(app, "attract")
