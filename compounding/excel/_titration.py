"""The titration workbook: *Titration plan* (schedule and dispensing summary), *Calculations*
(stages as named inputs; dates, totals, capsules per strength, dose volumes and liquid fills as live
formulas mirroring :mod:`compounding.titration`) and the dated *Patient chart*; and the way back from
the cells to :func:`compounding.titration.plan_titration`, used by :mod:`compounding.verify`.

The stages are stored explicitly (dose and days each), so a preset regimen is recomputed as the
stages it produced.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

from ..display import format_quantity
from ..errors import CompoundingError
from ..reference import reference
from ..titration import TitrationPlan, plan_titration
from ..units import Q, mg, mg_per_mL, mg_per_tablet, mL
from . import _styles as st
from ._capsules import _date, _mag, _num, _qt
from ._common import (CALC_SHEET, Line, Section, check_names, finish, fit_row, identity_text, merge, put_formula, put_text,
                      put_value, record_hash, restyle, write_calculations)
from ._sheets import (Cell, Fields, entry_box, grid, section, setup_record, signoff, text_rows, title, trace_lines,
                      write_cell)

KIND = "titration"


def _overage(p: TitrationPlan) -> Fraction:
    """The overage the fills were made with: fill 1's drug ÷ the doses of its days − 1."""
    if not p.fills:
        return Fraction(0)
    f = p.fills[0]
    doses = sum((c.dose.to(mg).magnitude for c in p.chart[f.first_day - 1:f.last_day]), Fraction(0))
    return Fraction(f.naltrexone_hcl.to(mg).magnitude) / doses - 1


def _sum(terms: list[str]) -> str:
    return "+".join(terms) if terms else "0"


def sections(p: TitrationPlan) -> list[Section]:
    ref = reference()
    liquid = p.form == "liquid"
    n = len(p.stages)
    choices = [Line("record_kind", "Record type", "", KIND, kind="choice"),
               Line("form", None, "", p.form, kind="choice", how="capsules or liquid"),
               Line("preset", None, "", p.preset or ("regimen" if _stepped(p) else ""), kind="choice",
                    shown=_preset_name(p.preset) if p.preset else "the prescriber's own stages")]
    if liquid:
        choices.append(Line("vehicle", None, "", p.vehicle, kind="choice", shown=_vehicle_name(p)))
    inputs = [Line("start_date", None, "date", p.start_date, kind="input")]
    for i, s in enumerate(p.stages, 1):
        inputs += [Line(f"dose_{i}", f"Stage {i}: dose at bedtime", "mg", _mag(s.dose, mg), kind="input"),
                   Line(f"days_{i}", f"Stage {i}: days", "days", Fraction(s.days), kind="input")]
    if p.capsules_per_strength is not None:
        for k, (strength, _) in enumerate(p.capsules_per_strength, 1):
            inputs.append(Line(f"capsule_strength_{k}", f"Capsule strength {k}", "mg", _mag(strength, mg),
                               kind="input", how="one capsule per dose"))
    if liquid:
        inputs += [
            Line("concentration", None, "mg/mL", _mag(p.concentration, mg_per_mL), kind="input",
                 how="check it on every label"),
            Line("bud_days", "Beyond-use days of the vehicle (days per fill)", "days", Fraction(p.bud_days),
                 kind="input", how="USP <795> Table 4 for the vehicle"),
            Line("overage", None, "%", _overage(p), kind="input", how="0: none"),
            Line("tablet_strength", None, "mg/tablet", _mag(ref.tablet.strength.quantity, mg_per_tablet),
                 kind="input", how=f"reference data: {ref.tablet.strength.source}"),
        ]

    calc: list[Line] = []
    for i, s in enumerate(p.stages, 1):
        calc += [
            Line(f"first_day_{i}", f"Stage {i}: first day", "days", Fraction(s.first_day),
                 "1" if i == 1 else f"first_day_{i - 1}+days_{i - 1}", "day 1, then the previous stage's end + 1"),
            Line(f"last_day_{i}", f"Stage {i}: last day", "days", Fraction(s.last_day),
                 f"first_day_{i}+days_{i}-1", "first day + days − 1"),
            Line(f"stage_start_{i}", f"Stage {i}: from", "date", s.start_date, f"start_date+first_day_{i}-1",
                 "start date + first day − 1"),
            Line(f"stage_end_{i}", f"Stage {i}: to", "date", s.end_date, f"start_date+last_day_{i}-1",
                 "start date + last day − 1"),
        ]
        if liquid:
            calc += [Line(f"dose_volume_{i}", f"Stage {i}: dose volume", "mL", _mag(s.dose_volume.volume, mL),
                          f"dose_{i}/concentration", "dose ÷ concentration")]
    calc += [
        Line("total_days", None, "days", Fraction(p.total_days),
             _sum([f"days_{i}" for i in range(1, n + 1)]), "Σ stage days"),
        Line("total_drug", None, "mg", _mag(p.total_drug, mg),
             _sum([f"dose_{i}*days_{i}" for i in range(1, n + 1)]), "Σ dose × days"),
    ]
    if p.capsules_per_strength is not None:
        for k, (_, count) in enumerate(p.capsules_per_strength, 1):
            terms = [f"IF(ROUND(dose_{i},6)=ROUND(capsule_strength_{k},6),days_{i},0)" for i in range(1, n + 1)]
            calc.append(Line(f"capsules_{k}", f"Capsules of strength {k}", "capsules", Fraction(count),
                             _sum(terms), "days at that dose × 1 capsule"))
        if p.single_strength is not None:
            doses = ",".join(f"dose_{i}" for i in range(1, n + 1))
            calc += [
                Line("single_strength", "Alternative: one strength only (the lowest dose)", "mg",
                     _mag(p.single_strength[0], mg), f"MIN({doses})", "the lowest dose"),
                Line("single_strength_capsules", "Alternative: capsules of that strength", "capsules",
                     Fraction(p.single_strength[1]), "total_drug/single_strength", "total drug ÷ lowest dose"),
            ]
    if liquid:
        calc.append(Line("total_volume", None, "mL", _mag(p.total_volume, mL),
                         "total_drug/concentration", "total drug ÷ concentration"))
        for k, f in enumerate(p.fills, 1):
            overlap = [f"dose_{i}*MAX(0,MIN(last_day_{i},fill_last_day_{k})-MAX(first_day_{i},fill_first_day_{k})+1)"
                       for i in range(1, n + 1)]
            calc += [
                Line(f"fill_first_day_{k}", f"Fill {k}: first day", "days", Fraction(f.first_day),
                     f"({k}-1)*bud_days+1", "fills of at most the BUD days each"),
                Line(f"fill_last_day_{k}", f"Fill {k}: last day", "days", Fraction(f.last_day),
                     f"MIN({k}*bud_days,total_days)", ""),
                Line(f"fill_date_{k}", f"Fill {k}: make on", "date", f.date, f"start_date+fill_first_day_{k}-1", ""),
                Line(f"fill_drug_{k}", f"Fill {k}: naltrexone HCl", "mg", _mag(f.naltrexone_hcl, mg),
                     f"({_sum(overlap)})*(1+overage)", "Σ doses of its days × (1 + overage)"),
                Line(f"fill_volume_{k}", f"Fill {k}: volume", "mL", _mag(f.volume, mL),
                     f"fill_drug_{k}/concentration", "drug ÷ concentration"),
                Line(f"fill_tablets_{k}", f"Fill {k}: tablets' worth", "tablets", f.tablets_equivalent,
                     f"fill_drug_{k}/tablet_strength", "drug ÷ tablet strength", places=4),
            ]
    calc.append(_layout_line(p))
    return [Section("Choices (set when the plan was made)", tuple(choices)),
            Section("Inputs (yellow: change here, everything follows)", tuple(inputs)),
            Section("Calculation", tuple(calc))]


def options(values: dict[str, Any]) -> dict[str, Any]:
    """The export options a record's cells carry (none for this kind)."""
    return {}


def _layout_line(p: TitrationPlan) -> Line:
    """The layout was made for this plan's length: the patient chart has a row for each of its days
    and (liquid) the fills cover them. A stage lengthened or shortened in the spreadsheet makes the
    plan another length than the layout: CHECK, export the plan again (issue 10.7)."""
    tests = [f"total_days={p.total_days}"]
    if p.form == "liquid":
        tests.append(f"ROUNDUP(total_days/bud_days,0)={len(p.fills)}")
    return Line("layout_check", "Patient chart and fills cover the plan", "", "OK",
                f'IF(AND({",".join(tests)}),"OK","CHECK: the layout covers {p.total_days} days; the plan has "'
                '&total_days&": export the plan again")',
                f"the chart has {p.total_days} days" + (f" and {len(p.fills)} fills" if p.form == "liquid" else ""),
                kind="text")


def recompute(values: dict[str, Any]) -> TitrationPlan:
    stages, i = [], 1
    while f"dose_{i}" in values:
        stages.append((Q(_num(values[f"dose_{i}"]), mg), int(_num(values[f"days_{i}"]))))
        i += 1
    kw: dict[str, Any] = {"form": values["form"], "start_date": _date(values["start_date"])}
    if values["form"] == "liquid":
        kw["concentration"] = Q(_num(values["concentration"]), mg_per_mL)
        kw["vehicle"] = values["vehicle"]
        if values.get("overage"):
            kw["overage"] = Q(_num(values["overage"]) * 100, "percent")
    preset = values.get("preset") or None
    # a plan made from a regimen (a preset, or start/step/every/target) is made again that way when
    # it gives the sheet's stages, so its name and notes come back with it
    for regimen in _regimens(preset, stages):
        try:
            plan = plan_titration(**regimen, **kw)
        except CompoundingError:
            continue
        if [(s.dose, s.days) for s in plan.stages] == stages:
            return plan
    plan = plan_titration(stages=stages, **kw)
    return dataclasses.replace(plan, preset=preset) if preset and preset != "regimen" else plan


def _stepped(p: TitrationPlan) -> bool:
    """Made from start/step/every/target without a preset (the core notes an uneven last step)."""
    return any(w.startswith("The last step is smaller") for w in p.warnings)


def _regimens(preset: str | None, stages: list) -> list[dict[str, Any]]:
    """Regimens that may have made ``stages``: the preset alone, then start, step, every, target and
    days at target read off the stages (with the preset, when there is one)."""
    out: list[dict[str, Any]] = [{"preset": preset}] if preset and preset != "regimen" else []
    if preset and len(stages) >= 2:
        inferred = {"start": stages[0][0], "step": stages[1][0] - stages[0][0], "every": stages[0][1],
                    "target": stages[-1][0], "maintain": stages[-1][1]}
        out.append(inferred if preset == "regimen" else {"preset": preset, **inferred})
    return out


# --- the workbook -------------------------------------------------------------------------------

def build(wb, p: TitrationPlan, record: Fields, *, paper: str = "A4", allocation: Any = None) -> str:
    from ..display import format_quantity

    secs = sections(p)
    check_names(secs)
    digest = record_hash(KIND, secs)
    identity = identity_text(KIND, digest)
    target = p.stages[-1].dose
    form = (f"liquid {format_quantity(p.concentration)}" if p.form == "liquid" else "capsules")
    prep = f"LDN titration to {format_quantity(target)}, {form}, from {p.start_date.isoformat()}"
    plan_ws = wb.active
    plan_ws.title = "Titration plan"
    calc = wb.create_sheet(CALC_SHEET)
    chart = wb.create_sheet("Patient chart")
    write_calculations(calc, "Calculations — LDN titration plan", secs, identity)
    _plan_sheet(plan_ws, p, record, identity, prep)
    _chart_sheet(chart, p, record)
    finish(wb, kind=KIND, prep=prep, record=record, footer="titration plan", digest=digest, paper=paper,
           print_cols={CALC_SHEET: 6, "Patient chart": 6}, allocation=allocation)
    return digest


def _regimen_text(p: TitrationPlan) -> str:
    """What the prescriber wrote, as a pharmacist reads it: "1.5 mg × 14 d → 3 mg × 14 d → …"."""
    steps = " → ".join(f"{format_quantity(s.dose)} × {s.days} d" for s in p.stages)
    if not p.preset:
        return steps
    return f"{_preset_name(p.preset)}: {steps}"


def _preset_name(key: str) -> str:
    from ..liquid_data import liquid_data

    regimen = liquid_data().regimens.get(key)
    return regimen.name if regimen else key


def _vehicle_name(p: TitrationPlan) -> str:
    from ..liquid_data import liquid_data

    vehicle = liquid_data().vehicles.get(p.vehicle) if p.vehicle else None
    return vehicle.name if vehicle else str(p.vehicle)


def _plan_sheet(ws, p: TitrationPlan, record: Fields, identity: str, prep: str) -> None:
    setup_record(ws)
    liquid = p.form == "liquid"
    row = title(ws, 1, "LDN titration plan", prep)
    row = grid(ws, row + 1, [
        ("Pharmacy", record.cell("pharmacy_name"),
         "Internal lot / Rx number", record.cell("lot_number")),
        ("Patient", record.cell("patient"), "Prescriber", record.cell("prescriber")),
        ("Regimen", Cell(text=_regimen_text(p)),
         "Dosage form", Cell(text=f"liquid, {_vehicle_name(p)}" if liquid else "capsules, one per dose")),
        ("First day", Cell(formula="=start_date", fmt=st.DATE_FORMAT),
         "Days in the plan", Cell(formula='=total_days&" days"')),
        ("Total naltrexone HCl", Cell(formula="=" + _qt("total_drug")),
         "Concentration" if liquid else "Take", Cell(formula="=" + _qt("concentration", "mg/mL", 4)) if liquid
         else Cell(text="one capsule at bedtime")),
    ])
    row = section(ws, row + 1, "Schedule (one dose at bedtime)")
    heads = ["Stage", "From", "To", "Days", "Dose"] + (["Volume", "Syringe"] if liquid else [])
    cols = [1, 2, 3, 4, 5, 6, 7]
    for c, h in zip(cols, heads):
        put_text(ws, row, c, h, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    if liquid:
        restyle(ws.cell(row=row, column=8), border=st.BOX)
        merge(ws, row, 7, row, 8)
    row += 1
    for i, s in enumerate(p.stages, 1):
        put_value(ws, row, 1, i, "0", border=st.BOX, align=st.CENTER)
        write_cell(ws, row, 2, Cell(formula=f"=stage_start_{i}", fmt=st.DATE_FORMAT), align=st.LEFT)
        write_cell(ws, row, 3, Cell(formula=f"=stage_end_{i}", fmt=st.DATE_FORMAT), align=st.LEFT)
        write_cell(ws, row, 4, Cell(formula=f"=days_{i}"), align=st.LEFT)
        write_cell(ws, row, 5, Cell(formula="=" + _qt(f"dose_{i}")), font=st.BOLD)
        if liquid:
            write_cell(ws, row, 6, Cell(formula="=" + _qt(f"dose_volume_{i}", "mL")), font=st.BOLD)
            dv = s.dose_volume
            note = (dv.syringe.name + ("" if dv.on_graduation else " (not on a graduation)")) if dv.syringe \
                else "no single syringe"
            write_cell(ws, row, 7, Cell(text=note), last_col=8)
            fit_row(ws, row, [(note, 22)])
        row += 1
    row = section(ws, row + 1, "Dispensing summary")
    if p.capsules_per_strength is not None:
        for c, h in ((1, "Strength"), (2, "Capsules to dispense"), (3, "Lot / Rx number"), (5, "BUD")):
            put_text(ws, row, c, h, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        restyle(ws.cell(row=row, column=4), border=st.BOX)
        merge(ws, row, 3, row, 4)
        row += 1
        for k, _ in enumerate(p.capsules_per_strength, 1):
            write_cell(ws, row, 1, Cell(formula="=" + _qt(f"capsule_strength_{k}")), font=st.BOLD)
            write_cell(ws, row, 2, Cell(formula=f'=capsules_{k}&" capsules"'), font=st.BOLD)
            write_cell(ws, row, 3, Cell.entry_text(""), last_col=4)
            write_cell(ws, row, 5, Cell(text="", entry=True))
            row += 1
        if p.single_strength is not None:
            text = ('="Alternative: "&single_strength_capsules&" capsules of "&' + _qt("single_strength")
                    + '&" only, taking several at once for the higher doses."')
            write_cell(ws, row, 1, Cell(formula=text), last_col=8)
            row += 1
    else:
        for c, h in enumerate(("Fill", "Make on", "Days", "Naltrexone HCl", "Volume", "Tablets' worth",
                               "Lot / Rx", "Initials"), 1):
            put_text(ws, row, c, h, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
        ws.row_dimensions[row].height = 26
        row += 1
        for k, _ in enumerate(p.fills, 1):
            put_value(ws, row, 1, k, "0", border=st.BOX, align=st.CENTER)
            write_cell(ws, row, 2, Cell(formula=f"=fill_date_{k}", fmt=st.DATE_FORMAT), align=st.LEFT)
            write_cell(ws, row, 3, Cell(formula=f'="days "&fill_first_day_{k}&"-"&fill_last_day_{k}'))
            write_cell(ws, row, 4, Cell(formula="=" + _qt(f"fill_drug_{k}")), font=st.BOLD)
            write_cell(ws, row, 5, Cell(formula="=" + _qt(f"fill_volume_{k}", "mL")), font=st.BOLD)
            write_cell(ws, row, 6, Cell(formula="=" + _qt(f"fill_tablets_{k}", "", 2)))
            write_cell(ws, row, 7, Cell.entry_text(""))
            write_cell(ws, row, 8, Cell.entry_text(""))
            row += 1
    if p.warnings:
        row = section(ws, row + 1, "Warnings from the calculator")
        row = text_rows(ws, row, [f"! {w}" for w in p.warnings], font=st.WARNING, fill=st.WARN_FILL)
    row = section(ws, row + 1, "Notes")
    row = entry_box(ws, row, record.cell("notes"), 3)
    row = section(ws, row + 1, "Sign-off")
    row = signoff(ws, row, record)
    row = section(ws, row + 1, "Calculation trace")
    row = text_rows(ws, row, trace_lines(p.trace), font=st.SMALL)
    text_rows(ws, row + 1, [identity], font=st.SMALL)


def _chart_sheet(ws, p: TitrationPlan, record: Fields) -> None:
    """The day-by-day chart for the patient: date, dose, what to take, a box to tick, notes."""
    liquid = p.form == "liquid"
    ws.sheet_view.showGridLines = False
    for col, width in zip("ABCDEFG", (7, 13, 10, 34, 8, 30, 8)):
        ws.column_dimensions[col].width = width
    ws.column_dimensions["G"].hidden = True  # the numeric dose each row's text is built from
    put_text(ws, 1, 1, "My LDN dose chart", font=st.TITLE, align=st.TOP)
    merge(ws, 1, 1, 1, 6)
    put_text(ws, 2, 1, "Patient", font=st.BOLD)
    write_cell(ws, 2, 2, record.cell("patient"), last_col=4)
    how = ("Take the dose at bedtime. Measure it with an oral syringe; shake the bottle well first. "
           if liquid else "Take one capsule at bedtime. ")
    note = how + ("Tick each day. Vivid dreams or poor sleep in the first weeks are common and usually "
                  "settle. Do not take with opioid medicines.")
    put_text(ws, 3, 1, note, font=st.SMALL)
    merge(ws, 3, 1, 3, 6)
    ws.row_dimensions[3].height = 26
    head = 5
    for c, h in enumerate(("Day", "Date", "Dose", "Take" if not liquid else "Measure", "Taken", "Notes"), 1):
        put_text(ws, head, c, h, font=st.BOLD, fill=st.HEADER_FILL, border=st.BOX)
    ws.print_title_rows = f"{head}:{head}"
    n = len(p.stages)
    dose_expr = '""'
    for i in range(n, 0, -1):
        dose_expr = f"IF({{d}}<=last_day_{i},dose_{i},{dose_expr})"
    for k in range(1, p.total_days + 1):
        r = head + k
        put_value(ws, r, 1, k, "0", border=st.BOX, align=st.CENTER)
        put_formula(ws, r, 7, "=IF(A{r}>total_days,\"\",{e})".format(r=r, e=dose_expr.format(d=f"A{r}")), "0.###")
        put_formula(ws, r, 2, f'=IF(ISNUMBER(G{r}),start_date+A{r}-1,"")', st.DATE_FORMAT, border=st.BOX, align=st.LEFT)
        put_formula(ws, r, 3, f'=IF(ISNUMBER(G{r}),{_qt(f"G{r}")},"")', border=st.BOX, font=st.BOLD)
        if liquid:
            take = f'=IF(ISNUMBER(G{r}),{_qt(f"G{r}/concentration", "mL")},"")'
        else:
            take = f'=IF(ISNUMBER(G{r}),"1 capsule of "&{_qt(f"G{r}")},"")'
        put_formula(ws, r, 4, take, border=st.BOX)
        put_text(ws, r, 5, "", entry=True)
        put_text(ws, r, 6, "", entry=True)
