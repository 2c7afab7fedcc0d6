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
