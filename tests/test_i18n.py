"""The Vietnamese catalogue covers every message of the UI, and its compiled .mo is current."""

import gettext
import json
import re
from pathlib import Path

from babel.messages.pofile import read_po

from kiosk.domain.rating import RATING_LEVELS, RATING_REASONS
from kiosk.i18n import LOCALE_DIR, Translator
from kiosk.screens.home import JOURNEYS
from kiosk.domain.queue import PRIORITY_GROUPS
from kiosk.screens.dossier import MESSAGES as DOSSIER_MESSAGES
from kiosk.screens.queue import MESSAGES as QUEUE_MESSAGES
from kiosk.screens.keyboards import KEYBOARDS, WORD_KEYS
from kiosk.screens.staff import FIELDS as STAFF_FIELDS

PACKAGE = Path(__file__).resolve().parent.parent / "kiosk"
PO = LOCALE_DIR / "vi" / "LC_MESSAGES" / "kiosk.po"


def catalogue():
    with open(PO, "rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def ui_messages():
    """Every message the UI asks the catalogue for: app.t("...") in kv and Python, and the
    lists of words the screens take from the domain."""
    found = set()
    for path in [*PACKAGE.rglob("*.kv"), *PACKAGE.rglob("*.py")]:
        # app.t("..."), and t("...") where a screen keeps app.t as t.
        found.update(re.findall(r'(?:app\.t|(?<![\w.])t)\("((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8")))
    found.update(label for _, label in JOURNEYS)
    found.update(RATING_REASONS)
    found.update(QUEUE_MESSAGES)
    found.update(DOSSIER_MESSAGES)
    found.update(keyboard_words())
    found.update(label for _section, _key, label, _choices in STAFF_FIELDS)
    found.update(label for _, label in PRIORITY_GROUPS)
    found.update(english for _, english in RATING_LEVELS.values())
    return found


def keyboard_words():
    """The on-screen keyboards' words (Space, Delete, ...)."""
    words = set()
    for path in KEYBOARDS.glob("*.json"):
        layout = json.loads(path.read_text(encoding="utf-8"))
        words.update(key[0] for name, row in layout.items() if name.startswith(("normal_", "shift_"))
                     for key in row if key[2] in WORD_KEYS)
    return words


def test_every_ui_message_has_a_vietnamese_translation():
    messages = catalogue()
    missing = sorted(m for m in ui_messages() if not messages.get(m))
    assert not missing, f"add to {PO.name} and run python -m kiosk.i18n: {missing}"


def test_compiled_catalogue_is_current():
    compiled = gettext.GNUTranslations(open(PO.with_suffix(".mo"), "rb"))
    for message, translation in catalogue().items():
        assert compiled.gettext(message) == translation, "run: python -m kiosk.i18n"


def test_translator_falls_back_to_english():
    translate = Translator()
    assert translate("Rate the service", "vi") == "Đánh giá"
    assert translate("Rate the service", "en") == "Rate the service"
    assert translate("A message nobody translated", "vi") == "A message nobody translated"
