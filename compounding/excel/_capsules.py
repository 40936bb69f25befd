"""The capsule batch workbook: the lines of its *Calculations* sheet (each derived quantity a live
formula mirroring :mod:`compounding.capsules`), and the way back from those cells to the core's
keyword arguments, used by :mod:`compounding.verify`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..bud import parse_date
from ..capsules import CapsuleBatch, capsule_batch
from ..glossary import term
from ..units import Q, day, dimensionless, exact, g_per_mol, mg, mg_per_capsule, mg_per_tablet, mL
from . import _styles as st
from ._common import (CALC_SHEET, OPIOID_WARNING, Line, bud_lines, expiries_read_back, Section, check_names, finish, fit_row, identity_text, merge,
                      put_formula, put_text, put_value, quantity_text_formula, record_hash, restyle,
                      status_colours, write_calculations)
from ._sheets import (Cell, Fields, grid, is_default_directions, ingredient_table, label_sheet, record_closing, section, setup_record, steps_table, title, wide, write_cell)

KIND = "capsules"

SOURCES = {"api": "naltrexone HCl powder (API)", "tablets": "crushed 50 mg tablets"}
METHODS = {"packing_statistic": "packing statistic (measured fill weights)", "density": "bulk densities"}

# Excel's ROUNDUP works on the binary double: 90 × 0.1 is 9.000000000000002 there, and
# ROUNDUP(9.000000000000002, 0) = 10, where the exact answer is 9 (domain.md §5: 90 + 10 % is 99).
# Rounding to 9 decimals first removes the binary noise (never a real digit of a capsule count)
# and keeps the core's exact rule.
ROUNDUP_COUNT = "ROUNDUP(ROUND({x},9),0)"


def _mag(q: Any, unit: Any = None) -> Fraction | None:
    if q is None:
        return None
    if unit is not None:
        q = q.to(unit)
    return Fraction(q.magnitude)


def _step(b: CapsuleBatch, key: str):
    for s in b.trace:
        if s.key == key:
            return s
    return None


def _step_input(b: CapsuleBatch, key: str, name: str) -> Any:
    s = _step(b, key)
    return None if s is None else dict(s.inputs).get(name)


def _ratio(q: Any) -> Fraction | None:
    """A percentage of the order (a parsed pint quantity) as the exact ratio the sheet shows with its %."""
    return None if q is None else exact(q.to(dimensionless).magnitude)


def _extra(extra: Any) -> tuple[str, Fraction]:
    """The order's extra (whole capsules, or a parsed percentage) as (kind, amount), none → count 0."""
    if extra is None:
        return "count", Fraction(0)
    if isinstance(extra, int):
        return "count", Fraction(extra)
    return "percent", _ratio(extra)


def bundle_for(result: Any, bundle: Any = None) -> Any:
    """The reference-data bundle ``result`` was computed with (issue 10: no hidden inputs): ``bundle``
    when given, else the shipped data; refused when the result records another bundle's hash, so a
    batch computed with custom data is never exported with the shipped figures and formula."""
    from ..bundle import shipped_bundle
    from ..errors import InputError

    bundle = bundle or shipped_bundle()
    recorded = getattr(result, "reference_hash", None)
    if recorded is not None and recorded != bundle.hash:
        raise InputError("is not the reference data this result was computed with: export it with the bundle "
                         "it records", field="bundle", value=bundle.hash[:12], allowed=f"the bundle {recorded[:12]}…")
    return bundle


def sections(b: CapsuleBatch, *, bundle: Any = None) -> list[Section]:
    """The named lines of a capsule batch, grouped as the *Calculations* sheet shows them, with the
    reference data it was computed with (:func:`bundle_for`)."""
    bundle = bundle_for(b, bundle)
    ref = bundle.reference
    api = b.source == "api"
    material = "api_to_weigh" if api else "tablet_powder_to_weigh"
    basis_key = b.order.strength_basis or ref.strength_basis
    basis = ref.form(basis_key, "strength_basis")
    weighed = ref.form(b.api_form if api else ref.tablet.form)
    hcl = ref.form(ref.strength_basis)
    kind, amount = _extra(b.order.extra)
    size = b.capsule_size

    choices = [
        Line("record_kind", "Record type", "", KIND, kind="choice"),
        Line("formula_id", "Master formula", "", b.formula_id, kind="choice",
             how=f"{b.formula_name}, version {b.formula_version}"),
        Line("source", None, "", b.source, kind="choice", shown=SOURCES.get(b.source, b.source)),
    ]
    if api:
        potency_basis = ref.form(b.order.potency_basis or weighed.anhydrous_form)
        choices += [Line("api_form", None, "", b.api_form, kind="choice", shown=weighed.name),
                    Line("potency_basis", None, "", potency_basis.key, kind="choice",
                         shown=potency_basis.name,
                         how="in the powder: the anhydrous salt unless the certificate states the hydrate itself")]
    choices += [
        Line("strength_basis", None, "", basis_key, kind="choice", shown=basis.name),
        Line("capsule_size", None, "", size, kind="choice"),
        Line("filler", None, "", b.filler, kind="choice", shown=b.filler_name),
        Line("method", None, "", b.method, kind="choice", shown=METHODS.get(b.method, b.method)),
        *([Line("filler_fill_weight_source", "Filler fill weight from", "",
                "measured" if b.filler_fill_weight_measured else "estimate", kind="choice",
                shown="a measured packing statistic" if b.filler_fill_weight_measured else "the table estimate")]
          if b.method == "packing_statistic" else []),
        Line("balance", None, "", b.balance, kind="choice",
             shown=("minimum weighable quantity entered" if b.balance == "custom"
                    else ref.balance(b.balance).name)),
    ]

    inputs = [
        Line("strength", f"Strength per capsule (as {basis.name})", "mg", _mag(b.strength, mg_per_capsule),
             kind="input", how="prescription"),
        Line("capsules_ordered", None, "capsules", _mag(b.capsules_ordered), kind="input",
             how="prescription"),
        Line("extra_count", None, "capsules",
             amount if kind == "count" else Fraction(0), kind="input", how="0 when a percentage is used"),
        Line("extra_percent", None, "%",
             amount if kind == "percent" else Fraction(0), kind="input", how="0 when a count is used"),
    ]
    if api:
        potency_in, assay_in, water_in = (_ratio(q) for q in (b.order.potency, b.order.assay, b.order.water))
        inputs += [
            Line("potency", None, "%", potency_in, kind="input",
                 how=f"as-is content of {potency_basis.name} in the powder; blank: use assay and water, "
                     "or no correction"),
            Line("assay", None, "%", assay_in, kind="input",
                 how="used when the as-is potency is blank"),
            Line("water", None, "%", water_in, kind="input", how="blank = 0"),
        ]
    inputs += [
        Line("mw_weighed", f"Molecular weight of {weighed.name} (weighed)", "g/mol",
             _mag(weighed.molecular_weight.quantity, g_per_mol), kind="input",
             how=f"reference data: {weighed.molecular_weight.source}"),
        Line("mw_basis", f"Molecular weight of {basis.name} (strength basis)", "g/mol",
             _mag(basis.molecular_weight.quantity, g_per_mol), kind="input",
             how=f"reference data: {basis.molecular_weight.source}"),
    ]
    if api:
        inputs.append(Line("mw_potency_basis", f"Molecular weight of {potency_basis.name} (potency basis)", "g/mol",
                           _mag(potency_basis.molecular_weight.quantity, g_per_mol), kind="input",
                           how=f"reference data: {potency_basis.molecular_weight.source}"))
    if basis_key != ref.strength_basis:
        inputs.append(Line("mw_hcl", f"Molecular weight of {hcl.name}", "g/mol",
                           _mag(hcl.molecular_weight.quantity, g_per_mol), kind="input",
                           how=f"reference data: {hcl.molecular_weight.source}"))
    if not api:
        inputs += [
            Line("tablet_strength", None, "mg/tablet",
                 _mag(ref.tablet.strength.quantity, mg_per_tablet), kind="input",
                 how=f"reference data: {ref.tablet.strength.source}"),
            Line("tablet_weight", None, "mg/tablet",
                 _mag(b.average_tablet_weight, mg_per_tablet), kind="input", how="weigh 10-20 tablets"),
        ]
    if b.method == "packing_statistic":
        inputs += [
            Line("filler_fill_weight", f"{term('filler_fill_weight').label} ({b.filler_name}, size {size})", "mg/capsule",
                 _mag(b.filler_fill_weight, mg_per_capsule), kind="input",
                 how="measured packing statistic" if b.filler_fill_weight_measured
                 else "table estimate: measure and enter the packing statistic"),
            Line("api_fill_weight", f"{term('api_fill_weight').label} (size {size})", "mg/capsule",
                 _mag(b.api_fill_weight, mg_per_capsule), kind="input",
                 how="blank: the drug displaces its own mass of filler (factor 1)"),
        ]
    else:
        inputs += [
            Line("capsule_volume", f"Volume of a size {size} capsule", "mL",
                 _mag(ref.capsule_volume(size).quantity, mL), kind="input",
                 how=f"reference data: {ref.capsule_volume(size).source}"),
            Line("drug_bulk_density", None, "g/mL",
                 _mag(_step_input(b, "drug_volume_per_capsule", "drug_bulk_density"), "g/mL"), kind="input"),
            Line("filler_bulk_density", f"{term('filler_bulk_density').label} ({b.filler_name})", "g/mL",
                 _mag(_step_input(b, "filler_per_capsule", "filler_bulk_density"), "g/mL"), kind="input"),
        ]
    inputs += [
        Line("mwq", None, "mg", _mag(b.mwq, mg), kind="input",
             how=(_step(b, "mwq").formula if _step(b, "mwq") else "")),
        Line("readability", None, "mg",
             _mag(b.readability, mg), kind="input", how=_step(b, "readability").description),
        Line("qc_low", None, "%", b.qc_low, kind="input",
             how="of the theoretical fill weight"),
        Line("qc_high", None, "%", b.qc_high, kind="input"),
        *qc_reference_lines(bundle.qc),
        Line("compounding_date", None, "date", b.compounding_date, kind="input"),
        Line("bud_table_days", "Beyond-use days (USP <795> Table 4)", "days", _mag(b.bud.table_days, day),
             kind="input", how=b.bud.description),
        Line("earliest_expiry", "Earliest expiry of any component", "date",
             min(b.order.component_expiries, default=None),
             kind="input", how="blank: none entered; the BUD never passes it"),
    ]
    if b.aliquot is not None:
        for i, s in enumerate(b.aliquot.stages, 1):
            inputs += [
                Line(f"aliquot_factor_{i}", f"Aliquot stage {i}: dilution factor", "", Fraction(s.factor),
                     kind="input", places=0, how="planned by the calculator: ROUNDUP(MWQ ÷ amount needed)"),
                Line(f"aliquot_size_{i}", f"Aliquot stage {i}: aliquot to take", "mg",
                     _mag(s.aliquot_to_take, mg), kind="input",
                     how="planned: at least the MWQ, and large enough for a diluent of at least the MWQ"),
            ]
    inputs += _window_lines(b)

    extra_f = "extra_count+" + ROUNDUP_COUNT.format(x="capsules_ordered*extra_percent")
    calc = [
        Line("extra", None, "capsules", _mag(b.extra), extra_f,
             "count + ROUNDUP(ordered × percentage); ROUND(…, 9) first removes binary noise"),
        Line("capsules_to_make", None, "capsules", _mag(b.capsules_to_make),
             "capsules_ordered+extra", "ordered + extra"),
        Line("drug_in_batch", f"Drug in the batch (as {basis.name})", "mg",
             _mag(b.strength * b.capsules_to_make, mg), "strength*capsules_to_make",
             "strength × capsules to make"),
        Line("naltrexone_hcl", None, "mg", _mag(b.naltrexone_hcl, mg),
             "drug_in_batch" if basis_key == ref.strength_basis else "drug_in_batch*mw_hcl/mw_basis",
             "drug in batch" if basis_key == ref.strength_basis
             else "drug in batch × MW(HCl) ÷ MW(strength basis)"),
        Line("salt_factor", None, "", b.salt_factor,
             "IF(OR(ISNUMBER(potency),ISNUMBER(assay)),mw_potency_basis,mw_weighed)/mw_basis" if api
             else "mw_weighed/mw_basis",
             "MW(potency basis, or the form weighed when no potency) ÷ MW(strength basis)" if api
             else "MW(form weighed) ÷ MW(strength basis)"),
    ]
    if api:
        calc += [
            Line("as_is_potency", "As-is potency used", "%", b.potency if b.potency is not None else Fraction(1),
                 "IF(ISNUMBER(potency),potency,IF(ISNUMBER(assay),assay*(1-N(water)),1))",
                 "potency; else assay × (1 − water); else 100 % (no correction)"),
            Line("api_to_weigh", _api_label(b), "mg", _mag(b.api_to_weigh, mg),
                 "drug_in_batch*salt_factor/as_is_potency", "drug in batch × salt factor ÷ as-is potency"),
        ]
    else:
        calc += [
            Line("tablets_equivalent", None, "tablets", b.tablets_equivalent,
                 "drug_in_batch*salt_factor/tablet_strength", "drug in batch × salt factor ÷ tablet strength",
                 places=4),
            Line("tablets_to_crush", None, "tablets", _mag(b.tablets_to_crush),
                 ROUNDUP_COUNT.format(x=f"MAX({weigh_name(b, 'drug')},tablet_powder_to_weigh)/tablet_weight"),
                 "ROUNDUP(largest amount of tablet powder weighed ÷ average tablet weight): the crushed "
                 "tablets hold every amount weighed"),
            Line("tablet_powder_to_weigh", None, "mg", _mag(b.tablet_powder_to_weigh, mg),
                 "drug_in_batch*salt_factor*tablet_weight/tablet_strength",
                 "drug in batch × salt factor × average tablet weight ÷ tablet strength"),
        ]
    calc.append(Line("drug_powder_per_capsule", None, "mg/capsule",
                     _mag(b.drug_powder_per_capsule, mg_per_capsule), f"{material}/capsules_to_make",
                     "powder to weigh ÷ capsules to make"))
    if b.method == "packing_statistic":
        calc += [
            Line("filler_displaced_per_capsule", None, "mg/capsule",
                 _mag(b.filler_displaced_per_capsule, mg_per_capsule),
                 "IF(ISNUMBER(api_fill_weight),drug_powder_per_capsule*filler_fill_weight/api_fill_weight,"
                 "drug_powder_per_capsule)",
                 "drug powder per capsule × PS filler ÷ PS drug (PS drug blank: factor 1)"),
            Line("filler_per_capsule", None, "mg/capsule", _mag(b.filler_per_capsule, mg_per_capsule),
                 "filler_fill_weight-filler_displaced_per_capsule", "filler fill weight − filler displaced"),
        ]
    else:
        calc += [
            Line("drug_volume_per_capsule", None, "mL",
                 _mag(_step(b, "drug_volume_per_capsule").value, mL),
                 "drug_powder_per_capsule/(drug_bulk_density*1000)", "drug powder ÷ drug bulk density"),
            Line("free_volume_per_capsule", None, "mL",
                 _mag(_step(b, "free_volume_per_capsule").value, mL),
                 "capsule_volume-drug_volume_per_capsule", "capsule volume − drug volume"),
            Line("filler_per_capsule", None, "mg/capsule", _mag(b.filler_per_capsule, mg_per_capsule),
                 "free_volume_per_capsule*filler_bulk_density*1000", "free volume × filler bulk density"),
        ]
    calc += [
        Line("filler_to_weigh", None, "mg", _mag(b.filler_to_weigh, mg),
             "filler_per_capsule*capsules_to_make", "filler per capsule × capsules to make"),
        Line("blend_total", None, "mg", _mag(b.blend_total, mg), f"{material}+filler_to_weigh",
             "drug powder + filler"),
        Line("fill_weight_per_capsule", None, "mg/capsule",
             _mag(b.fill_weight_per_capsule, mg_per_capsule), "blend_total/capsules_to_make",
             "blend total ÷ capsules to make"),
        Line("fill_weight_min", None, "mg/capsule",
             _mag(b.fill_weight_min, mg_per_capsule), "fill_weight_per_capsule*qc_low", "fill weight × low limit"),
        Line("fill_weight_max", None, "mg/capsule",
             _mag(b.fill_weight_max, mg_per_capsule), "fill_weight_per_capsule*qc_high", "fill weight × high limit"),
    ]

    weighing = _weighing_lines(b, material)
    bud = bud_lines(b.bud, "compounding_date+bud_table_days")
    sections_ = [Section("Choices (set when the record was calculated)", tuple(choices)),
            Section("Inputs (yellow: change here, everything follows)", tuple(inputs)),
            Section("Calculation", tuple(calc)),
            Section("Weighing and aliquots (at the balance's readability)" if b.aliquot is not None
                    else "Weighing (at the balance's readability)", tuple(weighing)),
            Section("Beyond-use date", tuple(bud))]
    return sections_[:4] + [Section("Actual weights (yellow: enter what was weighed; blank = as planned)",
                                    tuple(_actual_lines(b, material, bundle.qc)))] + sections_[4:]


def qc_reference_lines(q: Any) -> list[Line]:
    """The weight check's mean tolerance and RSD limit (DAC/NRF, qc.toml: the bundle's ``q``)."""
    return [Line("qc_mean_tolerance", "Weight check: mean within ± of target", "%",
                 Fraction(q.mean_tolerance.quantity.to(dimensionless).magnitude), kind="input",
                 how=f"reference data: {q.mean_tolerance.source}"),
            Line("qc_rsd_limit", "Weight check: relative standard deviation at most", "%",
                 Fraction(q.rsd_maximum.quantity.to(dimensionless).magnitude), kind="input",
                 how=f"reference data: {q.rsd_maximum.source}")]


def _weighable(x: str) -> str:
    """Excel for :func:`compounding.weighing.weighable`: ``x`` to the nearest readability step, and
    an amount at or above the MWQ never below it. ROUND(…, 9) first removes binary noise."""
    near = f"ROUND(ROUND(({x})/readability,9),0)*readability"
    up = "ROUNDUP(ROUND(mwq/readability,9),0)*readability"
    return f"IF(AND(({x})>=mwq,{near}<mwq),{up},{near})"


def _window_lines(b: CapsuleBatch) -> list[Line]:
    """Each weighing's acceptable window: worked out by the calculator (a search over whole steps),
    so an input here; verify checks it against the core."""
    out = []
    for w in b.weighings:
        if w.low is None:
            continue
        out += [Line(f"acceptable_low_{w.key}", f"Acceptable actual weight, lowest: {w.what}", "mg", _mag(w.low, mg),
                     kind="input", how="calculated: every other weighing as planned, the batch stays within its limits"),
                Line(f"acceptable_high_{w.key}", f"Acceptable actual weight, highest: {w.what}", "mg",
                     _mag(w.high, mg), kind="input", how="calculated, as the lowest")]
    return out


WEIGH_NAMES = {"drug": "weigh_drug", "filler": "weigh_filler"}


def weigh_name(b: CapsuleBatch, key: str) -> str:
    """The line holding the target of a weighing (the aliquot lines keep their stage names)."""
    if b.aliquot is not None and key == "drug":
        return "aliquot_drug_to_weigh_1"
    if key.startswith(("diluent", "aliquot")):
        stage = key.rsplit("_", 1)[1] if "_" in key else "1"
        return f"aliquot_diluent_to_add_{stage}" if key.startswith("diluent") else f"aliquot_size_{stage}"
    return WEIGH_NAMES[key]


def _api_label(b: Any) -> str:
    """The glossary's words for the powder; below the MWQ it is what the batch needs, not what goes on
    the balance (the aliquot is), so the line says so (issue 10, finding 6)."""
    label = term("api_to_weigh").label
    return f"{label} (needed: below the MWQ, weighed as an aliquot)" if b.aliquot is not None else label


def _weighing_lines(b: CapsuleBatch, material: str) -> list[Line]:
    """The weighings at the balance's readability, the aliquot plan computed from them, and the
    batch they make (drug per capsule beside the target)."""
    lines: list[Line] = []
    weights = {w.key: w for w in b.weighings}
    if b.aliquot is None:
        lines.append(Line("weigh_drug", None, "mg", _mag(weights["drug"].amount, mg),
                          _weighable(material), "the powder needed, to the balance's readability"))
        last_material, drug_in = "weigh_drug", "weigh_drug"
    else:
        stages = b.aliquot.stages
        later = "*".join(f"aliquot_factor_{i}" for i in range(2, len(stages) + 1))
        for i, s in enumerate(stages, 1):
            held = "aliquot_drug_to_weigh_1" if i == 1 else f"aliquot_drug_in_aliquot_{i - 1}"
            weighed = "aliquot_drug_to_weigh_1" if i == 1 else f"aliquot_size_{i - 1}"
            wanted = (f"{material}*{later}" if later else material) if i == 1 else material
            if i == 1:
                factors = "*".join(f"aliquot_factor_{j}" for j in range(1, len(stages) + 1))
                lines.append(Line("aliquot_drug_to_weigh_1", "Stage 1: drug powder to weigh", "mg",
                                  _mag(s.drug_to_weigh, mg), _weighable(f"{material}*{factors}"),
                                  "amount needed × all factors, to the balance's readability"))
            else:
                lines.append(Line(f"aliquot_drug_to_weigh_{i}", f"Stage {i}: stage {i - 1} aliquot taken", "mg",
                                  _mag(s.drug_to_weigh, mg), f"aliquot_size_{i - 1}", "the previous stage's aliquot"))
            lines += [
                Line(f"aliquot_diluent_to_add_{i}", f"Stage {i}: diluent (filler) to add", "mg",
                     _mag(s.diluent_to_add, mg), _weighable(f"{held}*aliquot_size_{i}/({wanted})-{weighed}"),
                     "drug held × aliquot ÷ drug wanted in the aliquot − material weighed, to the readability"),
                Line(f"aliquot_mixture_total_{i}", f"Stage {i}: mixture total", "mg", _mag(s.mixture_total, mg),
                     f"aliquot_drug_to_weigh_{i}+aliquot_diluent_to_add_{i}", "material weighed + diluent"),
                Line(f"aliquot_drug_in_aliquot_{i}", f"Stage {i}: drug powder in the aliquot taken", "mg",
                     _mag(s.drug_in_aliquot, mg), f"{held}*aliquot_size_{i}/aliquot_mixture_total_{i}",
                     "drug held × aliquot ÷ mixture"),
            ]
        last = len(stages)
        lines.append(Line("aliquot_diluent_carried", "Diluent carried into the batch with the aliquot", "mg",
                          _mag(b.aliquot.diluent_in_aliquot, mg), f"aliquot_size_{last}-aliquot_drug_in_aliquot_{last}",
                          "final aliquot − drug powder it holds"))
        last_material, drug_in = f"aliquot_size_{last}", f"aliquot_drug_in_aliquot_{last}"
    p = b.planned
    filler = weights.get("filler")
    lines += [
        Line("filler_to_add", None, "mg", _mag(b.filler_to_add, mg),
             "filler_to_weigh-aliquot_diluent_carried" if b.aliquot is not None else "filler_to_weigh",
             "filler in blend − diluent carried in the aliquot"),
        Line("weigh_filler", None, "mg", _mag(filler.amount, mg) if filler else Fraction(0),
             "ROUND(ROUND(filler_to_add/readability,9),0)*readability", "to the balance's readability"),
        Line("planned_drug_powder", "Drug powder the weighings put in the blend", "mg", _mag(p.drug_powder, mg),
             drug_in, "the drug weighed, or the drug the final aliquot holds"),
        Line("planned_blend_total", "Blend the weighings make", "mg", _mag(p.blend_total, mg),
             f"{last_material}+weigh_filler", "drug powder or final aliquot + filler weighed"),
        Line("planned_fill_weight", "Fill weight per capsule of that blend", "mg/capsule",
             _mag(p.fill_weight_per_capsule, mg_per_capsule), "planned_blend_total/capsules_to_make",
             "blend ÷ capsules to make"),
        Line("planned_drug_per_capsule", "Drug per capsule the weighings deliver", "mg/capsule",
             _mag(p.drug_per_capsule, mg_per_capsule), f"strength*planned_drug_powder/{material}",
             "strength × drug powder in the blend ÷ drug powder needed", places=4),
        Line("planned_percent_of_target", "Drug per capsule, % of the strength", "%",
             _mag(p.percent_of_target, "dimensionless"), f"planned_drug_powder/{material}",
             "within the capsule limits, or the plan changes"),
        _weighings_check(b),
    ]
    return lines


def _actual_lines(b: CapsuleBatch, material: str, limits: Any) -> list[Line]:
    """The actual weights (inputs, blank = as planned) and the batch recalculated from them
    (:func:`compounding.capsules.recalculate`); the core's values are those of ``b.actual``, or of
    the planned weighings when no actual weight was given."""
    a = b.actual or b.planned
    given = {} if b.actual is None else {k: b.actual.weights[k] for k in b.actual.actual}
    keys = [w.key for w in b.weighings] + ([] if any(w.key == "filler" for w in b.weighings) else ["filler"])
    what = {w.key: w.what for w in b.weighings} | {"filler": f"{b.filler_name} to add to the blend"}
    mean = limits.mean_tolerance
    tolerance = Fraction(mean.quantity.to(dimensionless).magnitude)
    lines = [Line("fill_tolerance", "Fill weight within ± of the plan", "%", tolerance, kind="input",
                  how=f"reference data: the weight check's mean tolerance, {mean.source}")]
    for key in keys:
        lines.append(Line(f"actual_{key}", f"Actual weight: {what[key]}", "mg", _mag(given.get(key), mg),
                          kind="input", how="blank: as planned (--actual-" + key.replace("_", "-") + ")"))
    for key in keys:
        lines.append(Line(f"used_{key}", f"Weight used: {what[key]}", "mg", _mag(a.weights.get(key, Q(0, mg)), mg),
                          f"IF(ISNUMBER(actual_{key}),actual_{key},{weigh_name(b, key)})", "actual, or as planned"))
    stages = 0 if b.aliquot is None else len(b.aliquot.stages)
    drug, held = "used_drug", "used_drug"
    for i in range(1, stages + 1):
        dk, ak = ("diluent", "aliquot") if i == 1 else (f"diluent_{i}", f"aliquot_{i}")
        weighed = "used_drug" if i == 1 else "used_aliquot"
        lines.append(Line(f"recalc_drug_in_aliquot_{i}", f"Stage {i}: drug powder in the aliquot taken", "mg",
                          _stage_drug(b, a, i), f"{held}*used_{ak}/({weighed}+used_{dk})",
                          "drug held × aliquot ÷ (material + diluent)"))
        held = drug = f"recalc_drug_in_aliquot_{i}"
    last = "used_drug" if stages == 0 else ("used_aliquot" if stages == 1 else f"used_aliquot_{stages}")
    lines += [
        Line("recalc_blend_total", "Blend total", "mg", _mag(a.blend_total, mg), f"{last}+used_filler",
             "drug powder or final aliquot + filler"),
        Line("recalc_fill_weight", "Fill weight per capsule (the weight check's target)", "mg/capsule",
             _mag(a.fill_weight_per_capsule, mg_per_capsule), "recalc_blend_total/capsules_to_make",
             "blend ÷ capsules to make"),
        Line("recalc_fill_weight_min", "Lowest acceptable capsule fill", "mg/capsule",
             _mag(a.fill_weight_min, mg_per_capsule), "recalc_fill_weight*qc_low", "fill weight × low limit"),
        Line("recalc_fill_weight_max", "Highest acceptable capsule fill", "mg/capsule",
             _mag(a.fill_weight_max, mg_per_capsule), "recalc_fill_weight*qc_high", "fill weight × high limit"),
        Line("recalc_drug_per_capsule", "Drug per capsule", "mg/capsule", _mag(a.drug_per_capsule, mg_per_capsule),
             f"strength*{drug}/{material}", "strength × drug powder in the blend ÷ drug powder needed", places=4),
        Line("recalc_percent_of_target", "Drug per capsule, % of the strength", "%",
             _mag(a.percent_of_target, "dimensionless"), f"{drug}/{material}", "drug powder in blend ÷ needed"),
        Line("recalc_verdict", "Within the limits", "", "WITHIN LIMITS" if a.within_limits else "OUTSIDE LIMITS",
             'IF(AND(ROUND(recalc_percent_of_target-qc_low,12)>=0,ROUND(qc_high-recalc_percent_of_target,12)>=0,'
             'ROUND(fill_tolerance-ABS(recalc_blend_total/blend_total-1),12)>=0),"WITHIN LIMITS","OUTSIDE LIMITS")',
             "drug per capsule within the capsule limits; blend within ± the tolerance of the plan", kind="text"),
    ]
    return lines


def _stage_drug(b: CapsuleBatch, a, stage: int) -> Fraction:
    """The drug powder the stage's aliquot holds, followed through ``a``'s weights."""
    w = a.weights
    drug = material = w["drug"]
    for i in range(1, stage + 1):
        dk, ak = ("diluent", "aliquot") if i == 1 else (f"diluent_{i}", f"aliquot_{i}")
        drug, material = drug * w[ak] / (material + w[dk]), w[ak]
    return _mag(drug, mg)


def _weighings_check(b: CapsuleBatch) -> Line:
    """"Every weighed amount is at or above the MWQ", as a live formula and the core's answer."""
    tests = [f"{weigh_name(b, w.key)}>=mwq" for w in b.weighings if w.key != "filler"]
    tests.append("OR(ROUND(weigh_filler,9)=0,weigh_filler>=mwq)")
    ok = not any(w.below_mwq for w in b.weighings)
    return Line("weighings_check", "Every amount weighed at or above the MWQ", "", "OK" if ok else "BELOW MWQ",
                f'IF(AND({",".join(tests)}),"OK","BELOW MWQ")',
                "drug, diluent and aliquots ≥ MWQ; filler to add 0 or ≥ MWQ", kind="text")


def options(values: dict[str, Any]) -> dict[str, Any]:
    """The export options a record's cells carry (none for this kind)."""
    return {}


def recompute(values: dict[str, Any]) -> CapsuleBatch:
    """The core's batch for the inputs read back from a record's named cells.

    ``values`` maps line names to cell values (numbers as floats, dates, text). Reference data in
    the cells (molecular weights, tablet strength, capsule volume, BUD days) is *not* fed to the
    core: the core uses its own, and :mod:`compounding.verify` reports any cell that differs.
    """
    def pct(name: str) -> Any:
        v = values.get(name)
        return None if v is None else Q(_num(v) * 100, "percent")

    kwargs: dict[str, Any] = {
        "strength": Q(_num(values["strength"]), mg),
        "quantity": _count(values["capsules_ordered"]),
        "formula": values["formula_id"],
        "source": values["source"],
        "strength_basis": values.get("strength_basis"),
        "capsule_size": str(values["capsule_size"]),
        "filler": values["filler"],
        "method": values["method"],
        "compounding_date": _date(values["compounding_date"]),
    }
    count, percent = _num(values.get("extra_count") or 0), _num(values.get("extra_percent") or 0)
    if count and percent:
        from ..errors import InputError

        raise InputError("give either an extra count or an extra percentage, not both", field="extra_count",
                         value=values.get("extra_count"))
    kwargs["extra"] = Q(percent * 100, "percent") if percent else int(count)
    if values["source"] == "api":
        kwargs["api_form"] = values["api_form"]
        for name in ("potency", "assay", "water"):
            if values.get(name) is not None:
                kwargs[name] = pct(name)
        if values.get("potency") is not None or values.get("assay") is not None:
            kwargs["potency_basis"] = values.get("potency_basis")
    else:
        kwargs["tablet_weight"] = Q(_num(values["tablet_weight"]), mg_per_tablet)
    if values["method"] == "packing_statistic":
        kwargs["fill_weight"] = Q(_num(values["filler_fill_weight"]), mg_per_capsule)
        if values.get("api_fill_weight") is not None:
            kwargs["api_fill_weight"] = Q(_num(values["api_fill_weight"]), mg_per_capsule)
    else:
        kwargs["drug_bulk_density"] = Q(_num(values["drug_bulk_density"]), "g/mL")
        kwargs["filler_bulk_density"] = Q(_num(values["filler_bulk_density"]), "g/mL")
    if values.get("balance") == "custom":
        kwargs["mwq"] = Q(_num(values["mwq"]), mg)
        kwargs["readability"] = Q(_num(values["readability"]), mg)
    else:
        kwargs["balance"] = values.get("balance")
    if values.get("qc_low") is not None and values.get("qc_high") is not None:
        kwargs["qc_limits"] = (pct("qc_low"), pct("qc_high"))
    kwargs["component_expiries"] = expiries_read_back(values) or None
    actual = {k.removeprefix("actual_"): Q(_num(v), mg) for k, v in values.items()
              if k.startswith("actual_") and v not in (None, "")}
    if actual:
        kwargs["actual_weights"] = actual
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if values.get("filler_fill_weight_source") == "estimate" and "fill_weight" in kwargs:
        # exported with the table estimate: the same figure in the cell is that estimate (its
        # warning stays); a different one is a packing statistic measured since
        estimate = capsule_batch(**{k: v for k, v in kwargs.items() if k != "fill_weight"})
        if estimate.filler_fill_weight == kwargs["fill_weight"]:
            return estimate
    return capsule_batch(**kwargs)


def _num(value: Any) -> Fraction:
    """A number read from a cell, as the decimal it shows (0.1, not its binary neighbour)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        from ..errors import InputError

        raise InputError("is not a number", value=value)
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _count(value: Any) -> int:
    n = _num(value)
    if n.denominator != 1:
        from ..errors import InputError

        raise InputError("must be a whole number", field="capsules_ordered", value=value)
    return int(n)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return parse_date(value, "date")


# --- the workbook -------------------------------------------------------------------------------

_CRUSH = '"crush "&tablets_to_crush&IF(tablets_to_crush=1," tablet"," tablets")'


def _qt(expr: str, unit: str = "mg", places: int = 2) -> str:
    """The text of a live quantity ("445.5 mg"), as an expression to join with &."""
    return quantity_text_formula(expr, unit, places)[1:]


def _weight_rows(b: CapsuleBatch, asked: int | None, limits: Any) -> int:
    """Rows of the weight check: the QC rule's count (every capsule, or a sample of 10) unless more are asked."""
    from ..errors import InputError
    from ..qc import required_count

    batch = int(b.capsules_to_make.magnitude)
    required = required_count(batch, limits)
    if asked is None:
        return required
    if not required <= asked <= batch:
        raise InputError("is fewer than the QC rule requires" if asked < required
                         else "is more than the capsules in the batch", field="capsule_weights", value=asked,
                         allowed=f"{required} to {min(batch, 50)} (every capsule, or a sample of at least "
                                 f"{required_count(None)})")
    return asked


def _wt(b: CapsuleBatch, expr: str) -> str:
    """The text of a live amount to weigh, as the balance shows it (:func:`format_weighing`):
    the readability's places, in g from 10 g up."""
    from ..display import GRAMS_FROM

    places = max(0, -Decimal(str(float(b.readability.to(mg).magnitude))).normalize().as_tuple().exponent)
    grams = GRAMS_FROM * 1000
    return f'IF({expr}>={grams},{_qt(f"{expr}/1000", "g", places + 3)},{_qt(expr, "mg", places)})'


def _window(b: CapsuleBatch, w) -> str:
    if w.low is None:
        return ""
    return (f'&" (acceptable "&{_wt(b, f"acceptable_low_{w.key}")}&" to "&'
            f'{_wt(b, f"acceptable_high_{w.key}")}&")"')


ACTUAL_ADVICE = ("Weigh each amount to its target. An actual weight inside its acceptable window keeps the "
                 "batch within its limits: record it and carry on. Outside the window, stop and recalculate "
                 "from the actual weight before going on: enter it in the yellow 'Actual weight' cells of the "
                 "Calculations sheet (or run the calculator with --actual-drug, --actual-filler, ...).")


def build(wb, b: CapsuleBatch, record: Fields, *, capsule_weights: int | None = None,
          paper: str = "A4", allocation: Any = None, bundle: Any = None) -> str:
    """Fill ``wb`` (a fresh workbook) with the capsule batch record; returns the record hash. Its
    figures and master formula come from ``bundle`` (default the shipped data; :func:`bundle_for`)."""
    from ..display import format_quantity
    from ..units import capsule

    bundle = bundle_for(b, bundle)
    rows = _weight_rows(b, capsule_weights, bundle.qc)
    secs = sections(b, bundle=bundle)
    check_names(secs)
    digest = record_hash(KIND, secs)
    identity = identity_text(KIND, digest)
    mf, ref = bundle.formula(b.formula_id), bundle.reference
    basis_key = b.order.strength_basis or ref.strength_basis
    strength_text = format_quantity(b.strength * Q(1, capsule), mg)
    prep = f"Naltrexone {'HCl ' if basis_key == ref.strength_basis else '(as base) '}{strength_text} capsules"

    rec = wb.active
    rec.title = "Compounding record"
    calc = wb.create_sheet(CALC_SHEET)
    weights = wb.create_sheet("Weight check")
    label = wb.create_sheet("Label")

    write_calculations(calc, f"Calculations — {b.formula_name}", secs, identity)
    _record_sheet(rec, b, mf, record, identity, prep)
    _weight_sheet(weights, rows, _balance_note(b, bundle))
    _label(label, b, mf, record, basis_key == ref.strength_basis)

    finish(wb, kind=KIND, prep=prep, record=record, footer=f"{b.formula_id} v{b.formula_version}", digest=digest,
           paper=paper, print_cols={CALC_SHEET: 6}, options={"capsule_weights": rows}, allocation=allocation)
    return digest


def _record_sheet(ws, b: CapsuleBatch, mf, record: Fields, identity: str, prep: str) -> None:
    setup_record(ws)
    api = b.source == "api"
    material = "api_to_weigh" if api else "tablet_powder_to_weigh"
    row = title(ws, 1, "Compounding record", f"{mf.name} — {prep}")
    per_capsule = '&" per capsule"'
    row = grid(ws, row + 1, [
        ("Pharmacy", record.cell("pharmacy_name"),
         "Internal lot / Rx number", record.cell("lot_number")),
        ("Preparation", Cell(text=mf.name), "Master formula", Cell(text=f"{mf.id}, version {mf.version}")),
        ("Strength", Cell(formula="=" + _qt("strength") + per_capsule), "Dosage form",
         Cell(text=f"{mf.dosage_form}, size {b.capsule_size}")),
        ("Quantity", Cell(formula='=capsules_ordered&" ordered; make "&capsules_to_make'),
         "Filler", Cell(text=b.filler_name)),
        ("Compounding date", Cell(formula="=compounding_date", fmt=st.DATE_FORMAT),
         "Beyond-use date", Cell(formula="=bud_date", fmt=st.DATE_FORMAT)),
        ("Patient", record.cell("patient"),
         "Prescriber", record.cell("prescriber")),
    ])
    row = wide(ws, row, "Storage", Cell(text=b.bud.storage_label))
    row = wide(ws, row, "BUD basis", Cell(text=f"{b.bud.basis}. {mf.bud_reference}"))
    row = wide(ws, row, "BUD set by", Cell(formula="=bud_limited_by", hint="USP <795> Table 4: 180 days"))

    row = section(ws, row + 1, "Ingredients (fill in manufacturer, lot, expiry, actual weight and initials)")
    active = next((i.name for i in mf.ingredients if i.role == "active"), "Naltrexone hydrochloride")
    items: list[tuple[str, str, Cell]] = []
    first = "" if api else f'{_CRUSH}&"; "&'
    for w in b.weighings:
        text = '"weigh "&' + _wt(b, weigh_name(b, w.key))
        if w.key == "drug":
            items.append(("Active", active, Cell(formula="=" + first + text + (
                '&" for the aliquot"' if b.aliquot is not None else "") + _window(b, w),
                hint=("" if api else "crush 3 tablets; ") + "weigh 870 mg (acceptable 860 mg to 880 mg)")))
            continue
        text += _window(b, w)
        if w.key.startswith("diluent"):
            stage = w.key.rsplit("_", 1)[1] if "_" in w.key else "1"
            items.append(("Diluent", f"{b.filler_name} for aliquot stage {stage}", Cell(formula="=" + text)))
        elif w.key == "filler":
            items.append(("Filler", b.filler_name, Cell(formula="=" + text)))
    items.append(("Capsule", f"Empty hard capsules, size {b.capsule_size}",
                  Cell(formula='=capsules_to_make&" capsules"')))
    row = ingredient_table(ws, row, items)

    row = section(ws, row + 1, "Key quantities (live from the Calculations sheet)")
    pairs = [
        ("Capsules to make", Cell(formula='=capsules_ordered&" + "&extra&" extra = "&capsules_to_make'),
         "Blend total", Cell(formula="=" + _qt("blend_total"))),
        ("Fill weight per capsule", Cell(formula="=" + _qt("fill_weight_per_capsule")),
         "Acceptable fill", Cell(formula="=" + _qt("fill_weight_min") + '&" to "&' + _qt("fill_weight_max"))),
        ("Drug powder needed (calculated)", Cell(formula="=" + _qt(material)),
         "Balance readability", Cell(formula="=" + _qt("readability", "mg", 4))),
        # what goes on the balance, at its readability: the drug powder, or with an aliquot the
        # powder for its first stage (never the amount needed when that is below the MWQ)
        ("Drug powder to weigh" if b.aliquot is None else "Powder to weigh for the aliquot",
         Cell(formula="=" + _wt(b, weigh_name(b, "drug"))),
         "Balance MWQ", Cell(formula="=" + _qt("mwq") + '&" ("&weighings_check&")"')),
    ]
    row = grid(ws, row, pairs)
    row = wide(ws, row, "Dose delivered", Cell(formula='="The planned weighings deliver "&' + _qt(
        "planned_drug_per_capsule", "mg", 4) + '&" per capsule, "&' + _qt("planned_percent_of_target*100", "%", 2)
        + '&" of the strength (limits "&' + _qt("qc_low*100", "%", 2) + '&" to "&' + _qt("qc_high*100", "%", 2)
        + '&")."'))
    row = wide(ws, row, "Weights differ?", Cell(text=ACTUAL_ADVICE))
    row = wide(ws, row, "Recalculated", Cell(formula='="From the weights used (actual where entered): blend "&'
                                                 + _qt("recalc_blend_total") + '&", fill weight "&'
                                                 + _qt("recalc_fill_weight") + '&" per capsule, drug "&'
                                                 + _qt("recalc_drug_per_capsule", "mg", 4) + '&" per capsule ("&'
                                                 + _qt("recalc_percent_of_target*100", "%", 2) + '&"): "&recalc_verdict'))
    if b.aliquot is not None:
        row = wide(ws, row, "Why an aliquot", Cell(
            formula='="The batch needs "&' + _qt(material) + '&" of drug powder, below the balance\'s MWQ of "&'
                    + _qt("mwq") + '&": weigh the aliquot stages below, never that amount itself."',
            hint="The batch needs 15.23 mg of drug powder, below the balance's MWQ of 120 mg: weigh the aliquot"))
    if b.aliquot is not None:
        row = section(ws, row + 1, "Aliquot (trituration) plan — mix every dilution geometrically")
        windows = {w.key: w for w in b.weighings}
        for i in range(1, len(b.aliquot.stages) + 1):
            what = "of drug powder" if i == 1 else "of the stage 1 aliquot"
            take = _window(b, windows["aliquot" if i == 1 else f"aliquot_{i}"])
            f = (f'="Stage {i}: weigh "&{_wt(b, f"aliquot_drug_to_weigh_{i}")}&" {what}, add "&'
                 f'{_wt(b, f"aliquot_diluent_to_add_{i}")}&" of filler to make "&{_qt(f"aliquot_mixture_total_{i}")}'
                 f'&"; take "&{_wt(b, f"aliquot_size_{i}")}{take}&" (holds "&{_qt(f"aliquot_drug_in_aliquot_{i}")}&" of drug powder)."')
            row = wide(ws, row, f"Stage {i}", Cell(formula=f))
            ws.row_dimensions[row - 1].height = 28
        row = wide(ws, row, "Then", Cell(formula='="Add "&' + _wt(b, "weigh_filler")
                                          + '&" of filler to the final aliquot and mix geometrically."'))

    row = section(ws, row + 1, "Procedure (initial each step)")
    row = steps_table(ws, row, mf.steps)

    row = section(ws, row + 1, "Quality control")
    put_text(ws, row, 1, "Capsule weight check (see Weight check sheet)", font=st.BOLD, border=st.BOX)
    for c in range(2, 7):
        restyle(ws.cell(row=row, column=c), border=st.BOX)
    merge(ws, row, 1, row, 6)
    write_cell(ws, row, 7, Cell(formula="=wc_verdict"), last_col=8, font=st.BOLD)
    status_colours(ws, f"G{row}")
    ws.row_dimensions[row].height = 26  # "INCOMPLETE: 0 of 10 weighed" takes two lines
    row += 1
    record_closing(ws, row, qc_lines=list(mf.qc) + ["Physical description: " + mf.description],
                   warnings=b.warnings, trace=b.trace, record=record, identity=identity)


def _balance_note(b: CapsuleBatch, bundle: Any) -> str:
    """Which balance the weight check needs (issue 9.5), judged for the target fill weight and the
    batch's own balance, by the same rule as compounding.qc.weight_check."""
    from ..display import format_quantity
    from ..qc import balance_check
    from ..units import capsule

    target = (b.fill_weight_per_capsule * Q(1, capsule)).to(mg)
    custom = b.balance not in bundle.reference.balances
    bal = balance_check([(0, target)], target, b.qc_low, b.qc_high, balance=None if custom else b.balance,
                        mwq=b.mwq if custom else None, ref=bundle.reference, limits=bundle.qc)
    fq = lambda q: format_quantity(q, mg)  # noqa: E731
    this = f"The balance of this batch ({'MWQ entered' if custom else bal.balance}, MWQ {fq(bal.mwq)})"
    faults = (["its MWQ is above the target fill"] if bal.below_mwq else []) + (
        [f"its weighing error of {fq(bal.error)} cannot resolve {fq(target * b.qc_low)} to "
         f"{fq(target * b.qc_high)}"] if bal.too_coarse else [])
    if faults:
        verdict = f"{this} will NOT do: {'; '.join(faults)}."
    elif bal.too_coarse is None:
        verdict = f"{this} will do if its weighing error is at most {fq(bal.error_allowed)}."
    else:
        verdict = f"{this} will do."
    return f"Balance: {bal.needed.replace('the lightest capsule', 'the target fill')} {verdict}"


WEIGHT_NAMES = ("wc_mean_tolerance", "wc_rsd_limit", "wc_shell_average", "wc_count", "wc_mean", "wc_sd",
                "wc_rsd", "wc_min", "wc_max", "wc_mean_percent", "wc_outside", "wc_verdict")


def _weight_sheet(ws, n: int, balance_note: str) -> None:
    """Capsule weights: gross, empty shell, net, % of target, pass/fail; mean, SD, RSD, verdict."""
    from openpyxl.workbook.defined_name import DefinedName

    wb = ws.parent
    ws.sheet_view.showGridLines = False
    for col, width in zip("ABCDEFG", (10, 15, 15, 15, 13, 11, 4)):
        ws.column_dimensions[col].width = width
    from ._pages import mark

    put_text(ws, 1, 1, "Capsule weight check", font=st.TITLE, align=st.TOP)
    merge(ws, 1, 1, 1, 6)
    note = ("Weigh each filled capsule (gross) and its empty shell, or enter the average weight of empty "
            "shells below. Each net fill must lie within the limits set on the Calculations sheet "
            "(DAC/NRF: also mean within the tolerance and RSD at most the limit).")
    put_text(ws, 2, 1, note, font=st.SMALL)
    merge(ws, 2, 1, 2, 6)
    fit_row(ws, 2, [(note, 80)], 11)
    put_text(ws, 3, 1, balance_note, font=st.SMALL)
    merge(ws, 3, 1, 3, 6)
    fit_row(ws, 3, [(balance_note, 80)], 11)

    def name(n_: str, coord: str) -> None:
        wb.defined_names[n_] = DefinedName(n_, attr_text=f"'{ws.title}'!${coord[0]}${coord[1:]}")

    def setting(r: int, text: str, cell: Cell, unit: str = "") -> None:
        put_text(ws, r, 1, text, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        for c in (2, 3):
            restyle(ws.cell(row=r, column=c), border=st.BOX)
        merge(ws, r, 1, r, 3)
        write_cell(ws, r, 4, cell, align=st.RIGHT)
        put_text(ws, r, 5, unit, border=st.BOX)

    setting(4, "Target fill weight", Cell(formula="=fill_weight_per_capsule", fmt="0.00"), "mg")
    setting(5, "Acceptable net fill, lowest", Cell(formula="=fill_weight_min", fmt="0.00"), "mg")
    setting(6, "Acceptable net fill, highest", Cell(formula="=fill_weight_max", fmt="0.00"), "mg")
    # the DAC/NRF limits live on Calculations (reference data verify checks), not in an editable cell here
    setting(7, "Mean within ± of target", Cell(formula="=qc_mean_tolerance", fmt="0.0%"))
    setting(8, "RSD at most", Cell(formula="=qc_rsd_limit", fmt="0.0%"))
    setting(9, "Average empty shell weight (if not weighed one by one)", Cell(entry=True, value=None, text=""), "mg")
    restyle(ws.cell(row=9, column=4), number_format="0.0")
    ws.row_dimensions[9].height = 26
    name("wc_mean_tolerance", "D7")
    name("wc_rsd_limit", "D8")
    name("wc_shell_average", "D9")

    head = 11
    mark(ws, head)  # the table of weights with its heading (repeated on each page of a long table)
    ws.print_title_rows = f"{head}:{head}"
    for c, text in enumerate(("Capsule", "Gross (mg)", "Empty shell (mg)", "Net fill (mg)", "% of target",
                              "Result"), 1):
        put_text(ws, head, c, text, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX, align=st.WRAP_CENTER)
    first, last = head + 1, head + n
    for r in range(first, last + 1):
        put_value(ws, r, 1, r - head, "0", border=st.BOX, align=st.CENTER)
        put_value(ws, r, 2, None, "0.0", entry=True)
        put_value(ws, r, 3, None, "0.0", entry=True)
        put_formula(ws, r, 4, f'=IF(AND(ISNUMBER(B{r}),OR(ISNUMBER(C{r}),ISNUMBER(wc_shell_average))),'
                    f'B{r}-IF(ISNUMBER(C{r}),C{r},wc_shell_average),"")', "0.0", border=st.BOX)
        put_formula(ws, r, 5, f'=IF(ISNUMBER(D{r}),D{r}/fill_weight_per_capsule,"")', "0.0%", border=st.BOX)
        put_formula(ws, r, 6, f'=IF(ISNUMBER(D{r}),IF(AND(ROUND(D{r},6)>=ROUND(fill_weight_min,6),'
                    f'ROUND(D{r},6)<=ROUND(fill_weight_max,6)),"PASS","FAIL"),"")', border=st.BOX, align=st.CENTER)
    status_colours(ws, f"F{first}:F{last}")
    net = f"D{first}:D{last}"
    r = last + 2
    mark(ws, r)  # the statistics and verdict
    summary = [
        ("wc_count", "Capsules weighed", f"=COUNT({net})", "0", ""),
        ("wc_mean", "Mean net fill", f'=IF(wc_count>0,AVERAGE({net}),"")', "0.00", "mg"),
        ("wc_sd", "Standard deviation (n − 1)", f'=IF(wc_count>1,STDEV({net}),"")', "0.00", "mg"),
        ("wc_rsd", "Relative standard deviation", '=IF(ISNUMBER(wc_sd),wc_sd/wc_mean,"")', "0.00%", ""),
        ("wc_min", "Lowest net fill", f'=IF(wc_count>0,MIN({net}),"")', "0.0", "mg"),
        ("wc_max", "Highest net fill", f'=IF(wc_count>0,MAX({net}),"")', "0.0", "mg"),
        ("wc_mean_percent", "Mean, % of target", '=IF(ISNUMBER(wc_mean),wc_mean/fill_weight_per_capsule,"")',
         "0.0%", ""),
        ("wc_outside", "Capsules outside the limits", f'=COUNTIF(F{first}:F{last},"FAIL")', "0", ""),
        ("wc_verdict", "Verdict",
         # as compounding.qc.weight_check: FAIL once a capsule is outside its limits, INCOMPLETE until every
         # row is weighed, then PASS or FAIL on the mean and RSD (one row: no RSD to judge)
         f'=IF(wc_outside>0,"FAIL",IF(wc_count<{n},"INCOMPLETE: "&wc_count&" of {n} weighed",'
         f'IF(AND(ABS(wc_mean_percent-1)<=wc_mean_tolerance,{"TRUE" if n == 1 else "wc_rsd<=wc_rsd_limit"}),'
         '"PASS","FAIL")))', None, ""),
    ]
    for key, text, formula, fmt, unit in summary:
        put_text(ws, r, 1, text, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        for c in (2, 3):
            restyle(ws.cell(row=r, column=c), border=st.BOX)
        merge(ws, r, 1, r, 3)
        put_formula(ws, r, 4, formula, fmt, border=st.BOX, align=st.RIGHT,
                    font=st.BOLD if key == "wc_verdict" else None)
        put_text(ws, r, 5, unit, border=st.BOX)
        name(key, f"D{r}")
        r += 1
    merge(ws, r - 1, 4, r - 1, 6)
    status_colours(ws, f"D{r - 1}")
    put_text(ws, r + 1, 1, "Checked by (initials, date):", font=st.BOLD)
    merge(ws, r + 1, 1, r + 1, 3)
    write_cell(ws, r + 1, 4, Cell.entry_text(""), last_col=6)


def _label(ws, b: CapsuleBatch, mf, record: Fields, hcl_basis: bool) -> None:
    drug = '="Naltrexone hydrochloride "&' if hcl_basis else '="Naltrexone (as base) "&'
    lines: list[tuple[str, Cell]] = [
        ("Pharmacy", record.cell("pharmacy_name")),
        ("Address and phone", record.cell("pharmacy_contact")),
        ("Patient", record.cell("patient")),
        ("Preparation", Cell(formula=drug + _qt("strength") + '&" capsules"')),
        ("Dosage form", Cell(text=mf.dosage_form)),
        ("Quantity", Cell(formula='=capsules_ordered&" capsules"')),
        ("Directions", record.cell("directions")),
        ("Internal lot / Rx number", record.cell("lot_number")),
        ("Compounded on", Cell(formula="=compounding_date", fmt=st.DATE_FORMAT)),
        ("Beyond-use date", Cell(formula="=bud_date", fmt=st.DATE_FORMAT)),
        ("Storage", Cell(text=b.bud.storage_label)),
    ]
    for text in mf.labelling:
        if is_default_directions(text):
            continue  # directions come from the prescription alone (a line to write in when none given)
        kind = "Warning" if "opioid" in text.lower() else (
            "Note" if "compounded" in text.lower() else "Instruction")
        lines.append((kind, Cell(text=text)))
    if not any("opioid" in t.lower() for t in mf.labelling):
        lines.append(("Warning", Cell(text=OPIOID_WARNING)))
    if not any("compounded preparation" in t.lower() for t in mf.labelling):
        lines.append(("Note", Cell(text="Compounded preparation.")))
    lines.append(("Prescriber", record.cell("prescriber")))
    label_sheet(ws, lines, heading="Label")
    for r in range(3, 3 + len(lines)):
        if ws.cell(row=r, column=1).value in ("Compounded on", "Beyond-use date"):
            restyle(ws.cell(row=r, column=2), alignment=st.LEFT)
