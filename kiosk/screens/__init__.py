"""The kiosk's screens: one module and one .kv file each."""
