""""Are you still there?", driven by test_app.py: it comes after the configured idle time and
not before, and the touch that answers it does only that, on every screen: the button under
the finger is not pressed. Starts and ends on the home screen; the timeout as it was."""

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior

from screens.kit import arrive, find, frames, tap, until

SHORT = 2
"""Seconds: the idle timeout these journeys configure, so that they stay fast."""
SCREENS = ("home", "catalogue", "search", "dossier", "queue", "rating", "staff", "diagnostics")


async def asked(app):
    await until(lambda: app._still_there is not None, timeout=SHORT + 10)
    await frames(2)


def under_the_middle(root):
    """The button under the middle of the window, where the prompt sits, if any."""
    middle = Window.width / 2, Window.height / 2
    for widget in root.walk():
        if isinstance(widget, ButtonBehavior) and widget.opacity > 0 and not widget.disabled:
            if widget.collide_point(*widget.to_widget(*middle)):
                return widget
    return None


async def asked_after_the_configured_time_journey(app):
    configured = app.services.idle_timeout
    app.services.idle_timeout = SHORT  # as [kiosk] idle_timeout or the centre's idle_timeout_seconds set it
    try:
        tap(find(app.root, "HomeTile", screen="catalogue"))
        touched = Clock.get_time()  # the tap's own time: the session's last activity
        await arrive(app, "catalogue")
        await asked(app)
        waited = Clock.get_time() - touched
        assert waited >= SHORT, f"asked after {waited:.1f} s of the {SHORT} s configured"
        assert app.root.ids.screens.current == "catalogue", "the session goes on while it asks"
        tap(app.root.ids.screens.current_screen)
        await frames(2)
        assert app._still_there is None
    finally:
        app.services.idle_timeout = configured
    app.go("home")
    await arrive(app, "home")


async def answering_presses_nothing_journey(app):
    screens = app.root.ids.screens
    configured = app.services.idle_timeout
    app.services.idle_timeout = SHORT
    try:
        for name in SCREENS:
            app.go(name)
            await arrive(app, name)
            await frames(5)
            # A button in the middle, under the prompt's panel: touched, it does nothing.
            middle = under_the_middle(app.root)
            if middle is not None:
                pressed = []
                note = pressed.append
                middle.bind(on_press=note, on_release=note)
                await asked(app)
                tap(middle)
                await frames(3)
                middle.unbind(on_press=note, on_release=note)
                assert app._still_there is None, name
                assert not pressed and screens.current == name, f"{name}: the answer pressed {middle.text!r}"
            # The language button, beside the panel: the same; the next touch is the screen's.
            await asked(app)
            tap(find(app.root.ids.nav, "NavButton", text="English"))
            await frames(3)
            assert app._still_there is None, name
            assert app.language == "vi" and screens.current == name, f"{name}: the answer switched the language"
            tap(find(app.root.ids.nav, "NavButton", text="English"))
            await frames(2)
            assert app.language == "en", name
            app.language = "vi"
            await frames(2)
    finally:
        app.services.idle_timeout = configured
    app.go("home")
    await arrive(app, "home")
