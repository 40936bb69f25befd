"""Capsules page: the capsule batch — what to make, what to weigh, the QC range, the BUD."""

import streamlit as st

from app_pages import _capsule_form as cf
from app_pages import _widgets as w

P = "cap"


def _inputs() -> dict:
    """What Calculate computes from: the keyword arguments of ``capsule_batch`` as typed."""
    mf = cf.capsule_formulas()[st.session_state[f"{P}.formula"]]
    return cf.arguments(P, mf, st.session_state.get(f"{P}.method", "packing_statistic"))


def _calculate() -> None:
    from compounding.capsules import capsule_batch

    args = _inputs()
    w.run_and_store(P, lambda: capsule_batch(**args), inputs=args)


def _to_weight_check(b) -> None:
    """Carry this batch's fill weight and QC limits to the Weight check page."""
    # the figures as this page shows them (the target a pharmacist would copy from the batch sheet)
    number, unit = w.per_capsule(b.fill_weight_per_capsule).rsplit(" ", 1)
    st.session_state["qc.target"] = number
    st.session_state["qc.target.unit"] = unit
    st.session_state["qc.low"] = w.pct(b.qc_low).rstrip("%")
    st.session_state["qc.high"] = w.pct(b.qc_high).rstrip("%")
    st.session_state["qc.batch_size"] = str(int(b.capsules_to_make.magnitude))
    if b.balance in w.reference().balances:  # the balance the batch was weighed on weighs its capsules too
        st.session_state["qc.balance"] = b.balance
    else:
        number, unit = w.fq(b.mwq).rsplit(" ", 1)
        st.session_state["qc.mwq"] = number
        st.session_state["qc.mwq.unit"] = unit
    lot = (st.session_state.get(f"{P}.record.lot_number") or "").strip()
    st.session_state["qc.batch"] = (f"{b.formula_id}, {w.per_capsule(b.strength)} per capsule, "
                                    f"{int(b.capsules_to_make.magnitude)} capsules, size {b.capsule_size}"
                                    + (f", lot {lot}" if lot else ""))
    st.session_state["qc.lot"] = lot


def results(b) -> None:
    from compounding.units import capsule, mg

    strength = w.fq(b.strength * (1 * capsule), mg)
    st.subheader(f"Naltrexone HCl {strength} capsules: make {int(b.capsules_to_make.magnitude)}")
    st.caption(f"{b.formula_name} [{b.formula_id} v{b.formula_version}] · size {b.capsule_size} · "
               f"{b.filler_name} · compounded {b.compounding_date.isoformat()}")
    from compounding.sheet import extra_text

    figures = [("Capsules to make", str(int(b.capsules_to_make.magnitude)),
                f"{int(b.capsules_ordered.magnitude)} ordered + {extra_text(b)} extra")]
    plan = b.aliquot
    needed = b.drug_powder_to_weigh
    if plan is not None:  # below the MWQ: what goes on the balance is the aliquot's first weighing
        first = plan.stages[0]
        weigh = first.drug_to_weigh
        plan_note = (f" · the batch needs {w.fq(needed, mg)}, below the balance's MWQ of {w.fq(b.mwq, mg)}: "
                     f"weigh {w.fq(first.drug_to_weigh, mg)}, dilute to {w.fq(first.mixture_total, mg)}, "
                     f"follow the aliquot plan")
    else:
        weigh, plan_note = needed, ""
    if b.source == "api":
        notes = [f"holds {w.fq(b.naltrexone_hcl, mg)} naltrexone HCl" if plan is None else
                 f"batch: {w.fq(b.naltrexone_hcl, mg)} naltrexone HCl"]
        notes.append("no potency correction" if b.potency is None else f"as-is potency {w.pct(b.potency)}")
        if b.salt_factor != 1:
            notes.append(f"salt factor {w.fn(b.salt_factor)}")
        label = "Powder to weigh for the aliquot" if plan else "Naltrexone HCl powder to weigh"
        figures.append((label, w.fq(weigh, mg), " · ".join(notes) + plan_note))
    else:
        figures.append(("Tablet powder for the aliquot" if plan else "Tablet powder to weigh", w.fq(weigh, mg),
                        f"crush {w.rounded_up(b.tablets_to_crush, b.tablets_equivalent)} of 50 mg · average tablet {w.fq(b.average_tablet_weight * (1 * b.tablets_to_crush.units), mg)}"
                        + plan_note))
    figures.append(("Filler to weigh", w.fq(b.filler_to_add, mg), f"{b.filler_name}" + (
        f" · plus {w.fq(plan.diluent_in_aliquot, mg)} carried in the aliquot" if plan else "")))
    figures.append(("Blend total", w.fq(b.blend_total, mg), "drug powder + filler"))
    figures.append(("Fill weight per capsule", w.per_capsule(b.fill_weight_per_capsule),
                    f"QC: each capsule {w.per_capsule(b.fill_weight_min)} to {w.per_capsule(b.fill_weight_max)} "
                    f"({w.pct(b.qc_low)}-{w.pct(b.qc_high)})"))
    figures.append(("Beyond-use date", b.bud.date.isoformat(),
                    f"{w.fq(b.bud.days)} · {b.bud.storage_label}"))
    w.key_figures(figures)

    st.markdown("#### Ingredients")
    drug_name = (w.reference().forms[b.api_form].name.replace("naltrexone hydrochloride", "Naltrexone HCl") + " powder"
                 if b.source == "api" else "Naltrexone HCl 50 mg tablets, crushed")
    drug_note = (f"crush {w.fq(b.tablets_to_crush)}" if b.source == "tablets" else
                 ("no potency correction" if b.potency is None else f"as-is potency {w.pct(b.potency)}"))
    fill_note = (f"fill weight {w.per_capsule(b.filler_fill_weight)} in size {b.capsule_size} "
                 f"({'measured' if b.filler_fill_weight_measured else 'table estimate'})"
                 if b.filler_fill_weight is not None else "bulk-density method")
    w.table([
        {"Ingredient": drug_name, "In the blend": w.fq(needed, mg),
         "Per capsule": w.per_capsule(b.drug_powder_per_capsule), "Weigh": w.fq(weigh, mg),
         "Note": drug_note + (" · weighed for the aliquot (plan below)" if plan else "")},
        {"Ingredient": b.filler_name, "In the blend": w.fq(b.filler_to_weigh, mg),
         "Per capsule": w.per_capsule(b.filler_per_capsule), "Weigh": w.fq(b.filler_to_add, mg),
         "Note": fill_note + (" · plus the aliquot's diluent (plan below)" if plan else "")},
        {"Ingredient": "Blend total", "In the blend": w.fq(b.blend_total, mg),
         "Per capsule": w.per_capsule(b.fill_weight_per_capsule), "Weigh": "—", "Note": "mix by geometric dilution"},
    ])

    if b.aliquot is not None:
        st.markdown("#### Aliquot (trituration) plan")
        st.caption(f"The drug powder ({w.fq(b.drug_powder_to_weigh, mg)}) is below the balance's minimum "
                   f"weighable quantity ({w.fq(b.mwq, mg)}). Diluent is taken from the batch's filler.")
        w.table([{"Stage": str(i), "Weigh": w.fq(s.drug_to_weigh, mg), "Add diluent": w.fq(s.diluent_to_add, mg),
                  "Mixture": w.fq(s.mixture_total, mg), "Take aliquot": w.fq(s.aliquot_to_take, mg),
                  "Aliquot holds": w.fq(s.drug_in_aliquot, mg)} for i, s in enumerate(b.aliquot.stages, 1)])
        st.markdown(f"Then add **{w.fq(b.filler_to_add, mg)}** filler to the final aliquot.")

    if b.warnings:
        st.markdown("#### Warnings")
        w.show_warnings(b.warnings)
    w.show_trace(b.trace)

    st.markdown("#### Records")
    record = w.record_fields(P)
    name = ("ldn-capsules", b.source, w.per_capsule(b.strength), record.get("lot_number"),
            b.compounding_date.isoformat())
    with st.container(horizontal=True):
        w.excel_download(b, file_name=w.file_name(*name, ext="xlsx"), key=f"{P}.download_xlsx", **record)
        w.json_download(b, file_name=w.file_name(*name, ext="json"), key=f"{P}.download_json")
        from compounding.sheet import capsule_sheet

        st.download_button("Batch sheet (text)", data=capsule_sheet(b), file_name=w.file_name(*name, ext="txt"),
                           key=f"{P}.download_txt", on_click="ignore", mime="text/plain",
                           icon=":material/description:")
        if st.button("Check capsule weights", key=f"{P}.to_weight_check", icon=":material/scale:"):
            _to_weight_check(b)
            st.switch_page(w.PAGES["weight_check"])


st.title("Capsules")
st.caption("Naltrexone HCl low-dose capsules from powder or crushed 50 mg tablets. Enter the prescription and "
           "your measured figures; every number below is traced to its inputs.")
w.forget_if_changed(P, _inputs)
mf, method = cf.setup(P)
summary = w.error_slot(P)
with st.container(border=True):
    cf.fields(P, mf, method)
    st.button("Calculate", type="primary", on_click=_calculate, key=f"{P}.calculate", icon=":material/calculate:")
w.form_error_summary(P, summary, cf.LABELS)

batch = w.current_result(P)
if batch is not None:
    with st.container(key=f"{P}-result"):
        results(batch)
w.scroll_into_view(P)
