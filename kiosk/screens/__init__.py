"""The kiosk's screens: one module and one .kv file each."""

from .attract import AttractScreen
from .home import HomeScreen
from .queue import QueueScreen
from .rating import RatingScreen

# (name, class): the ScreenManager's screens; the first one is shown at start.
SCREENS = [
    ("attract", AttractScreen),
    ("home", HomeScreen),
    ("queue", QueueScreen),
    ("rating", RatingScreen),
]
