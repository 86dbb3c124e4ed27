"""What the kiosk knows of the world: the backend client, the offline store, search, the outbox. No Kivy."""
