"""Capsule weight check: each capsule against its limits, and the batch's mean, SD and RSD.

Method (domain.md §7; UNC Pharmaceutical Compounding Lab, capsule QC; DAC/NRF capsule aids):

- net fill weight of a capsule = gross weight − empty shell weight (or the net weight as weighed);
- each capsule as % of the target fill weight, within the individual limits (default 90-110 %);
- mean within ± the mean tolerance of target (default 3 %); RSD = sample SD ÷ mean ≤ the RSD
  limit (default 5 %);
- verdict: FAIL as soon as any capsule is outside its limits (no further weighing can undo that);
  otherwise INCOMPLETE until the QC rule's number of capsules is weighed (``sample_size`` in
  ``qc.toml``: every capsule of the batch, or a sample of 10 — so the smaller of 10 and the batch
  size when it is known); then PASS when the mean and RSD are within their limits, else FAIL.

Weights come as quantities, or as text pasted from a balance or read from its CSV export
(:func:`parse_weights`): one weight per line or several separated by commas, semicolons or tabs,
an optional header row naming the weight column (``weight``, ``mass``, ``net``, ``gross``) and its
unit (``Weight (mg)``, ``mass_g``), and an optional first column of sample numbers. A bare number
takes the unit the user chose; a weight may carry its own unit (``271.3 mg``, ``0.2713 g``).
Anything else is refused with the line it is on: a first line is taken as a header only when it
names a weight column, so a stray word (``abc``) is never silently dropped.

Defaults live in ``formulas/reference/qc.toml`` with their sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import pint

from .data import REFERENCE_DIR, Figure, Qty, TableOf, check
from .errors import InputError, RangeError
from .trace import Step, Trace
from .units import (Q, as_count, as_fraction, as_quantity, capsule, dimensionless, exact, mg,
                    parse_quantity, percent, ureg)

__all__ = ["QcLimits", "qc_limits", "WeighedCapsule", "WeightCheck", "parse_weights",
           "read_weights_file", "weight_check", "sample_sd", "required_count", "PASS", "FAIL", "INCOMPLETE",
           "BalanceCheck", "balance_check", "balance_error"]

QC_FILE = "qc.toml"

SCHEMA = TableOf({
    "capsules": TableOf({
        "individual_low": Qty("", maximum=1), "individual_high": Qty("", minimum=1),
        "mean_tolerance": Qty("", maximum=1), "rsd_maximum": Qty("", maximum=1),
        "sample_size": Qty("", minimum=1, strict_min=False),
    }),
    "liquids": TableOf({"yield_low": Qty("", maximum=1), "yield_high": Qty("", minimum=1)}),
    "weighing": TableOf({"uncertainty_ratio": Qty("", minimum=1, strict_min=False),
                         "usp41_accuracy": Qty("", maximum=1)}),
})


@dataclass(frozen=True)
class QcLimits:
    """The default weight-check limits, each with its source."""

    individual_low: Figure
    individual_high: Figure
    mean_tolerance: Figure
    rsd_maximum: Figure
    sample_size: Figure
    yield_low: Figure  # liquids: actual ÷ theoretical volume
    yield_high: Figure
    uncertainty_ratio: Figure  # a balance's weighing error at most 1/this of the target-to-limit distance
    usp41_accuracy: Figure  # the relative weighing error of a USP <41> balance at its MWQ


@lru_cache(maxsize=4)
def load_qc_limits(directory: Path = REFERENCE_DIR) -> QcLimits:
    raw = check(Path(directory) / QC_FILE, SCHEMA)
    return QcLimits(**raw["capsules"], **raw["liquids"], **raw["weighing"])


def qc_limits() -> QcLimits:
    """The limits shipped in ``formulas/reference/qc.toml`` (loaded once)."""
    return load_qc_limits(REFERENCE_DIR)


# --- Reading weights ------------------------------------------------------------------------------

_HEADER_WORDS = ("weight", "mass", "net", "gross", "fill")
_UNIT_IN_HEADER = re.compile(r"(?:\(|\[|_|\s)(mg|g|mcg|µg|ug)\)?\]?\s*$", re.IGNORECASE)
_NUMBER_ONLY = re.compile(r"^\s*[+-]?\d+(?:\.\d*)?\s*$")
_INDEX = re.compile(r"^\s*#?\s*\d+\s*$")


def _cells(line: str) -> list[str]:
    """Split a line into cells at tabs, semicolons and commas (a balance's CSV, or a pasted list)."""
    return [c.strip().strip('"').strip() for c in re.split(r"[\t;,]", line)]


def _tokens(cell: str) -> list[str]:
    """Weights within one cell: "271.2 270.8" is two, "271.2 mg" is one."""
    return [t.strip() for t in re.findall(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*(?:[^\s\d.+-][^\s\d]*)?|\S+", cell)]


def _is_header(cells: list[str]) -> bool:
    return all(c and not re.match(r"^\s*[+-]?[\d.]", c) for c in cells)


def _weight(cell: str, unit: pint.Unit, field: str, line_no: int, line: str) -> pint.Quantity:
    where = f"line {line_no}"
    if _NUMBER_ONLY.match(cell):
        q = Q(Fraction(cell.strip()), unit)
    else:
        try:
            q = parse_quantity(cell, field, "mass")
        except InputError as exc:
            raise type(exc)(f"{where}: {cell!r} is not a weight ({exc.message})", field=field, value=line.strip(),
                            allowed="one weight per line or cell, e.g. 271.3 or 271.3 mg") from None
    if q.magnitude <= 0:
        raise RangeError(f"{where}: {cell!r} must be greater than zero", field=field,
                         value=line.strip(), allowed="a weight above 0")
    return q.to(mg)


def parse_weights(text: str, unit: str | pint.Unit = "mg", field: str = "weights") -> tuple[pint.Quantity, ...]:
    """Capsule weights [mg] from pasted text or a balance's CSV export.

    ``unit`` is the unit of bare numbers (the user's choice, or the header's ``(g)``). Blank lines
    and lines starting with ``#`` are skipped. Raises :class:`InputError` naming the line.
    """
    if not isinstance(text, str):
        raise InputError("must be text", field=field, value=text)
    unit_q = ureg.Unit(unit) if isinstance(unit, str) else unit
    if (1 * unit_q).dimensionality != (1 * mg).dimensionality:
        raise InputError("is not a unit of mass", field=f"{field}_unit", value=str(unit), allowed="mg, g or mcg")
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise InputError("has no weights; paste one weight per line or upload the balance's CSV",
                         field=field, value=text, allowed="e.g. 271.3 (one per line)")
    column: int | None = None
    first_no, first = lines[0]
    first_cells = _cells(first)
    if len(lines) > 1 and _is_header(first_cells):
        column = _weight_column(first_cells, first_no, first, field, unit_q)
        found = _UNIT_IN_HEADER.search(first_cells[column])
        if found:
            unit_q = {"mg": mg, "g": ureg.Unit("gram")}.get(found.group(1).lower(), ureg.Unit("microgram"))
        lines = lines[1:]
    rows = [(no, line, _cells(line)) for no, line in lines]
    if column is None and _has_index_column(rows):
        column = 1
    elif column is None and "." not in text and all(re.match(r"^\s*\d+,\d+\s*$", ln) for _, ln, _ in rows):
        no, line, _ = rows[0]
        raise InputError(f"line {no}: {line.strip()!r} looks like a comma decimal; write a point (271.3) or "
                         "give one weight per line", field=field, value=line.strip(),
                         allowed="e.g. 271.3 (one per line)")
    weights: list[pint.Quantity] = []
    for no, line, cells in rows:
        if column is not None:
            if len(cells) <= column or not cells[column]:
                raise InputError(f"line {no}: has no value in the weight column", field=field,
                                 value=line.strip(), allowed=f"a weight in column {column + 1}")
            weights.append(_weight(cells[column], unit_q, field, no, line))
        else:
            weights.extend(_weight(t, unit_q, field, no, line) for c in cells for t in _tokens(c))
    return tuple(weights)


def _weight_column(cells: list[str], no: int, line: str, field: str, unit: pint.Unit) -> int:
    named = [i for i, c in enumerate(cells) if any(w in c.lower() for w in _HEADER_WORDS)]
    if named:
        # prefer "net" over "gross" when both are present: the net weight is what is compared
        net = [i for i in named if "net" in cells[i].lower()]
        return (net or named)[0]
    if len(cells) == 1:  # one word that names no weight column is a line that is not a weight
        _weight(cells[0], unit, field, no, line)
    raise InputError(f"line {no}: header does not name a weight column", field=field, value=line.strip(),
                     allowed="a header with 'weight', 'mass', 'net' or 'gross', e.g. 'No.,Weight (mg)'")


def _has_index_column(rows: list[tuple[int, str, list[str]]]) -> bool:
    """True when every row is ``n, weight`` with n = 1, 2, 3, ... (a balance's sample number)."""
    if not rows or any(len(cells) != 2 for _, _, cells in rows):
        return False
    try:
        numbers = [int(cells[0].lstrip("#").strip()) for _, _, cells in rows if _INDEX.match(cells[0])]
    except ValueError:
        return False
    return len(numbers) == len(rows) and numbers == list(range(numbers[0], numbers[0] + len(rows)))


def read_weights_file(data: bytes | str, unit: str | pint.Unit = "mg", field: str = "weights_file") -> tuple[pint.Quantity, ...]:
    """Weights from an uploaded file (CSV or plain text, UTF-8 with or without BOM, or Latin-1)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    else:
        text = data
    if "\x00" in text:
        raise InputError("is not a text or CSV file", field=field, allowed="a CSV or text export from the balance")
    return parse_weights(text, unit, field)


# --- Which balance the check needs ----------------------------------------------------------------

@dataclass(frozen=True)
class BalanceCheck:
    """Which balance a weight check needs (each capsule is a weighing), and whether the chosen one will do.

    The MWQ must not exceed the lightest capsule (domain.md §6), and the balance's weighing error must
    be at most 1/``uncertainty_ratio`` (qc.toml: 1/4) of the distance from the target to the nearer
    limit, so that a capsule inside the limits is told from one outside."""

    balance: str  # the chosen balance's name
    mwq: pint.Quantity
    error: pint.Quantity | None  # the chosen balance's weighing error; None for an MWQ typed by the user
    lightest: pint.Quantity  # the MWQ must not exceed it
    error_allowed: pint.Quantity  # the largest weighing error that resolves the limits
    suitable: tuple[str, ...]  # balances of the reference data that meet both
    needed: str  # one sentence: which balance this check needs
    warnings: tuple[str, ...]

    @property
    def below_mwq(self) -> bool:
        return self.lightest < self.mwq

    @property
    def too_coarse(self) -> bool | None:
        """Whether the balance cannot resolve the limits; None when its weighing error is not known."""
        return None if self.error is None else self.error > self.error_allowed

    def as_dict(self) -> dict[str, Any]:
        from .jsonout import to_jsonable

        return {"balance": self.balance, "mwq": to_jsonable(self.mwq), "error": to_jsonable(self.error),
                "lightest": to_jsonable(self.lightest), "error_allowed": to_jsonable(self.error_allowed),
                "suitable": list(self.suitable), "needed": self.needed, "warnings": list(self.warnings)}


def balance_error(balance: Any, limits: QcLimits | None = None) -> pint.Quantity:
    """The weighing error a balance's MWQ is built on [mg]: a prescription balance's sensitivity
    requirement (MWQ × its acceptable % error), or 0.10 % of a USP <41> balance's MWQ."""
    if balance.method == "sensitivity":
        return balance.figures["sensitivity_requirement"].quantity.to(mg)
    accuracy = (limits or qc_limits()).usp41_accuracy.quantity.to(dimensionless).magnitude
    return (balance.mwq * exact(accuracy)).to(mg)


def balance_check(capsules: Iterable[tuple[int, pint.Quantity]], target: pint.Quantity, low: Fraction,
                  high: Fraction, *, balance: str | None = None, mwq: Any = None, ref: Any = None,
                  limits: QcLimits | None = None) -> BalanceCheck:
    """Judge the balance for weighing ``capsules`` ((number, net weight) pairs; before any is weighed,
    give ``[(0, target)]``) against a target and its limits. ``balance``: a key of balances.toml
    (default: its default); ``mwq``: the MWQ of the user's own balance, which replaces it."""
    from .display import format_number
    from .reference import reference

    ref = ref or reference()
    limits = limits or qc_limits()
    ratio = exact(limits.uncertainty_ratio.quantity.to(dimensionless).magnitude)
    caps = sorted(((q.to(mg), no) for no, q in capsules), key=lambda c: c[0])
    lightest = caps[0][0]
    half = (target * min(1 - low, high - 1)).to(mg)  # from the target to the nearer limit
    allowed = half / ratio
    name, mwq_q, error = _chosen_balance(balance, mwq, ref, limits)
    suitable = tuple(f"the {b.name} (MWQ {_fmt(b.mwq)}, weighing error {_fmt(balance_error(b, limits))})"
                     for b in ref.balances.values() if b.mwq <= lightest and balance_error(b, limits) <= allowed)
    use = ("use " + " or ".join(suitable)) if suitable else "no balance in the reference data does: use one that does"
    quarter = f"1/{format_number(ratio)}"
    needed = (f"This check needs a balance whose MWQ is at most {_fmt(lightest)} (the lightest capsule) and whose "
              f"weighing error is at most {_fmt(allowed)} ({quarter} of the {_fmt(half)} from the target to the "
              f"nearer limit): {use}.")
    warnings = _below_mwq(caps, name, mwq_q, use)
    if error is not None and error > allowed:
        warnings.append(f"The {name} cannot resolve the limits {_fmt(target * low)} to {_fmt(target * high)}: its "
                        f"weighing error of {_fmt(error)} is more than {quarter} of the {_fmt(half)} from the target "
                        f"to the nearer limit (needs {_fmt(allowed)} or better): {use}.")
    return BalanceCheck(name, mwq_q, error, lightest, allowed.to(mg), suitable, needed, tuple(warnings))


def _chosen_balance(balance: str | None, mwq: Any, ref: Any, limits: QcLimits
                    ) -> tuple[str, pint.Quantity, pint.Quantity | None]:
    """(name, MWQ, weighing error) of the balance used; an entered MWQ has no known weighing error."""
    if mwq is not None:
        from .weighing import entered_mwq

        return "balance with the MWQ entered", entered_mwq(mwq), None
    chosen = ref.balance(balance or ref.default_balance)
    return chosen.name, chosen.mwq.to(mg), balance_error(chosen, limits)


def _below_mwq(caps: list[tuple[pint.Quantity, int]], name: str, mwq: pint.Quantity, use: str) -> list[str]:
    """The warning for capsules (lightest first; number 0 = the target) weighing less than the MWQ."""
    below = [(q, no) for q, no in caps if q < mwq]
    if not below:
        return []
    q, no = below[0]
    which = f"{len(below)} of {len(caps)} capsules weigh less than" if no else f"The target {_fmt(q)} is below"
    lightest = f" (the lightest, #{no}, {_fmt(q)})" if no else ""
    return [f"{which} the MWQ of the {name}, {_fmt(mwq)}{lightest}: weighed there, a capsule's weight is not "
            f"accurate enough to judge it. Weigh the capsules on a balance whose MWQ is at most {_fmt(q)}: {use}."]


# --- The check ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeighedCapsule:
    number: int
    gross: pint.Quantity | None
    net: pint.Quantity
    percent_of_target: Fraction  # a ratio: 1 = 100 %
    within_limits: bool

    def as_dict(self) -> dict[str, Any]:
        from .jsonout import to_jsonable

        return {"number": self.number, "gross": to_jsonable(self.gross), "net": to_jsonable(self.net),
                "percent_of_target": to_jsonable(Q(self.percent_of_target, dimensionless).to(percent)),
                "within_limits": self.within_limits}


@dataclass(frozen=True)
class WeightCheck:
    """A weight check; ratios (limits, RSD, % of target) are exact fractions, 1 = 100 %."""

    target: pint.Quantity
    shell: pint.Quantity | None
    individual_low: Fraction
    individual_high: Fraction
    mean_tolerance: Fraction
    rsd_maximum: Fraction
    lowest_allowed: pint.Quantity
    highest_allowed: pint.Quantity
    capsules: tuple[WeighedCapsule, ...]
    mean: pint.Quantity
    mean_percent_of_target: Fraction
    sd: pint.Quantity | None
    rsd: Fraction | None
    minimum: pint.Quantity
    maximum: pint.Quantity
    outside_limits: int
    mean_within: bool
    rsd_within: bool | None
    required: int  # capsules the QC rule needs weighed: the sample size, or every capsule of a smaller batch
    batch_size: int | None  # capsules in the batch, when given
    verdict: str  # PASS | FAIL | INCOMPLETE
    balance: BalanceCheck  # which balance the check needs, and whether the chosen one will do
    reasons: tuple[str, ...]  # why not PASS: failures (provisional while INCOMPLETE), and what is still to weigh
    warnings: tuple[str, ...]
    trace: tuple[Step, ...]

    @property
    def n(self) -> int:
        return len(self.capsules)

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    @property
    def complete(self) -> bool:
        return self.n >= self.required

    def as_dict(self) -> dict[str, Any]:
        from .jsonout import to_jsonable

        pct = lambda r: None if r is None else to_jsonable(Q(r, dimensionless).to(percent))  # noqa: E731
        return {
            "target": to_jsonable(self.target), "shell": to_jsonable(self.shell),
            "individual_low": pct(self.individual_low), "individual_high": pct(self.individual_high),
            "mean_tolerance": pct(self.mean_tolerance), "rsd_maximum": pct(self.rsd_maximum),
            "lowest_allowed": to_jsonable(self.lowest_allowed), "highest_allowed": to_jsonable(self.highest_allowed),
            "n": self.n, "mean": to_jsonable(self.mean), "mean_percent_of_target": pct(self.mean_percent_of_target),
            "sd": to_jsonable(self.sd), "rsd": pct(self.rsd), "minimum": to_jsonable(self.minimum),
            "maximum": to_jsonable(self.maximum), "outside_limits": self.outside_limits,
            "mean_within": self.mean_within, "rsd_within": self.rsd_within, "required": self.required,
            "batch_size": self.batch_size, "complete": self.complete, "verdict": self.verdict,
            "balance": self.balance.as_dict(),
            "reasons": list(self.reasons), "warnings": list(self.warnings),
            "capsules": [c.as_dict() for c in self.capsules],
            "trace": [s.as_dict() for s in self.trace],
        }


def sample_sd(values: Iterable[Fraction]) -> Fraction | None:
    """Sample standard deviation (n − 1), to 30 significant digits; None for fewer than 2 values."""
    xs = [exact(v) for v in values]
    if len(xs) < 2:
        return None
    mean = sum(xs) / len(xs)
    variance = sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
    with localcontext() as ctx:
        ctx.prec = 30
        root = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
    return Fraction(root)


def _ratio(value: Any, field: str, default: Figure, low: Fraction, high: Fraction, allowed: str) -> Fraction:
    if value is None:
        return exact(default.quantity.to(dimensionless).magnitude)
    return as_fraction(value, field, low=low, high=high, allowed=allowed)


def _mass(value: Any, field: str) -> pint.Quantity:
    """A weight per capsule typed as a mass (``"271 mg"``) or given as mg or mg/capsule."""
    q = as_quantity(value, field, "mass_per_capsule")
    return (q * Q(1, capsule)).to(mg)


PASS, FAIL, INCOMPLETE = "PASS", "FAIL", "INCOMPLETE"


def required_count(batch_size: int | None, limits: QcLimits | None = None) -> int:
    """Capsules the QC rule needs weighed: every capsule of the batch, or a sample of ``sample_size``
    (qc.toml: 10), whichever is fewer; the sample size when the batch size is not known."""
    sample = int((limits or qc_limits()).sample_size.quantity.to(dimensionless).magnitude)
    return sample if batch_size is None else min(sample, batch_size)


def weight_check(weights: Iterable[Any], target: Any, *, shell: Any = None, individual_low: Any = None,
                 individual_high: Any = None, mean_tolerance: Any = None, rsd_maximum: Any = None,
                 batch_size: Any = None, balance: str | None = None, mwq: Any = None) -> WeightCheck:
    """Check capsule weights against the target fill weight.

    weights: net fill weights [mg], or gross weights when ``shell`` (the empty shell's weight [mg])
    is given; quantities or typed text. target: fill weight per capsule [mg]. Limits are
    percentages (``"90%"``) or pint percent quantities; None takes ``qc.toml``'s default.
    batch_size: capsules in the batch (a whole number), when known: a batch smaller than the QC
    sample is complete when every capsule is weighed, and no more weights than capsules are taken.
    balance (a key of balances.toml, default its default) or mwq (the user's own balance's MWQ): the
    balance the capsules are weighed on, judged by :func:`balance_check` (warnings when it will not do).
    """
    defaults = qc_limits()
    t = Trace()
    warnings: list[str] = []
    target_q = t.note("target_fill_weight", _mass(target, "target"))  # "target" is the titration's dose
    if target_q.magnitude <= 0 or target_q > Q(5000, mg):
        raise RangeError("must be greater than zero" if target_q.magnitude <= 0 else "is out of range",
                         field="target", value=target, allowed="a fill weight above 0 and up to 5000 mg")
    low = _ratio(individual_low, "individual_low", defaults.individual_low, Fraction(50, 100), Fraction(1), "50-100%")
    high = _ratio(individual_high, "individual_high", defaults.individual_high, Fraction(1), Fraction(150, 100),
                  "100-150%")
    mean_tol = _ratio(mean_tolerance, "mean_tolerance", defaults.mean_tolerance, Fraction(0), Fraction(50, 100),
                      "0-50%")
    rsd_max = _ratio(rsd_maximum, "rsd_maximum", defaults.rsd_maximum, Fraction(0), Fraction(50, 100), "0-50%")
    shell_q = None
    if shell is not None:
        shell_q = t.note("shell", _mass(shell, "shell"))
        if shell_q.magnitude <= 0 or shell_q > Q(500, mg):
            raise RangeError("must be greater than zero" if shell_q.magnitude <= 0 else "is out of range",
                             field="shell", value=shell, allowed="a shell weight above 0 and up to 500 mg")

    given = [_mass(w, "weights") if not isinstance(w, pint.Quantity) else w.to(mg) for w in weights]
    if not given:
        raise InputError("has no weights", field="weights", allowed="at least one capsule weight")
    batch = None if batch_size is None else int(as_count(batch_size, "batch_size", capsule, maximum=10000).magnitude)
    if batch is not None and len(given) > batch:
        raise InputError(f"are {len(given)} weights for a batch of {batch} capsules", field="weights",
                         allowed=f"at most one weight per capsule ({batch})")
    lo_q = t.add("lowest_allowed", "target × low limit", target_q * low,
                 target=target_q, low_limit=Q(low, dimensionless).to(percent))
    hi_q = t.add("highest_allowed", "target × high limit", target_q * high,
                 target=target_q, high_limit=Q(high, dimensionless).to(percent))
    capsules = []
    for i, w in enumerate(given, 1):
        net = w - shell_q if shell_q is not None else w
        if net.magnitude <= 0:
            raise RangeError(f"capsule {i}: gross weight {_fmt(w)} is not more than the shell's {_fmt(shell_q)}",
                             field="weights", value=_fmt(w), allowed="gross weights above the shell weight")
        ratio = exact((net / target_q).to(dimensionless).magnitude)
        capsules.append(WeighedCapsule(i, w if shell_q is not None else None, net.to(mg), ratio,
                                       low <= ratio <= high))
    if shell_q is not None:
        t.add("net_weights", "gross weight − shell weight", f"{len(capsules)} capsules",
              detail="each capsule", shell=shell_q)
    nets = [exact(c.net.magnitude) for c in capsules]
    n = len(nets)
    mean = t.add("mean", "sum of weights ÷ n", Q(sum(nets) / n, mg), n=Q(n, capsule))
    mean_ratio = exact((mean / target_q).to(dimensionless).magnitude)
    t.add("mean_percent_of_target", "mean ÷ target", Q(mean_ratio, dimensionless).to(percent),
          mean=mean, target=target_q)
    sd_f = sample_sd(nets)
    sd = rsd = None
    if sd_f is not None:
        sd = t.add("sd", "√(Σ(x − mean)² ÷ (n − 1))", Q(sd_f, mg), detail="sample, n − 1", mean=mean)
        rsd = sd_f / exact(mean.magnitude)
        t.add("rsd", "SD ÷ mean", Q(rsd, dimensionless).to(percent), sd=sd, mean=mean)
    lowest = min(c.net for c in capsules)
    highest = max(c.net for c in capsules)
    t.add("minimum", "min(weights)", lowest, detail="the lightest capsule")
    t.add("maximum", "max(weights)", highest)

    reasons = []
    outside = [c for c in capsules if not c.within_limits]
    if outside:
        shown = ", ".join(f"#{c.number} ({_fmt(c.net)}, {_pct(c.percent_of_target)})" for c in outside[:10])
        more = f" and {len(outside) - 10} more" if len(outside) > 10 else ""
        reasons.append(f"{len(outside)} of {n} capsules outside {_pct(low)}-{_pct(high)} of target: {shown}{more}")
    mean_within = abs(mean_ratio - 1) <= mean_tol
    if not mean_within:
        reasons.append(f"mean {_fmt(mean)} is {_pct(mean_ratio)} of target, outside ±{_pct(mean_tol)}")
    rsd_within = None if rsd is None else rsd <= rsd_max
    if rsd_within is False:
        reasons.append(f"RSD {_pct(rsd)} is above the limit of {_pct(rsd_max)}")
    if rsd is None:
        warnings.append("Only one capsule weighed: SD and RSD need at least two.")
    bal = balance_check([(c.number, c.net) for c in capsules], target_q.to(mg), low, high, balance=balance,
                        mwq=mwq, limits=defaults)
    t.add("mwq", "balance data", bal.mwq, detail=bal.balance, lightest_capsule=lowest)
    t.add("balance_error_allowed", "(distance from target to the nearer limit) ÷ uncertainty ratio", bal.error_allowed,
          detail="that still tells a capsule inside the limits from one outside", uncertainty_ratio=defaults.uncertainty_ratio.quantity)
    warnings += bal.warnings
    required = required_count(batch, defaults)
    verdict = _verdict(bool(outside), n, required, bool(reasons))
    if verdict == INCOMPLETE:
        reasons.append(_still_to_weigh(n, required, batch, defaults))
    t.add("required", "every capsule, or a sample of "
          f"{required_count(None, defaults)} (the fewer)", Q(required, capsule), detail="for the QC rule",
          **({} if batch is None else {"batch": Q(batch, capsule)}))
    t.add("verdict", "FAIL if any capsule is outside its limits; else INCOMPLETE until the required "
          "number is weighed; then PASS when the mean and RSD are within their limits", verdict)
    return WeightCheck(target_q, shell_q, low, high, mean_tol, rsd_max, lo_q.to(mg), hi_q.to(mg), tuple(capsules),
                       mean.to(mg), mean_ratio, None if sd is None else sd.to(mg), rsd, lowest, highest,
                       len(outside), mean_within, rsd_within, required, batch, verdict, bal, tuple(reasons),
                       tuple(warnings), t.freeze())


def _verdict(any_outside: bool, n: int, required: int, any_reason: bool) -> str:
    if any_outside:  # the rule is "each capsule within limits": one outside fails the batch whatever follows
        return FAIL
    if n < required:
        return INCOMPLETE
    return FAIL if any_reason else PASS


def _still_to_weigh(n: int, required: int, batch: int | None, limits: QcLimits) -> str:
    sample = required_count(None, limits)
    rule = (f"every capsule of this batch of {batch}" if batch is not None and batch <= sample
            else f"every capsule or a sample of {sample}")
    return (f"{n} of {required} capsules weighed: weigh {required - n} more before a verdict "
            f"(the QC rule: {rule}).")


def _fmt(q: pint.Quantity) -> str:
    from .display import format_quantity

    return format_quantity(q.to(mg))


def _pct(ratio: Fraction) -> str:
    from .display import format_number

    return f"{format_number(ratio * 100, 2)}%"
