"""One translation mechanism: every message the screens, the .kv files, the receipts and the
/admin pages use has its Vietnamese in kiosk.po, the compiled .mo matches it, and no Vietnamese
UI word is written into the code, where the English screens would show it."""

import ast
import gettext
import json
import re
import unicodedata
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from kiosk.domain.procedure import ChannelTerms, Fee
from kiosk.domain.queue import PRIORITY_GROUPS
from kiosk.domain.rating import RATING_REASONS
from kiosk.i18n import LOCALE_DIR, Translator, money, pick, processing_time, translate
from kiosk.journeys.dossier import MESSAGES as DOSSIER_MESSAGES
from kiosk.journeys.queue import MESSAGES as QUEUE_MESSAGES
from kiosk.screens import JOURNEYS
from kiosk.screens.keyboards import KEYBOARDS, WORD_KEYS
from kiosk.screens.staff import FIELDS as STAFF_FIELDS

PACKAGE = Path(__file__).resolve().parent.parent / "kiosk"
PO = LOCALE_DIR / "vi" / "LC_MESSAGES" / "kiosk.po"
TEMPLATES = PACKAGE / "backend" / "templates"
KEYWORDS = {"t": None, "_": None, "N_": None, "translate": (1,), "say": None}
"""The call forms of a message: app.t / t on screens, _ in receipts and templates, N_ where a
message is marked to be translated later, translate(message, language), a screen's say(message)."""
UI_CODE = [PACKAGE / "app.py", PACKAGE / "i18n.py", *sorted((PACKAGE / "screens").glob("*.py")),
           *sorted((PACKAGE / "journeys").glob("*.py")), PACKAGE / "hardware" / "receipts.py",
           PACKAGE / "hardware" / "printer.py", PACKAGE / "hardware" / "card_reader.py",
           PACKAGE / "hardware" / "idcard" / "errors.py",
           PACKAGE / "domain" / "dossier.py", PACKAGE / "domain" / "rating.py",
           PACKAGE / "backend" / "admin.py", PACKAGE / "backend" / "queue_api.py",
           PACKAGE / "backend" / "counter_page.py", PACKAGE / "backend" / "display.py"]
"""The Python that puts words in front of citizens or staff."""
OWN_NAMES = {"Tiếng Việt"}
"""A language's button or link is named in that language, whatever the page's language."""


def catalogue():
    with open(PO, "rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def code_messages():
    """Every message written in a call form in the UI's Python, .kv files and /admin templates."""
    found = {}
    for path in UI_CODE:
        with open(path, "rb") as handle:
            for line, message, _comments, _context in extract("python", handle, keywords=KEYWORDS):
                found.setdefault(message, f"{path.name}:{line}")
        # Inside an f-string (one token to Python 3.11's tokenizer): {t('Dossier')}.
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for message in re.findall(r"(?<![\w.])t\('((?:[^'\\]|\\.)*)'\)", text):
                found.setdefault(message, f"{path.name}:{line}")
    for path in sorted(PACKAGE.rglob("*.kv")):
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for message in re.findall(r'app\.t\("((?:[^"\\]|\\.)*)"', text):
                found.setdefault(message.encode().decode("unicode_escape").encode("latin-1").decode("utf-8"),
                                 f"{path.name}:{line}")
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    for path in sorted(TEMPLATES.rglob("*.html")):
        with open(path, "rb") as handle:
            # {% trans %} blocks are gettext calls.
            keywords = {**KEYWORDS, "gettext": None, "ngettext": (1, 2)}
            for line, message, _comments, _context in extract(babel_extract, handle, keywords=keywords,
                                                                options=options):
                found.setdefault(message, f"{path.name}:{line}")
    return found


def listed_messages():
    """Messages the code keeps in lists and looks up by variable: the home tiles, the rating
    reasons, the journeys' messages, the keyboards' word keys, staff mode's fields."""
    found = {label for _screen, label, _pictogram in JOURNEYS}
    found.update(RATING_REASONS, QUEUE_MESSAGES, DOSSIER_MESSAGES, keyboard_words())
    found.update(label for _section, _key, label, _choices in STAFF_FIELDS)
    found.update(label for _, label in PRIORITY_GROUPS)
    return found


def keyboard_words():
    """The on-screen keyboards' words (Space, Delete, ...)."""
    words = set()
    for path in KEYBOARDS.glob("*.json"):
        layout = json.loads(path.read_text(encoding="utf-8"))
        words.update(key[0] for name, row in layout.items() if name.startswith(("normal_", "shift_"))
                     for key in row if key[2] in WORD_KEYS)
    return words


def vietnamese(text):
    """The letters of `text` that only Vietnamese (of the two languages) writes: ă, ệ, đ, ..."""
    return {c for c in text if ord(c) > 127 and "LATIN" in unicodedata.name(c, "")}


def test_the_extraction_finds_the_messages_of_every_kind_of_file():
    found = code_messages()
    for message, place in [("Touch the screen to start", "attract.kv"), ("Fees: {}", "procedure.py"), ("QUEUE TICKET", "receipts.py"),
                           ("Tick the box to confirm before revoking.", "admin.py"),
                           ("Statistics of the day", "stats.html")]:
        assert found.get(message, "").startswith(place), message
    assert any("<code>kiosk admin add NAME</code>" in m for m in found), "a {% trans %} block, trimmed"


def test_every_message_in_the_code_has_a_vietnamese_translation():
    messages = catalogue()
    found = code_messages()
    missing = sorted(f"{found[m]}: {m!r}" for m in found if not messages.get(m))
    missing += sorted(repr(m) for m in listed_messages() if not messages.get(m))
    assert not missing, f"add to {PO.name} and run python -m kiosk.i18n:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_their_message():
    for message, translation in catalogue().items():
        for pattern in (r"\{[a-z_]*\}", r"%\([a-z_]+\)s"):
            assert sorted(re.findall(pattern, message)) == sorted(re.findall(pattern, translation)), message


def test_compiled_catalogue_is_current():
    with open(PO.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    source = catalogue()
    for message, translation in source.items():
        assert compiled.gettext(message) == translation, "run: python -m kiosk.i18n"
    stale = [m for m in compiled._catalog if isinstance(m, str) and m and m not in source]
    assert not stale, f"the .mo holds messages kiosk.po no longer has; run: python -m kiosk.i18n: {stale[:5]}"


def test_translator_falls_back_to_english():
    translator = Translator()
    assert translator("Rate the service", "vi") == translate("Rate the service", "vi") == "Đánh giá"
    assert translate("Rate the service", "en") == "Rate the service"
    assert translate("A message nobody translated", "vi") == "A message nobody translated"
    assert translate("", "vi") == "", "not the catalogue's header"


def test_pick_takes_the_english_of_data_only_when_there_is_one():
    assert pick("Hộ tịch", "Civil status", "en") == "Civil status"
    assert pick("Hộ tịch", "Civil status", "vi") == "Hộ tịch"
    assert pick("Cấp xã", "", "en") == "Cấp xã", "no English name: the Vietnamese, not an empty button"


def test_fees_and_times_are_written_as_each_language_writes_them():
    assert money(Fee(50_000), "vi") == "50.000 đồng"
    assert money(Fee(50_000), "en") == "50,000 VND"
    assert money(Fee(0), "vi") == "Miễn phí" and money(Fee(0), "en") == "Free"
    assert money(Fee(1_500, "/bản", "USD"), "en") == "1,500 USD (/bản)"
    week = ChannelTerms("in_person", "05 ngày làm việc", 5.0)
    assert processing_time(week, "vi") == "05 ngày làm việc"
    assert processing_time(week, "en") == "5 working days"
    assert processing_time(ChannelTerms("online", "Trong ngày", 1.0), "en") == "1 working day"
    assert processing_time(ChannelTerms("postal", "06 Tháng", None), "en") == "06 Tháng", "as published, no count"


def string_literals(path):
    """(line, text) of the string constants of a module, docstrings left out; in receipts.py,
    the made-up data of the test print (samples) too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        body = body if isinstance(body, list) else []
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))  # a docstring
        for later, value in zip(body, body[1:]):
            if isinstance(later, (ast.Assign, ast.AnnAssign)) and isinstance(value, ast.Expr):
                skip.add(id(value.value))  # an attribute's docstring
        if isinstance(node, ast.FunctionDef) and node.name == "samples" and path.name == "receipts.py":
            skip.update(id(inner) for inner in ast.walk(node))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip]


def test_no_vietnamese_ui_word_is_written_in_the_code():
    """Vietnamese comes from the catalogue (or from data): a Vietnamese word in the code would
    show on the English screens, receipts and pages."""
    found = []
    for path in UI_CODE:
        found += [f"{path.name}:{line}: {text!r}" for line, text in string_literals(path)
                  if text not in OWN_NAMES and vietnamese(text)]
    for path in [*sorted(PACKAGE.rglob("*.kv")), *sorted(TEMPLATES.rglob("*.html"))]:
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            words = re.sub(r"\{#.*?#\}", "", text.split("#")[0] if path.suffix == ".kv" else text)
            for name in OWN_NAMES:
                words = words.replace(name, "")
            if vietnamese(words):
                found.append(f"{path.name}:{line}: {text.strip()!r}")
    assert not found, "write these in English and put the Vietnamese in kiosk.po:\n" + "\n".join(found)


def test_the_catalogue_holds_no_message_the_code_no_longer_uses():
    used = set(code_messages()) | listed_messages()
    unused = sorted(m for m in catalogue() if m not in used)
    assert not unused, f"remove from {PO.name} (or use again): {unused}"
