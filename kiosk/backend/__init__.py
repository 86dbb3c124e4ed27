"""The reference central backend (aiohttp.web over one SQLite file). No Kivy; never imports client."""
