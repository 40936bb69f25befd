"""Independent check: a second pharmacist's own amounts compared with the core's recalculation.

The recognised defence against calculation errors is an independent recalculation by a second
person who does not look at the first person's numbers (domain.md §9). The QA pharmacist enters the
prescription and the amounts they computed themselves, each with its unit (or uploads the exported
Excel record, which :func:`check_record` hands to :func:`compounding.verify.verify_workbook` and then
classifies); :func:`independent_check` recomputes the preparation with the core and classifies every
amount:

- ``agree``       equal once the core's figure is rounded as the QA pharmacist rounded theirs (to the
                  decimals they wrote) or as the sheet displays it;
- ``ten-fold``    the ratio is 10^k (k ≠ 0) within 1 %: a misplaced decimal point or a mg/mcg/g mix-up;
- ``salt-factor`` the ratio is a ratio of two naltrexone forms' molecular weights within 0.3 % (HCl ÷ base
                  1.1068, base ÷ HCl 0.9035, dihydrate ÷ anhydrous HCl 1.0954, and their inverses and
                  the dihydrate ÷ base pair), taken from the reference data: the wrong salt form;
- ``dose-factor`` a dose-determining value (strength, an amount of drug, potency, salt factor,
                  concentration, a volume, tablets, a fill weight or blend; see :func:`dose_determining`)
                  off by a factor of 2 or more either way, that is neither of the above: a wrong
                  figure that would put half or double the dose (or worse) in the patient;
- ``differ``      any other difference, with its size and, where one fits, a likely cause (potency
                  correction applied or missed; extra capsules forgotten).

Ten-fold, salt-factor and dose-factor differences are loud: the verdict is STOP.

Tolerances: the salt factors lie at least 1 % apart (1.0954 vs 1.1068), so 0.3 % tells them apart
while allowing a QA figure rounded to 3 significant digits; 1 % for ten-fold allows rounding of the
shifted figure and cannot be confused with a salt factor (≥ 8.6 % from 1).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from itertools import permutations
from typing import Any, Callable, Iterable

import pint

from .display import display_places, format_number, format_quantity, round_half_up
from .errors import InputError
from .reference import Reference, reference
from .units import Q, as_count, as_quantity, capsule, dimensionless, exact, percent, tablet, ureg

__all__ = ["Checkable", "CHECKABLE", "Comparison", "IndependentCheck", "classify", "independent_check",
           "salt_ratios", "TEN_FOLD_TOLERANCE", "SALT_TOLERANCE", "DOSE_FACTOR", "dose_determining",
           "RecordFinding", "RecordCheck", "check_record", "value_text"]

TEN_FOLD_TOLERANCE = Fraction(1, 100)
SALT_TOLERANCE = Fraction(3, 1000)

AGREE, DIFFER, TEN_FOLD, SALT, DOSE = "agree", "differ", "ten-fold", "salt-factor", "dose-factor"
LOUD = (TEN_FOLD, SALT, DOSE)

# A dose-determining value off by this factor or more (either way) stops the batch: no rounding,
# potency or overage explains a factor of 2, and the patient would get half or double the dose.
# The factor is judged with the ten-fold test's 1 % allowance for a rounded figure (a QA figure
# rounded to 3 digits; a spreadsheet's float of exactly twice), so anything from 1.98 up stops.
DOSE_FACTOR = Fraction(2)

# Values that set how much drug reaches the patient (issue 8.3): the strength, every amount of
# drug, potency and salt factor, concentration and volumes, tablets, and the fill weights and blend
# that divide the drug among the capsules. Names of the manual check (CHECKABLE keys) and of the
# exported records' lines; tests/test_check.py keeps every record line classified one way or the other.
_DOSE_NAMES = frozenset({
    "strength", "potency", "assay", "water", "as_is_potency", "salt_factor", "mw_weighed", "mw_basis", "mw_hcl",
    "mw_potency_basis",
    "tablet_strength", "tablet_weight", "tablets", "tablets_equivalent", "tablets_to_crush", "tablets_to_use",
    "tablet_powder_to_weigh", "drug_in_batch", "naltrexone_hcl", "api_to_weigh", "drug_powder_per_capsule",
    "filler_displaced_per_capsule", "filler_per_capsule", "filler_to_weigh", "filler_to_add", "blend_total",
    "fill_weight_per_capsule", "fill_weight_min", "fill_weight_max", "filler_fill_weight", "api_fill_weight",
    "concentration", "final_volume", "total_drug", "total_volume", "single_strength",
})
_DOSE_PATTERN = re.compile(r"aliquot_\w+|dose_\d+|dose_volume_\d+|dose_volumes\[\d+\]|capsule_strength_\d+"
                           r"|patient_dose|patient_dose_volume"
                           r"|fill_(?:drug|volume|tablets)_\d+"
                           r"|(?:weigh|planned|actual|used|recalc)_\w+")  # the weighings and what they make


def dose_determining(name: str) -> bool:
    """Whether a value (a QA amount's key or a record line's name) determines the dose."""
    return name in _DOSE_NAMES or _DOSE_PATTERN.fullmatch(name) is not None


@dataclass(frozen=True)
class Checkable:
    """An amount a QA pharmacist may enter: its label, the kind of quantity, and where the result holds it."""

    key: str
    label: str
    kind: str  # a units.KINDS name, or "capsules" / "tablets" for counts
    units: tuple[str, ...]  # the units offered to choose from, first = default
    value: Callable[[Any], pint.Quantity | None]


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda r: getattr(r, name)


CHECKABLE: dict[str, dict[str, Checkable]] = {
    "capsules": {c.key: c for c in (
        Checkable("capsules_to_make", "Capsules to make", "capsules", ("capsules",), _attr("capsules_to_make")),
        Checkable("naltrexone_hcl", "Naltrexone HCl in the batch", "mass", ("mg", "g", "mcg"), _attr("naltrexone_hcl")),
        Checkable("api_to_weigh", "Naltrexone HCl powder to weigh", "mass", ("mg", "g", "mcg"), _attr("api_to_weigh")),
        Checkable("tablets_to_crush", "Whole 50 mg tablets to crush", "tablets", ("tablets",), _attr("tablets_to_crush")),
        Checkable("tablet_powder_to_weigh", "Tablet powder to weigh", "mass", ("mg", "g", "mcg"),
                  _attr("tablet_powder_to_weigh")),
        Checkable("filler_per_capsule", "Filler per capsule", "mass_per_capsule", ("mg", "g", "mcg"),
                  _attr("filler_per_capsule")),
        Checkable("filler_to_weigh", "Filler in the blend", "mass", ("mg", "g", "mcg"), _attr("filler_to_weigh")),
        Checkable("blend_total", "Blend total", "mass", ("mg", "g", "mcg"), _attr("blend_total")),
        Checkable("fill_weight_per_capsule", "Fill weight per capsule", "mass_per_capsule", ("mg", "g", "mcg"),
                  _attr("fill_weight_per_capsule")),
    )},
    "oral_liquid": {c.key: c for c in (
        Checkable("naltrexone_hcl", "Naltrexone HCl in the batch", "mass", ("mg", "g", "mcg"), _attr("naltrexone_hcl")),
        Checkable("concentration", "Concentration", "concentration", ("mg/mL", "mcg/mL"), _attr("concentration")),
        Checkable("final_volume", "Final volume", "volume", ("mL", "L"), _attr("final_volume")),
        Checkable("tablets_to_use", "Whole 50 mg tablets to use", "tablets", ("tablets",), _attr("tablets_to_use")),
        Checkable("tablets_to_crush", "Whole 50 mg tablets to crush", "tablets", ("tablets",), _attr("tablets_to_crush")),
        Checkable("tablet_powder_to_weigh", "Tablet powder to weigh", "mass", ("mg", "g", "mcg"),
                  _attr("tablet_powder_to_weigh")),
        Checkable("api_to_weigh", "Naltrexone HCl powder to weigh", "mass", ("mg", "g", "mcg"), _attr("api_to_weigh")),
    )},
}


@dataclass(frozen=True)
class Comparison:
    key: str
    label: str
    entered: pint.Quantity
    expected: pint.Quantity | None  # the core's figure, in the entered unit; None: not part of this preparation
    status: str  # agree | differ | ten-fold | salt-factor | dose-factor | not-applicable
    ratio: Fraction | None  # entered ÷ expected
    message: str

    @property
    def loud(self) -> bool:
        """Ten-fold, salt-factor and dose-factor errors stop the batch."""
        return self.status in LOUD

    def as_dict(self) -> dict[str, Any]:
        from .jsonout import to_jsonable

        return {"key": self.key, "label": self.label, "entered": to_jsonable(self.entered),
                "expected": to_jsonable(self.expected), "status": self.status,
                "ratio": None if self.ratio is None else float(self.ratio), "message": self.message}


@dataclass(frozen=True)
class IndependentCheck:
    preparation: str
    result: Any  # the core's CapsuleBatch or LiquidPreparation
    comparisons: tuple[Comparison, ...]
    not_entered: tuple[str, ...]  # labels of amounts the QA pharmacist did not enter

    @property
    def verdict(self) -> str:
        if any(c.loud for c in self.comparisons):
            return "STOP"
        if any(c.status == DIFFER for c in self.comparisons):
            return "DIFFERENCES"
        return "AGREE"

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.comparisons:
            out[c.status] = out.get(c.status, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"preparation": self.preparation, "verdict": self.verdict,
                "comparisons": [c.as_dict() for c in self.comparisons], "not_entered": list(self.not_entered)}


def salt_ratios(ref: Reference | None = None) -> dict[Fraction, str]:
    """Every ratio MW(a) ÷ MW(b) of two different naltrexone forms, with words for it."""
    ref = ref or reference()
    out = {}
    for a, b in permutations(ref.forms.values(), 2):
        ratio = exact((a.molecular_weight.quantity / b.molecular_weight.quantity).to(dimensionless).magnitude)
        out[ratio] = f"MW {a.name} ÷ MW {b.name} = {format_number(ratio, 4)}"
    return out


def _decimals(x: Fraction, limit: int = 6) -> int:
    """The decimals a number was written with: 266.5 → 1, 267 → 0 (a float's shortest repr)."""
    for d in range(limit + 1):
        if (x * 10 ** d).denominator == 1:
            return d
    return limit


def _typed_decimals(value: Any, magnitude: Fraction) -> int:
    if isinstance(value, str):
        number = value.strip().split()[0] if value.strip() else ""
        number = number.rstrip("abcdefghijklmnopqrstuvwxyzµμABCDEFGHIJKLMNOPQRSTUVWXYZ/%")
        return len(number.split(".", 1)[1]) if "." in number else 0
    return _decimals(magnitude)


def classify(entered: Fraction, expected: Fraction, *, typed_decimals: int, display_places: int,
             salts: dict[Fraction, str] | None = None, count: bool = False,
             dose: bool = False) -> tuple[str, Fraction | None, str]:
    """(status, ratio, reason) for one entered number against the expected number (same unit).

    ``dose``: the value determines the dose, so a factor of :data:`DOSE_FACTOR` or more is loud."""
    if count:
        if entered == expected:
            return AGREE, Fraction(1), "agrees"
    else:
        candidates = {expected, Fraction(round_half_up(expected, typed_decimals)),
                      Fraction(round_half_up(expected, display_places))}
        if entered in candidates:
            return AGREE, (entered / expected if expected else None), \
                "agrees" if entered == expected else "agrees within rounding"
    if expected <= 0 or entered <= 0:
        if dose:
            return DOSE, None, "DOSE ERROR: a dose-determining value that should not be zero or negative"
        return DIFFER, None, "differs"
    ratio = entered / expected
    k = round(math.log10(float(ratio)))
    if k != 0 and abs(ratio / Fraction(10) ** k - 1) <= TEN_FOLD_TOLERANCE:
        times = f"{10 ** abs(k):,}".replace(",", " ")
        way = "larger" if k > 0 else "smaller"
        mix = " or a mg/mcg/g mix-up" if abs(k) == 3 else ""
        return TEN_FOLD, ratio, f"TEN-FOLD ERROR: {times} times {way} than the recalculation (a misplaced decimal point{mix})"
    for salt, words in (salts or {}).items():
        if abs(ratio / salt - 1) <= SALT_TOLERANCE:
            return SALT, ratio, f"SALT-FACTOR ERROR: the ratio {format_number(ratio, 4)} is {words} (the wrong naltrexone form)"
    if dose and max(ratio, 1 / ratio) >= DOSE_FACTOR * (1 - TEN_FOLD_TOLERANCE):
        times, way = (ratio, "larger") if ratio > 1 else (1 / ratio, "smaller")
        return DOSE, ratio, (f"DOSE ERROR: {format_number(times, 2)} times {way} than the recalculation (a value "
                             f"that sets the dose, off by a factor of {format_number(DOSE_FACTOR)} or more)")
    return DIFFER, ratio, "differs"


def _parse(check: Checkable, value: Any) -> pint.Quantity:
    field = f"qa.{check.key}"
    if check.kind in ("capsules", "tablets"):
        unit = capsule if check.kind == "capsules" else tablet
        return as_count(value, field, unit, minimum=0, maximum=1_000_000)
    q = as_quantity(value, field, check.kind)
    if q.magnitude <= 0:
        raise InputError("must be greater than zero", field=field, value=value)
    return q


def _hint(ratio: Fraction | None, result: Any) -> str:
    if ratio is None:
        return ""
    potency = getattr(result, "potency", None)
    if potency:
        if abs(ratio / potency - 1) <= Fraction(1, 1000):
            return f"; the ratio is the potency {format_number(potency * 100, 2)}%: potency correction left out?"
        if abs(ratio * potency - 1) <= Fraction(1, 1000):
            return f"; the ratio is 1 ÷ potency {format_number(potency * 100, 2)}%: potency applied twice or inverted?"
    ordered, to_make = getattr(result, "capsules_ordered", None), getattr(result, "capsules_to_make", None)
    if ordered is not None and to_make is not None and ordered != to_make:
        r = exact((ordered / to_make).to(dimensionless).magnitude)
        if abs(ratio / r - 1) <= Fraction(1, 1000):
            return "; the ratio is ordered ÷ to make: extra capsules left out?"
    if abs(ratio - 1) < Fraction(5, 1000):
        return "; within 0.5 %: rounded intermediate figures?"
    return ""


def independent_check(preparation: str, prescription: dict[str, Any], amounts: dict[str, Any],
                      ref: Reference | None = None, *, dose_volumes: Iterable[tuple[Any, Any]] = ()) -> IndependentCheck:
    """Recompute ``preparation`` (``capsules`` | ``oral_liquid``) from ``prescription`` (the keyword
    arguments of :func:`compounding.capsules.capsule_batch` or :func:`compounding.liquids.prepare_liquid`)
    and compare each of the QA pharmacist's ``amounts`` (key → typed text like ``"445.5 mg"``, a pint
    quantity, or a whole number for counts; None = not entered) with it. For a liquid,
    ``dose_volumes`` are (dose, the volume the QA pharmacist would measure for it) pairs, compared
    with dose ÷ concentration: where a ten-fold error reaches the patient.

    Raises :class:`InputError` (field ``qa.<key>``) for an amount that cannot be read, and the core's
    own errors for an invalid prescription.
    """
    if preparation not in CHECKABLE:
        raise InputError("is not a preparation that can be checked", field="preparation", value=preparation,
                         allowed=", ".join(CHECKABLE))
    table = CHECKABLE[preparation]
    unknown = [k for k in amounts if k not in table]
    if unknown:
        raise InputError("is not an amount that can be checked", field=f"qa.{unknown[0]}", value=unknown[0],
                         allowed=", ".join(table))
    parsed = {k: _parse(table[k], v) for k, v in amounts.items() if v is not None and v != ""}
    pairs = _dose_volume_pairs(dose_volumes, preparation, ref)
    if not parsed and not pairs:
        raise InputError("are all empty: enter at least one amount you computed", field="qa.amounts",
                         allowed=", ".join(c.label for c in table.values()))
    ref = ref or reference()
    if preparation == "capsules":
        from .capsules import capsule_batch

        result = capsule_batch(**prescription, ref=ref)
    else:
        from .liquids import prepare_liquid

        result = prepare_liquid(**prescription, ref=ref)
    salts = salt_ratios(ref)
    comparisons = []
    for key, q in parsed.items():
        check = table[key]
        core = check.value(result)
        if core is None:
            comparisons.append(Comparison(key, check.label, q, None, "not-applicable", None,
                                          f"{check.label} is not part of this preparation (see the source)"))
            continue
        count = check.kind in ("capsules", "tablets")
        comparisons.append(_compare(key, check.label, q, core, 0 if count else _typed_decimals(amounts[key],
                                    exact(q.magnitude)), salts, result, count=count))
    if pairs:
        from .liquids import dose_volume_table

        rows = dose_volume_table([d for d, _, _ in pairs], result.concentration)
        for i, ((dose, volume, typed), row) in enumerate(zip(pairs, rows)):
            label = f"Volume for {format_quantity(dose)} at {format_quantity(result.concentration)}"
            comparisons.append(_compare(f"dose_volumes[{i}]", label, volume, row.volume,
                                        _typed_decimals(typed, exact(volume.magnitude)), salts, result))
    not_entered = tuple(c.label for k, c in table.items() if k not in parsed and c.value(result) is not None)
    return IndependentCheck(preparation, result, tuple(comparisons), not_entered)


def _dose_volume_pairs(pairs: Iterable[tuple[Any, Any]], preparation: str, ref: Reference | None
                       ) -> list[tuple[pint.Quantity, pint.Quantity, Any]]:
    out = []
    for i, (dose, volume) in enumerate(pairs):
        if (dose is None or dose == "") and (volume is None or volume == ""):
            continue
        if preparation != "oral_liquid":
            raise InputError("apply only to an oral liquid", field="qa.dose_volumes", value=dose)
        from .liquids import check_dose

        d = check_dose(dose, f"qa.dose_volumes[{i}].dose", ref)
        field = f"qa.dose_volumes[{i}].volume"
        v = as_quantity(volume, field, "volume")
        if v.magnitude <= 0:
            raise InputError("must be greater than zero", field=field, value=volume)
        out.append((d, v, volume))
    return out


def _compare(key: str, label: str, q: pint.Quantity, core: pint.Quantity, typed_decimals: int,
             salts: dict[Fraction, str], result: Any, *, count: bool = False) -> Comparison:
    expected = core.to(q.units)
    places = 0 if count else display_places(expected.magnitude, q.units)
    status, ratio, why = classify(exact(q.magnitude), exact(expected.magnitude), typed_decimals=typed_decimals,
                                  display_places=places, salts=salts, count=count, dose=dose_determining(key))
    message = f"{why}: you entered {format_quantity(q)}, the recalculation gives {format_quantity(expected)}"
    if status == DIFFER:
        diff = q - expected
        sign = "+" if diff.magnitude > 0 else "−"
        message += f" (difference {sign}{format_quantity(abs(diff))}"
        if ratio is not None:
            message += f", {sign}{format_number(abs(ratio - 1) * 100, 2)}%"
        message += ")" + _hint(ratio, result)
    return Comparison(key, label, q, expected, status, ratio, message)


# --- an exported Excel record -------------------------------------------------------------------

@dataclass(frozen=True)
class RecordFinding:
    """A disagreement found by :mod:`compounding.verify`, classified like a QA amount."""

    finding: Any  # compounding.verify.Finding
    status: str  # differ | ten-fold | salt-factor | dose-factor
    message: str  # in the page's words: the line's label, values with their units, the cell

    @property
    def loud(self) -> bool:
        return self.status in LOUD

    @property
    def label(self) -> str:
        return self.finding.label or self.finding.name


@dataclass(frozen=True)
class RecordCheck:
    report: Any  # compounding.verify.VerifyReport
    findings: tuple[RecordFinding, ...]
    name: str = "the record"  # the file's name as the user knows it

    @property
    def verdict(self) -> str:
        if any(f.loud for f in self.findings):
            return "STOP"
        return "DIFFERENCES" if self.findings else "AGREE"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.name, "verdict": self.verdict, "kind": self.report.kind, "checked": self.report.checked,
                "engine_version": self.report.engine_version, "notes": list(self.report.notes),
                "findings": [{"cell": f.finding.cell, "name": f.finding.name, "label": f.label,
                              "unit": f.finding.unit, "what": f.finding.what,
                              "in_file": _plain(f.finding.in_file), "expected": _plain(f.finding.expected),
                              "status": f.status, "message": f.message} for f in self.findings]}


def _plain(value: Any) -> Any:
    from .jsonout import to_jsonable

    value = to_jsonable(value)
    return value if isinstance(value, (int, float, str, bool, type(None), dict, list)) else str(value)


def _number(value: Any) -> Fraction | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, pint.Quantity):
        value = value.magnitude
    try:
        return exact(value) if isinstance(value, (int, float, Fraction)) else None
    except (TypeError, ValueError):
        return None


def value_text(value: Any, unit: str) -> str:
    """A record's value as the page shows it: ``"452.28 mg"``, ``"9.85%"`` (a ratio in a "%" line),
    ``"8.9109 tablets"`` (a count that is not whole keeps its decimals), a date, or the text."""
    if value is None or value == "":
        return "a blank cell"
    if isinstance(value, pint.Quantity):
        return format_quantity(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    n = _number(value)
    if n is None:
        return str(value)
    if unit == "%":
        return format_quantity(Q(n, dimensionless).to(percent))
    # a count shows its fraction by the display rule; days are shown whole there, but a record's
    # fractional days (a bottle's days' supply) keep theirs in a finding
    places = 4 if unit == "days" and n.denominator != 1 else None
    try:
        return format_quantity(Q(n, ureg.Unit(unit) if unit else dimensionless), places=places)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError):
        return f"{format_number(n)} {unit}".strip()


def _record_message(f: Any, why: str, ratio: Fraction | None = None) -> str:
    """One finding in the page's words: label, both values with their units, then the cell."""
    label = f.label or f.name
    a, b = value_text(f.in_file, f.unit), value_text(f.expected, f.unit)
    words = {
        "calculator value": f"the record says {a}; recalculated from the record's own inputs: {b}",
        "formula result": f"the spreadsheet shows {a}; the recalculation gives {b}",
        "input or reference data": f"the file has {a}; the calculator's reference data say {b}",
        "input changed after export": f"the file's input is {a}, but the record was calculated with {b}",
        "inputs refused by the calculator": f"the file's value {a} is refused: {f.detail or f.expected}",
        "formula": ("its formula is not the one the calculator writes for these inputs (a different plan, "
                    "or the formula was edited)" if isinstance(f.in_file, str) and f.in_file.startswith("=")
                    else f"its formula was replaced by {a}"),
        "named cell missing": f"missing from the file (the recalculation gives {b})",
        "hash of inputs and results": "does not match the file's inputs and results: it was changed after export",
        "hash shown on the sheet": "the fingerprint printed on the sheet does not match: it was changed after export",
        # the record built again and compared cell by cell (issue 10)
        "text": "the words on the page are not what the calculator writes for the record's inputs",
        "value": f"the file has {a}; the calculator writes {b}",
        "saved formula result": f"a viewer that does not recalculate shows {a}; the formula gives {b}",
        "cell added": "the file has an entry where the calculator writes nothing",
        "number format": "its display format was changed after export",
        "record field changed after export": f"the file has {a}; the record was exported with {b}",
        "document property": "the document property was changed after export",
        "hash in the Keywords property": "the fingerprint in the Keywords property does not match",
        "hash in the Description property": "the fingerprint in the Description property does not match",
        "hash of the record fields as exported": "the record fields stored at export were changed",
    }.get(f.what, f"{f.what}: the file differs from the record the calculator writes")
    if why == "differs":
        size = "" if ratio is None else f" ({'+' if ratio > 1 else '−'}{format_number(abs(ratio - 1) * 100, 2)}%)"
        return f"{label}: {words}{size} (cell {f.cell})"
    return f"{label}: {words} — {why} (cell {f.cell})"


def check_record(source: Any, ref: Reference | None = None, *, name: str | None = None) -> RecordCheck:
    """Verify an exported Excel record (a path or its bytes) with :func:`compounding.verify.verify_workbook`
    (which recomputes it with the core) and classify each numeric disagreement: ten-fold, salt factor,
    a dose-determining value off by a factor of 2 or more, or a plain difference. ``name`` is the
    file's name as the user knows it (an upload's name). Raises
    :class:`compounding.verify.UnreadableWorkbook` for a file that is not such a record."""
    from .verify import UnreadableWorkbook, verify_workbook

    shown = name or (str(source) if not isinstance(source, (bytes, bytearray)) else "the uploaded file")
    try:
        report = verify_workbook(source)
    except UnreadableWorkbook as exc:
        raise UnreadableWorkbook(exc.message, field=exc.field, value=shown, allowed=exc.allowed) from None
    salts = salt_ratios(ref)
    out = []
    for f in report.findings:
        entered, expected = _number(f.in_file), _number(f.expected)
        if entered is not None and expected is not None:
            status, ratio, why = classify(entered, expected, typed_decimals=_decimals(entered), display_places=4,
                                          salts=salts, dose=dose_determining(f.name))
            if status == AGREE:  # verify compares more strictly than display rounding; still a finding
                status, why = DIFFER, "differs"
        else:
            status, ratio, why = DIFFER, None, "differs"
        out.append(RecordFinding(f, status, _record_message(f, why, ratio)))
    return RecordCheck(report, tuple(out), shown)
