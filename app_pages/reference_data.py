"""Reference data page: the figures in use, each with its source, and how to add a formula."""

import streamlit as st

from app_pages import _widgets as w


def _capsule_sizes(ref) -> None:
    st.markdown("#### Capsule sizes")
    w.table([{"Size": s, "Volume": w.fq(f.quantity), "Source": f.source} for s, f in ref.capsule_sizes.items()])


def _fillers(ref) -> None:
    st.markdown("#### Fillers")
    st.caption("Fill weights are table estimates (volume × loose bulk density); a measured packing statistic "
               "for your filler lot beats them: enter it on the Capsules page.")
    status = {"ok": "use", "warn": "use with caution", "refuse": "NOT for LDN"}
    w.table([{"Filler": f.name, "Status": status.get(f.status, f.status),
              "Bulk density": "—" if f.bulk_density is None else w.fq(f.bulk_density.quantity),
              "Cautions": " ".join(f.cautions) or "—",
              "Source": "—" if f.bulk_density is None else f.bulk_density.source} for f in ref.fillers.values()])
    sizes = list(ref.capsule_sizes)
    rows = []
    for f in ref.fillers.values():
        if f.fill_weight:
            rows.append({"Filler": f.name, **{f"size {s}": w.fq(f.fill_weight[s].quantity) if s in f.fill_weight
                                               else "—" for s in sizes}})
    if rows:
        st.markdown("Fill weight per capsule (estimates)")
        w.table(rows)


def _balances(ref) -> None:
    st.markdown("#### Balances and minimum weighable quantity (MWQ)")
    rows = []
    for b in ref.balances.values():
        figures = "; ".join(f"{k.replace('_', ' ')} {w.fq(f.quantity)} ({f.source})" for k, f in b.figures.items())
        rows.append({"Balance": b.name + (" (default)" if b.key == ref.default_balance else ""),
                     "MWQ": w.fq(b.mwq), "Formula": b.mwq_formula, "Figures and sources": figures,
                     "Readability": f"{w.fq(b.readability.quantity)} ({b.readability.source})"})
    w.table(rows)
    st.caption(f"Below the MWQ the aliquot (trituration) method is used; at most 1 in {ref.max_factor_per_stage} "
               "per dilution stage. Every amount to weigh is rounded to the balance's readability and shown in g "
               "from 10 g up.")


def _bud(ref) -> None:
    st.markdown("#### Beyond-use dates: USP <795> (2023) Table 4")
    w.table([{"Preparation": c.description, "BUD": w.fq(c.days.quantity), "Storage": c.storage_label,
              "Source": c.days.source} for c in ref.bud_categories.values()])
    st.caption("A BUD never passes the earliest expiry of any component. BUD date = compounding date + the days.")


def _naltrexone(ref) -> None:
    st.markdown("#### Naltrexone forms")
    w.table([{"Form": f.name, "Formula": f.formula, "Molecular weight": w.fq(f.molecular_weight.quantity),
              "Source": f.molecular_weight.source} for f in ref.forms.values()])
    basis = ref.forms[ref.strength_basis].name
    st.caption(f"Strengths are stated as {basis}. LDN range {w.fq(ref.strength_minimum.quantity)} to "
               f"{w.fq(ref.strength_maximum.quantity)} ({ref.strength_minimum.source}). Assay limits "
               f"{w.fq(ref.assay_minimum.quantity)}-{w.fq(ref.assay_maximum.quantity)} "
               f"({ref.assay_minimum.source}).")
    w.table([{"Tablet": t.name, "Strength": w.fq(t.strength.quantity), "Excipients": t.excipients,
              "Average weight": t.average_weight_note, "Source": t.strength.source} for t in ref.tablets.values()])


def _liquids() -> None:
    try:
        data = w.liquid_data()
    except Exception as exc:  # noqa: BLE001 - shown, not hidden: the page still lists the rest
        st.error(f"Liquid reference data could not be loaded: {exc}")
        return
    st.markdown("#### Vehicles for oral liquids")
    w.table([{"Vehicle": v.name, "Water": v.water_activity, "Preserved": "yes" if v.preserved else "no",
              "BUD category": v.bud_category, "Components per 100 mL": "; ".join(
                  f"{c.name} " + ("to volume" if c.make_up_to else w.fq((c.mass or c.volume).quantity))
                  for c in v.components), "Source": v.source} for v in data.vehicles.values()])
    st.markdown("#### Oral syringes")
    w.table([{"Syringe": s.name, "Capacity": w.fq(s.capacity), "Graduation": w.fq(s.graduation), "Source": s.source}
             for s in data.syringes])
    st.caption("Standard concentrations, in order of preference: " +
               ", ".join(w.fq(c.quantity) for c in data.standard_concentrations) +
               f". Smallest measurable dose volume {w.fq(data.minimum_dose_volume.quantity)} "
               f"({data.minimum_dose_volume.source}).")
    st.markdown("#### Titration regimens")
    w.table([{"Regimen": r.name, "Start": w.fq(r.start.quantity), "Step": w.fq(r.step.quantity),
              "Every": w.fq(r.every.quantity), "Target": w.fq(r.target.quantity),
              "Maintain": w.fq(r.maintain.quantity), "Source": r.start.source} for r in data.regimens.values()])


def _qc() -> None:
    limits = w.qc_limits()
    st.markdown("#### Capsule weight check")
    w.table([{"Limit": name, "Default": w.fq(f.quantity.to("percent")) if name != "Sample size"
              else w.fn(f.quantity.magnitude), "Source": f.source} for name, f in (
        ("Each capsule at least", limits.individual_low), ("Each capsule at most", limits.individual_high),
        ("Mean within ±", limits.mean_tolerance), ("RSD at most", limits.rsd_maximum),
        ("Sample size", limits.sample_size))])


def _formulas() -> None:
    st.markdown("#### Master formulas in use")
    for f in w.formulas().values():
        with st.expander(f"{f.name} [{f.id} v{f.version}]"):
            st.markdown(f"**Preparation** {f.preparation.replace('_', ' ')} · **source** {f.source} · "
                        f"**dosage form** {f.dosage_form} · **file** `formulas/{f.path.name}`")
            st.markdown(f"**Usual strengths** {w.fq(f.usual_strength_min.quantity)} to "
                        f"{w.fq(f.usual_strength_max.quantity)} · **BUD** {f.bud_category}: {f.bud_reference}")
            st.markdown("**Ingredients**\n" + "\n".join(f"- {i.name} ({i.role}){': ' + i.note if i.note else ''}"
                                                         for i in f.ingredients))
            st.markdown("**Steps**\n" + "\n".join(f"{n}. {s}" for n, s in enumerate(f.steps, 1)))
            st.markdown("**QC**\n" + "\n".join(f"- {q}" for q in f.qc))
            st.markdown("**Labelling**\n" + "\n".join(f"- {x}" for x in f.labelling))
            st.caption(f"Container: {f.container}. Developed by {f.developed_by}; approved by {f.approved_by}.")


HOW_TO_ADD = """
#### How to add a formula
1. Copy `formulas/ldn-capsules-api.toml` to a new file in `formulas/` (one file per formulation).
2. Give it a unique `id`, a `version` and a `name`; set `preparation` (`capsules` or `oral_liquid`),
   `source` (`api` or `tablets`), `bud_category` (a key of `formulas/reference/bud.toml`) and
   `bud_reference`, the usual strength range (each figure with `value`, `unit` and `source`), the defaults
   (`default_capsule_size` and `default_filler` for capsules, `default_vehicle` for liquids), ingredients,
   steps, QC, labelling, container, description, `developed_by` and `approved_by`.
3. Restart the app: the formula appears in the formula list. The loader is strict: an unknown key, a missing
   unit or an impossible value stops it with the file and key named.
4. Check it loads: `bash scripts/test.sh tests/test_reference_data.py`.

Reference figures (capsule sizes, fillers, balances, BUD table, vehicles, syringes, regimens, QC limits) live
in `formulas/reference/*.toml`, each with its source beside it; edit them there.
"""

st.title("Reference data")
st.caption("The figures this calculator uses, each with its source. They live in data files under `formulas/`; "
           "every default can be overridden on the calculation pages.")
ref = w.reference()
tabs = st.tabs(["Capsules", "Naltrexone", "Balances", "Beyond-use dates", "Liquids and titration", "Formulas"])
with tabs[0]:
    _capsule_sizes(ref)
    _fillers(ref)
    _qc()
with tabs[1]:
    _naltrexone(ref)
with tabs[2]:
    _balances(ref)
with tabs[3]:
    _bud(ref)
with tabs[4]:
    _liquids()
with tabs[5]:
    _formulas()
    st.markdown(HOW_TO_ADD)
