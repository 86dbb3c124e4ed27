"""Telex typing and the tone keys, as the search box uses them."""

import pytest

from kiosk.domain.telex import TONES, TelexTyping


def typed(keys, typing=None):
    typing = typing or TelexTyping()
    text = ""
    for key in keys:
        text = typing.key(text, key)
    return text


@pytest.mark.parametrize("keys, text", [
    ("khai sinh", "khai sinh"),
    ("ddaang kys khai sinh", "đâng ký khai sinh"),
    ("thur tucj hooj tichj", "thủ tục hộ tịch"),
    ("giaays chuwngs nhaanj", "giấy chứng nhận"),
    ("Nguyeenx", "Nguyễn"),
    ("tesst", "test"),  # a second s takes the tone off again
    ("1.001193", "1.001193"),  # procedure codes are left alone
])
def test_telex(keys, text):
    assert typed(keys) == text


def test_tone_keys_put_the_mark_on_the_last_word():
    typing = TelexTyping()
    assert typing.tone("giây", "acute") == "giấy"
    assert typing.tone("khai sinh", "grave") == "khai sình"
    assert [typing.tone("a", tone) for tone in TONES] == ["á", "à", "ả", "ã", "ạ"]


@pytest.mark.parametrize("text", ["", "khai ", "b", "2024"])
def test_a_tone_without_a_vowel_changes_nothing(text):
    assert TelexTyping().tone(text, "dot") == text


def test_typing_goes_on_after_a_deletion():
    typing = TelexTyping()
    text = typed("tieengs", typing)[:-1]  # "tiến", as after a backspace
    typing.forget()
    assert typing.key(text, "g") == "tiếng"
    assert typing.key(text, "x") == "tiễn"  # another tone replaces the first
