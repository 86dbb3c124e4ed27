"""Self-service kiosk for Vietnamese one-stop public-service centres."""

__version__ = "0.1.0"
