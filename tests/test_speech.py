"""The speech layer, heard as audio: real espeak-ng (with its Vietnamese voice) wherever it is
used. Only Piper, which this machine does not have, is a fake program (see `fake_piper`)."""

import array
import io
import json
import math
import os
import sys
import threading
import time
import unicodedata
import wave

import pytest

from kiosk import speech
from kiosk.domain.spoken import call_phrase, ticket_phrase
from kiosk.speech import (
    MAX_CHARS, EspeakNg, PhraseCache, Piper, SpeechUnavailable, chime, engine_from_setting, with_chime,
)

TONES = "ma mà má mả mã mạ"  # ngang, huyền, sắc, hỏi, ngã, nặng


def audio(data: bytes) -> tuple[array.array, int]:
    """The samples and sample rate of a WAV, which must be 16-bit mono with exact sizes."""
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getcomptype()) == (1, 2, "NONE")
        frames = reader.readframes(reader.getnframes())
        assert len(frames) == 2 * reader.getnframes(), "the header's size is not the data's"
        rate = reader.getframerate()
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, rate


def seconds(data: bytes) -> float:
    samples, rate = audio(data)
    return len(samples) / rate


def assert_sound(samples: array.array) -> None:
    """Not silence: loud enough on average, and sound through a good part of it."""
    rms = math.sqrt(sum(x * x for x in samples) / len(samples))
    assert rms > 1000, f"RMS {rms:.0f} of 32767: near silence"
    heard = sum(abs(x) > 300 for x in samples) / len(samples)
    assert heard > 0.25, f"only {heard:.0%} of the samples are above the noise floor"


def assert_speech(data: bytes, text: str) -> None:
    """A WAV of `text` spoken: a plausible length for its syllables (one a word in Vietnamese)."""
    samples, rate = audio(data)
    syllables = len(text.split())
    per_syllable = len(samples) / rate / syllables
    assert 0.15 <= per_syllable <= 1.5, f"{per_syllable:.2f} s per syllable"
    assert_sound(samples)


# -- espeak-ng --


def test_every_tone_is_spoken():
    data = EspeakNg().synthesise(TONES, "vi")
    assert_speech(data, TONES)
    assert audio(data)[1] == 22050  # espeak-ng's own rate


def test_the_six_tones_sound_different():
    # A voice that dropped the tone marks would say "ma" six times over.
    engine = EspeakNg()
    sounds = {audio(engine.synthesise(syllable, "vi"))[0].tobytes() for syllable in TONES.split()}
    assert len(sounds) == 6


def test_a_call_and_a_ticket_are_spoken():
    engine = EspeakNg()
    for _shown, spoken in (call_phrase("A", 12, 3), ticket_phrase("B", 105)):
        assert_speech(engine.synthesise(spoken, "vi"), spoken)


def test_english_is_spoken():
    text = "Your number is B, one hundred and five."
    assert_speech(EspeakNg().synthesise(text, "en"), text)


def test_a_slower_rate_speaks_longer():
    text = call_phrase("A", 12, 3)[1]
    assert seconds(EspeakNg(rate=120).synthesise(text, "vi")) > 1.2 * seconds(EspeakNg(rate=175).synthesise(text, "vi"))


def test_text_is_only_ever_text():
    engine = EspeakNg()
    # Options in the text are read out, not obeyed: the text goes on stdin.
    assert_speech(engine.synthesise("-v en --help", "vi"), "v en help")
    # Control characters are spaces, not commands; NFD is read as NFC.
    assert engine.synthesise("ma\x00mà\x1b[2J\nmá", "vi") == engine.synthesise("ma mà [2J má", "vi")
    nfd = unicodedata.normalize("NFD", "Mời công dân")
    assert nfd != "Mời công dân"
    assert engine.synthesise(nfd, "vi") == engine.synthesise("Mời công dân", "vi")


def test_text_is_bounded_and_not_empty():
    engine = EspeakNg()
    assert_sound(audio(engine.synthesise("a " * (MAX_CHARS // 2), "vi"))[0])
    with pytest.raises(ValueError, match="at most 2,000"):
        engine.synthesise("a" * (MAX_CHARS + 1), "vi")
    with pytest.raises(ValueError, match="no text"):
        engine.synthesise(" \n\x00 ", "vi")
    with pytest.raises(ValueError, match="not 'fr'"):
        engine.synthesise("bonjour", "fr")


def test_a_missing_program_is_unavailable(tmp_path):
    engine = EspeakNg(program=str(tmp_path / "no-such-espeak-ng"))
    with pytest.raises(SpeechUnavailable, match="no-such-espeak-ng cannot be run: No such file"):
        engine.synthesise(TONES, "vi")


def test_a_failing_program_is_unavailable():
    with pytest.raises(SpeechUnavailable, match=r"/bin/false failed \(exit status 1\)"):
        EspeakNg(program="/bin/false").synthesise(TONES, "vi")


def test_output_that_is_not_a_wav_is_unavailable():
    # echo prints its arguments: text, not a WAV.
    with pytest.raises(SpeechUnavailable, match="/bin/echo did not give a usable WAV: not a WAV file"):
        EspeakNg(program="/bin/echo").synthesise(TONES, "vi")


def test_engine_from_setting():
    for setting in ("", "espeak-ng", " espeak-ng "):
        engine = engine_from_setting(setting)
        assert isinstance(engine, EspeakNg) and engine.name == "espeak-ng:140wpm"
    engine = engine_from_setting("piper:/opt/voices/vi_VN-vais1000-medium.onnx")
    assert isinstance(engine, Piper)
    assert str(engine.voice_file) == "/opt/voices/vi_VN-vais1000-medium.onnx"
    assert engine.name == "piper:vi_VN-vais1000-medium.onnx"
    for wrong in ("festival", "piper", "piper:", "espeak", "espeak-ng:vi"):
        with pytest.raises(ValueError, match="must be"):
            engine_from_setting(wrong)


# -- Piper, through a fake program --

FAKE_PIPER = '''#!{python}
"""A stand-in for piper: --model VOICE --output_file FILE, text on stdin; writes a WAV of one
tone, 0.3 s per word, and logs what it was given. FAKE_PIPER=garbage|nothing|slow misbehaves."""
import json, math, os, struct, sys, time, wave
args = sys.argv[1:]
text = sys.stdin.read()
with open(os.environ["FAKE_PIPER_LOG"], "a") as log:
    log.write(json.dumps({{"args": args, "text": text}}) + "\\n")
mode = os.environ.get("FAKE_PIPER", "")
if mode == "slow":
    time.sleep(30)
output = args[args.index("--output_file") + 1]
if mode == "nothing":
    sys.exit(0)
if mode == "garbage":
    open(output, "wb").write(b"<html>not a voice</html>")
    sys.exit(0)
count = int(0.3 * 16000 * len(text.split()))
samples = [round(8000 * math.sin(2 * math.pi * 220 * i / 16000)) for i in range(count)]
with wave.open(output, "wb") as out:
    out.setnchannels(1); out.setsampwidth(2); out.setframerate(16000)
    out.writeframes(struct.pack("<%dh" % count, *samples))
'''


@pytest.fixture
def fake_piper(tmp_path, monkeypatch):
    """A `piper` program on PATH that writes a valid WAV (a tone, not speech); yields the
    voice file to give it and a function answering what it was called with."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "piper"
    program.write_text(FAKE_PIPER.format(python=sys.executable))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PIPER_LOG", str(tmp_path / "piper.log"))
    voice = tmp_path / "vi_VN-test-medium.onnx"
    voice.write_bytes(b"a voice")

    def calls():
        log = tmp_path / "piper.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    yield voice, calls


def test_piper_speaks_through_its_program(fake_piper):
    voice, calls = fake_piper
    engine = engine_from_setting(f"piper:{voice}")
    data = engine.synthesise("Số của bạn là\x00 a, mười hai.", "vi")
    samples, rate = audio(data)
    assert rate == 16000 and abs(len(samples) / rate - 7 * 0.3) < 0.01  # seven words
    assert_sound(samples)
    (call,) = calls()
    assert call["args"][:2] == ["--model", str(voice)]
    assert call["text"] == "Số của bạn là a, mười hai."  # on stdin, cleaned


def test_piper_failures_are_unavailable(fake_piper, monkeypatch, tmp_path):
    voice, calls = fake_piper
    engine = Piper(voice)
    with pytest.raises(SpeechUnavailable, match="voice file .*missing.onnx does not exist"):
        Piper(tmp_path / "missing.onnx").synthesise(TONES, "vi")
    monkeypatch.setenv("FAKE_PIPER", "garbage")
    with pytest.raises(SpeechUnavailable, match="piper did not give a usable WAV"):
        engine.synthesise(TONES, "vi")
    monkeypatch.setenv("FAKE_PIPER", "nothing")
    with pytest.raises(SpeechUnavailable, match="piper finished without writing a WAV file"):
        engine.synthesise(TONES, "vi")
    monkeypatch.setenv("FAKE_PIPER", "slow")
    monkeypatch.setattr(speech, "TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(SpeechUnavailable, match="piper did not finish within 1 s"):
        engine.synthesise(TONES, "vi")
    assert time.monotonic() - started < 10
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SpeechUnavailable, match="piper cannot be run"):
        engine.synthesise(TONES, "vi")


# -- The chime --


@pytest.mark.parametrize("rate", [22050, 16000, 44100])
def test_the_chime_is_a_short_sound(rate):
    samples, got = audio(chime(rate))
    assert got == rate
    assert abs(len(samples) / rate - 0.8) < 0.01
    assert_sound(samples)
    # Faded in and out: no click at either end.
    assert abs(samples[0]) < 100 and abs(samples[-1]) < 100


def test_with_chime_puts_the_chime_and_a_pause_before_the_speech():
    spoken = EspeakNg().synthesise(call_phrase("A", 12, 3)[1], "vi")
    both = with_chime(spoken)
    samples, rate = audio(both)
    assert rate == audio(spoken)[1]
    assert abs(seconds(both) - seconds(spoken) - 1.0) < 0.01  # 0.8 s of chime, 0.2 s of silence
    assert samples[-len(audio(spoken)[0]):] == audio(spoken)[0]
    chime_part = samples[: int(0.8 * rate)]
    assert_sound(chime_part)
    assert max(map(abs, samples[int(0.8 * rate): int(1.0 * rate)])) == 0
    with pytest.raises(ValueError, match="not a WAV"):
        with_chime(b"RIFF but not really")


# -- The cache --


class Counting:
    """The real espeak-ng, counting the phrases it is asked to synthesise."""

    def __init__(self):
        self.engine = EspeakNg()
        self.name = self.engine.name
        self.calls = 0
        self.lock = threading.Lock()

    def synthesise(self, text, language):
        with self.lock:
            self.calls += 1
        return self.engine.synthesise(text, language)


def entries(folder):
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".wav")


def test_a_cached_phrase_is_not_synthesised_again(tmp_path):
    engine = Counting()
    cache = PhraseCache(tmp_path, engine)
    text = call_phrase("A", 12, 3)[1]
    first = cache.wav(text, "vi")
    assert_speech(first, text)
    assert cache.wav(text, "vi") == first
    assert cache.wav(f"  {text}\n", "vi") == first  # the same text once cleaned
    assert PhraseCache(tmp_path, engine).wav(text, "vi") == first  # another process, same folder
    assert engine.calls == 1
    assert entries(tmp_path) == [cache.path(text, "vi").name]


def test_each_text_language_and_chime_is_its_own_entry(tmp_path):
    engine = Counting()
    cache = PhraseCache(tmp_path, engine)
    plain = cache.wav("Số của bạn là a, mười hai.", "vi")
    other = cache.wav("Số của bạn là a, mười ba.", "vi")
    english = cache.wav("Số của bạn là a, mười hai.", "en")
    chimed = cache.wav("Số của bạn là a, mười hai.", "vi", chime=True)
    assert len({plain, other, english, chimed}) == 4
    assert engine.calls == 4 and len(entries(tmp_path)) == 4
    assert abs(seconds(chimed) - seconds(plain) - 1.0) < 0.01
    assert cache.wav("Số của bạn là a, mười hai.", "vi", chime=True) == chimed and engine.calls == 4
    # Another engine (here another rate) does not share entries.
    slower = PhraseCache(tmp_path, EspeakNg(rate=120))
    assert slower.key("Số của bạn là a, mười hai.", "vi") != cache.key("Số của bạn là a, mười hai.", "vi")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_entry_is_synthesised_again(tmp_path, damage):
    engine = Counting()
    cache = PhraseCache(tmp_path, engine)
    good = cache.wav(TONES, "vi")
    path = cache.path(TONES, "vi")
    path.write_bytes({"truncated": good[: len(good) // 2], "garbage": b"\x00" * 500, "empty": b""}[damage])
    assert cache.wav(TONES, "vi") == good
    assert engine.calls == 2
    assert path.read_bytes() == good  # replaced, so the next caller is served from the folder
    assert cache.wav(TONES, "vi") == good and engine.calls == 2


def test_the_cache_is_bounded_and_evicts_the_least_recently_used(tmp_path):
    engine = Counting()
    cache = PhraseCache(tmp_path, engine, max_entries=3)
    phrases = [ticket_phrase("A", n)[1] for n in range(1, 6)]
    for text in phrases[:3]:
        cache.wav(text, "vi")
    cache.wav(phrases[3], "vi")  # the fourth: the oldest, the first, goes
    assert entries(tmp_path) == sorted(cache.path(t, "vi").name for t in phrases[1:4])
    cache.wav(phrases[1], "vi")  # a hit makes the second the newest
    cache.wav(phrases[4], "vi")  # so the third goes
    assert entries(tmp_path) == sorted(cache.path(t, "vi").name for t in (phrases[1], phrases[3], phrases[4]))
    assert engine.calls == 5


def test_the_cache_removes_temporary_files_left_by_a_crash(tmp_path):
    cache = PhraseCache(tmp_path, EspeakNg())
    old, fresh = tmp_path / ".left-over.tmp", tmp_path / ".being-written.tmp"
    old.write_bytes(b"RIFF")
    fresh.write_bytes(b"RIFF")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    cache.wav(TONES, "vi")
    assert not old.exists() and fresh.exists()


def test_the_cache_serves_concurrent_callers(tmp_path):
    engine = Counting()
    cache = PhraseCache(tmp_path, engine)
    same = call_phrase("A", 12, 3)[1]
    different = [call_phrase("B", n, 2)[1] for n in range(1, 9)]
    results: dict = {}
    start = threading.Barrier(16)

    def ask(index, text):
        start.wait()
        results[index] = (text, cache.wav(text, "vi"))

    threads = [threading.Thread(target=ask, args=(i, same)) for i in range(8)]
    threads += [threading.Thread(target=ask, args=(8 + i, text)) for i, text in enumerate(different)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The same phrase asked by eight threads at once was synthesised once.
    assert engine.calls == 1 + len(different)
    assert len({data for text, data in results.values() if text == same}) == 1
    for text, data in results.values():
        assert_speech(data, text)
        assert cache.path(text, "vi").read_bytes() == data
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
