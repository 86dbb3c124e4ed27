"""The kiosk's voice in Kivy: plays what kiosk.journeys.read_aloud's Reader made, through Kivy's
sound layer. The speech program runs on the Reader's thread; here, on Kivy's, only the file is
loaded and played, so that a touch is answered at once."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.clock import Clock
from kivy.core.audio import SoundLoader
from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty

if TYPE_CHECKING:
    from .journeys.read_aloud import Reader, Script
    from .speech import Engine

log = logging.getLogger(__name__)


class Speaker(EventDispatcher):
    """One voice for the whole app: a new reading stops the one before it."""

    speaking = BooleanProperty(False)
    """A reading is being made or played: the Listen button then stops it."""

    def __init__(self, folder: Path, engine: Engine | None = None, **kwargs):
        super().__init__(**kwargs)
        self._folder, self._engine = folder, engine
        self._reader: Reader | None = None
        self._request = 0
        """The request whose sound is wanted; 0: none."""
        self._sound = None
        self.silent = False
        """The sound layer could not play (no sound device, say): the app stays quiet from
        then on, rather than have Kivy log the same failure at every touch."""

    @property
    def reader(self) -> Reader:
        """The thread that makes the speech: started at the first reading, not with the app
        (its module, with every screen's script, is not needed for the first frame)."""
        if self._reader is None:
            from .journeys.read_aloud import Reader

            self._reader = Reader(self._folder, self._engine, self._made)
        return self._reader

    def say(self, script: Script | None) -> None:
        self.stop()
        if not script or self.silent:
            return
        self._request = self.reader.read(script)
        self.speaking = True

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        self._request = 0
        sound, self._sound = self._sound, None
        if sound is not None:
            sound.unbind(on_stop=self._ended)
            sound.stop()
            sound.unload()
        self.speaking = False

    def close(self) -> None:
        self.stop()
        if self._reader is not None:
            self._reader.close()

    def _made(self, request: int, path: Path | None) -> None:
        """The Reader's thread: the file is ready (or there is none). Played on Kivy's."""
        Clock.schedule_once(lambda _dt: self._play(request, path))

    def _play(self, request: int, path: Path | None) -> None:
        if request != self._request:
            return  # stopped, or another reading asked for, meanwhile
        sound = self._load(path) if path is not None else None
        if sound is None:
            self.speaking = False
            return
        self._sound = sound
        sound.bind(on_stop=self._ended)
        sound.play()

    def _load(self, path: Path):
        try:
            sound = SoundLoader.load(str(path))
        except Exception as error:  # a sound layer's own failure is no reason to stop the app
            sound, why = None, f"{type(error).__name__}: {error}"
        else:
            why = "no sound device, or no audio provider for WAV files"
        # Without a device, Kivy's SDL2 layer answers with a sound of no length, not None.
        if sound is None or not sound.length:
            self.silent = True
            self.reader.warn(f"the kiosk cannot play sound ({why})")
            return None
        return sound

    def _ended(self, sound) -> None:
        """Played to its end."""
        if sound is self._sound:
            self._sound = None
            sound.unload()
            self.speaking = False
