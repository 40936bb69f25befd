"""Plain-text batch sheets (the terminal, and the app's text download): the key numbers first, then
the trace. Every figure goes through :mod:`compounding.display`, as on the screen."""

from __future__ import annotations

from .display import format_quantity as fq
from .display import format_rounded_up
from .units import Q, capsule, dimensionless, mg, mg_per_capsule, percent, tablet


def _rows(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(k) for k, _ in rows)
    return [f"  {k:<{width}}  {v}" for k, v in rows]


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
        rows.append(("Naltrexone HCl powder to weigh", fq(b.api_to_weigh, mg)))
    else:
        rows += [("Whole 50 mg tablets to crush", format_rounded_up(b.tablets_to_crush, b.tablets_equivalent)),
                 ("Tablet powder to weigh", fq(b.tablet_powder_to_weigh, mg))]
    rows += [("Filler in blend", fq(b.filler_to_weigh, mg)),
             ("Blend total", fq(b.blend_total, mg)),
             ("Fill weight per capsule", fq(b.fill_weight_per_capsule.to(mg_per_capsule) * (1 * capsule), mg)),
             ("Acceptable fill (QC)", f"{fq(b.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(b.fill_weight_max * (1 * capsule), mg)} "
              f"({fq(Q(b.qc_low, dimensionless).to(percent))}-{fq(Q(b.qc_high, dimensionless).to(percent))})"),
             ("Beyond-use date", f"{b.bud.date.isoformat()} ({int(b.bud.days.magnitude)} days)"),
             ("Storage", b.bud.storage_label),
             ("Balance MWQ", fq(b.mwq, mg))]
    out += _rows(rows)
    if b.aliquot is not None:
        out += ["", "Aliquot (trituration) plan:"]
        for i, s in enumerate(b.aliquot.stages, 1):
            out.append(f"  stage {i}: weigh {fq(s.drug_to_weigh, mg)}, add {fq(s.diluent_to_add, mg)} "
                       f"diluent (from the batch's filler) to make {fq(s.mixture_total, mg)}, mix "
                       f"geometrically, take {fq(s.aliquot_to_take, mg)} (holds {fq(s.drug_in_aliquot, mg)})")
        out.append(f"  then add {fq(b.filler_to_add, mg)} filler to the final aliquot.")
    if b.warnings:
        out += ["", "Warnings:"] + [f"  ! {w}" for w in b.warnings]
    out += ["", "Calculation trace:"] + [f"  {i:>2}. {s}" for i, s in enumerate(b.trace, 1)]
    return "\n".join(out) + "\n"


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
        rows.append(("Naltrexone powder to weigh", fq(p.api_to_weigh, mg)))
        if p.aliquot is not None:
            a = p.aliquot
            rows.append(("Liquid aliquot", f"weigh {fq(a.api_to_weigh, mg)}, dissolve to {fq(a.stock_volume)}, "
                         f"take {fq(a.stock_volume_to_take)}"))
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
            supply = f", one bottle lasts {fq(r.days_supply)}" if r.days_supply is not None else ""
            out.append(f"  {fq(r.dose):>8} = {fq(r.volume):>8}  {syringe}, {mark}{supply}")
    if p.recommended_concentration is not None:
        out += ["", f"Recommended concentration: {fq(p.recommended_concentration)}"]
    out += ["", "Label:"] + [f"  {line}" for line in p.labels]
    if p.warnings:
        out += ["", "Warnings:"] + [f"  ! {w}" for w in p.warnings]
    out += ["", "Calculation:"] + [f"  {s}" for s in p.trace]
    return "\n".join(out) + "\n"
