"""What an English screen must not show: the kiosk's Vietnamese UI words. Data (procedure
names, agencies, an office's name) may be Vietnamese on an English screen; the words the
kiosk itself says may not.

The Vietnamese UI words are the catalogue's translations and the Vietnamese of the words the
domain keeps in both languages (statuses, rating levels, printer and card-reader states); of
each, the pieces between placeholders that are at least two words long and that no sample data
holds, so that a match is a UI phrase, never a procedure's name."""

import functools
import json
import re

from babel.messages.pofile import read_po
from kivy.core.window import Window

from kiosk.backend.sample import SAMPLE_ROOT
from kiosk.i18n import LOCALE_DIR

PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)s")


def _data_text():
    """Every text of the sample sites, folded to lower case: what data may say."""
    texts = []

    def walk(value):
        if isinstance(value, str):
            texts.append(value.lower())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in SAMPLE_ROOT.rglob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return "\n".join(texts)


@functools.lru_cache(maxsize=None)
def ui_phrases():
    with open(LOCALE_DIR / "vi" / "LC_MESSAGES" / "kiosk.po", "rb") as handle:
        vietnamese = [m.string for m in read_po(handle) if m.id and m.string and m.string != m.id]
    data = _data_text()
    phrases = set()
    for text in vietnamese:
        for piece in PLACEHOLDER.split(text):
            piece = piece.strip(" :,.()·-")
            if len(piece.split()) >= 2 and piece.lower() not in data:
                phrases.add(piece)
    return sorted(phrases, key=len, reverse=True)


def shown_texts(app):
    """The texts of every widget of the app and of the pop-ups over it."""
    texts = []
    for top in [app.root, *Window.children]:
        for widget in top.walk():
            for attribute in ("text", "hint_text"):
                value = getattr(widget, attribute, None)
                if isinstance(value, str) and value:
                    texts.append(value)
    return texts


def untranslated(app):
    """The Vietnamese UI phrases on the app's widgets, each with the text it was found in."""
    found = []
    for text in shown_texts(app):
        for phrase in ui_phrases():
            if phrase in text:
                found.append(f"{phrase!r} in {text!r}")
                break
    return found
