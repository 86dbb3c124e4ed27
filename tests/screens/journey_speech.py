"""The kiosk reads its screens aloud, driven by test_app.py against real espeak-ng and Kivy's
SDL2 sound layer on SDL's dummy audio device (tests/conftest.py): the bar's Listen on a few
screens makes a real WAV that the sound layer loads and plays; the press returns at once and
frames keep coming while the speech program works; a second press, another screen, the screen
showing something else (a step of the catalogue, a dossier found) or the end of the session
stops it; a fresh queue number is read out in the session's language; a dossier
is read without its applicant or code; a sound layer that cannot play is one warning and the
app goes on; with speech off (kiosk.ini, or staff mode) there is no Listen button.
Each journey starts and ends on the home screen."""

import logging
import time
import wave

from kivy.clock import Clock
from kivy.core.audio import SoundLoader

from kiosk.domain.dossier import Status
from kiosk.domain.spoken import ticket_phrase, ticket_phrase_en
from screens.journey_staff import field, save
from screens.kit import SHOTS, arrive, back, export_on_background, find, frames, go_home, tap, until

LOG = "kiosk.journeys.read_aloud"


class Recorded:
    """What the app asks its Reader to read: the scripts, in order."""

    def __init__(self, app):
        self.reader = app.speaker.reader
        self.scripts = []
        self._read = self.reader.read
        self.reader.read = self._record

    def _record(self, script):
        self.scripts.append(script)
        return self._read(script)

    def close(self):
        del self.reader.read  # the class's own again

    @property
    def last(self):
        return self.scripts[-1].text


class Slow:
    """The real speech program, a second slower: a screen read while the speech program works."""

    def __init__(self, engine, seconds=1.0):
        self.engine, self.seconds, self.name = engine, seconds, f"slow:{engine.name}"

    def synthesise(self, text, language):
        time.sleep(self.seconds)
        return self.engine.synthesise(text, language)


def press_listen(app):
    """The bar's Listen (or Stop); how long the press took, in seconds."""
    start = time.perf_counter()
    tap(app.root.ids.listen)
    return time.perf_counter() - start


async def heard(app):
    """The reading asked for plays: its sound, loaded by Kivy's sound layer."""
    await until(lambda: app.speaker._sound is not None, timeout=30)
    sound = app.speaker._sound
    assert sound.length > 0.5 and sound.state == "play", (sound.length, sound.state)
    return sound


def a_whole_wav(path):
    with wave.open(str(path)) as played:
        assert (played.getnchannels(), played.getsampwidth()) == (1, 2)
        return played.getnframes() / played.getframerate()


async def listen_journey(app, data, dossier_code):
    screens, nav = app.root.ids.screens, app.root.ids.nav
    recorded = Recorded(app)
    try:
        # Home: the press returns at once; the speech program works on its own thread while
        # Kivy keeps drawing frames; then the file plays.
        assert app.root.ids.listen.__self__ in nav.children and nav.cols == 6
        real = app.speaker.reader.engine
        app.speaker.reader.engine = Slow(real)
        stamps = []
        counting = Clock.schedule_interval(lambda _dt: stamps.append(time.perf_counter()), 0)
        try:
            took = press_listen(app)
            await frames(1)
            assert app.speaking and app.root.ids.listen.text == "Dừng"
            sound = await heard(app)
            # Not kit.shot: it changes the language, which ends the reading.
            SHOTS.mkdir(parents=True, exist_ok=True)
            export_on_background(app.root, SHOTS / "listen-speaking-vi.png")
        finally:
            counting.cancel()
            app.speaker.reader.engine = real
        assert took < 0.1, f"the press took {took:.2f} s"
        gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:])]
        assert stamps[-1] - stamps[0] > 1.0 and len(stamps) > 15 and max(gaps) < 0.5, (len(stamps), max(gaps))
        assert recorded.last.startswith("Bạn cần làm gì?") and "Tra cứu hồ sơ." in recorded.last
        playing = data / "speech" / "playing.wav"
        assert sound.source == str(playing) and a_whole_wav(playing) > 2
        assert list((data / "speech" / "phrases").glob("*.wav")), "the phrases are kept"

        # A second press stops it.
        press_listen(app)
        await frames(1)
        assert not app.speaking and app.speaker._sound is None and app.root.ids.listen.text == "Nghe"

        # The rating screen, in English: read in English; going back stops it.
        app.language = "en"
        await frames()
        tap(find(app.root, "HomeTile", screen="rating"))
        await arrive(app, "rating")
        press_listen(app)
        await heard(app)
        assert recorded.last.startswith("How satisfied are you with the service today? Very satisfied.")
        assert recorded.scripts[-1].parts[0][0] == "en"
        back(app)
        await arrive(app, "home")
        assert not app.speaking and app.speaker._sound is None, "a new screen: silence"
        app.language = "vi"
        await frames()  # the tiles made again in Vietnamese, and laid out

        # A procedure: its name, time and fees, documents.
        tap(find(app.root, "HomeTile", screen="catalogue"))
        await arrive(app, "catalogue")
        catalogue = screens.current_screen
        await until(lambda: len(catalogue.ids.grid.children) >= 2)
        await frames(3)  # laid out: a button not yet placed is touched at the window's corner
        tap(find(catalogue, "CatalogueButton", step="level", code="commune"))
        await frames()
        press_listen(app)
        await heard(app)
        assert recorded.last.startswith("Cấp xã. Chọn lĩnh vực. Hộ tịch.")
        tap(find(catalogue, "CatalogueButton", step="field", code="HOTICH"))
        await until(lambda: not app.speaking, timeout=2)  # the fields read are no longer shown
        tap([b for b in catalogue.ids.grid.children if b.step == "procedure"][-1])
        await arrive(app, "procedure")
        procedure = screens.current_screen
        await until(lambda: procedure.procedure is not None)
        press_listen(app)
        await heard(app)
        assert recorded.last.startswith(procedure.procedure.name[:40]) and "Giấy tờ cần mang theo." in recorded.last
        await go_home(app, answer=None)
        await arrive(app, "home")
        assert not app.speaking

        # A dossier: its status and dates, never its applicant or its code.
        tap(find(app.root, "HomeTile", screen="dossier"))
        await arrive(app, "dossier")
        dossier = screens.current_screen
        press_listen(app)
        await heard(app)
        assert "máy quét" in recorded.last
        dossier.look_up(dossier_code)
        await until(lambda: dossier.state == "card")
        await until(lambda: not app.speaking, timeout=2)  # the question read is no longer shown
        press_listen(app)
        await heard(app)
        card = recorded.last
        assert card.startswith(app.t(Status(dossier.report.dossier.status).label)), card
        assert dossier.report.dossier.applicant_name not in card and dossier_code not in card, card

        # The end of the session (the idle timeout, Finish) ends the reading.
        app.end_session()
        await arrive(app, "attract")
        assert not app.speaking and app.speaker._sound is None
        tap(screens.current_screen)
        await arrive(app, "home")
    finally:
        recorded.close()


async def ticket_read_out_journey(app):
    """A fresh queue number is read out, without a touch: in Vietnamese, then in English."""
    screens = app.root.ids.screens
    recorded = Recorded(app)
    try:
        for language, phrase in (("vi", ticket_phrase), ("en", ticket_phrase_en)):
            app.language = language
            await frames()
            tap(find(app.root, "HomeTile", screen="queue"))
            await arrive(app, "queue")
            queue = screens.current_screen
            await until(lambda: queue.state == "services")
            tap(next(b for b in queue.ids.body.children[0].ids.services.children if b.text.startswith("A ·")))
            await until(lambda: queue.state == "priority")
            before = len(recorded.scripts)
            tap(find(queue, "PriorityButton", group="elderly"))
            await until(lambda: queue.state == "done")
            await heard(app)
            [script] = recorded.scripts[before:]
            ticket = queue.ticket
            assert script.text.startswith(phrase(ticket.service.letter, ticket.number)[1]), script.text
            assert script.parts[0][0] == language
            tap(find(queue, "KioskButton", text=app.t("Finish")))
            await arrive(app, "attract")
            assert not app.speaking, "the session ended: silence"
            tap(screens.current_screen)
            await arrive(app, "home")
    finally:
        recorded.close()
        app.language = "vi"


async def cannot_play_journey(app, monkeypatch, caplog):
    """The sound layer gives nothing to play (no sound device): one warning, not one a press,
    no crash, and the app goes on."""
    speaker = app.speaker
    monkeypatch.setattr(SoundLoader, "load", staticmethod(lambda *_args, **_kwargs: None))
    try:
        with caplog.at_level(logging.WARNING, logger=LOG):
            for _ in range(3):
                press_listen(app)
                await until(lambda: not app.speaking, timeout=30)
        warnings = [r.getMessage() for r in caplog.records if r.name == LOG]
        assert len(warnings) == 1 and "cannot play sound" in warnings[0], warnings
        assert speaker.silent and speaker._sound is None
        tap(find(app.root, "HomeTile", screen="rating"))
        await arrive(app, "rating")  # the app goes on
        back(app)
        await arrive(app, "home")
    finally:
        monkeypatch.undo()
        speaker.silent, speaker.reader.warned = False, False


async def speech_off_journey(app, config_file):
    """Speech off in staff mode: the Listen button leaves the bar (five buttons in its row) and
    a queue number is not read out; on again, it is back in its place."""
    nav, listen = app.root.ids.nav.__self__, app.root.ids.listen.__self__
    app.go("staff")  # as after the PIN pad (journey_staff.py goes through it)
    await arrive(app, "staff")
    staff = app.root.ids.screens.current_screen
    assert field(staff, "kiosk", "speech").value == "on"
    field(staff, "kiosk", "speech").value = "off"  # shown as "Không"
    message = await save(app, staff)
    assert message.startswith("Đã lưu"), message
    assert "speech = off" in config_file.read_text(encoding="utf-8")
    assert not app.speech_on and listen.parent is None and nav.cols == 5
    app.end_session()
    await arrive(app, "attract")
    tap(app.root.ids.screens.current_screen)
    await arrive(app, "home")
    await frames()
    listen.dispatch("on_release")  # not in the bar: even a stray call reads nothing
    app.read_aloud()
    await frames(3)
    assert not app.speaking

    app.go("staff")
    await arrive(app, "staff")
    staff = app.root.ids.screens.current_screen
    field(staff, "kiosk", "speech").value = "on"
    assert (await save(app, staff)).startswith("Đã lưu")
    assert app.speech_on and listen.parent is nav and nav.cols == 6
    assert nav.children[::-1].index(listen) == 3, "after help, before the language"
    app.end_session()
    await arrive(app, "attract")
    tap(app.root.ids.screens.current_screen)
    await arrive(app, "home")
