"""Staff mode's restart and exit to the desktop, driven by test_app_sizes.py: each asks first, in a
dialog with two large answers, and "no" leaves the app running; the staff screens say states
and settings in words (never a Python object or a file's raw value). Checked at one size and
text size at a time, both languages. Starts and ends on the home screen."""

from kivy.core.window import Window

from screens.journey_layouts import check, off_screen, too_small
from screens.kit import LANGUAGES, SHOTS, arrive, find, frames, rendered, tap, until

RAW = ("<", ">", "Simulated", "ok ·", "Error", "true", "false")
"""What the code's own values look like on a screen."""


async def dialog_shot(app, dialog, name):
    """The dialog alone, drawn off screen, in each language: the headless window's own
    screenshot is not right after the window is resized."""
    for language in LANGUAGES:
        app.language = language
        await frames(3)
        SHOTS.mkdir(parents=True, exist_ok=True)
        dialog.export_to_png(str(SHOTS / f"{name}-{language}.png"))
    app.language = "vi"
    await frames(2)


async def confirm_journey(app, monkeypatch, size, large):
    screens = app.root.ids.screens
    first_size = Window.size
    name = f"{size[0]}x{size[1]}" + ("-large" if large else "")
    stopped = []
    monkeypatch.setattr(app, "stop", lambda *_args: stopped.append(app.exit_status))  # the app stays up for the test
    Window.size, app.large_text = size, large
    await frames(5)
    try:
        # Settings: each choice in words, chosen by touch.
        app.go("staff")
        await arrive(app, "staff")
        staff = screens.current_screen
        await frames(5)
        await check(app, f"{name}-staff")
        reader = staff._inputs["card_reader", "enabled"]
        shown = {"false": "Không", "true": "Có"}[reader.value]  # as the file has it (test_staff_mode saves "true")
        assert reader.text == shown and reader.values == ["Không", "Có"], (reader.text, reader.values)
        language = staff._inputs["kiosk", "default_language"]
        scroller = staff.ids.fields.parent
        await frames(5)
        if not scroller.collide_point(*scroller.to_widget(*language.to_window(*language.center))):
            scroller.scroll_to(language, animate=False)  # as staff scroll to it
            await frames(5)
        tap(language)
        await frames(5)
        tap(find(language._dropdown, "StaffOption", text="Tiếng Anh"))
        await frames(3)
        assert language.value == "en" and language.text == "Tiếng Anh", (name, language.value, language.text)
        app.language = "en"
        await frames(2)
        assert reader.text == {"false": "No", "true": "Yes"}[reader.value]
        assert staff._inputs["printer", "driver"].values[0] == "No printer"
        app.language = "vi"
        for label in staff.walk():
            if type(label).__name__ in ("StaffLabel", "StaffChoice"):
                assert not any(raw in rendered(label) for raw in RAW), rendered(label)

        # The check of the machine: the printer's state and connection in words.
        tap(find(staff, "KioskButton", text=app.t("Check the machine")))
        await arrive(app, "diagnostics")
        diagnostics = screens.current_screen
        await until(lambda: len(diagnostics.checks) >= 6)
        await frames(5)
        await check(app, f"{name}-diagnostics")
        printer = dict((what, how) for what, how, _colour in diagnostics.checks)["Máy in"]
        assert printer.startswith("sẵn sàng · máy in mô phỏng") and not any(raw in printer for raw in RAW), printer

        # Restart, and exit to the desktop: one tap asks; "no" keeps the app; "yes" closes it.
        for button, yes, status in (("Restart the app", "Yes, restart", 0),
                                    ("Exit to the desktop", "Yes, exit to the desktop", 3)):
            tap(find(diagnostics, "KioskButton", text=app.t(button)))
            await frames(5)
            assert not stopped, f"one tap on {button!r} closed the app"
            dialog = diagnostics.asking
            assert dialog is not None and dialog.parent is Window
            assert not too_small(dialog), f"{name}: targets under 15 mm: {too_small(dialog)}"
            assert not off_screen(dialog), f"{name}: off the screen: {off_screen(dialog)}"
            answers = [find(dialog, "KioskButton", text=app.t(words)) for words in ("No, go back", yes)]
            assert answers[0].height == answers[1].height and answers[0].y == answers[1].y
            await dialog_shot(app, dialog, f"{name}-confirm-{status}")
            tap(answers[0])
            await frames(3)
            assert diagnostics.asking is None and not stopped and screens.current == "diagnostics"
            tap(find(diagnostics, "KioskButton", text=app.t(button)))
            await frames(5)
            tap(find(diagnostics.asking, "KioskButton", text=app.t(yes)))
            await frames(3)
            assert stopped == [status] and diagnostics.asking is None
            stopped.clear()
            app.exit_status = 0

        # A question left open when staff mode ends (the idle timeout) goes with it.
        tap(find(diagnostics, "KioskButton", text=app.t("Exit to the desktop")))
        await frames(3)
        dialog = diagnostics.asking
        app.end_session()
        await arrive(app, "attract")
        assert dialog.parent is None and not stopped
    finally:
        app.large_text, app.exit_status = False, 0
        Window.size = first_size
        await frames(5)
    tap(screens.current_screen)
    await arrive(app, "home")
