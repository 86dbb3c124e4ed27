"""The kiosk's words in Vietnamese and English: one mechanism for the screens, the printed
receipts and the backend's /admin pages.

Messages are written in English in the code, and looked up with `translate(message, language)`
(the app's `t`, the receipts' and the /admin templates' `_` are this function); Vietnamese, the
kiosk's first language, comes from the gettext catalogue kiosk/assets/locale/vi/LC_MESSAGES/kiosk.po,
compiled to kiosk.mo. After editing kiosk.po:

    python -m kiosk.i18n        # compiles every kiosk.po to kiosk.mo (needs Babel)

Words the kiosk's own code names and hands on as values (a dossier status's label, a printer's
trouble, a card reader's state) are English `Message`s, translated where they are shown.
Words that arrive as data in both languages (a level's or a queue service's name and name_en,
set by each centre) stay data: `pick` chooses between them, falling back to the Vietnamese when
there is no English.
Amounts of money are written the way each language writes them (`money`).
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path
from typing import TYPE_CHECKING

from . import ASSETS

if TYPE_CHECKING:
    from .domain.procedure import ChannelTerms, Fee

LOCALE_DIR = ASSETS / "locale"
DOMAIN = "kiosk"
LANGUAGES = ("vi", "en")
"""Vietnamese first; English is the language of the source messages."""


class Translator:
    """Looks words up in the catalogue of the language asked for; English is the source."""

    def __init__(self, folder: Path = LOCALE_DIR):
        self._catalogues = {
            language: gettext.translation(DOMAIN, folder, [language], fallback=True) for language in LANGUAGES
        }

    def __call__(self, message: str, language: str) -> str:
        catalogue = self._catalogues.get(language)
        # "" is no message: gettext would answer it with the catalogue's header.
        return catalogue.gettext(message) if catalogue and message else message


@functools.lru_cache(maxsize=None)
def _shared() -> Translator:
    return Translator()


def translate(message: str, language: str) -> str:
    """`message` (English, as written in the code) in `language`; itself when the catalogue
    has no translation for it."""
    return _shared()(message, language)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is written, to be translated later, when
    the language is known (gettext's "noop")."""
    return message


class Message(str):
    """English words of the kiosk's own that travel as a value (a printer's trouble, a card
    reader's state) and are translated where they are shown, like any message in the code."""


def pick(vietnamese: str, english: str | None, language: str) -> str:
    """One of a pair of words that came as data in both languages: the English in English,
    the Vietnamese when there is no English (a procedure published in Vietnamese only)."""
    return english if language == "en" and english else vietnamese


def number(value: int, language: str) -> str:
    """A whole number with its thousands grouped: 50.000 in Vietnamese, 50,000 in English."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if language == "vi" else grouped


def money(fee: Fee, language: str = "vi") -> str:
    """A fee as the citizen reads it: "50.000 đồng" / "50,000 VND", "100 USD" in the fee's
    own currency when it is not dong, "Miễn phí" / "Free"; the fee's description (data, as
    published) after it in brackets."""
    if fee.amount_vnd == 0:
        amount = translate("Free", language)
    elif fee.currency == "VND":
        amount = translate("{} VND", language).format(number(fee.amount_vnd, language))
    else:
        amount = f"{number(fee.amount_vnd, language)} {fee.currency}"
    return f"{amount} ({fee.description})" if fee.description else amount


def processing_time(terms: ChannelTerms, language: str) -> str:
    """How long a procedure takes by one channel: as published (Vietnamese) in Vietnamese;
    in English from its count of working days when it has a whole one, else as published."""
    days = terms.working_days
    if language == "vi" or days is None or days != int(days) or days <= 0:
        return terms.time_text
    if days == 1:
        return translate("1 working day", language)
    return translate("{} working days", language).format(int(days))


def compile_catalogues(folder: Path = LOCALE_DIR) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with open(po, "rb") as handle:
            catalogue = read_po(handle)
        mo = po.with_suffix(".mo")
        with open(mo, "wb") as handle:
            write_mo(handle, catalogue)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"wrote {path}")
