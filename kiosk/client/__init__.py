"""What the kiosk knows of the world: the backend client, the offline store, search, the outbox. No Kivy."""

API = "/api/v1"
"""Where the backend's API is; here rather than in .api, so that the outbox names its paths
without loading aiohttp while the kiosk starts."""
