"""The oral liquid workbook: *Compounding record*, *Calculations* (live formulas mirroring
:mod:`compounding.liquids`), *Yield check* and *Label*; and the way back from the cells to
:func:`compounding.liquids.prepare_liquid`, used by :mod:`compounding.verify`.

Three ways to make the batch, each with its own inputs: whole tablets (tablets and final volume
given; the concentration follows), crushed tablets weighed (concentration, volume and the measured
average tablet weight), or naltrexone HCl powder (concentration, volume, potency, salt).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..liquids import LiquidPreparation, prepare_liquid
from ..units import Q, day, g_per_mol, mg, mg_per_mL, mg_per_tablet, mL
from . import _styles as st
from ._capsules import _CRUSH, _api_label, bundle_for, _date, _mag, _num, _qt
from ._common import (CALC_SHEET, OPIOID_WARNING, Line, bud_lines, expiries_read_back, Section, check_names, finish, fit_row, identity_text,
                      merge, put_text, record_hash, restyle, status_colours,
                      write_calculations)
from ._sheets import (Cell, Fields, grid, is_default_directions, ingredient_table, label_sheet, record_closing, section, setup_record, steps_table, title, wide, write_cell)

KIND = "liquid"

def _yield_lines(q: Any) -> list[Line]:
    """Yield limits of a liquid batch (qc.toml, the bundle's ``q``): reference data on Calculations, which
    verify checks."""
    return [Line("yield_low", "Yield, lowest acceptable", "%", Fraction(q.yield_low.quantity.to("").magnitude),
                 kind="input", how=f"reference data: {q.yield_low.source}"),
            Line("yield_high", "Yield, highest acceptable", "%", Fraction(q.yield_high.quantity.to("").magnitude),
                 kind="input", how=f"reference data: {q.yield_high.source}")]

_GENERIC_STEPS = (
    "Calculate the quantities; check every weighed amount against the balance's minimum weighable quantity.",
    "Crush the tablets to a fine powder (or weigh the naltrexone HCl powder, or measure the stock solution).",
    "Wet the powder with a little of the vehicle to a smooth paste; add the vehicle in portions with mixing.",
    "Transfer to a calibrated container, rinse in, and make up to the final volume.",
    "Shake well; check the final volume and the appearance.",
    "Package, label and record; the verifying pharmacist checks the record before release.",
)


def _mode(b: LiquidPreparation) -> str:
    if b.source == "api":
        return "api"
    return "whole" if b.tablets_to_use is not None else "crushed"


def _by_concentration(b: LiquidPreparation) -> bool:
    """Whole tablets reached from a concentration given (the core's trace says so), not a number of tablets."""
    return any(s.key == "naltrexone_hcl" and s.formula.startswith("concentration") for s in b.trace)


def _mwq_entered(b: LiquidPreparation) -> bool:
    return any(s.key == "mwq" and "entered" in s.description for s in b.trace)


def _amount_unit(q) -> tuple[str, Any]:
    """Masses in mg (weighed, compared with the MWQ), volumes in mL."""
    return ("mg", mg) if q.dimensionality == mg.dimensionality else ("mL", mL)


def _lot_inputs(b: LiquidPreparation) -> tuple[Fraction | None, Fraction | None, Fraction | None]:
    """(as-is potency, assay, water) as entered: an as-is potency computed from the certificate's
    assay and water keeps those two as the record's inputs (verify computes from them again)."""
    step = next((st_ for st_ in b.trace if st_.key == "potency"), None)
    given = dict(step.inputs) if step else {}
    if "assay" not in given:
        return b.potency, None, None
    frac = [None if given.get(k) is None else Fraction(given[k].to("dimensionless").magnitude)
            for k in ("assay", "water")]
    return None, frac[0], frac[1]


def patient_dose_row(b: LiquidPreparation, dose: Any, data: Any = None):
    """The core's dose-volume row (volume, the oral syringe that holds it, on a mark or not) of the
    patient's dose, ``None`` when no dose was given."""
    if dose is None:
        return None
    from ..liquids import check_dose, dose_volume_table

    data = data or bundle_for(b).liquid  # the syringes of the data the liquid was computed with
    return dose_volume_table([check_dose(dose, "patient_dose")], b.concentration, b.final_volume,
                             syringes=data.syringes, minimum_dose_volume=data.minimum_dose_volume.quantity)[0]


def _patient_lines(row, data: Any) -> tuple[list[Line], list[Line]]:
    """(inputs, calculations) of the patient's dose: the label prints it and its volume."""
    if row is None:
        return [], []
    syringe = row.syringe
    minimum = data.minimum_dose_volume
    mark = ("no syringe" if syringe is None else "too small" if row.volume < minimum.quantity
            else "yes" if row.on_graduation else "no")
    inputs = [
        Line("patient_dose", None, "mg", _mag(row.dose, mg), kind="input",
             how="prescription"),
        Line("patient_syringe_capacity", "Oral syringe dispensed: capacity", "mL",
             None if syringe is None else _mag(syringe.capacity, mL), kind="input",
             how=syringe.name if syringe else "no oral syringe holds the dose"),
        Line("patient_syringe_graduation", "Oral syringe dispensed: graduation", "mL",
             None if syringe is None else _mag(syringe.graduation, mL), kind="input"),
        Line("minimum_dose_volume", None, "mL",
             _mag(minimum.quantity, mL), kind="input", how=f"reference data: {minimum.source}"),
    ]
    calc = [
        Line("patient_dose_volume", "Patient's dose: volume", "mL", _mag(row.volume, mL), "patient_dose/concentration",
             "dose ÷ concentration"),
        Line("patient_dose_on_mark", "Patient's dose: on a mark of the syringe", "", mark,
             'IF(ISNUMBER(patient_syringe_graduation),IF(ROUND(patient_dose_volume,9)<ROUND(minimum_dose_volume,9),'
             '"too small",IF(ROUND(patient_dose_volume/patient_syringe_graduation,9)='
             'ROUND(patient_dose_volume/patient_syringe_graduation,0),"yes","no")),"no syringe")',
             "at least the smallest volume, and a whole number of graduations", kind="text"),
    ]
    return inputs, calc


def dose_text(dose: Any) -> str:
    """A patient's dose as the record stores it: its exact mg, ``"1.5 mg"`` however it was typed
    ("1.5mg", "1500 mcg") or read back from its cell (3/2), so the record built again from the
    cell stores the same text."""
    from decimal import Decimal, localcontext

    from ..liquids import check_dose

    m = Fraction(check_dose(dose, "patient_dose").to(mg).magnitude)
    with localcontext() as ctx:
        ctx.prec = 40
        d = (Decimal(m.numerator) / Decimal(m.denominator)).normalize()
    return f"{d:f} mg"


def options(values: dict[str, Any]) -> dict[str, Any]:
    """The export options a record's cells carry (the patient's dose), for :mod:`compounding.verify`."""
    dose = values.get("patient_dose")
    return {} if dose is None else {"patient_dose": dose_text(Q(_num(dose), mg))}


def sections(b: LiquidPreparation, *, patient_dose: Any = None, bundle: Any = None) -> list[Section]:
    """The named lines of a liquid, with the reference data it was computed with (``bundle_for``)."""
    bundle = bundle_for(b, bundle)
    ref = bundle.reference
    patient_inputs, patient_calc = _patient_lines(patient_dose_row(b, patient_dose, bundle.liquid), bundle.liquid)
    mode = _mode(b)
    hcl = ref.form(ref.strength_basis)
    choices = [
        Line("record_kind", "Record type", "", KIND, kind="choice"),
        Line("formula_id", "Master formula", "", b.formula_id or "", kind="choice",
             how=f"{b.formula_name}, version {b.formula_version}" if b.formula_id else "none"),
        Line("source", None, "", b.source, kind="choice",
             shown={"tablets": "50 mg tablets", "api": "naltrexone HCl powder (API)"}.get(b.source, b.source)),
        Line("vehicle", None, "", b.vehicle.key, kind="choice", shown=b.vehicle.name),
    ]
    if mode == "api":
        potency_basis = ref.form(b.potency_basis if b.potency is not None else ref.form(b.api_form).anhydrous_form)
        choices += [Line("api_form", None, "", b.api_form, kind="choice",
                         shown=ref.form(b.api_form).name),
                    Line("potency_basis", None, "", potency_basis.key, kind="choice",
                         shown=potency_basis.name,
                         how="in the powder: the anhydrous salt unless the certificate states the hydrate itself")]
    choices.append(Line("balance", None, "", "custom" if _mwq_entered(b) else b.balance, kind="choice",
                        shown="minimum weighable quantity entered" if _mwq_entered(b)
                        else ref.balance(b.balance).name))

    if mode == "whole":  # the tablets are the input either way; verify asks the core the same question
        by_conc = _by_concentration(b)
        choices.append(Line("batch_given_as", "The batch was given as", "", "concentration" if by_conc else "tablets",
                            kind="choice", shown="its concentration and final volume (whole tablets follow)"
                            if by_conc else "a number of whole tablets and the final volume"))

    inputs: list[Line] = []
    if mode == "whole":
        inputs.append(Line("tablets", None, "tablets", _mag(b.tablets_to_use), kind="input",
                           how="with the final volume, sets the concentration"))
    else:
        inputs.append(Line("concentration", None, "mg/mL", _mag(b.concentration, mg_per_mL),
                           kind="input", how="prescription: check it on every sheet and label"))
    inputs.append(Line("final_volume", None, "mL", _mag(b.final_volume, mL), kind="input"))
    if mode != "api":
        inputs.append(Line("tablet_strength", None, "mg/tablet",
                           _mag(ref.tablet.strength.quantity, mg_per_tablet), kind="input",
                           how=f"reference data: {ref.tablet.strength.source}"))
    if mode == "crushed":
        inputs.append(Line("tablet_weight", None, "mg/tablet",
                           _mag(b.average_tablet_weight, mg_per_tablet), kind="input", how="weigh 10-20 tablets"))
    if mode == "api":
        weighed = ref.form(b.api_form)
        potency_in, assay_in, water_in = _lot_inputs(b)
        inputs += [
            Line("potency", None, "%", potency_in, kind="input",
                 how=f"as-is content of {potency_basis.name} in the powder; blank: use assay and water, "
                     "or no correction (recorded)"),
            Line("assay", None, "%", assay_in, kind="input",
                 how="used when the as-is potency is blank"),
            Line("water", None, "%", water_in, kind="input", how="blank = 0"),
            Line("mw_potency_basis", f"Molecular weight of {potency_basis.name} (potency basis)", "g/mol",
                 _mag(potency_basis.molecular_weight.quantity, g_per_mol), kind="input",
                 how=f"reference data: {potency_basis.molecular_weight.source}"),
            Line("mw_weighed", f"Molecular weight of {weighed.name} (weighed)", "g/mol",
                 _mag(weighed.molecular_weight.quantity, g_per_mol), kind="input",
                 how=f"reference data: {weighed.molecular_weight.source}"),
            Line("mw_hcl", f"Molecular weight of {hcl.name} (strength basis)", "g/mol",
                 _mag(hcl.molecular_weight.quantity, g_per_mol), kind="input",
                 how=f"reference data: {hcl.molecular_weight.source}"),
        ]
    amounts = [c for c in b.components if c.amount is not None]
    for i, comp in enumerate(amounts, 1):
        unit, u = _amount_unit(comp.amount)
        per_100 = comp.amount.to(u) * Fraction(100) / b.final_volume.to(mL).magnitude
        inputs.append(Line(f"component_{i}_per_100ml", f"{comp.name} per 100 mL", unit, _mag(per_100), kind="input",
                           how=f"vehicle formula ({b.vehicle.name})"))
    for i, d in enumerate(b.dose_volumes, 1):
        inputs.append(Line(f"dose_{i}", f"Dose {i}", "mg", _mag(d.dose, mg), kind="input", how="prescription"))
        inputs.append(Line(f"syringe_graduation_{i}", f"Dose {i}: graduation of the syringe", "mL",
                           None if d.syringe is None else _mag(d.syringe.graduation, mL), kind="input",
                           how=d.syringe.name if d.syringe else "no oral syringe holds the dose"))
    day_one = 1 if (b.bud.capped_by_expiry is None and
                    (b.bud.date - b.compounding_date).days == int(b.bud.table_days.magnitude) - 1) else 0
    inputs += [
        Line("mwq", None, "mg", _mag(b.mwq, mg), kind="input"),
        *_yield_lines(bundle.qc),
        Line("compounding_date", None, "date", b.compounding_date, kind="input"),
        Line("bud_table_days", "Beyond-use days (USP <795> Table 4)", "days", _mag(b.bud.table_days, day),
             kind="input", how=b.bud.description),
        Line("bud_day_one", "Compounding day counts as day 1 (1 = yes, 0 = no)", "", Fraction(day_one),
             kind="input", places=0, how="an SOP convention; USP counts from the day after"),
        Line("earliest_expiry", "Earliest expiry of any component", "date", b.bud.capped_by_expiry, kind="input",
             how="blank: none that shortens the BUD; the BUD never passes it"),
    ]
    inputs += patient_inputs
    if b.aliquot is not None:
        inputs += _aliquot_inputs(b, bundle.liquid)

    calc: list[Line] = []
    if mode == "whole":
        calc += [
            Line("naltrexone_hcl", None, "mg", _mag(b.naltrexone_hcl, mg),
                 "tablets*tablet_strength", "tablets × tablet strength"),
            Line("concentration", None, "mg/mL", _mag(b.concentration, mg_per_mL),
                 "naltrexone_hcl/final_volume", "naltrexone HCl ÷ final volume"),
        ]
    else:
        calc.append(Line("naltrexone_hcl", None, "mg", _mag(b.naltrexone_hcl, mg),
                         "concentration*final_volume", "concentration × final volume"))
    if mode == "crushed":
        calc += [
            Line("tablets_equivalent", None, "tablets", b.tablets_equivalent,
                 "naltrexone_hcl/tablet_strength", "drug ÷ tablet strength", places=4),
            Line("tablets_to_crush", None, "tablets", _mag(b.tablets_to_crush),
                 "ROUNDUP(ROUND(tablets_equivalent,9),0)", "ROUNDUP(tablets equivalent)"),
            Line("tablet_powder_to_weigh", None, "mg", _mag(b.tablet_powder_to_weigh, mg),
                 "naltrexone_hcl*tablet_weight/tablet_strength", "drug × average tablet weight ÷ tablet strength"),
        ]
    if mode == "api":
        calc += [
            Line("salt_factor", None, "", b.salt_factor,
                 "IF(OR(ISNUMBER(potency),ISNUMBER(assay)),mw_potency_basis,mw_weighed)/mw_hcl",
                 "MW(potency basis, or the form weighed when no potency) ÷ MW(HCl)"),
            Line("as_is_potency", "As-is potency used", "%", b.potency if b.potency is not None else Fraction(1),
                 "IF(ISNUMBER(potency),potency,IF(ISNUMBER(assay),assay*(1-N(water)),1))",
                 "potency; else assay × (1 − water); else 100 % (no correction)"),
            Line("api_to_weigh", _api_label(b), "mg", _mag(b.api_to_weigh, mg),
                 "naltrexone_hcl*salt_factor/as_is_potency", "drug × salt factor ÷ as-is potency"),
        ]
        if b.aliquot is not None:
            calc += _aliquot_calc(b)
    for i, comp in enumerate(amounts, 1):
        unit, u = _amount_unit(comp.amount)
        calc.append(Line(f"component_{i}", comp.name, unit, _mag(comp.amount, u),
                         f"component_{i}_per_100ml*final_volume/100", "amount per 100 mL × final volume ÷ 100"))
    for i, d in enumerate(b.dose_volumes, 1):
        grad = "no syringe" if d.syringe is None else ("yes" if d.on_graduation else "no")
        calc += [
            Line(f"dose_volume_{i}", f"Dose {i}: volume", "mL", _mag(d.volume, mL), f"dose_{i}/concentration",
                 "dose ÷ concentration"),
            Line(f"on_graduation_{i}", f"Dose {i}: on a syringe graduation", "", grad,
                 f'IF(ISNUMBER(syringe_graduation_{i}),IF(ROUND(dose_volume_{i}/syringe_graduation_{i},9)='
                 f'ROUND(dose_volume_{i}/syringe_graduation_{i},0),"yes","no"),"no syringe")',
                 "volume a whole number of graduations", kind="text"),
            Line(f"days_supply_{i}", f"Dose {i}: days one bottle lasts (once daily)", "days",
                 _mag(d.days_supply, day), f"final_volume/dose_volume_{i}", "final volume ÷ dose volume", places=1),
            Line(f"days_usable_{i}", f"Dose {i}: days one bottle is used (at most the BUD)", "days",
                 _mag(d.days_usable, day), f"MIN(days_supply_{i},bud_date-compounding_date+bud_day_one)",
                 "the smaller of the days it lasts and the BUD's days", places=1),
            Line(f"doses_in_bottle_{i}", f"Dose {i}: whole doses in the bottle", "", Fraction(d.doses_in_bottle),
                 f"ROUNDDOWN(ROUND(final_volume/dose_volume_{i},9),0)", "ROUNDDOWN(final volume ÷ dose volume)",
                 places=0),
        ]
    calc += patient_calc
    weigh_formula, weigh_core = _weighings(b, mode, amounts)
    calc.append(Line("weighings_check", "Every amount weighed at or above the MWQ", "", weigh_core, weigh_formula,
                     "powder and weighed vehicle components ≥ MWQ", kind="text"))
    bud_f = "compounding_date+bud_table_days-bud_day_one"
    bud = bud_lines(b.bud, bud_f)
    return [Section("Choices (set when the record was calculated)", tuple(choices)),
            Section("Inputs (yellow: change here, everything follows)", tuple(inputs)),
            Section("Calculation", tuple(calc)),
            Section("Beyond-use date", tuple(bud))]


def _aliquot_inputs(b: LiquidPreparation, data: Any) -> list[Line]:
    """The planned liquid aliquot (liquid_aliquot.py): the powder weighed, and per stage the flask made
    up to and the volume measured, with the measuring device's marks (reference data)."""
    a = b.aliquot
    lines = [Line("aliquot_api_to_weigh", "Liquid aliquot: powder to weigh", "mg", _mag(a.api_to_weigh, mg),
                  kind="input", how="planned: at least the MWQ, rounded up to the weighing step"),
             Line("solubility", f"Solubility of naltrexone HCl in {data.stock_solvent}", "mg/mL",
                  _mag(data.solubility.quantity, mg_per_mL), kind="input",
                  how=f"reference data: {data.solubility.source}")]
    for i, s in enumerate(a.stages, 1):
        lines += [
            Line(f"aliquot_flask_{i}", f"Aliquot stage {i}: made up to (volumetric flask)", "mL",
                 _mag(s.made_up_to, mL), kind="input", how=f"planned: {s.flask.name}"),
            Line(f"aliquot_take_{i}", f"Aliquot stage {i}: volume measured", "mL", _mag(s.volume_to_take, mL),
                 kind="input", how=f"planned: {s.device.name}" + (", into the batch" if i == len(a.stages) else "")),
            Line(f"aliquot_graduation_{i}", f"Aliquot stage {i}: graduation of the {s.device.name}", "mL",
                 _mag(s.device.graduation, mL), kind="input", how="reference data"),
            Line(f"aliquot_minimum_{i}", f"Aliquot stage {i}: smallest volume the {s.device.name} measures", "mL",
                 _mag(s.device.minimum, mL), kind="input", how="reference data"),
        ]
    return lines


def _aliquot_calc(b: LiquidPreparation) -> list[Line]:
    a = b.aliquot
    n = len(a.stages)
    shares = "*".join(f"aliquot_take_{i}/aliquot_flask_{i}" for i in range(1, n + 1))
    content = Fraction((b.naltrexone_hcl / b.api_to_weigh).to("").magnitude)
    calc = [
        Line("aliquot_stock_concentration", "Aliquot: stock solution concentration (powder)", "mg/mL",
             _mag(a.stock_concentration, mg_per_mL), "aliquot_api_to_weigh/aliquot_flask_1",
             "powder weighed ÷ volume made up"),
        Line("aliquot_stock_hcl", "Aliquot: naltrexone HCl in the stock", "mg/mL",
             _mag(a.stock_concentration, mg_per_mL) * content, "aliquot_stock_concentration*naltrexone_hcl/api_to_weigh",
             "stock concentration × naltrexone HCl ÷ powder needed"),
        Line("aliquot_solubility_check", "Aliquot: stock at or below the solubility", "", "OK",
             'IF(ROUND(aliquot_stock_hcl,9)<=ROUND(solubility,9),"OK","ABOVE THE SOLUBILITY")',
             "naltrexone HCl in the stock ≤ solubility", kind="text"),
    ]
    for i, s in enumerate(a.stages, 1):
        calc.append(Line(f"aliquot_measurable_{i}", f"Aliquot stage {i}: volume on a mark of the device", "", "yes",
                         f'IF(AND(aliquot_take_{i}>=aliquot_minimum_{i},aliquot_take_{i}<aliquot_flask_{i},'
                         f'ROUND(aliquot_take_{i}/aliquot_graduation_{i},9)=ROUND(aliquot_take_{i}/aliquot_graduation_{i},0)),'
                         '"yes","no")', "a whole number of marks, at least the minimum, less than the flask",
                         kind="text"))
    calc += [
        Line("aliquot_powder_delivered", "Aliquot: powder measured into the batch", "mg", _mag(a.powder_delivered, mg),
             f"aliquot_api_to_weigh*{shares}", "powder weighed × Π(volume measured ÷ volume made up)"),
        Line("aliquot_percent_of_target", "Aliquot: share of the powder needed", "%", a.percent_of_target,
             "aliquot_powder_delivered/api_to_weigh", "delivered ÷ needed"),
        Line("aliquot_within_limits", "Aliquot: within the liquid's limits", "", "OK",
             'IF(AND(ROUND(aliquot_percent_of_target,6)>=ROUND(yc_low,6),'
             'ROUND(aliquot_percent_of_target,6)<=ROUND(yc_high,6)),"OK","OUTSIDE THE LIMITS")',
             "between the yield limits (Yield check sheet)", kind="text"),
        Line("aliquot_factor", "Aliquot: dilution factor", "", a.factor,
             "aliquot_api_to_weigh/aliquot_powder_delivered", "powder weighed ÷ powder measured into the batch"),
        Line("aliquot_volume_to_take", "Aliquot: stock solution to measure into the batch", "mL",
             _mag(a.stock_volume_to_take, mL), f"aliquot_take_{n}", "the last stage's measured volume"),
    ]
    return calc


def _weighings(b: LiquidPreparation, mode: str, amounts) -> tuple[str, str]:
    tests = []
    if mode == "crushed":
        tests.append("tablet_powder_to_weigh>=mwq")
    elif mode == "api":
        tests.append("aliquot_api_to_weigh>=mwq" if b.aliquot is not None else "api_to_weigh>=mwq")
    for i, comp in enumerate(amounts, 1):
        if comp.amount.dimensionality == mg.dimensionality:
            tests.append(f"component_{i}>=mwq")
    formula = f'IF(AND({",".join(tests)}),"OK","BELOW MWQ")' if tests else '"OK"'
    return formula, "OK" if b.above_mwq else "BELOW MWQ"


def recompute(values: dict[str, Any]) -> LiquidPreparation:
    """The core's liquid for the inputs read back from a record's named cells."""
    doses, i = [], 1
    while f"dose_{i}" in values:
        doses.append(Q(_num(values[f"dose_{i}"]), mg))
        i += 1
    kw: dict[str, Any] = {
        "source": values["source"], "vehicle": values["vehicle"],
        "final_volume": Q(_num(values["final_volume"]), mL),
        "compounding_date": _date(values["compounding_date"]), "doses": doses,
        "day_one_is_compounding_day": bool(_num(values.get("bud_day_one") or 0)),
    }
    if values.get("formula_id"):
        kw["formula"] = values["formula_id"]
    if values.get("tablets") is not None and values.get("batch_given_as") == "concentration":
        strength = _num(values["tablet_strength"])
        kw["concentration"] = Q(_num(values["tablets"]) * strength / _num(values["final_volume"]), mg_per_mL)
    elif values.get("tablets") is not None:
        kw["tablets"] = int(_num(values["tablets"]))
    else:
        kw["concentration"] = Q(_num(values["concentration"]), mg_per_mL)
    if values.get("tablet_weight") is not None:
        kw["tablet_weight"] = Q(_num(values["tablet_weight"]), mg_per_tablet)
    if values["source"] == "api":
        kw["api_form"] = values["api_form"]
        for name in ("potency", "assay", "water"):
            if values.get(name) is not None:
                kw[name] = Q(_num(values[name]) * 100, "percent")
        if values.get("potency") is not None or values.get("assay") is not None:
            kw["potency_basis"] = values.get("potency_basis")
    if values.get("balance") == "custom":
        kw["mwq"] = Q(_num(values["mwq"]), mg)
    else:
        kw["balance"] = values.get("balance")
    expiries = expiries_read_back(values)
    if expiries:
        kw["component_expiries"] = expiries
    return prepare_liquid(**kw)


# --- the workbook -------------------------------------------------------------------------------

def build(wb, b: LiquidPreparation, record: Fields, *, paper: str = "A4", patient_dose: Any = None,
          allocation: Any = None, bundle: Any = None) -> str:
    from ..display import format_quantity

    patient_dose = None if patient_dose is None else dose_text(patient_dose)
    bundle = bundle_for(b, bundle)
    secs = sections(b, patient_dose=patient_dose, bundle=bundle)
    check_names(secs)
    digest = record_hash(KIND, secs)
    identity = identity_text(KIND, digest)
    mf = bundle.formula(b.formula_id) if b.formula_id else None
    prep = (f"Naltrexone HCl {format_quantity(b.concentration)} oral liquid, "
            f"{format_quantity(b.final_volume)}")
    rec = wb.active
    rec.title = "Compounding record"
    calc = wb.create_sheet(CALC_SHEET)
    yield_ws = wb.create_sheet("Yield check")
    label = wb.create_sheet("Label")
    write_calculations(calc, f"Calculations — {b.formula_name or 'naltrexone HCl oral liquid'}", secs, identity)
    _record_sheet(rec, b, mf, record, identity, prep)
    _yield_sheet(yield_ws)
    _label(label, b, mf, record, patient_dose is not None)
    footer = f"{b.formula_id} v{b.formula_version}" if b.formula_id else "oral liquid"
    finish(wb, kind=KIND, prep=prep, record=record, footer=footer, digest=digest, paper=paper,
           print_cols={CALC_SHEET: 6}, options={"patient_dose": patient_dose}, allocation=allocation)
    return digest


def _active_cell(b: LiquidPreparation) -> Cell:
    mode = _mode(b)
    if mode == "whole":
        return Cell(formula='=tablets&" whole tablets"')
    if mode == "crushed":
        return Cell(formula=f'={_CRUSH}&"; weigh "&' + _qt("tablet_powder_to_weigh") + '&" powder"',
                    hint="crush 1 tablet; weigh 192.6 mg powder")
    if b.aliquot is not None:
        text = '="weigh "&' + _qt("aliquot_api_to_weigh") + '&", dissolve in purified water to "&' + _qt("aliquot_flask_1", "mL")
        for i in range(2, len(b.aliquot.stages) + 1):
            text += '&"; dilute "&' + _qt(f"aliquot_take_{i - 1}", "mL") + '&" to "&' + _qt(f"aliquot_flask_{i}", "mL")
        return Cell(formula=text + '&"; measure "&' + _qt("aliquot_volume_to_take", "mL"),
                    hint="weigh 122 mg, dissolve in purified water to 10 mL; measure 2.5 mL")
    return Cell(formula='="weigh "&' + _qt("api_to_weigh"))


def _record_sheet(ws, b: LiquidPreparation, mf, record: Fields, identity: str, prep: str) -> None:
    setup_record(ws)
    name = mf.name if mf else "Naltrexone hydrochloride oral liquid"
    row = title(ws, 1, "Compounding record", f"{name} — {prep}")
    conc = "=" + _qt("concentration", "mg/mL", 4)
    row = grid(ws, row + 1, [
        ("Pharmacy", record.cell("pharmacy_name"),
         "Internal lot / Rx number", record.cell("lot_number")),
        ("Preparation", Cell(text=name),
         "Master formula", Cell(text=f"{mf.id}, version {mf.version}" if mf else "none (calculated preparation)")),
        ("Concentration", Cell(formula=conc),
         "Dosage form", Cell(text=mf.dosage_form if mf else ("oral suspension" if b.source == "tablets"
                                                             else "oral solution"))),
        ("Quantity", Cell(formula="=" + _qt("final_volume", "mL") + '&" ("&' + _qt("naltrexone_hcl") + '&")"'),
         "Vehicle", Cell(text=b.vehicle.name)),
        ("Compounding date", Cell(formula="=compounding_date", fmt=st.DATE_FORMAT),
         "Beyond-use date", Cell(formula="=bud_date", fmt=st.DATE_FORMAT)),
        ("Patient", record.cell("patient"),
         "Prescriber", record.cell("prescriber")),
    ])
    restyle(ws.cell(row=row - 4, column=2), font=st.BIG_BOLD)
    row = wide(ws, row, "Storage", Cell(text=b.bud.storage_label))
    row = wide(ws, row, "BUD basis", Cell(text=b.bud.basis + (f". {mf.bud_reference}" if mf else "")))
    row = wide(ws, row, "BUD set by", Cell(formula="=bud_limited_by", hint="USP <795> Table 4: 180 days"))

    row = section(ws, row + 1, "Ingredients (fill in manufacturer, lot, expiry, actual amount and initials)")
    active = next((i.name for i in mf.ingredients if i.role == "active"), None) if mf else None
    active = active or ("Naltrexone hydrochloride 50 mg tablets" if b.source == "tablets"
                        else "Naltrexone hydrochloride USP (powder)")
    items = [("Active", active, _active_cell(b))]
    amounts = [c for c in b.components if c.amount is not None]
    k = 0
    for comp in b.components:
        if comp.amount is None:
            items.append((comp.role.capitalize(), comp.name, Cell(formula='="to "&' + _qt("final_volume", "mL"))))
        else:
            k += 1
            unit, _ = _amount_unit(comp.amount)
            items.append((comp.role.capitalize(), comp.name, Cell(formula="=" + _qt(f"component_{k}", unit))))
    assert k == len(amounts)
    row = ingredient_table(ws, row, items)

    row = section(ws, row + 1, "Key quantities (live from the Calculations sheet)")
    row = grid(ws, row, [
        ("Naltrexone HCl in batch", Cell(formula="=" + _qt("naltrexone_hcl")),
         "Balance MWQ", Cell(formula="=" + _qt("mwq") + '&" ("&weighings_check&")"')),
    ])
    if b.dose_volumes:
        row = section(ws, row + 1, "Doses (volume = dose ÷ concentration; measure with the oral syringe named)")
        for c, head in ((1, "Dose"), (2, "Volume"), (3, "Syringe"), (5, "On a graduation"),
                        (6, "Days one bottle is used"), (8, "Doses")):
            put_text(ws, row, c, head, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        restyle(ws.cell(row=row, column=4), border=st.BOX)
        restyle(ws.cell(row=row, column=7), border=st.BOX)
        merge(ws, row, 3, row, 4)
        merge(ws, row, 6, row, 7)
        ws.row_dimensions[row].height = 26
        row += 1
        for i, d in enumerate(b.dose_volumes, 1):
            write_cell(ws, row, 1, Cell(formula="=" + _qt(f"dose_{i}")), font=st.BOLD)
            write_cell(ws, row, 2, Cell(formula="=" + _qt(f"dose_volume_{i}", "mL")), font=st.BOLD)
            write_cell(ws, row, 3, Cell(text=d.syringe.name if d.syringe else "none holds it"), last_col=4)
            write_cell(ws, row, 5, Cell(formula=f"=on_graduation_{i}"))
            write_cell(ws, row, 6, Cell(formula="=" + _qt(f"days_usable_{i}", "days", 1)
                                        + f'&IF(ROUND(days_supply_{i},9)>ROUND(days_usable_{i},9),'
                                        f'" (BUD; lasts "&ROUND(days_supply_{i},1)&")","")',
                                        hint="14 days (BUD; lasts 33.3)"), last_col=7)
            write_cell(ws, row, 8, Cell(formula=f"=doses_in_bottle_{i}"))
            row += 1

    row = section(ws, row + 1, "Procedure (initial each step)")
    row = steps_table(ws, row, mf.steps if mf else _GENERIC_STEPS)
    row = section(ws, row + 1, "Quality control")
    put_text(ws, row, 1, "Final volume and yield (see Yield check sheet)", font=st.BOLD, border=st.BOX)
    for c in range(2, 7):
        restyle(ws.cell(row=row, column=c), border=st.BOX)
    merge(ws, row, 1, row, 6)
    write_cell(ws, row, 7, Cell(formula="=yc_verdict"), last_col=8, font=st.BOLD)
    status_colours(ws, f"G{row}")
    ws.row_dimensions[row].height = 26
    row += 1
    qc_lines = list(mf.qc) if mf else ["Final volume as calculated; yield 95-105 %.",
                                       "Appearance: uniform after shaking."]
    if mf:
        qc_lines.append("Physical description: " + mf.description)
    record_closing(ws, row, qc_lines=qc_lines, warnings=b.warnings, trace=b.trace, record=record,
                   identity=identity)


def _yield_sheet(ws) -> None:
    """Final volume against the theoretical volume: yield and verdict (limits editable)."""
    from openpyxl.workbook.defined_name import DefinedName

    wb = ws.parent
    ws.sheet_view.showGridLines = False
    for col, width in zip("ABCD", (40, 16, 10, 30)):
        ws.column_dimensions[col].width = width
    put_text(ws, 1, 1, "Final volume and yield", font=st.TITLE, align=st.TOP)
    merge(ws, 1, 1, 1, 4)
    note = ("Measure the final volume in the calibrated container after making up to volume. The yield "
            "(actual ÷ theoretical volume) must lie within the limits below.")
    put_text(ws, 2, 1, note, font=st.SMALL)
    merge(ws, 2, 1, 2, 4)
    fit_row(ws, 2, [(note, 90)], 11)
    rows = [
        ("yc_theoretical", "Theoretical final volume", Cell(formula="=final_volume", fmt="0.0#"), "mL"),
        ("yc_actual", "Actual final volume (measured)", Cell(value=None, entry=True, fmt="0.0#"), "mL"),
        ("yc_yield", "Yield", Cell(formula='=IF(ISNUMBER(yc_actual),yc_actual/final_volume,"")', fmt="0.0%"), ""),
        ("yc_low", "Yield, lowest acceptable", Cell(formula="=yield_low", fmt="0%"), ""),
        ("yc_high", "Yield, highest acceptable", Cell(formula="=yield_high", fmt="0%"), ""),
        ("yc_verdict", "Verdict", Cell(formula='=IF(ISNUMBER(yc_yield),IF(AND(ROUND(yc_yield,6)>=ROUND(yc_low,6),'
                                       'ROUND(yc_yield,6)<=ROUND(yc_high,6)),"PASS","FAIL"),'
                                       '"INCOMPLETE: measure the final volume")'), ""),
    ]
    r = 4
    for key, text, cell, unit in rows:
        put_text(ws, r, 1, text, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        write_cell(ws, r, 2, cell, align=st.RIGHT, font=st.BOLD if key == "yc_verdict" else None)
        put_text(ws, r, 3, unit, border=st.BOX)
        wb.defined_names[key] = DefinedName(key, attr_text=f"'{ws.title}'!$B${r}")
        r += 1
    merge(ws, r - 1, 2, r - 1, 4)
    status_colours(ws, f"B{r - 1}")
    for text in ("Appearance (uniform after shaking; colour; no caking)", "Checked by (initials, date)"):
        r += 1
        put_text(ws, r, 1, text, font=st.BOLD, border=st.BOX)
        write_cell(ws, r, 2, Cell.entry_text(""), last_col=4)
        ws.row_dimensions[r].height = 26


def _dose_cell(given: bool) -> Cell:
    """The patient's dose and its volume on the syringe dispensed; a volume off the syringe's marks
    is said to be so, never printed as if it could be measured. Without a dose: a line to fill in."""
    if not given:
        return Cell(text="", entry=True)
    dose, vol = _qt("patient_dose"), _qt("patient_dose_volume", "mL")
    return Cell(formula=f'=IF(patient_dose_on_mark="yes",{dose}&" = "&{vol}&": fill the "&'
                        f'{_qt("patient_syringe_capacity", "mL")}&" oral syringe to the "&{vol}&" mark",'
                        f'"CHECK: "&{dose}&" is "&{vol}&", "&IF(patient_dose_on_mark="no","not on a mark of the "&'
                        f'{_qt("patient_syringe_capacity", "mL")}&" oral syringe",IF(patient_dose_on_mark="too small",'
                        f'"less than the "&{_qt("minimum_dose_volume", "mL")}&" an oral syringe measures accurately",'
                        '"more than an oral syringe holds"))&": it cannot be measured; do not dispense")',
                hint="1.5 mg = 1.5 mL: fill the 3 mL oral syringe to the 1.5 mL mark")


def _label(ws, b: LiquidPreparation, mf, record: Fields, patient_dose: bool) -> None:
    lines: list[tuple[str, Cell]] = [
        ("Pharmacy", record.cell("pharmacy_name")),
        ("Address and phone", record.cell("pharmacy_contact")),
        ("Patient", record.cell("patient")),
        ("Preparation", Cell(formula='="NALTREXONE HCl "&' + _qt("concentration", "mg/mL", 4) + '&" oral liquid"')),
        ("Contents", Cell(formula="=" + _qt("naltrexone_hcl") + '&" in "&' + _qt("final_volume", "mL"))),
    ]
    lines.append(("Directions", record.cell("directions")))
    lines.append(("Dose", _dose_cell(patient_dose)))  # the patient's, not every dose of the table
    lines += [
        ("Internal lot / Rx number", record.cell("lot_number")),
        ("Compounded on", Cell(formula="=compounding_date", fmt=st.DATE_FORMAT)),
        ("Beyond-use date", Cell(formula="=bud_date", fmt=st.DATE_FORMAT)),
        ("Storage", Cell(text=b.bud.storage_label)),
    ]
    texts = list(b.labels[1:]) + (list(mf.labelling) if mf else [])
    seen: set[str] = {b.bud.storage_label.lower()}
    for text in texts:
        key = text.lower()
        if key in seen or key.startswith("naltrexone hcl") or is_default_directions(text):
            continue
        seen.add(key)
        kind = "Warning" if "opioid" in key else ("Note" if "compounded preparation" in key else "Instruction")
        lines.append((kind, Cell(text=text)))
    if not any("opioid" in t for t in seen):
        lines.append(("Warning", Cell(text=OPIOID_WARNING)))
    if not any("compounded preparation" in t for t in seen):
        lines.append(("Note", Cell(text="Compounded preparation.")))
    lines.append(("Prescriber", record.cell("prescriber")))
    label_sheet(ws, lines, heading="Label")
    for r in range(3, 3 + len(lines)):
        if ws.cell(row=r, column=1).value in ("Compounded on", "Beyond-use date"):
            restyle(ws.cell(row=r, column=2), alignment=st.LEFT)
