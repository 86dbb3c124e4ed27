"""The kiosk reads its screens aloud: what each citizen screen says (a short `Script`, in the
session's language), and a `Reader` that makes it sound on a worker thread, so that the screen
never waits for the speech program. The Kivy side (kiosk.speaker) only plays the file it makes.

What is said is built from the journey's state, never from anything a citizen gave: the
phrases are kept on the kiosk's disk (kiosk.speech.PhraseCache), which must hold no personal
data. So a dossier is read without its code, its applicant or any free text from the one-stop
system, and a search without the words typed.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from ..domain.dossier import DossierReport, Status, Timeliness
from ..domain.procedure import Fee, Procedure
from ..domain.queue import PRIORITY_GROUPS, ServiceStatus, Ticket
from ..domain.rating import RATING_LEVELS
from ..domain.spoken import date_words, ticket_phrase, ticket_phrase_en
from ..domain.text import shortened
from ..hardware.receipts import CHANNEL_NAMES
from ..i18n import money, processing_time, translate
from ..speech import Engine, EspeakNg, PhraseCache, SpeechUnavailable, joined, write_whole

if TYPE_CHECKING:
    from .catalogue import Loaded

# .catalogue (the search index, with numpy) and .queue (the backend client's types) are
# imported where their scripts are made: the app's speaker loads this module while the kiosk
# starts, and the attract screen needs neither.

log = logging.getLogger(__name__)

LIMIT = 600
"""The most characters read for one screen, some forty seconds of speech: the gist of it and
where to look. A longer reading is not listened to; the screen shows the rest."""
FIRST = 5
"""Items of a list read: the first few, as a person reading a list out would."""
NAME_LETTERS = 120
"""A procedure's name in a list read aloud: some names run to a thousand letters."""
PAUSE = 0.25
"""Seconds of silence between words in one language and words in the other."""


class Script:
    """What is read aloud for a screen: sentences, each in the language of its words (a
    procedure's name stays Vietnamese in an English session, and is read in the Vietnamese
    voice), LIMIT characters at most in all: what does not fit is left out, a sentence cut
    after a whole word."""

    def __init__(self, language: str, limit: int = LIMIT):
        self.language = language
        self.limit = limit
        self.parts: list[tuple[str, str]] = []
        """(language, text): neighbours in one language are one part, spoken in one go."""
        self.full = False

    @property
    def text(self) -> str:
        return " ".join(text for _language, text in self.parts)

    def __bool__(self) -> bool:
        return bool(self.parts)

    def say(self, message: str, *args) -> Script:
        """One of the kiosk's own messages (English in the code), in the session's language."""
        return self.add(translate(message, self.language).format(*args), self.language)

    def data(self, vietnamese: str, english: str | None = None) -> Script:
        """Words that came as data: the English when the session is English and there is one,
        else the Vietnamese, in the Vietnamese voice."""
        if self.language == "en" and english:
            return self.add(english, "en")
        return self.add(vietnamese, "vi")

    def labelled(self, message: str, words: str) -> Script:
        """A label of the kiosk's own and words in the session's language, as the screen shows
        them: "Appointment to return the result: 28 September 2022"."""
        return self.add(f"{translate(message, self.language)}: {words}", self.language)

    def say_data(self, message: str, vietnamese: str, english: str | None = None) -> Script:
        """A message around words that came as data ("If: {}"), the data in its own voice."""
        words, language = (english, "en") if self.language == "en" and english else (vietnamese, "vi")
        if language == self.language:
            return self.say(message, words)
        before, _, after = translate(message, self.language).partition("{}")
        return self.add(before, self.language).add(words, language).add(after, self.language)

    def add(self, text: str, language: str) -> Script:
        text = " ".join(text.split())
        if not text or self.full:
            return self
        if not text.endswith((".", "?", "!", ":", "…")):
            text += "."  # a sentence's pause after each item, as a list is read out
        room = self.limit - len(self.text) - (1 if self.parts else 0)
        if len(text) > room:
            self.full = True
            if room < 20:
                return self  # a word or two of a sentence tells nothing
            text = shortened(text, room)
        if self.parts and self.parts[-1][0] == language:
            self.parts[-1] = (language, f"{self.parts[-1][1]} {text}")
        else:
            self.parts.append((language, text))
        return self


# -- what each screen says ------------------------------------------------------------


def home_script(language: str, events: Iterable[tuple[str, str]], journeys: Iterable[str]) -> Script:
    """The question, then the tiles: the life events (Vietnamese and English names), then the
    journeys (the kiosk's English words)."""
    script = Script(language).say("What would you like to do?")
    for name, name_en in events:
        script.data(name, name_en)
    for label in journeys:
        script.say(label)
    return script


def catalogue_script(language: str, catalogue: Loaded | None, level: str, field: str) -> Script:
    """The step's question or where the citizen is, then its first choices."""
    script = Script(language)
    if catalogue is None:
        return script.say("Getting the list of procedures ready…")
    chosen_level = next((x for x in catalogue.levels if x.code == level), None)
    chosen_field = catalogue.fields.get(field)
    if not level:
        script.say("Which level handles your matter?")
    if chosen_level is not None:
        script.data(chosen_level.name, chosen_level.name_en)
    if level and not field:
        script.say("Choose a field")
    if chosen_field is not None:
        script.data(chosen_field.name, chosen_field.name_en)
    from .catalogue import choices

    for choice in choices(catalogue, level, field)[:FIRST]:
        script.data(shortened(choice.name, NAME_LETTERS), choice.name_en)
        if choice.step != "procedure":
            script.say("{} procedures", choice.count)
    return script


def search_script(language: str, result, ready: bool, typed: bool, example: str) -> Script:
    """How many procedures were found, and the first few's names; `example`: what the prompts
    suggest typing. Not the words typed: they are the citizen's own, and may be anything (a
    name, an ID number)."""
    script = Script(language)
    if not ready:
        return script.say("Getting the list of procedures ready…")
    if not typed:
        return script.say("Type a few words of what you need, for example: {}", example)
    if result is None or result.only_filler:
        return script.say("Please type more: the paper or what you need to do, for example: {}", example)
    if not result.hits:
        return script.say("Nothing found. Try other words, or ask at the information desk.")
    if result.fallback:
        script.say("Did you mean…")
    else:
        script.say("{} procedures found", len(result.hits))
    if language == "en":
        script.say("Procedures are in Vietnamese.")
    for hit in result.hits[:FIRST]:
        script.data(shortened(hit.name, NAME_LETTERS))
    return script


def procedure_script(language: str, procedure: Procedure | None, ready: bool) -> Script:
    """The name, the time and fees of each way of applying, then the documents to bring (as
    many as fit: the list on the screen, or printed, is the whole of it)."""
    script = Script(language)
    if not ready:
        return script.say("Opening the procedure…")
    if procedure is None:
        return script.say("This procedure is no longer in the catalogue.")
    script.data(shortened(procedure.name, 2 * NAME_LETTERS))
    script.say("Time and fees")
    # Ways of applying with the same time and fees said once, not three times over.
    alike: dict[tuple[str, str, str], list[str]] = {}
    for terms in procedure.channels:
        time = processing_time(terms, language)
        # In English a time not counted in working days is as published: Vietnamese words.
        time_language = language if language == "vi" or time != terms.time_text else "vi"
        fees = amounts(terms.fees, language) or translate("Free of charge", language)
        channel = CHANNEL_NAMES.get(terms.channel)
        alike.setdefault((time, time_language, fees), []).append(translate(channel, language) if channel else terms.channel)
    for (time, time_language, fees), channels in alike.items():
        script.add(", ".join(channels) + ":", language).add(time, time_language)
        script.say("Fees: {}", fees)
    script.say("Documents to bring")
    for case in procedure.cases:
        if case.name and len(procedure.cases) > 1:
            script.say_data("If: {}", case.name)
        for document in case.documents:
            script.data(shortened(document.name, NAME_LETTERS))
    return script


def dossier_script(language: str, state: str, report: DossierReport | None = None, message: str = "",
                   statuses: Iterable[int] = (), reading_card: bool = False, card_waited: bool = False) -> Script:
    """The dossier's status, whether it is late, and its dates. Never its code, its applicant,
    nor the one-stop system's free text (notes, documents asked for, places), which may name
    people: only that documents are asked for, and the fees' amounts."""
    script = Script(language)
    if state == "ask":
        return (script.say("Hold the QR code or barcode on your receipt, or your citizen ID card, under the scanner")
                .say("Or type the code on your receipt:"))
    if state == "chip" and card_waited:
        return script.say("Place your ID card on the reader").say("Waiting for your card on the reader…")
    if state == "chip":
        return (script.say("Place your ID card on the reader")
                .say("Then scan the QR code on the card, or type the last 6 digits of your ID number:"))
    if state == "loading" and reading_card:
        return script.say("Reading your ID card. Please leave it on the reader.")
    if state == "loading":
        return script.say("Looking up your dossier…")
    if state == "failed":
        return script.say("Sorry").say(message)
    if state == "list":
        script.say("Your dossiers: choose one")
        for status in statuses:
            script.say(Status(status).label)
        return script
    if report is None:
        return script
    dossier = report.dossier
    script.say(Status(dossier.status).label)
    standing, days = report.timeliness, report.working_days_left
    if standing is not None:
        words = translate(standing.label, language)
        if standing == Timeliness.NOT_YET_DUE and days is not None:
            words += ", " + translate("working days left: {}", language).format(days)
        elif standing == Timeliness.OVERDUE and days is not None:
            words += ", " + translate("working days late: {}", language).format(-days)
        script.add(words, language)
    if dossier.due_at:
        script.labelled("Appointment to return the result", date_words(dossier.due_at, language))
    if dossier.requested_documents:
        script.say("The documents you are asked to bring are listed on the screen.")
    if dossier.fees_outstanding:
        script.labelled("Fees to pay", amounts(dossier.fees_outstanding, language))
    if dossier.collection is not None and dossier.collection.available_from:
        script.say("Where and when to collect the result")
        script.labelled("From", date_words(dossier.collection.available_from, language))
    return script


def amounts(fees: Iterable[Fee], language: str) -> str:
    """The fees' amounts, without their descriptions: data in Vietnamese, long, and for reading
    on the screen."""
    return "; ".join(money(Fee(fee.amount_vnd, "", fee.currency), language) for fee in fees)


def queue_script(language: str, state: str, services: Iterable[ServiceStatus] = (), ticket: Ticket | None = None,
                 message: str = "") -> Script:
    """The services and their waits; the priority question; a ticket's number and wait."""
    from .queue import service_wait, ticket_wait

    script = Script(language)
    if state == "services":
        script.say("Which service do you need?")
        for service in services:
            script.data(f"{service.letter}, {service.name}", service.name_en and f"{service.letter}, {service.name_en}")
            waiting, numbers = service_wait(service.waiting, service.estimated_wait_minutes)
            script.say(waiting, *numbers)
    elif state == "priority":
        script.say("Are you in one of these groups? They are served first.")
        for _group, label in PRIORITY_GROUPS:
            script.say(label)
        script.say("No, none of these")
    elif state == "done" and ticket is not None:
        number = (ticket_phrase if language == "vi" else ticket_phrase_en)(ticket.service.letter, ticket.number)
        script.add(number[1], language)
        wait, numbers = ticket_wait(ticket.people_ahead, ticket.estimated_wait_minutes)
        script.say(wait, *numbers)
    elif state == "failed":
        script.say("Sorry").say(message)
    elif state == "issuing":
        script.say("Printing your ticket…")
    else:
        script.say("Looking at the queue…")
    return script


def rating_script(language: str, state: str) -> Script:
    script = Script(language)
    if state == "thanks":
        return script.say("Thank you! Your rating helps us serve you better.")
    script.say("How satisfied are you with the service today?")
    for label in RATING_LEVELS.values():
        script.say(label)
    return script


# -- making it sound --------------------------------------------------------------------


class Reader:
    """Makes scripts into one WAV file each, on a worker thread of its own: the screen asks and
    goes on. The newest request wins: it drops one still waiting, and one being synthesised is
    given up between its parts and its file never handed on. `done(request, path)` is called on
    the worker thread with the file, or None when there is no sound to be had (then a warning
    is logged, once: the speech program missing or failing is the site's to fix, not news at
    every touch). The phrases are kept in `folder`/phrases, so that a screen read every day is
    synthesised once; the file to play is `folder`/playing.wav, replaced at each request."""

    def __init__(self, folder: Path, engine: Engine | None = None,
                 done: Callable[[int, Path | None], None] = lambda _request, _path: None):
        self.folder = Path(folder)
        self.engine = engine or EspeakNg()
        self.done = done
        self._cache: PhraseCache | None = None
        self._changed = threading.Condition()
        self._latest = 0
        self._waiting: tuple[int, Script] | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.warned = False

    def read(self, script: Script) -> int:
        """Ask for `script` to be made into sound: the request's number, for `done`."""
        with self._changed:
            self._latest += 1
            self._waiting = (self._latest, script)
            if self._thread is None:
                # Started at the first request: a kiosk whose citizens never listen runs no thread.
                self._thread = threading.Thread(target=self._work, name="kiosk-speech", daemon=True)
                self._thread.start()
            self._changed.notify()
            return self._latest

    def cancel(self) -> None:
        """No request stands: the one waiting is dropped, the one being made is given up."""
        with self._changed:
            self._latest += 1
            self._waiting = None

    def current(self, request: int) -> bool:
        return request == self._latest

    def close(self) -> None:
        with self._changed:
            self._closed, self._waiting = True, None
            self._changed.notify()

    def _work(self) -> None:
        while True:
            with self._changed:
                while self._waiting is None and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                (request, script), self._waiting = self._waiting, None
            path = self._make(request, script)
            if self.current(request):
                self.done(request, path)

    def _make(self, request: int, script: Script) -> Path | None:
        try:
            if self._cache is None or self._cache.engine is not self.engine:
                self._cache = PhraseCache(self.folder / "phrases", self.engine)
            sounds = []
            for language, text in script.parts:
                if not self.current(request):
                    return None  # a newer request came: its turn, not the rest of this one
                sounds.append(self._cache.wav(text, language))
            if not sounds or not self.current(request):
                return None
            path = self.folder / "playing.wav"
            write_whole(path, joined(sounds, PAUSE))  # a player with the old file open keeps the old one
            return path
        except (SpeechUnavailable, OSError, ValueError) as error:
            # The reason only, never the text: it is whatever the screen showed.
            self.warn(f"the kiosk cannot speak: {error}")
            return None

    def warn(self, why: str) -> None:
        if not self.warned:
            self.warned = True
            log.warning("%s (said once, not at every touch)", why)
