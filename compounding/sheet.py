"""Plain-text batch sheets (the terminal, and the app's text download): the key numbers first, then
the trace. Every figure goes through :mod:`compounding.display`, as on the screen."""

from __future__ import annotations

from .display import format_quantity as fq
from .display import format_number, format_rounded_up
from .units import Q, capsule, dimensionless, mg, mg_per_capsule, percent, tablet


def _rows(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(k) for k, _ in rows)
    return [f"  {k:<{width}}  {v}" for k, v in rows]


def potency_rows(r) -> list[tuple[str, str]]:
    """Salt factor and as-is potency with its basis (what the potency is the content of): a capsule
    batch or a liquid made from powder."""
    potency = "none entered (no correction)" if r.potency is None else _pct(r.potency)
    return [("Salt factor", format_number(r.salt_factor)), ("As-is potency", potency),
            ("Potency basis", r.potency_basis_text)]


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
    rows = [("Capsules to make", f"{int(b.capsules_to_make.magnitude)} "
             f"({int(b.capsules_ordered.magnitude)} ordered + {extra_text(b)} extra)"),
            ("Naltrexone HCl in batch", fq(b.naltrexone_hcl, mg))]
    if b.source == "api":
        rows += potency_rows(b)
        rows.append(("Naltrexone HCl powder needed", fq(b.api_to_weigh, mg) + " (calculated; weigh as below)"))
    else:
        drug = next(w for w in b.weighings if w.key == "drug")
        rows += [("Whole 50 mg tablets to crush", f"{format_rounded_up(b.tablets_to_crush, tablets_worth(b))}: "
                  f"their powder holds the {drug.shown} of tablet powder weighed"),
                 ("Tablet powder needed", fq(b.tablet_powder_to_weigh, mg) + " (calculated; weigh as below)")]
    rows += [("Filler in blend", fq(b.filler_to_weigh, mg)),
             ("Blend total", fq(b.blend_total, mg)),
             ("Fill weight per capsule", fq(b.fill_weight_per_capsule.to(mg_per_capsule) * (1 * capsule), mg)),
             ("Acceptable fill (QC)", f"{fq(b.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(b.fill_weight_max * (1 * capsule), mg)} "
              f"({_pct(b.qc_low)}-{_pct(b.qc_high)})"),
             ("Beyond-use date", f"{b.bud.date.isoformat()} ({int(b.bud.days.magnitude)} days)"),
             ("Storage", b.bud.storage_label),
             ("Balance", f"MWQ {fq(b.mwq, mg)}, readability {fq(b.readability, mg)}")]
    out += _rows(rows)
    out += weighing_lines(b)
    if b.warnings:
        out += ["", "Warnings:"] + [f"  ! {w}" for w in b.warnings]
    out += ["", "Calculation trace:"] + [f"  {i:>2}. {s}" for i, s in enumerate(b.trace, 1)]
    return "\n".join(out) + "\n"


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
    rows += [("Blend total", fq(a.blend_total, mg)),
             ("Fill weight per capsule", fq(a.fill_weight_per_capsule * (1 * capsule), mg) + " (the target for "
              f"the weight check: {fq(a.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(a.fill_weight_max * (1 * capsule), mg)})"),
             ("Drug per capsule", f"{fq(a.drug_per_capsule * (1 * capsule), mg)}, "
              f"{fq(a.percent_of_target)} of the {fq(b.strength * (1 * capsule), mg)} strength")]
    verdict = "WITHIN LIMITS" if a.within_limits else "OUTSIDE LIMITS: " + "; ".join(a.reasons)
    return ["", "Recalculated from the actual weights:"] + _rows(rows) + [f"  Verdict: {verdict}"]


def liquid_sheet(p) -> str:  # p: LiquidPreparation
    out = [f"NALTREXONE HCl {fq(p.concentration)} ORAL LIQUID — {p.vehicle.name}"]
    if p.formula_id:
        out.append(f"{p.formula_name}  [{p.formula_id} v{p.formula_version}]")
    out.append("")
    rows = [("Concentration", f"{fq(p.concentration)}   <-- check on every label"),
            ("Final volume", fq(p.final_volume)), ("Naltrexone HCl in batch", fq(p.naltrexone_hcl, mg))]
    if p.source == "tablets":
        if p.tablets_to_use is not None:
            rows.append(("Whole 50 mg tablets to use", fq(p.tablets_to_use)))
        else:
            rows += [("Tablets equivalent", fq(Q(p.tablets_equivalent, tablet))),
                     ("Whole 50 mg tablets to crush", format_rounded_up(p.tablets_to_crush, p.tablets_equivalent)),
                     ("Average tablet weight", fq(p.average_tablet_weight * (1 * p.tablets_to_crush.units), mg)),
                     ("Tablet powder to weigh", fq(p.tablet_powder_to_weigh, mg))]
    else:
        rows += potency_rows(p)
        rows.append(("Naltrexone powder needed" if p.aliquot else "Naltrexone powder to weigh", fq(p.api_to_weigh, mg)))
        if p.aliquot is not None:
            a = p.aliquot
            steps = a.instructions()
            rows.append(("Liquid aliquot", steps[0]))
            rows += [("", s) for s in steps[1:]]
            rows.append(("Powder it delivers", f"{fq(a.powder_delivered, mg)} "
                         f"({fq(Q(a.percent_of_target, dimensionless).to(percent))} of {fq(a.required, mg)})"))
    for c in p.components:
        rows.append((c.name, "to the final volume" if c.amount is None else fq(c.amount)))
    rows += [("Compounding date", p.compounding_date.isoformat()),
             ("Beyond-use date", f"{p.bud.date.isoformat()} ({int(p.bud.days.magnitude)} days)"),
             ("Storage", p.bud.storage_label), ("Balance MWQ", fq(p.mwq, mg))]
    out += _rows(rows)
    if p.dose_volumes:
        out += ["", "Dose-volume table:"]
        for r in p.dose_volumes:
            syringe = r.syringe.name if r.syringe else "no single syringe"
            mark = "on a graduation" if r.on_graduation else "NOT on a graduation"
            supply = "" if r.days_supply is None else (
                f", one bottle lasts {fq(r.days_supply)}" if not r.limited_by_bud else
                f", one bottle usable for {fq(r.days_usable)} (limited by the BUD; {fq(r.days_supply)} at this dose)")
            out.append(f"  {fq(r.dose):>8} = {fq(r.volume):>8}  {syringe}, {mark}{supply}")
    if p.recommended_concentration is not None:
        out += ["", f"Recommended concentration: {fq(p.recommended_concentration)}"]
    out += ["", "Label:"] + [f"  {line}" for line in p.labels]
    if p.warnings:
        out += ["", "Warnings:"] + [f"  ! {w}" for w in p.warnings]
    out += ["", "Calculation:"] + [f"  {s}" for s in p.trace]
    return "\n".join(out) + "\n"
