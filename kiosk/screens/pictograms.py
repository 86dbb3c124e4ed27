"""Pictograms drawn from a font: Material Design Icons (Apache 2.0), which the
fonticon-materialdesignicons7 package ships with a table of its names."""

from __future__ import annotations

from fonticon_mdi7 import MDI7
from kivy.core.text import LabelBase

FONT = "Pictograms"
"""The font name kv rules use for a pictogram."""


def register() -> None:
    LabelBase.register(FONT, MDI7.__font_file__)


def glyph(name: str) -> str:
    """The character that draws the pictogram `name` ("baby_carriage") in FONT; "" for a name
    the font does not have, so that a centre's typo costs a picture, not the screen."""
    value = getattr(MDI7, name, "")
    return value.split(".", 1)[1] if "." in value else ""
