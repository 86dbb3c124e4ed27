"""What can go wrong when the kiosk talks to the backend.

Each error carries a one-line English `summary` for logs and the command line; what a citizen
reads is chosen by the journey that met the error (kiosk/journeys), through the translation
catalogue like every other word on screen."""

from __future__ import annotations


class BackendError(Exception):
    """Base of the client's errors."""

    summary = "Something went wrong reaching the system. Please try again later."

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.summary)
        self.detail = detail


class Offline(BackendError):
    summary = "The kiosk cannot reach the system now. You can still look up and print procedures."


class Timeout(BackendError):
    summary = "The system is taking too long to answer. Please try again in a few minutes."


class Unauthorized(BackendError):
    summary = "This kiosk is not authorised. Please tell a member of staff."


class NotFound(BackendError):
    summary = "Nothing was found. Please check the code."


class Rejected(BackendError):
    """The backend refused the request (a 4xx other than 401/404); `code` is its error code."""

    summary = "The request could not be done. Please ask a member of staff."

    def __init__(self, detail: str = "", code: str = "", status: int = 400):
        super().__init__(detail)
        self.code, self.status = code, status


class TooManyRequests(Rejected):
    """A 429: the backend's ceiling on look-ups, tickets or ratings from this kiosk was reached.
    Nothing is wrong with the request: it may be sent again later (the outbox keeps it)."""

    summary = "This kiosk has sent too many requests in the last few minutes. Please wait a minute and try again."


class UpstreamUnavailable(BackendError):
    """The backend is reached, but the province's one-stop system it asks for the dossier is not
    (`upstream_unavailable`): the kiosk is not offline, and asking again at once will not help."""

    summary = "The province's one-stop system cannot be reached. Please try again later."


class ServerError(BackendError):
    """A 5xx, or an answer the kiosk cannot read."""

    summary = "The system has a problem right now. Please try again later."
