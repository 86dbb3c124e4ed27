"""The kiosk's screens: one module and one .kv file each.

Only what the first frame needs is loaded while the kiosk starts: the attract screen, and the
bar's classes (the bar itself is made just after that frame, see KioskApp._add_the_bar). Every other screen's module (and with it its .kv file and whatever it
imports) is loaded when the screen is first wanted, or just after the first frame (see
kiosk.screens.manager.Screens)."""

from kivy.factory import Factory

from .nav_bar import NavBar, NavButton  # noqa: F401  (the frame's bar; app.kv's FrameBar is one)

SCREENS = [
    # (name, module.Class): the first is shown at start.
    ("attract", "attract.AttractScreen"),
    ("home", "home.HomeScreen"),
    ("catalogue", "catalogue.CatalogueScreen"),
    ("search", "search.SearchScreen"),
    ("procedure", "procedure.ProcedureScreen"),
    ("dossier", "dossier.DossierScreen"),
    ("queue", "queue.QueueScreen"),
    ("rating", "rating.RatingScreen"),
    # Staff's, behind the PIN pad; "setup" is shown first when the kiosk has no token yet.
    ("staff", "staff.StaffScreen"),
    ("diagnostics", "diagnostics.DiagnosticsScreen"),
    ("setup", "setup.SetupScreen"),
]

JOURNEYS = [
    # (the screen it opens, English label, pictogram; Vietnamese comes from the catalogue), in
    # the order of the home tiles; the attract screen shows them too.
    ("catalogue", "All procedures", "format_list_bulleted"),
    ("dossier", "Look up my dossier", "file_search_outline"),
    ("queue", "Take a queue number", "ticket_confirmation_outline"),
    ("rating", "Rate the service", "emoticon_happy_outline"),
]

# Pop-ups and widgets that kv rules and the app make by name: Kivy's Factory imports their
# module the first time one is made.
for name, module in (("PinPad", "pin_pad"), ("VietKeyboard", "keyboards"), ("StaffKeyboard", "keyboards"),
                     ("Screens", "manager")):
    Factory.register(name, module=f"{__name__}.{module}")
