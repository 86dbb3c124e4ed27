"""Self-service kiosk for Vietnamese one-stop public-service centres."""

from pathlib import Path

__version__ = "0.1.0"

ASSETS = Path(__file__).resolve().parent / "assets"
"""Fonts, pictures, keyboard layouts and translations, beside the package."""
