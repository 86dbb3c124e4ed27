"""Vietnamese typing for the search box: Telex (aa → â, dd → đ, s after a vowel → sắc, ...)
on any keyboard, and the tone keys of the on-screen one. bogo, the engine of the ibus-bogo
input method, does the Vietnamese; this keeps track of the word being typed."""

from __future__ import annotations

import bogo

TONES = {"acute": "s", "grave": "f", "hook": "r", "tilde": "x", "dot": "j"}
"""The five tone marks (sắc, huyền, hỏi, ngã, nặng) and the Telex key of each."""


class TelexTyping:
    """Types keys at the end of a text. Telex needs the keys that made the current word, not
    just its letters: "ss" gives back a plain "s" only because the first "s" is remembered."""

    def __init__(self) -> None:
        self._keys = ""

    def forget(self) -> None:
        """The citizen moved the cursor, deleted or cleared: start the next word afresh."""
        self._keys = ""

    def key(self, text: str, key: str) -> str:
        """`text` with `key` typed at its end."""
        head, word = _last_word(text)
        if len(key) != 1 or not key.isalpha():
            self._keys = ""
            return text + key
        composed, self._keys = bogo.process_key(word, key, fallback_sequence=self._keys or word)
        return head + composed

    def tone(self, text: str, tone: str) -> str:
        """`text` with `tone` (a key of TONES) put on its last word; unchanged when that word
        has no vowel to carry it."""
        head, word = _last_word(text)
        telex = TONES[tone]
        composed, _keys = bogo.process_key(word, telex, fallback_sequence=word)
        if not word or composed == word + telex:
            return text
        self._keys = ""
        return head + composed


def _last_word(text: str) -> tuple[str, str]:
    cut = len(text)
    while cut and text[cut - 1].isalpha():
        cut -= 1
    return text[:cut], text[cut:]
