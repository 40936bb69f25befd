"""Every plain-text sheet (the terminal, and the app's text download): capsule batch, oral liquid,
titration plan and weight check. The key numbers first, then the trace. Every figure goes through
:mod:`compounding.display`, as on the screen; every row that shows a named quantity takes its label
from :mod:`compounding.glossary` (``_label("blend_total")``), as the Excel record and the app do."""

from __future__ import annotations

from .display import format_quantity as fq
from .display import format_number, format_rounded_up
from .glossary import term
from .units import Q, capsule, dimensionless, mg, mg_per_capsule, percent, tablet

__all__ = ["capsule_sheet", "liquid_sheet", "titration_sheet", "weight_check_sheet", "potency_rows",
           "weighing_lines", "actual_lines", "extra_text", "tablets_worth"]


def _label(key: str) -> str:
    return term(key).label


def _rows(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(k) for k, _ in rows)
    return [f"  {k:<{width}}  {v}" for k, v in rows]


def potency_rows(r) -> list[tuple[str, str]]:
    """Salt factor and as-is potency with its basis (what the potency is the content of): a capsule
    batch or a liquid made from powder."""
    potency = "none entered (no correction)" if r.potency is None else _pct(r.potency)
    return [(_label("salt_factor"), format_number(r.salt_factor)), (_label("potency"), potency),
            (_label("potency_basis"), r.potency_basis_text)]


def _pct(fraction) -> str:
    return fq(Q(fraction, dimensionless).to(percent))


def tablets_worth(b):  # b: CapsuleBatch from tablets
    """The tablets' worth of the largest amount of tablet powder weighed: what the whole tablets to
    crush were rounded up from (the trace's tablets_to_crush step)."""
    step = next(s for s in b.trace if s.key == "tablets_to_crush")
    return dict(step.inputs)["tablets_worth"]


def extra_text(b) -> str:  # b: CapsuleBatch
    """The extra capsules, saying so when a percentage was rounded up: "10 (rounded up from 9.5)"."""
    step = next((s for s in b.trace if s.key == "extra"), None)
    unrounded = dict(step.inputs).get("unrounded") if step is not None else None
    shown = format_rounded_up(b.extra, unrounded) if unrounded is not None else fq(b.extra)
    return shown.replace(" capsules", "").replace(" capsule", "")


def capsule_sheet(b) -> str:  # b: CapsuleBatch
    out = [f"{b.formula_name}  [{b.formula_id} v{b.formula_version}]",
           f"Naltrexone HCl {fq(b.strength.to(mg_per_capsule) * (1 * capsule), mg)} per capsule, "
           f"size {b.capsule_size}, {b.filler_name}", ""]
    rows = [(_label("capsules_to_make"), f"{int(b.capsules_to_make.magnitude)} "
             f"({int(b.capsules_ordered.magnitude)} ordered + {extra_text(b)} extra)"),
            (_label("naltrexone_hcl"), fq(b.naltrexone_hcl, mg))]
    if b.source == "api":
        rows += potency_rows(b)
        rows.append((_label("api_to_weigh"), fq(b.api_to_weigh, mg) + " (calculated; weigh as below)"))
    else:
        drug = next(w for w in b.weighings if w.key == "drug")
        rows += [(_label("tablets_to_crush"), f"{format_rounded_up(b.tablets_to_crush, tablets_worth(b))}: "
                  f"their powder holds the {drug.shown} of tablet powder weighed"),
                 (_label("tablet_powder_to_weigh"), fq(b.tablet_powder_to_weigh, mg) + " (calculated; weigh as below)")]
    rows += [(_label("filler_to_weigh"), fq(b.filler_to_weigh, mg)),
             (_label("blend_total"), fq(b.blend_total, mg)),
             (_label("fill_weight_per_capsule"), fq(b.fill_weight_per_capsule.to(mg_per_capsule) * (1 * capsule), mg)),
             ("Acceptable fill (QC)", f"{fq(b.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(b.fill_weight_max * (1 * capsule), mg)} "
              f"({_pct(b.qc_low)}-{_pct(b.qc_high)})"),
             (_label("bud"), f"{b.bud.date.isoformat()} ({int(b.bud.days.magnitude)} days)"),
             (_label("storage"), b.bud.storage_label),
             (_label("balance"), f"MWQ {fq(b.mwq, mg)}, readability {fq(b.readability, mg)}")]
    out += _rows(rows)
    out += weighing_lines(b)
    out += _warnings(b.warnings)
    out += ["", _label("trace") + ":"] + [f"  {i:>2}. {s}" for i, s in enumerate(b.trace, 1)]
    return "\n".join(out) + "\n"


def _warnings(warnings) -> list[str]:
    return ["", _label("warnings") + ":"] + [f"  ! {w}" for w in warnings] if warnings else []


def weighing_lines(b) -> list[str]:  # b: CapsuleBatch
    """What to weigh, at the balance's readability, with each acceptable window; the dose the
    planned weighings deliver; the aliquot plan; and what to do when a weight differs."""
    shown = {w.key: w.shown for w in b.weighings}
    out = ["", f"What to weigh (every amount at the balance's readability of {fq(b.readability, mg)}):"]
    rows = [(w.what[0].upper() + w.what[1:], w.shown + (f"   acceptable {w.window}" if w.window else "")
             + ("   BELOW THE MWQ" if w.below_mwq else "")) for w in b.weighings]
    out += _rows(rows)
    p = b.planned
    out.append(f"  These weighings deliver {fq(p.drug_per_capsule * (1 * capsule), mg)} per capsule, "
               f"{fq(p.percent_of_target)} of the {fq(b.strength * (1 * capsule), mg)} "
               f"strength (limits {_pct(b.qc_low)}-{_pct(b.qc_high)}).")
    if b.aliquot is not None:
        out += ["", "Aliquot (trituration) plan:"]
        for i, s in enumerate(b.aliquot.stages, 1):
            diluent, aliquot = ("diluent", "aliquot") if i == 1 else (f"diluent_{i}", f"aliquot_{i}")
            first = shown["drug"] if i == 1 else shown["aliquot"]
            out.append(f"  stage {i}: weigh {first}, add {shown[diluent]} diluent (from the batch's filler) "
                       f"to make {fq(s.mixture_total, mg)}, mix geometrically, take {shown[aliquot]} "
                       f"(holds {fq(s.drug_in_aliquot, mg)})")
        if "filler" in shown:
            out.append(f"  then add {shown['filler']} filler to the final aliquot.")
    out += ["", "If an actual weight differs from its target: inside the acceptable window, carry on and "
            "record it; outside it, recalculate from the actual weight (capsules ... --actual-drug MASS, "
            "--actual-filler MASS, and for an aliquot --actual-diluent, --actual-aliquot) before going on."]
    return out + actual_lines(b)


def actual_lines(b) -> list[str]:  # b: CapsuleBatch
    """The batch recalculated from the actual weights, when any were given."""
    a = b.actual
    if a is None:
        return []
    rows = []
    for w in b.weighings:
        got = a.weights[w.key]
        rows.append((w.what[0].upper() + w.what[1:], f"target {w.shown}, actual "
                     + (fq(got, mg) if w.key in a.actual else f"{w.shown} (as planned)")))
    if "filler" in a.actual and "filler" not in {w.key for w in b.weighings}:
        rows.append(("Filler added to the blend", f"target none, actual {fq(a.weights['filler'], mg)}"))
    rows += [(_label("blend_total"), fq(a.blend_total, mg)),
             (_label("fill_weight_per_capsule"), fq(a.fill_weight_per_capsule * (1 * capsule), mg) + " (the target for "
              f"the weight check: {fq(a.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(a.fill_weight_max * (1 * capsule), mg)})"),
             (_label("drug_per_capsule"), f"{fq(a.drug_per_capsule * (1 * capsule), mg)}, "
              f"{fq(a.percent_of_target)} of the {fq(b.strength * (1 * capsule), mg)} strength")]
    verdict = "WITHIN LIMITS" if a.within_limits else "OUTSIDE LIMITS: " + "; ".join(a.reasons)
    return ["", "Recalculated from the actual weights:"] + _rows(rows) + [f"  Verdict: {verdict}"]


def liquid_sheet(p) -> str:  # p: LiquidPreparation
    out = [f"NALTREXONE HCl {fq(p.concentration)} ORAL LIQUID — {p.vehicle.name}"]
    if p.formula_id:
        out.append(f"{p.formula_name}  [{p.formula_id} v{p.formula_version}]")
    out.append("")
    rows = [(_label("concentration"), f"{fq(p.concentration)}   <-- check on every label"),
            (_label("final_volume"), fq(p.final_volume)), (_label("naltrexone_hcl"), fq(p.naltrexone_hcl, mg))]
    if p.source == "tablets":
        if p.tablets_to_use is not None:
            rows.append((_label("tablets_to_use"), fq(p.tablets_to_use)))
        else:
            rows += [(_label("tablets_equivalent"), fq(Q(p.tablets_equivalent, tablet))),
                     (_label("tablets_to_crush"), format_rounded_up(p.tablets_to_crush, p.tablets_equivalent)),
                     (_label("average_tablet_weight"),
                      fq(p.average_tablet_weight * (1 * p.tablets_to_crush.units), mg)),
                     (_label("tablet_powder_to_weigh"), fq(p.tablet_powder_to_weigh, mg))]
    else:
        rows += potency_rows(p)
        # below the MWQ the powder is not weighed as such: a liquid aliquot delivers it
        rows.append((_label("api_to_weigh"), fq(p.api_to_weigh, mg)
                     + (" (calculated; the liquid aliquot below delivers it)" if p.aliquot else "")))
        if p.aliquot is not None:
            a = p.aliquot
            steps = a.instructions()
            rows.append((_label("aliquot"), steps[0]))
            rows += [("", s) for s in steps[1:]]
            rows.append((_label("powder_delivered"), f"{fq(a.powder_delivered, mg)} "
                         f"({fq(Q(a.percent_of_target, dimensionless).to(percent))} of {fq(a.required, mg)})"))
    for c in p.components:
        rows.append((c.name, "to the final volume" if c.amount is None else fq(c.amount)))
    rows += [(_label("compounding_date"), p.compounding_date.isoformat()),
             (_label("bud"), f"{p.bud.date.isoformat()} ({int(p.bud.days.magnitude)} days)"),
             (_label("storage"), p.bud.storage_label), (_label("mwq"), fq(p.mwq, mg))]
    out += _rows(rows)
    if p.dose_volumes:
        out += ["", _label("dose_volumes") + ":"]
        for r in p.dose_volumes:
            syringe = r.syringe.name if r.syringe else "no single syringe"
            mark = "on a graduation" if r.on_graduation else "NOT on a graduation"
            supply = "" if r.days_supply is None else (
                f", one bottle lasts {fq(r.days_supply)}" if not r.limited_by_bud else
                f", one bottle usable for {fq(r.days_usable)} (limited by the BUD; {fq(r.days_supply)} at this dose)")
            out.append(f"  {fq(r.dose):>8} = {fq(r.volume):>8}  {syringe}, {mark}{supply}")
    if p.recommended_concentration is not None:
        out += ["", f"{_label('recommended_concentration')}: {fq(p.recommended_concentration)}"]
    out += ["", _label("labels") + ":"] + [f"  {line}" for line in p.labels]
    out += _warnings(p.warnings)
    out += ["", _label("trace") + ":"] + [f"  {s}" for s in p.trace]
    return "\n".join(out) + "\n"


def titration_sheet(p) -> str:  # p: TitrationPlan
    title = f"LDN titration plan ({p.form})" + (f", preset {p.preset}" if p.preset else "")
    out = [title, f"Start {p.start_date.isoformat()}, {p.total_days} days, "
           f"{fq(p.total_drug)} naltrexone HCl in all", "", "Schedule:"]
    for s in p.stages:
        line = (f"  days {s.first_day:>3}-{s.last_day:<3}  {s.start_date.isoformat()} to "
                f"{s.end_date.isoformat()}  {fq(s.dose):>7} nightly")
        if s.dose_volume is not None:
            dv = s.dose_volume
            syringe = dv.syringe.name if dv.syringe else "no single syringe"
            line += f" = {fq(dv.volume)} ({syringe}{'' if dv.on_graduation else ', NOT on a graduation'})"
        out.append(line)
    if p.capsules_per_strength is not None:
        out += ["", "Capsules to dispense (one capsule per dose):"]
        out += [f"  {fq(s):>7}  {n} capsules" for s, n in p.capsules_per_strength]
        if p.single_strength is not None:
            s, n = p.single_strength
            out.append(f"  or {fq(s)} capsules only: {n} capsules (several per dose)")
    if p.fills is not None:
        out += ["", f"Liquid NALTREXONE HCl {fq(p.concentration)} in {p.vehicle}: total {fq(p.total_volume)}; "
                f"fills within the {p.bud_days}-day BUD:"]
        for f in p.fills:
            out.append(f"  fill {f.number}: make on {f.date.isoformat()} for days {f.first_day}-{f.last_day}: "
                       f"{fq(f.volume)} ({fq(f.naltrexone_hcl)}, {format_number(f.tablets_equivalent)} tablets)")
    out += _warnings(p.warnings)
    out += ["", _label("chart") + ":"]
    for c in p.chart:
        what = f"one {fq(c.capsule)} capsule" if c.capsule is not None else \
            f"{fq(c.volume)} ({c.syringe.name if c.syringe else 'measure in two syringe-fulls'})"
        out.append(f"  day {c.day:>3}  {c.date.strftime('%a %Y-%m-%d')}  {fq(c.dose):>7}  {what}  [ ]")
    return "\n".join(out) + "\n"


def weight_check_sheet(r) -> str:  # r: compounding.qc.WeightCheck
    """The weight check as plain text: the figures, each capsule outside its limits, and the verdict."""
    pct = lambda x: f"{format_number(x * 100, 2)}%"  # noqa: E731
    lines = [f"Weight check: {r.n} of {r.required} capsules weighed; target {fq(r.target)}, acceptable "
             f"{fq(r.lowest_allowed)} to {fq(r.highest_allowed)} ({pct(r.individual_low)}-{pct(r.individual_high)})",
             f"Mean {fq(r.mean)} ({pct(r.mean_percent_of_target)} of target, limit ±{pct(r.mean_tolerance)}); "
             f"SD {'n/a' if r.sd is None else fq(r.sd)}; RSD {'n/a' if r.rsd is None else pct(r.rsd)} "
             f"(limit {pct(r.rsd_maximum)})",
             f"Lightest {fq(r.minimum)}, heaviest {fq(r.maximum)}; outside the limits: {r.outside_limits}",
             f"VERDICT: {r.verdict}"]
    lines += [f"  - {x}" for x in r.reasons]
    lines += [f"warning: {x}" for x in r.warnings]
    if not r.balance.warnings:
        lines.append(f"Balance: the {r.balance.balance} (MWQ {fq(r.balance.mwq)}) will do. {r.balance.needed}")
    return "\n".join(lines) + "\n"
