"""What each citizen journey does, as plain async code beneath the screens: issue a queue
ticket, print it, void it when it does not print; look a dossier up; deliver a rating; call
staff to the kiosk; save staff's settings. Each returns an outcome the screen shows, and
nothing here imports Kivy.

Every journey may be cancelled (the citizen taps Home, the idle timeout wipes the
session): each leaves nothing behind that could reach the next citizen."""
