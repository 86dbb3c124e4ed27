"""Vietnamese text folding for search and comparison."""

from __future__ import annotations

import re
import unicodedata


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case, strip diacritics, đ/Đ -> d, collapse white space.

    "Đăng  ký khai sinh" and "dang ky KHAI SINH" fold to the same string.
    """
    # đ is a letter of its own, not d plus a mark, so NFD does not split it.
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def mask_name(full_name: str) -> str:
    """"Nguyễn Văn An" -> "Nguyễn V** A": enough for its owner to recognise, little for others."""
    words = nfc(full_name).split()
    if len(words) <= 1:
        return (words[0][0] + "**") if words else ""
    middle = [w[0] + "**" for w in words[1:-1]]
    return " ".join([words[0], *middle, words[-1][0]])


# Control characters and bidi overrides are Unicode, so a terminal or a one-stop system may send
# them; shown as they are, a NUL, a terminal escape or a right-to-left override (which makes
# "exe.pdf" read "fdp.exe") would mislead whoever reads a page or a console.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def showable(text: str) -> str:
    """`text` with control characters (but tab and line ends) and bidi overrides as "\ufffd"."""
    return _UNSHOWABLE.sub("\ufffd", text)


def shortened(name: str, letters: int) -> str:
    """`name`, cut after a whole word to at most `letters` letters with "…" when longer: some
    procedures' names run to a thousand letters, too long for a list's button (the procedure's
    own screen shows them whole)."""
    if len(name) <= letters:
        return name
    cut = name[:max(letters - 1, 1)]
    return cut_off(cut.rsplit(" ", 1)[0] if " " in cut else cut)


def cut_off(start: str) -> str:
    """The `start` of a longer name, ending in "…" rather than in a comma or an open bracket."""
    return start.rstrip(" ,;:(·") + "…"


def last_word_kept(text: str) -> str:
    """`text` with a last word of one or two letters joined to the word before by a no-break
    space, so that wrapping never leaves it alone on a line ("Chứng thực, sao / y")."""
    head, space, last = text.rpartition(" ")
    return f"{head}\u00a0{last}" if space and len(last) <= 2 else text
