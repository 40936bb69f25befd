"""Beyond-use dates by USP <795> (2023) Table 4, capped by the earliest component expiry."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable

import pint

from .errors import InputError
from .reference import Reference, reference
from .units import Q, day

__all__ = ["BeyondUseDate", "beyond_use_date", "parse_date"]


@dataclass(frozen=True)
class BeyondUseDate:
    category: str
    description: str
    days: pint.Quantity  # the days actually assigned (after any expiry cap)
    table_days: pint.Quantity  # the USP <795> Table 4 default
    date: dt.date
    storage: str
    storage_label: str
    basis: str  # the words the record prints for why this BUD
    capped_by_expiry: dt.date | None
    warnings: tuple[str, ...] = ()  # a BUD cut short by a component's expiry


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def parse_date(value: dt.date | str | None, field: str) -> dt.date:
    """An ISO date (``2026-11-22``) or a ``date``. ``None`` is refused: "today" is an input the caller
    gives (the CLI and the app pass it), never read from the clock down here."""
    allowed = f"an ISO date like 2026-11-22, from {EARLIEST.year} to {LATEST.year}"
    if value is None:
        raise InputError("is missing", field=field, allowed=allowed)
    date = None
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise InputError("is not a date in the form YYYY-MM-DD", field=field, value=value, allowed=allowed)
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            raise InputError("is not a date on the calendar", field=field, value=value,
                             allowed=allowed) from None
    if date is None:
        raise InputError("is not a date", field=field, value=value, allowed=allowed)
    if not (EARLIEST <= date <= LATEST):  # year 9999 + a BUD would overflow; year 1 is a typo
        raise InputError("is not a plausible date for a compounding record", field=field,
                         value=value if isinstance(value, str) else date.isoformat(), allowed=allowed)
    return date


def beyond_use_date(category: str, compounding_date: dt.date | str | None = None, *,
                    component_expiries: Iterable[dt.date | str] = (),
                    day_one_is_compounding_day: bool = False,
                    ref: Reference | None = None) -> BeyondUseDate:
    """BUD for a USP <795> category (``nonaqueous_solid`` for capsules: 180 days).

    BUD date = compounding date + days (domain.md §4). With ``day_one_is_compounding_day`` the
    compounding day counts as day 1 (the date is one day earlier), a convention some SOPs use.
    The BUD never passes the earliest component expiry.
    """
    ref = ref or reference()
    cat = ref.bud_category(category)
    start = parse_date(compounding_date, "date")
    table_days = cat.days.quantity.to(day)
    offset = int(table_days.magnitude) - (1 if day_one_is_compounding_day else 0)
    date = start + dt.timedelta(days=offset)
    basis = f"USP <795> (2023) Table 4: {cat.description}, {int(table_days.magnitude)} days"
    capped = None
    # the field the form and the CLI know: component_expiries (glossary.py)
    expiries = [parse_date(e, "component_expiries") for e in component_expiries]
    if expiries:
        earliest = min(expiries)
        if earliest < start:
            raise InputError("is before the compounding date: the component has expired",
                             field="component_expiries", value=earliest.isoformat())
        if earliest == start:
            raise InputError("is the compounding date: the preparation would expire the day it is made "
                             "(a 0-day beyond-use date cannot be dispensed); use a component that has not "
                             "expired", field="component_expiries", value=earliest.isoformat(),
                             allowed=f"a date after {start.isoformat()}")
        if earliest < date:
            date, capped = earliest, earliest
            basis += f"; capped at the earliest component expiry {earliest.isoformat()}"
    days = Q((date - start).days + (1 if day_one_is_compounding_day else 0), day)
    warnings = ()
    if capped is not None and days < ref.short_bud_warning.quantity.to(day):
        n = int(days.magnitude)
        warnings = (f"BEYOND-USE DATE CUT TO {n} DAY{'S' if n != 1 else ''} ({date.isoformat()}) by a component "
                    f"expiring {capped.isoformat()} (USP <795> gives {int(table_days.magnitude)} days): "
                    f"dispense no more than {n} day{'s' if n != 1 else ''}' supply, or use a fresher lot.",)
    return BeyondUseDate(category, cat.description, days, table_days, date, cat.storage,
                         cat.storage_label, basis, capped, warnings)
