"""The one error type the backend's handlers raise for a request they cannot do."""


class RequestError(Exception):
    """An HTTP status, a stable error code for programs, and a message for people."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
