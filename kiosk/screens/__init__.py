"""The kiosk's screens: one module and one .kv file each."""

from .keyboards import StaffKeyboard, VietKeyboard
from .nav_bar import NavBar, NavButton
from .pin_pad import PinPad
from .attract import AttractScreen
from .catalogue import CatalogueScreen
from .diagnostics import DiagnosticsScreen
from .dossier import DossierScreen
from .home import HomeScreen
from .procedure import ProcedureScreen
from .queue import QueueScreen
from .rating import RatingScreen
from .search import SearchScreen
from .setup import SetupScreen
from .staff import StaffScreen

# (name, class): the ScreenManager's screens; the first one is shown at start.
SCREENS = [
    ("attract", AttractScreen),
    ("home", HomeScreen),
    ("catalogue", CatalogueScreen),
    ("search", SearchScreen),
    ("procedure", ProcedureScreen),
    ("dossier", DossierScreen),
    ("queue", QueueScreen),
    ("rating", RatingScreen),
    # Staff's, behind the PIN pad; "setup" is shown first when the kiosk has no token yet.
    ("staff", StaffScreen),
    ("diagnostics", DiagnosticsScreen),
    ("setup", SetupScreen),
]

BUILT_BY_NAME = (PinPad, VietKeyboard, StaffKeyboard, NavBar, NavButton)
"""Pop-ups and widgets that kv rules and the app make by name through Kivy's Factory:
imported here so that they are registered before the screens are built."""
