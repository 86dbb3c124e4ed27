"""The kiosk's words in Vietnamese and English, through gettext catalogues in kiosk/assets/locale.

Messages are written in English in the code; Vietnamese, the kiosk's first language,
comes from kiosk/assets/locale/vi/LC_MESSAGES/kiosk.mo. After editing kiosk.po:

    python -m kiosk.i18n        # compiles every kiosk.po to kiosk.mo (needs Babel)
"""

from __future__ import annotations

import gettext
from pathlib import Path

from . import ASSETS

LOCALE_DIR = ASSETS / "locale"
DOMAIN = "kiosk"
LANGUAGES = ("vi", "en")


class Translator:
    """Looks words up in the catalogue of the language asked for; English is the source."""

    def __init__(self, folder: Path = LOCALE_DIR):
        self._catalogues = {
            language: gettext.translation(DOMAIN, folder, [language], fallback=True) for language in LANGUAGES
        }

    def __call__(self, message: str, language: str) -> str:
        catalogue = self._catalogues.get(language)
        return catalogue.gettext(message) if catalogue else message


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
