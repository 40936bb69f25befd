"""Errors raised by the compounding core.

Every error a user can cause is a :class:`CompoundingError`; nothing else should reach a user.
The tree::

    CompoundingError                 catch this at an edge (CLI, app) to show a message
    ├── InputError(ValueError)       a value the user entered is refused
    │   ├── UnitError                wrong, unknown or dangerous unit; wrong dimension
    │   └── RangeError               a number outside what is allowed
    ├── CalculationError             inputs are each valid, but together they cannot be made
    │                                (the drug overfills the capsule, no aliquot plan fits, ...)
    ├── DataError(ValueError)        a reference-data or formula file is wrong (names file and key)
    ├── PermissionDenied             the batch-record store refuses this user the action (role,
    │                                second person, wrong password, inactive account)
    └── StateError                   the stored record's state does not allow it (a released batch,
                                     a quarantined or expired ingredient lot, a status transition)

Each error keeps structured fields (``field``, ``value``, ``allowed``) so a user interface can show
the message beside the field that caused it; ``str(error)`` is one line naming all three.
"""

from __future__ import annotations

__all__ = [
    "CompoundingError",
    "InputError",
    "UnitError",
    "RangeError",
    "CalculationError",
    "DataError",
    "PermissionDenied",
    "StateError",
]


class CompoundingError(Exception):
    """Base class of every error the core raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None,
                 allowed: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.allowed = allowed

    def __str__(self) -> str:
        parts = []
        if self.field:
            shown = "" if self.value is None else f" = {_show(self.value)}"
            parts.append(f"{self.field}{shown}: ")
        parts.append(self.message)
        if self.allowed:
            parts.append(f" (allowed: {self.allowed})")
        return "".join(parts)


class InputError(CompoundingError, ValueError):
    """A value the user entered is refused. Catch to show the message beside ``field``."""


class UnitError(InputError):
    """The unit is missing, unknown, error-prone (``gr``, ``cc``) or of the wrong dimension."""


class RangeError(InputError):
    """The number is outside the allowed range (zero, negative, above a limit, not finite)."""


class CalculationError(CompoundingError):
    """Valid inputs that cannot be compounded together (e.g. the drug overfills the capsule)."""


class DataError(CompoundingError, ValueError):
    """A reference-data or formula file is invalid; ``field`` is ``file: key``."""


class PermissionDenied(CompoundingError):
    """The user may not do this: ``field`` names what decided it (``role``, ``password``, ``user``)."""


class StateError(CompoundingError):
    """The record's current state forbids the action; ``value`` is that state, ``allowed`` what would do."""


_SHOW_MAX = 60  # characters of a refused value shown in a message


def _show(value: object) -> str:
    if isinstance(value, str):
        if len(value) > _SHOW_MAX:  # a pasted page must not become the message
            return repr(value[:_SHOW_MAX - 20] + "…")
        return repr(value)
    try:  # a pint quantity: show it as the user would write it
        from .display import format_quantity

        return format_quantity(value)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a message must never fail to build
        return repr(value)
