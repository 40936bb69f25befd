"""Plain-text batch sheets for the terminal: the key numbers first, then the trace."""

from __future__ import annotations

from .display import format_number, format_quantity as fq
from .units import capsule, mg, mg_per_capsule


def _rows(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(k) for k, _ in rows)
    return [f"  {k:<{width}}  {v}" for k, v in rows]


def potency_rows(r) -> list[tuple[str, str]]:
    """Salt factor and as-is potency with its basis (what the potency is the content of): a capsule
    batch or a liquid made from powder."""
    potency = "none entered (no correction)" if r.potency is None else f"{format_number(r.potency * 100, 2)}%"
    return [("Salt factor", format_number(r.salt_factor, 4)), ("As-is potency", potency),
            ("Potency basis", r.potency_basis_text)]


def capsule_sheet(b) -> str:  # b: CapsuleBatch
    out = [f"{b.formula_name}  [{b.formula_id} v{b.formula_version}]",
           f"Naltrexone HCl {fq(b.strength.to(mg_per_capsule) * (1 * capsule), mg)} per capsule, "
           f"size {b.capsule_size}, {b.filler_name}", ""]
    rows = [("Capsules to make", f"{int(b.capsules_to_make.magnitude)} "
             f"({int(b.capsules_ordered.magnitude)} ordered + {int(b.extra.magnitude)} extra)"),
            ("Naltrexone HCl in batch", fq(b.naltrexone_hcl, mg))]
    if b.source == "api":
        rows += potency_rows(b)
        rows.append(("Naltrexone HCl powder needed", fq(b.api_to_weigh, mg) + " (calculated; weigh as below)"))
    else:
        drug = next(w for w in b.weighings if w.key == "drug")
        rows += [("Whole 50 mg tablets to crush", f"{fq(b.tablets_to_crush)} (their powder holds the {drug.shown} "
                  "of tablet powder weighed)"),
                 ("Tablet powder needed", fq(b.tablet_powder_to_weigh, mg) + " (calculated; weigh as below)")]
    rows += [("Filler in blend", fq(b.filler_to_weigh, mg)),
             ("Blend total", fq(b.blend_total, mg)),
             ("Fill weight per capsule", fq(b.fill_weight_per_capsule.to(mg_per_capsule) * (1 * capsule), mg)),
             ("Acceptable fill (QC)", f"{fq(b.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(b.fill_weight_max * (1 * capsule), mg)} "
              f"({format_number(b.qc_low * 100)}-{format_number(b.qc_high * 100)}%)"),
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
    out.append(f"  These weighings deliver {fq(p.drug_per_capsule * (1 * capsule), mg, 4)} per capsule, "
               f"{format_number(p.percent_of_target.magnitude, 2)}% of the {fq(b.strength * (1 * capsule), mg)} "
               f"strength (limits {format_number(b.qc_low * 100)}-{format_number(b.qc_high * 100)}%).")
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
                     + (f"{fq(got, mg, 4)}" if w.key in a.actual else f"{w.shown} (as planned)")))
    if "filler" in a.actual and "filler" not in {w.key for w in b.weighings}:
        rows.append(("Filler added to the blend", f"target none, actual {fq(a.weights['filler'], mg, 4)}"))
    rows += [("Blend total", fq(a.blend_total, mg)),
             ("Fill weight per capsule", fq(a.fill_weight_per_capsule * (1 * capsule), mg) + " (the target for "
              f"the weight check: {fq(a.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(a.fill_weight_max * (1 * capsule), mg)})"),
             ("Drug per capsule", f"{fq(a.drug_per_capsule * (1 * capsule), mg, 4)}, "
              f"{format_number(a.percent_of_target.magnitude, 2)}% of the {fq(b.strength * (1 * capsule), mg)} strength")]
    verdict = "WITHIN LIMITS" if a.within_limits else "OUTSIDE LIMITS: " + "; ".join(a.reasons)
    return ["", "Recalculated from the actual weights:"] + _rows(rows) + [f"  Verdict: {verdict}"]
