"""One exception hierarchy for every RevDesk failure that a caller may handle.

    RevDeskError                  anything RevDesk raises on purpose
    ├── ConfigError               a setting is missing, malformed or of the wrong type
    ├── StorageError              the database is unreachable or its URL is malformed
    ├── InvalidInput              a value supplied by a user or a file is wrong
    │   ├── UnknownCurrency       not an ISO 4217 code
    │   └── CurrencyMismatch      arithmetic across two currencies
    ├── NotFound                  a record that was asked for does not exist
    ├── Conflict                  a concurrent or duplicate write lost the race
    └── PermissionDenied          the actor may not do this

The CLI and the web layer turn these into one readable line (or a 4xx with a JSON body); anything
else that escapes is a bug and is allowed to show its traceback.
"""

from __future__ import annotations


class RevDeskError(Exception):
    """Base class of every error RevDesk raises deliberately."""

    exit_code: int = 1

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(RevDeskError):
    """A setting is missing, malformed or of the wrong type."""

    exit_code = 2


class StorageError(RevDeskError):
    """The database cannot be reached, or its URL cannot be understood."""

    exit_code = 3


class InvalidInput(RevDeskError):
    """A value supplied by a user, a request or a file is not acceptable."""

    exit_code = 2


class UnknownCurrency(InvalidInput):
    """A currency code that is not in ISO 4217."""


class CurrencyMismatch(InvalidInput):
    """Two amounts in different currencies were combined."""


class NotFound(RevDeskError):
    """The record asked for does not exist (or must not be revealed)."""

    exit_code = 4


class Conflict(RevDeskError):
    """A write lost a race or would duplicate an existing record."""

    exit_code = 5


class PermissionDenied(RevDeskError):
    """The actor is not allowed to perform the action."""

    exit_code = 6
