"""Validate a whole worklist before anything is planned: every bad cell is listed with its row (as
the spreadsheet numbers it: header = row 1), its column and the reason, in the core's own words.

Quantities go through the core's one parser (:func:`compounding.units.parse_quantity` and the
checks built on it), so ``4,5 mg`` and ``45 mg`` are refused exactly as the capsule and liquid
calculators refuse them, and a titration is checked by planning it with
:func:`compounding.plan_titration`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import pint

from ..errors import CompoundingError, InputError, RangeError
from .columns import COLUMNS, COLUMN_NAMES, DEFAULT_FORMULA, FORMS, REQUIRED
from .read import Table

__all__ = ["Problem", "Order", "Worklist", "validate", "MAX_CAPSULES_PER_RX"]

#: Capsules one prescription may order: the capsule calculator's own limit on capsules ordered.
MAX_CAPSULES_PER_RX = 10_000


@dataclass(frozen=True)
class Problem:
    """One bad cell (or a missing column: ``row`` 1)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class Order:
    """One valid prescription row, parsed: quantities carry their units."""

    row: int
    rx_number: str
    patient: str
    prescriber: str
    form: str  # capsules | oral_liquid
    formula: str  # master formula id
    strength: pint.Quantity | None  # capsules: mg of naltrexone HCl per capsule
    concentration: pint.Quantity | None  # oral liquid: mg/mL
    quantity: pint.Quantity | None  # capsules, or mL; None for a titration
    dose: pint.Quantity | None  # oral liquid: mg
    directions: str
    titration: Any  # compounding.titration.TitrationPlan | None
    titration_text: str
    due_date: dt.date | None


@dataclass(frozen=True)
class Worklist:
    """A validated file: the good orders, every problem, and notes (things taken as they are)."""

    name: str
    kind: str
    encoding: str | None
    compounding_date: dt.date
    rows: int
    orders: tuple[Order, ...]
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def bad_rows(self) -> tuple[int, ...]:
        return tuple(sorted({p.row for p in self.problems}))


def reason(exc: CompoundingError) -> str:
    """The core's message without its field name (the report names the column)."""
    from ..errors import _show

    shown = "" if exc.value is None else f"{_show(exc.value)}: "
    inner = f" [{exc.field}]" if exc.field and "[" in exc.field else ""
    allowed = f" (allowed: {exc.allowed})" if exc.allowed else ""
    return f"{shown}{exc.message}{inner}{allowed}"


# --- cached core checks (a worklist repeats the same few strengths and regimens) -----------------

def _cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    @lru_cache(maxsize=4096)
    def run(*args: Any) -> tuple[bool, Any]:
        try:
            return True, fn(*args)
        except CompoundingError as exc:
            return False, exc

    def call(*args: Any) -> Any:
        ok, value = run(*args)
        if not ok:
            raise value
        return value
    return call


@_cached
def _dose(text: str, column: str) -> pint.Quantity:
    from ..liquids import check_dose

    return check_dose(text, column)


@_cached
def _concentration(text: str) -> pint.Quantity:
    from ..liquids import check_concentration

    return check_concentration(text, "strength")


@_cached
def _capsules(text: str) -> pint.Quantity:
    from ..units import as_count, capsule

    return as_count(text, "quantity", capsule, minimum=1, maximum=MAX_CAPSULES_PER_RX)


@_cached
def _volume(text: str) -> pint.Quantity:
    from ..display import format_quantity
    from ..liquids import VOLUME_RANGE
    from ..units import as_quantity, mL

    q = as_quantity(text, "quantity", "volume").to(mL)
    low, high = VOLUME_RANGE
    if not low <= q <= high:
        raise RangeError("is out of range", field="quantity", value=text,
                         allowed=f"a volume from {format_quantity(low)} to {format_quantity(high)}")
    return q


@_cached
def _date(text: str) -> dt.date:
    from ..bud import parse_date

    return parse_date(text, "due_date")


@_cached
def _formula(text: str, form: str) -> str:
    from ..formulas import formula

    f = formula(text, "formula")
    if f.preparation != form:
        raise InputError(f"is a {f.preparation.replace('_', ' ')} formula, not {form.replace('_', ' ')}",
                         field="formula", value=text)
    return f.id


@_cached
def _titration(text: str, form: str, concentration: str, formula_id: str, start: dt.date) -> Any:
    from ..formulas import formula
    from ..titration import plan_titration

    spec = {"stages": text} if ":" in text else {"preset": text}
    if form == "capsules":
        return plan_titration(form="capsules", start_date=start, **spec)
    vehicle = formula(formula_id).default_vehicle or "purified_water"
    return plan_titration(form="liquid", concentration=concentration or None, vehicle=vehicle,
                          start_date=start, **spec)


# --- header --------------------------------------------------------------------------------------

def _normal(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _columns(table: Table, notes: list[str]) -> tuple[dict[str, int], list[Problem]]:
    where: dict[str, int] = {}
    problems: list[Problem] = []
    for i, raw in enumerate(table.header):
        name = _normal(raw)
        letter = _letter(i)
        if not name:
            if any(i < len(cells) and cells[i].strip() for _, cells in table.rows):
                problems.append(Problem(1, letter, "has values but no column name in row 1"))
            continue
        if name in where:
            problems.append(Problem(1, name, f"appears twice in the header (columns {_letter(where[name])} "
                                             f"and {letter})"))
        elif name in COLUMN_NAMES:
            where[name] = i
        else:
            notes.append(f"Column {letter} ({raw!r}) is not a worklist column and was ignored "
                         f"(columns: {', '.join(COLUMN_NAMES)}).")
    for name in REQUIRED:
        if name not in where:
            problems.append(Problem(1, name, "column is missing from the header row"))
    return where, problems


def _letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


# --- one row -------------------------------------------------------------------------------------

_MAX = {c.name: c.max_length for c in COLUMNS}


def _text(value: str, column: str, row: int, notes: list[str]) -> str:
    text = value.strip()
    most = _MAX[column]
    if not text:
        raise InputError("is empty; this column is required", field=column)
    if most is not None and len(text) > most:
        raise RangeError(f"is {len(text)} characters long", field=column, value=text,
                         allowed=f"at most {most} characters (what fits on the label)")
    odd = None if text.isprintable() else next(  # isprintable: the fast common case
        (c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")), None)
    if odd is not None:
        raise InputError(f"has an invisible or control character (U+{ord(odd):04X}); type the text again",
                         field=column, value=text, allowed="printable text on one line")
    if text[0] in "=+@" or (text[0] == "-" and len(text) > 1 and not text[1].isdigit()):
        notes.append(f"row {row}, column {column}: {text[:40]!r} looks like a spreadsheet formula; it is "
                     "taken as text (never evaluated) and written as text.")
    return text


class _Row:
    """Collects every problem of one row instead of stopping at the first."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number, self.cells, self.problems = number, cells, []

    def check(self, column: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except CompoundingError as exc:
            self.problems.append(Problem(self.number, column, reason(exc)))
            return None

    def refuse(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))


def _order(r: _Row, date: dt.date, notes: list[str]) -> Order | None:
    c = r.cells
    texts = {k: r.check(k, _text, c[k], k, r.number, notes) for k in ("rx_number", "patient", "prescriber",
                                                                        "directions")}
    due = r.check("due_date", _date, c["due_date"].strip()) if c["due_date"].strip() else None
    form = FORMS.get(" ".join(c["form"].lower().split()))
    if form is None:
        r.refuse("form", f"{c['form']!r}: is not a form (allowed: capsules, oral liquid)" if c["form"].strip()
                 else "is empty (allowed: capsules, oral liquid)")
        return None
    formula = r.check("formula", _formula, c["formula"].strip(), form) if c["formula"].strip() \
        else DEFAULT_FORMULA[form]
    titration_text = c["titration"].strip()
    strength = concentration = quantity = dose = plan = None
    if titration_text:
        for column in ("quantity", "dose") + (("strength",) if form == "capsules" else ()):
            if c[column].strip():
                r.refuse(column, f"{c[column].strip()!r}: must be empty for a titration (the titration sets it)")
        if form == "oral_liquid" and c["strength"].strip():
            concentration = r.check("strength", _concentration, c["strength"].strip())
        start = due or date
        if start < date:
            r.refuse("due_date", f"{start.isoformat()}: a titration cannot start before the compounding date "
                                 f"{date.isoformat()}")
        elif formula and (form == "capsules" or c["strength"].strip() == "" or concentration is not None):
            plan = r.check("titration", _titration, titration_text, form, c["strength"].strip(), formula, start)
    elif form == "capsules":
        strength = _required(r, "strength", _dose, "strength")
        quantity = _required(r, "quantity", _capsules)
        if c["dose"].strip():
            r.refuse("dose", f"{c['dose'].strip()!r}: applies to oral liquids only (for capsules the strength "
                             "is the dose per capsule)")
    else:
        concentration = _required(r, "strength", _concentration)
        quantity = _required(r, "quantity", _volume)
        dose = _required(r, "dose", _dose, "dose")
    if due is not None and due < date and not titration_text:
        notes.append(f"row {r.number}: due date {due.isoformat()} is before the compounding date {date.isoformat()}.")
    if r.problems:
        return None
    return Order(r.number, texts["rx_number"], texts["patient"], texts["prescriber"], form, formula, strength,
                 concentration, quantity, dose, texts["directions"], plan, titration_text, due)


def _required(r: _Row, column: str, fn: Callable[..., Any], *extra: Any) -> Any:
    text = r.cells[column].strip()
    if not text:
        r.refuse(column, "is empty")
        return None
    return r.check(column, fn, text, *extra)


# --- the file ------------------------------------------------------------------------------------

def validate(table: Table, *, compounding_date: dt.date | str | None = None, name: str = "worklist") -> Worklist:
    """Every row of ``table`` checked; ``compounding_date`` (required) is the day the batches are made."""
    from ..bud import parse_date

    date = parse_date(compounding_date, "date")
    notes = list(table.notes)
    where, problems = _columns(table, notes)
    orders: list[Order] = []
    if not problems:
        problems = [Problem(*p) for p in table.problems]
        unreadable = {p.row for p in problems}
        for number, cells in table.rows:
            values = {k: (cells[i] if i < len(cells) else "") for k, i in where.items()}
            values.update({k: "" for k in COLUMN_NAMES if k not in where})
            r = _Row(number, values)
            order = _order(r, date, notes)
            problems += r.problems
            if order is not None and number not in unreadable:
                orders.append(order)
        if not table.rows:
            problems.append(Problem(2, "rx_number", "the file has a header but no prescription rows"))
        orders, problems = _duplicates(table, where, orders, problems)
    problems.sort(key=lambda p: (p.row, COLUMN_NAMES.index(p.column) if p.column in COLUMN_NAMES else -1))
    return Worklist(name, table.kind, table.encoding, date, len(table.rows), tuple(orders), tuple(problems),
                    tuple(dict.fromkeys(notes)))


def _duplicates(table: Table, where: dict[str, int], orders: list[Order], problems: list[Problem]):
    """Every row of a repeated Rx number is flagged (which one is right is the pharmacist's call)."""
    seen: dict[str, list[int]] = {}
    i = where["rx_number"]
    for number, cells in table.rows:
        key = cells[i].strip().casefold() if i < len(cells) else ""
        if key:
            seen.setdefault(key, []).append(number)
    repeated = {n: rows for rows in seen.values() if len(rows) > 1 for n in rows}
    for number, rows in repeated.items():
        others = ", ".join(str(n) for n in rows if n != number)
        problems.append(Problem(number, "rx_number", f"is a duplicate: the same Rx number is also on row {others}"))
    return [o for o in orders if o.row not in repeated], problems
