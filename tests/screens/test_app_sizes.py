"""Every screen at every size the kiosks have (1280x720, 1366x768, 1920x1080, 1080x1920), with
and without larger text, in a real, headless Kivy window against a real backend: the layouts of
each journey, the queue in every state, the help pop-up, staff's questions. Screenshots go to
the folder in $KIOSK_SCREENSHOTS (default: a temp dir)."""

import pytest

# The kit first: it sets Kivy up before Kivy is imported.
from screens.app_kit import (  # noqa: F401  (running and kiosk: fixtures, the module's own app)
    running, kiosk,
)
from support import query  # noqa: E402
from screens.journey_layouts import SIZES, layouts_journey  # noqa: E402
from screens.journey_queue import queue_layouts_journey  # noqa: E402
from screens.journey_staff_confirm import confirm_journey  # noqa: E402
from screens.journey_navigation import help_fits_journey  # noqa: E402


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "larger-text"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_help_fits_every_screen(kiosk, size, large):
    kiosk.run(help_fits_journey(kiosk.app, size, large))


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "larger-text"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_layouts(kiosk, size, large):
    code = query(kiosk.server.db, "SELECT code FROM dossiers ORDER BY code LIMIT 1")[0][0]
    kiosk.run(layouts_journey(kiosk.app, code, size, large))


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "larger-text"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_queue_in_every_state_fits_and_is_reached(kiosk, size, large):
    kiosk.run(queue_layouts_journey(kiosk.app, kiosk.printer, kiosk.proxy, size, large))


@pytest.mark.parametrize("large", [False, True], ids=["normal-text", "larger-text"])
@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)], ids=["1280x720", "1080x1920"])
def test_staff_restart_and_exit_ask_first(kiosk, monkeypatch, size, large):
    kiosk.run(confirm_journey(kiosk.app, monkeypatch, size, large))
