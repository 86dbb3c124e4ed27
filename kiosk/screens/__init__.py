"""The kiosk's screens: one module and one .kv file each."""

from .attract import AttractScreen
from .catalogue import CatalogueScreen
from .dossier import DossierScreen
from .home import HomeScreen
from .procedure import ProcedureScreen
from .queue import QueueScreen
from .rating import RatingScreen
from .search import SearchScreen

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
]
