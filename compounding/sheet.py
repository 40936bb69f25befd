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
        rows.append(("Naltrexone HCl powder to weigh", fq(b.api_to_weigh, mg)))
    else:
        rows += [("Whole 50 mg tablets to crush", fq(b.tablets_to_crush)),
                 ("Tablet powder to weigh", fq(b.tablet_powder_to_weigh, mg))]
    rows += [("Filler in blend", fq(b.filler_to_weigh, mg)),
             ("Blend total", fq(b.blend_total, mg)),
             ("Fill weight per capsule", fq(b.fill_weight_per_capsule.to(mg_per_capsule) * (1 * capsule), mg)),
             ("Acceptable fill (QC)", f"{fq(b.fill_weight_min * (1 * capsule), mg)} to "
              f"{fq(b.fill_weight_max * (1 * capsule), mg)} "
              f"({format_number(b.qc_low * 100)}-{format_number(b.qc_high * 100)}%)"),
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
