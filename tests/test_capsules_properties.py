"""Property tests: over generated batches (a hundred per test by default, thousands under CI), every
result satisfies the invariants exactly (Fractions), or the input is refused with a CompoundingError —
never anything else. Most examples are valid prescriptions, and each test fails when fewer than 80 %
of its examples computed a result (a test whose examples are all refused checks nothing)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pint
from hypothesis import given, note
from hypothesis import strategies as st

from compounding.capsules import capsule_batch
from compounding.display import format_quantity
from compounding.errors import CalculationError, CompoundingError
from compounding.reference import reference
from compounding.units import Q, capsule, mg, tablet
from compounding.weighing import plan_aliquot
from tests.invariants import aliquot_violations, rounded_plan_violations
from tests.support.properties import computed, mostly_computes, refused


def _dec(value, places: int) -> Decimal:
    """An exact number as a decimal of ``places`` places (rounded half-up in the last place)."""
    value = Fraction(value)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places),
                                                                                  rounding=ROUND_HALF_UP)


SIZES = sorted(reference().capsule_sizes)
LOW = _dec(reference().strength_minimum.quantity.to(mg).magnitude, 3)  # the LDN range, from the data
HIGH = _dec(reference().strength_maximum.quantity.to(mg).magnitude, 3)
TABLET_MG = _dec(reference().tablet.strength.quantity.to(mg / tablet).magnitude, 1)  # lightest possible tablet


def _mg_text(low, high, places: int = 2):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places).map(lambda d: f"{d} mg")


@st.composite
def _mostly(draw, valid, outside, one_in: int = 40):
    """A value from ``valid``, or about one time in ``one_in`` one from ``outside`` (to be refused)."""
    return draw(outside if draw(st.integers(1, one_in)) == one_in else valid)


def _decimal_range(low: str, high: str, places: int):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)


@st.composite
def _fill_weight(draw, size: str):
    """What one capsule of ``size`` holds of a powder of bulk density 0.25-0.90 g/mL (pharmaceutical
    fillers and drug powders lie in this range; e.g. MCC PH-102 about 0.3, lactose about 0.6 g/mL)."""
    volume_ml = reference().capsule_volume(size).quantity.to("mL").magnitude
    density = Fraction(draw(_decimal_range("0.25", "0.90", 2)))  # g/mL = mg/µL
    return f"{_dec(volume_ml * density * 1000, 1)} mg"


@st.composite
def batch_inputs(draw):
    """Mostly valid prescriptions: every range is the one capsule_batch allows (LDN strength from the
    reference data, potency 80-105 %, tablets at least as heavy as their 50 mg of drug); about one value
    in forty lies just outside its range and must be refused cleanly."""
    size = draw(st.sampled_from(SIZES))
    kw = {"source": draw(st.sampled_from(["api", "tablets"])), "capsule_size": size,
          "filler": draw(st.sampled_from(["mcc_ph102", "lactose_monohydrate"])),
          "compounding_date": "2026-01-05"}
    strength = draw(_mostly(_mg_text(LOW, HIGH, 3),
                            st.one_of(_mg_text("0.001", LOW - Decimal("0.001"), 3),
                                      _mg_text(HIGH + Decimal("0.001"), "6", 3))))
    # batches of a few capsules are rare, and often refused (an aliquot carries more diluent than they hold)
    quantity = draw(_mostly(st.integers(10, 2000), st.integers(1, 9), one_in=10))
    kw["extra"] = draw(st.one_of(st.none(), st.integers(0, 50).map(str),
                                 st.integers(0, 10000).map(lambda h: f"{h // 100}.{h % 100:02d}%")))
    if kw["source"] == "api":
        potency = _mostly(_decimal_range("80", "105", 1),
                          st.one_of(_decimal_range("70", "79.9", 1), _decimal_range("105.1", "110", 1)))
        kw["potency"] = draw(st.one_of(st.none(), potency.map(lambda d: f"{d}%")))
    else:
        # 50 mg naltrexone tablets weigh a few hundred mg; lighter than their drug is impossible
        kw["tablet_weight"] = draw(_mostly(_mg_text(TABLET_MG, "400", 1),
                                           _mg_text("10", TABLET_MG - Decimal("0.1"), 1)))
    kw["fill_weight"] = draw(st.one_of(st.none(), _fill_weight(size)))
    kw["api_fill_weight"] = draw(st.one_of(st.none(), _fill_weight(size)))
    kw["mwq"] = draw(st.one_of(st.none(), _mg_text("5", "500", 1)))
    return strength, quantity, kw


def _expected_extra(ordered: int, extra: str | None) -> int:
    """Extra capsules by integer arithmetic only: a percentage in hundredths, rounded up."""
    if extra is None:
        return 0
    if extra.endswith("%"):
        whole, hundredths = extra[:-1].split(".")
        h = int(whole) * 100 + int(hundredths)
        return (ordered * h + 9999) // 10000
    return int(extra)


def _quantities(b) -> dict[str, pint.Quantity]:
    out = {k: getattr(b, k) for k in ("strength", "naltrexone_hcl", "api_to_weigh", "tablet_powder_to_weigh",
                                      "average_tablet_weight", "drug_powder_per_capsule", "filler_per_capsule",
                                      "filler_to_weigh", "blend_total", "fill_weight_per_capsule",
                                      "fill_weight_min", "fill_weight_max", "mwq", "capsules_to_make",
                                      "tablets_to_crush")}
    if b.aliquot is not None:
        for i, s in enumerate(b.aliquot.stages, 1):
            for k in ("drug_to_weigh", "diluent_to_add", "mixture_total", "aliquot_to_take", "drug_in_aliquot"):
                out[f"aliquot_stage_{i}.{k}"] = getattr(s, k)
    return {k: v for k, v in out.items() if v is not None}


def check_invariants(b, strength: str, quantity: int, kw: dict) -> None:
    ordered = quantity
    to_make = ordered + _expected_extra(ordered, kw["extra"])
    assert b.capsules_to_make == Q(to_make, capsule)
    n = b.capsules_to_make.magnitude
    powder = b.drug_powder_to_weigh
    # the blend adds up exactly, and the capsules divide it exactly
    assert (powder + b.filler_to_weigh).to(mg).magnitude == b.blend_total.to(mg).magnitude
    assert (b.fill_weight_per_capsule * b.capsules_to_make).to(mg).magnitude == b.blend_total.to(mg).magnitude
    assert b.fill_weight_per_capsule.to(mg / capsule).magnitude * n == b.blend_total.to(mg).magnitude
    # drug in batch, potency and tablets
    assert b.naltrexone_hcl.to(mg).magnitude == b.strength.to(mg / capsule).magnitude * n
    if b.source == "api":
        expected = b.naltrexone_hcl * b.salt_factor / (b.potency if b.potency is not None else 1)
        assert b.api_to_weigh.to(mg).magnitude == expected.to(mg).magnitude
    else:
        per_tablet = reference().tablet.strength.quantity.to(mg / tablet).magnitude
        drug = b.naltrexone_hcl.to(mg).magnitude
        # issue 9.2: the crushed tablets hold every amount of tablet powder weighed (an aliquot weighs
        # more than the batch needs), and no tablet more
        powder_weighed = max(Fraction(w.amount.to(mg).magnitude) for w in b.weighings if w.key == "drug")
        most = max(powder_weighed, Fraction(b.tablet_powder_to_weigh.to(mg).magnitude))
        average = Fraction(b.average_tablet_weight.to(mg / tablet).magnitude)
        n = b.tablets_to_crush.to(tablet).magnitude
        assert n * average >= most > (n - 1) * average
        assert n >= math.ceil(drug / per_tablet)
        assert b.tablet_powder_to_weigh.to(mg).magnitude == \
            drug * b.average_tablet_weight.to(mg / tablet).magnitude / per_tablet
    # QC limits
    assert b.fill_weight_min == b.fill_weight_per_capsule * Fraction(90, 100)
    assert b.fill_weight_max == b.fill_weight_per_capsule * Fraction(110, 100)
    # nothing negative, NaN, zero, or displayed as zero
    for key, q in _quantities(b).items():
        m = q.magnitude
        assert isinstance(m, (Fraction, int)), (key, q)
        assert m > 0, (key, q)
        assert format_quantity(q).split()[0].lstrip("-") not in ("0", ""), (key, format_quantity(q))
    assert b.filler_to_add.magnitude >= 0
    if b.filler_to_add.magnitude > 0:
        assert format_quantity(b.filler_to_add).split()[0] != "0"
    # aliquots: every weighing at or above the MWQ, below it a valid plan (rounded to the balance)
    if b.aliquot is None:
        assert powder >= b.mwq
        assert b.filler_to_add == b.filler_to_weigh
    else:
        assert powder < b.mwq
        assert rounded_plan_violations(b.aliquot, b.mwq, b.readability) == []
        carried = b.aliquot.diluent_in_aliquot
        assert carried <= b.filler_to_weigh
        assert b.filler_to_add + carried == b.filler_to_weigh
    check_weighings(b)


def check_weighings(b) -> None:
    """Issue 8.5: every amount on the balance is a whole number of its readability steps, shown so;
    the batch the planned weighings make, followed through independently, delivers the dose within
    the capsule limits, and each weighing's acceptable window holds its target."""
    step = Fraction(b.readability.to(mg).magnitude)
    amounts = {w.key: Fraction(w.amount.to(mg).magnitude) for w in b.weighings}
    for w in b.weighings:
        assert (amounts[w.key] / step).denominator == 1, (w.key, amounts[w.key], step)
        number, unit = w.shown.split()
        assert Decimal(number) * (1000 if unit == "g" else 1) == amounts[w.key], (w.key, w.shown)
        assert (unit == "g") == (amounts[w.key] >= 10000), w.shown
        if w.low is not None:
            assert w.low <= w.amount <= w.high
        if w.amount < b.mwq:  # issue 9.5: below the MWQ only with a warning naming it
            assert any(w.what in text and w.shown in text for text in b.warnings), w
    drug = material = amounts["drug"]
    stages = 0 if b.aliquot is None else len(b.aliquot.stages)
    for i in range(1, stages + 1):
        suffix = "" if i == 1 else f"_{i}"
        mixture = material + amounts[f"diluent{suffix}"]
        drug, material = drug * amounts[f"aliquot{suffix}"] / mixture, amounts[f"aliquot{suffix}"]
    ratio = drug / Fraction(b.drug_powder_to_weigh.to(mg).magnitude)
    assert b.planned.percent_of_target.to("").magnitude == ratio
    assert b.qc_low <= ratio <= b.qc_high, float(ratio)
    assert b.planned.blend_total.to(mg).magnitude == material + amounts.get("filler", 0)


@mostly_computes()
@given(batch_inputs())
def test_capsule_batch_invariants_or_a_domain_error(inputs):
    strength, quantity, kw = inputs
    note(f"capsule_batch({strength!r}, {quantity!r}, **{kw!r})")
    try:
        b = capsule_batch(strength, quantity, **kw)
    except CompoundingError as exc:
        assert str(exc) and "\n" not in str(exc)
        refused()
        return
    check_invariants(b, strength, quantity, kw)
    computed()


def _ratios(low, high):
    return st.fractions(min_value=low, max_value=high, max_denominator=1000)


@st.composite
def aliquot_inputs(draw):
    """A drug amount below the MWQ by a ratio that one stage of ``max_factor`` reaches, or two do
    (ratio ≤ max_factor²); about one time in forty no two stages do (ratio up to 10 × max_factor²)."""
    max_factor = draw(st.integers(2, 200))
    mwq = Fraction(draw(_decimal_range("1", "1000", 1)))
    reach = max_factor ** 2
    one_stage, two_stages = _ratios(Fraction(1001, 1000), max_factor), _ratios(max_factor + Fraction(1, 1000), reach)
    ratio = draw(_mostly(st.one_of(one_stage, two_stages), _ratios(reach + Fraction(1, 1000), 10 * reach)))
    return mwq / ratio, mwq, max_factor


@mostly_computes()
@given(aliquot_inputs())
def test_aliquot_plans_obey_the_rules_or_are_refused(inputs):
    required_mg, mwq_mg, max_factor = inputs
    required, mwq = Q(required_mg, mg), Q(mwq_mg, mg)
    # two dilutions of at most max_factor each reach MWQ/required ≤ max_factor² and no further
    reachable = math.ceil(mwq_mg / required_mg) <= max_factor ** 2
    try:
        plan = plan_aliquot(required, mwq, max_factor_per_stage=max_factor)
    except CalculationError:
        assert not reachable
        refused()
        return
    assert reachable
    assert aliquot_violations(plan, required, mwq) == []
    assert all(s.factor <= max_factor for s in plan.stages)
    computed()
