"""Batch lot numbers, handed out by the database: ``LDN-YYMMDD-NNN``, unique and never reused.

One statement increments the day's counter and returns the new value
(``INSERT … ON CONFLICT (day) DO UPDATE SET last = last + 1 RETURNING last``, on SQLite 3.35+ and
PostgreSQL). The counter row stays locked until the transaction that saves the batch commits, so
concurrent writers queue on it (PostgreSQL) or on the write lock (SQLite ``BEGIN IMMEDIATE``); if
the save rolls back, so does the counter, and the number was never used. After 999 batches in one
day the number simply grows a digit (``LDN-260105-1000``).

An amendment keeps its original's number with a suffix: ``LDN-260105-001-A1``, ``-A2``, … (the
physical batch and its labels keep their lot; the corrected record is told apart).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import Batch, LotCounter

__all__ = ["next_lot_number", "amendment_lot_number", "PREFIX"]

PREFIX = "LDN"
_AMENDMENT = re.compile(r"^(?P<root>.+?)(?:-A(?P<n>\d+))?$")


def next_lot_number(session: Session, day: dt.date) -> str:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = LotCounter.__table__
    stmt = (dialect.insert(table).values(day=day, last=1)
            .on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
            .returning(table.c.last))
    number = session.execute(stmt).scalar_one()
    return f"{PREFIX}-{day:%y%m%d}-{number:03d}"


def amendment_lot_number(session: Session, original: str) -> str:
    root = _AMENDMENT.match(original).group("root")
    existing = session.execute(select(Batch.lot_number).where(Batch.lot_number.like(f"{root}-A%"))).scalars()
    used = [int(m.group("n")) for m in map(_AMENDMENT.match, existing) if m and m.group("n")]
    return f"{root}-A{max(used, default=0) + 1}"
