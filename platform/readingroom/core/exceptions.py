"""The platform's error types. Services raise these; ``core.api`` maps them to HTTP in one place."""


class ReadingRoomError(Exception):
    """Base class of the platform's expected errors (bad input, missing objects, forbidden actions)."""

    status_code = 400


class InvalidInput(ReadingRoomError):
    """The input does not have the expected form; the message names the field."""


class NotFound(ReadingRoomError):
    status_code = 404


class Forbidden(ReadingRoomError):
    status_code = 403


class Conflict(ReadingRoomError):
    """The object is in a state that does not allow the action (e.g. a report already submitted)."""

    status_code = 409


class TooManyRequests(ReadingRoomError):
    """Too many attempts (e.g. failed logins); ``retry_after_s`` says when to try again."""

    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
