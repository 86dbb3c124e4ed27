"""Plain data and rules shared by every part of the kiosk. No I/O."""
