"""Speech for the hall display's calls and the kiosk's "Nghe" button: text to a WAV file through
a speech program (espeak-ng by default, Piper where a site has installed a voice), a chime to
put before a call, and a folder cache so that a phrase is synthesised once, not at every call.

Every WAV this module hands out is a complete 16-bit PCM mono file with exact sizes in its header.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import os
import re
import struct
import subprocess
import tempfile
import threading
import time
import unicodedata
import wave
from hashlib import sha256
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

TIMEOUT = 15.0
"""Seconds a speech program may take: a long screen takes espeak-ng well under one; a hung
program must not hold a worker thread for ever."""
MAX_CHARS = 2000
"""The longest text spoken at once: a whole screen of the kiosk fits, a runaway text does not."""
CHIME_GAP = 0.2
"""Seconds of silence between the chime and the call, as a caller breathes before speaking."""


class SpeechUnavailable(Exception):
    """The speech program is missing, failed, timed out or gave something that is not a WAV:
    the caller shows the text without sound."""


class Engine(Protocol):
    name: str
    """A stable id of the engine and of what shapes its sound, part of the cache keys."""

    def synthesise(self, text: str, language: str) -> bytes:
        """A complete WAV file (16-bit PCM mono) of `text` spoken in `language` ("vi" or "en")."""
        ...


def clean_text(text: str) -> str:
    """The text as it is given to a speech program: NFC, control characters as spaces (a newline
    on a screen is a pause, not a command), runs of spaces as one. ValueError if it is too long or
    there is nothing left to say."""
    if len(text) > MAX_CHARS:
        raise ValueError(f"text to speak is {len(text):,} characters, at most {MAX_CHARS:,} are allowed")
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in unicodedata.normalize("NFC", text))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ValueError("there is no text to speak")
    return text


class EspeakNg:
    """espeak-ng: small, offline, in Debian, with a Vietnamese voice that says all six tones."""

    VOICES = {"vi": "vi", "en": "en"}

    def __init__(self, program: str = "espeak-ng", rate: int = 140):
        # 140 words a minute, against espeak-ng's default 175: many who listen in the hall are
        # elderly, and a called number heard once has to be understood at once.
        self.program = program
        self.rate = rate
        self.name = f"espeak-ng:{rate}wpm"

    def synthesise(self, text: str, language: str) -> bytes:
        if language not in self.VOICES:
            raise ValueError(f"espeak-ng speaks {sorted(self.VOICES)}, not {language!r}")
        # The text goes on stdin, never in argv: no option can be smuggled in, and other users of
        # the machine do not see it in the process list.
        argv = [self.program, "-v", self.VOICES[language], "-s", str(self.rate), "--stdin", "--stdout"]
        # On a pipe espeak-ng cannot go back to write the sizes into the header: _whole_wav
        # writes a header with the real ones.
        return _whole_wav(_run(argv, clean_text(text)), self.program)


class Piper:
    """Piper, a neural voice that sounds more natural, for a site that installs it and a voice
    (an .onnx file with its .onnx.json beside it). A Piper voice speaks one language: the voice
    file decides it, the `language` argument is not used."""

    def __init__(self, voice_file: str | Path, program: str = "piper"):
        self.voice_file = Path(voice_file)
        self.program = program
        self.name = f"piper:{self.voice_file.name}"

    def synthesise(self, text: str, language: str) -> bytes:
        text = clean_text(text)
        if not self.voice_file.is_file():
            raise SpeechUnavailable(f"the Piper voice file {self.voice_file} does not exist")
        # Into a file, not to stdout: some versions of piper write a WAV to stdout with a header
        # they cannot finish on a pipe.
        with tempfile.TemporaryDirectory(prefix="kiosk-piper-") as folder:
            output = Path(folder) / "speech.wav"
            _run([self.program, "--model", str(self.voice_file), "--output_file", str(output)], text)
            try:
                data = output.read_bytes()
            except FileNotFoundError:
                raise SpeechUnavailable(f"{self.program} finished without writing a WAV file") from None
        return _whole_wav(data, self.program)


def engine_from_setting(setting: str) -> Engine:
    """The engine a config names: "espeak-ng" (also the default, "") or "piper:/path/to/voice.onnx"."""
    setting = setting.strip()
    if setting in ("", "espeak-ng"):
        return EspeakNg()
    kind, _, voice_file = setting.partition(":")
    if kind == "piper" and voice_file.strip():
        return Piper(voice_file.strip())
    raise ValueError(f'the speech engine must be "espeak-ng" or "piper:/path/to/voice.onnx", not {setting!r}')


def _run(argv: list[str], text: str) -> bytes:
    """The standard output of a speech program given `text` on its standard input."""
    program = argv[0]
    try:
        done = subprocess.run(argv, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT)
    except OSError as error:
        raise SpeechUnavailable(f"the speech program {program} cannot be run: {error.strerror}") from None
    except subprocess.TimeoutExpired:
        raise SpeechUnavailable(f"the speech program {program} did not finish within {TIMEOUT:g} s") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        raise SpeechUnavailable(f"the speech program {program} failed (exit status {done.returncode}): "
                                f"{lines[-1][:200]}")
    return done.stdout


# -- WAV files --


def _frames(data: bytes, exact: bool = False) -> tuple[bytes, int]:
    """The samples and sample rate of a 16-bit PCM mono WAV. ValueError if it is anything else,
    holds no sound, or, when `exact`, holds fewer samples than its header says (a cut file)."""
    try:
        with wave.open(io.BytesIO(data)) as reader:
            if (reader.getnchannels(), reader.getsampwidth()) != (1, 2):
                raise ValueError(f"{reader.getnchannels()} channel(s) of {8 * reader.getsampwidth()} bits, "
                                 "not 16-bit mono")
            declared = reader.getnframes()
            frames = reader.readframes(declared)
            rate = reader.getframerate()
    except (wave.Error, EOFError) as error:
        raise ValueError(f"not a WAV file ({error or 'too short'})") from None
    frames = frames[: len(frames) // 2 * 2]
    if not frames:
        raise ValueError("no sound in it")
    if exact and len(frames) != 2 * declared:
        raise ValueError(f"{len(frames) // 2} samples where the header says {declared}")
    return frames, rate


def _wav(frames: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


def _whole_wav(data: bytes, program: str) -> bytes:
    """What a speech program wrote, checked, as a WAV with the true sizes in its header."""
    try:
        frames, rate = _frames(data)
    except ValueError as error:
        raise SpeechUnavailable(f"the speech program {program} did not give a usable WAV: {error}") from None
    return _wav(frames, rate)


@functools.lru_cache(maxsize=4)  # a site has one or two rates; drawing it costs ~7 ms
def chime(sample_rate: int = 22050) -> bytes:
    """A two-tone "ding-dong" of 0.8 s: E5 then C5, the falling major third of a door chime,
    which turns heads in a hall before the call is spoken."""
    samples: list[int] = []
    for frequency in (659.25, 523.25):
        samples += _tone(frequency, 0.4, sample_rate)
    return _wav(struct.pack(f"<{len(samples)}h", *samples), sample_rate)


def _tone(frequency: float, seconds: float, rate: int) -> list[int]:
    """A struck tone that dies away, with an octave above it for a bell's brightness; faded in
    and out over 5 ms, since a wave that starts or stops mid-swing clicks."""
    count = int(seconds * rate)
    fade = int(0.005 * rate)
    samples = []
    for i in range(count):
        t = i / rate
        envelope = math.exp(-4 * t) * min(1.0, i / fade, (count - 1 - i) / fade)
        wave_ = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(4 * math.pi * frequency * t)
        samples.append(round(0.5 * 32767 * envelope * wave_ / 1.3))
    return samples


def with_chime(speech_wav: bytes) -> bytes:
    """One WAV: the chime at the speech's sample rate, a short silence, then the speech."""
    _, rate = _frames(speech_wav)
    return joined([chime(rate), speech_wav], CHIME_GAP)


def joined(sounds: list[bytes], gap: float) -> bytes:
    """WAVs (16-bit mono, of one sample rate) one after another, `gap` seconds of silence
    between them, as one WAV. ValueError if their rates differ."""
    parts = [_frames(sound) for sound in sounds]
    rates = {rate for _, rate in parts}
    if len(rates) != 1:
        raise ValueError(f"sounds at sample rates {sorted(rates)} cannot be joined")
    rate = rates.pop()
    return _wav(bytes(2 * int(gap * rate)).join(frames for frames, _ in parts), rate)


def write_whole(path: Path, data: bytes) -> None:
    """`data` written aside and renamed into `path`: a reader, in this process or another, sees
    the old file or the whole new one. No fsync: a file cut by a power loss fails its check when
    read (PhraseCache) or is made again at the next request."""
    out = tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", suffix=".tmp", delete=False)
    try:
        with out:
            out.write(data)
        _touch(Path(out.name))
        os.replace(out.name, path)
    except BaseException:
        Path(out.name).unlink(missing_ok=True)
        raise


# -- The cache --


class PhraseCache:
    """Each phrase's WAV in a folder, so that a call heard on three hall screens, or a screen
    read aloud each day, is synthesised once. Safe for threads and for several processes sharing
    the folder: files appear whole (written aside, then renamed), and a damaged one is made again."""

    LOCKS = 32

    def __init__(self, folder: Path, engine: Engine, max_entries: int = 2000):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.engine = engine
        self.max_entries = max_entries
        # One lock per slice of the keys: two threads asking for the same phrase synthesise it
        # once, while different phrases are synthesised side by side.
        self._locks = [threading.Lock() for _ in range(self.LOCKS)]
        self._evicting = threading.Lock()

    def key(self, text: str, language: str, chime: bool = False) -> str:
        what = [self.engine.name, language, chime, clean_text(text)]
        return sha256(json.dumps(what, ensure_ascii=False).encode("utf-8")).hexdigest()

    def path(self, text: str, language: str, chime: bool = False) -> Path:
        return self.folder / f"{self.key(text, language, chime)}.wav"

    def wav(self, text: str, language: str, chime: bool = False) -> bytes:
        """The phrase as a WAV, from the folder or synthesised (and then kept)."""
        text = clean_text(text)
        key = self.key(text, language, chime)
        path = self.folder / f"{key}.wav"
        with self._locks[int(key[:8], 16) % self.LOCKS]:
            data = self._read(path)
            if data is not None:
                return data
            data = self.engine.synthesise(text, language)
            if chime:
                data = with_chime(data)
            self._write(path, data)
        self._evict()
        return data

    def _read(self, path: Path) -> bytes | None:
        try:
            data = path.read_bytes()
            _frames(data, exact=True)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("speech cache: %s is unreadable or damaged (%s), synthesising it again", path.name, error)
            return None
        _touch(path)  # a hit counts as a use: phrases said every day outlive one-off calls
        return data

    def _write(self, path: Path, data: bytes) -> None:
        try:
            write_whole(path, data)
        except OSError as error:
            # Speech matters more than the cache: a full or read-only disk costs speed, not sound.
            log.warning("speech cache: cannot keep %s: %s", path.name, error)

    def _evict(self) -> None:
        """Remove the least recently used entries beyond `max_entries`, and temporary files
        left by a process that died while writing."""
        with self._evicting:
            stale = time.time_ns() - 600 * 10**9
            entries = []
            for entry in os.scandir(self.folder):
                try:
                    used = entry.stat().st_mtime_ns
                except FileNotFoundError:
                    continue  # removed by another process meanwhile
                if entry.name.endswith(".wav"):
                    entries.append((used, entry.name))
                elif entry.name.endswith(".tmp") and used < stale:
                    Path(entry.path).unlink(missing_ok=True)
            entries.sort()
            for _, name in entries[: max(0, len(entries) - self.max_entries)]:
                (self.folder / name).unlink(missing_ok=True)


def _touch(path: Path) -> None:
    """Mark a file as used now, for the eviction's order."""
    # The clock's own nanoseconds: the file system's timestamps may tick only every few
    # milliseconds, too coarse to order phrases written one after another.
    now = time.time_ns()
    try:
        os.utime(path, ns=(now, now))
    except OSError:
        pass  # gone meanwhile, or not ours to touch: the order of eviction is only a preference
