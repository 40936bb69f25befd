"""Capsules page: the capsule batch — what to make, what to weigh, the QC range, the BUD."""

import streamlit as st

from compounding.glossary import term
from app_pages import _capsule_form as cf
from app_pages import _widgets as w
from app_pages._save_batch import save_as_batch

P = "cap"
PA = "cap.actual"  # the actual-weight inputs under a result


def _inputs() -> dict:
    """What Calculate computes from: the keyword arguments of ``capsule_batch`` as typed."""
    mf = cf.capsule_formulas()[st.session_state[f"{P}.formula"]]
    return cf.arguments(P, mf, st.session_state.get(f"{P}.method", "packing_statistic"))


def _calculate() -> None:
    from compounding.capsules import capsule_batch

    args = _inputs()
    w.run_and_store(P, lambda: capsule_batch(**args), inputs=args)
    for key in list(st.session_state.keys()):  # actual weights belong to the batch they were weighed for
        if isinstance(key, str) and key.startswith(f"{PA}.") and not key.endswith(".calculate"):
            del st.session_state[key]


def _actual_inputs(b) -> dict:
    """What Recalculate computes from: the actual weights as typed (blank: as planned)."""
    return {x.key: w.typed_quantity(f"{PA}.{x.key}", "mg") for x in b.weighings}


def _recalculate() -> None:
    """Recalculate the batch on screen from the actual weights typed under it. The planned batch
    stays the page's result; the recalculated one is kept apart, shown while its weights are on screen."""
    from compounding.capsules import recalculate

    b = st.session_state.get(f"{P}.result")
    if b is None:
        return
    actual = _actual_inputs(b)
    w.run_and_store(PA, lambda: recalculate(b, actual), inputs=actual)


def _to_weight_check(b) -> None:
    """Carry this batch's fill weight and QC limits to the Weight check page."""
    # the figures as this page shows them (the target a pharmacist would copy from the batch sheet);
    # the blend actually made, when it was weighed and recalculated
    number, unit = w.per_capsule((b.actual or b).fill_weight_per_capsule).rsplit(" ", 1)
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
    # leaving for the Weight check page: this page's choices become kept values now (in a callback,
    # before its widgets are drawn), as keep_inputs does for a page not on screen; a switch in the
    # middle of a run lost them (formula, capsule size), and the batch came back out of date
    w.keep_inputs()
    st.session_state["qc.from_capsules"] = True


def results(b) -> None:
    from compounding.units import Q, capsule, mg, tablet

    strength = w.fq(b.strength * (1 * capsule), mg)
    st.subheader(f"Naltrexone HCl {strength} capsules: make {int(b.capsules_to_make.magnitude)}")
    st.caption(f"{b.formula_name} [{b.formula_id} v{b.formula_version}] · size {b.capsule_size} · "
               f"{b.filler_name} · compounded {b.compounding_date.isoformat()}")
    from compounding.sheet import extra_text

    figures = [(term("capsules_to_make").label, str(int(b.capsules_to_make.magnitude)),
                f"{int(b.capsules_ordered.magnitude)} ordered + {extra_text(b)} extra")]
    plan = b.aliquot
    needed = b.drug_powder_to_weigh
    weighings = {x.key: x for x in b.weighings}
    drug, filler = weighings["drug"], weighings.get("filler")
    weigh = drug.shown
    plan_note = (f" · the batch needs {w.fq(needed, mg)}, below the balance's MWQ of {w.fq(b.mwq, mg)}: "
                 f"weigh {drug.shown}, dilute to {w.fq(plan.stages[0].mixture_total, mg)}, follow the aliquot plan"
                 if plan is not None else f" · calculated need {w.fq(needed, mg)}")
    if b.source == "api":
        notes = [f"holds {w.fq(b.naltrexone_hcl, mg)} naltrexone HCl" if plan is None else
                 f"batch: {w.fq(b.naltrexone_hcl, mg)} naltrexone HCl"]
        notes.append(w.potency_note(b))
        label = "Powder to weigh for the aliquot" if plan else term("api_to_weigh").label
        figures.append((label, weigh, " · ".join(notes) + plan_note))
    else:
        from compounding.sheet import tablets_worth

        figures.append(("Tablet powder for the aliquot" if plan else term("tablet_powder_to_weigh").label, weigh,
                        f"crush {w.rounded_up(b.tablets_to_crush, tablets_worth(b))} of 50 mg (their powder "
                        f"holds the {drug.shown} weighed; the batch needs {w.fq(Q(b.tablets_equivalent, tablet))}' "
                        f"worth of drug) · average tablet {w.fq(b.average_tablet_weight * (1 * b.tablets_to_crush.units), mg)}"
                        + plan_note))
    figures.append((term("filler_to_add").label, filler.shown if filler else "none", f"{b.filler_name}" + (
        f" · plus {w.fq(plan.diluent_in_aliquot, mg)} carried in the aliquot" if plan else "")))
    p = b.planned
    figures.append((term("drug_per_capsule").label + " delivered", w.per_capsule(p.drug_per_capsule),
                    f"{w.fq(p.percent_of_target)} of the {strength} strength, from the weighings "
                    f"as planned (limits {w.pct(b.qc_low)}-{w.pct(b.qc_high)})"))
    figures.append((term("blend_total").label, w.fq(b.blend_total, mg), "drug powder + filler (calculated)"))
    figures.append((term("fill_weight_per_capsule").label, w.per_capsule(b.fill_weight_per_capsule),
                    f"QC: each capsule {w.per_capsule(b.fill_weight_min)} to {w.per_capsule(b.fill_weight_max)} "
                    f"({w.pct(b.qc_low)}-{w.pct(b.qc_high)})"))
    figures.append((term("bud").label, b.bud.date.isoformat(),
                    f"{w.fq(b.bud.days)} · {b.bud.storage_label}"))
    w.key_figures(figures)

    st.markdown("#### Ingredients")
    drug_name = (w.reference().forms[b.api_form].name.replace("naltrexone hydrochloride", "Naltrexone HCl") + " powder"
                 if b.source == "api" else "Naltrexone HCl 50 mg tablets, crushed")
    drug_note = (f"crush {w.fq(b.tablets_to_crush)}" if b.source == "tablets" else
                 w.potency_note(b))
    fill_note = (f"fill weight {w.per_capsule(b.filler_fill_weight)} in size {b.capsule_size} "
                 f"({'measured' if b.filler_fill_weight_measured else 'table estimate'})"
                 if b.filler_fill_weight is not None else "bulk-density method")
    w.table([
        {"Ingredient": drug_name, "In the blend": w.fq(needed, mg),
         "Per capsule": w.per_capsule(b.drug_powder_per_capsule), "Weigh": weigh,
         "Note": drug_note + (" · weighed for the aliquot (plan below)" if plan else "")},
        {"Ingredient": b.filler_name, "In the blend": w.fq(b.filler_to_weigh, mg),
         "Per capsule": w.per_capsule(b.filler_per_capsule), "Weigh": filler.shown if filler else "—",
         "Note": fill_note + (" · plus the aliquot's diluent (plan below)" if plan else "")},
        {"Ingredient": "Blend total", "In the blend": w.fq(b.blend_total, mg),
         "Per capsule": w.per_capsule(b.fill_weight_per_capsule), "Weigh": "—", "Note": "mix by geometric dilution"},
    ])

    st.markdown("#### What to weigh")
    st.caption(f"Every amount at the balance's readability ({w.fq(b.readability, mg)}; MWQ {w.fq(b.mwq, mg)}). "
               "An actual weight inside its acceptable window keeps the batch within its limits: record it and "
               "carry on. Outside it, recalculate from the actual weight (below) before going on.")
    w.table([{"Weigh": x.what[0].upper() + x.what[1:], "Target": x.shown, "Acceptable": x.window or "—",
              "MWQ": "below the MWQ" if x.below_mwq else "ok"} for x in b.weighings])

    if plan is not None:
        st.markdown("#### Aliquot (trituration) plan")
        st.caption(f"The drug powder ({w.fq(b.drug_powder_to_weigh, mg)}) is below the balance's minimum "
                   f"weighable quantity ({w.fq(b.mwq, mg)}). Diluent is taken from the batch's filler; each "
                   "diluent is worked out from the amount weighed before it.")
        rows = []
        for i, s in enumerate(plan.stages, 1):
            dk, ak = ("diluent", "aliquot") if i == 1 else (f"diluent_{i}", f"aliquot_{i}")
            rows.append({"Stage": str(i), "Weigh": (drug if i == 1 else weighings["aliquot"]).shown,
                         "Add diluent": weighings[dk].shown, "Mixture": w.fq(s.mixture_total, mg),
                         "Take aliquot": weighings[ak].shown, "Aliquot holds": w.fq(s.drug_in_aliquot, mg)})
        w.table(rows)
        if filler is not None:
            st.markdown(f"Then add **{filler.shown}** filler to the final aliquot.")

    _actual_weights(b)

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
        st.button("Check capsule weights", key=f"{P}.to_weight_check", icon=":material/scale:",
                  on_click=_to_weight_check, args=(b,))
    if st.session_state.pop("qc.from_capsules", False):
        st.switch_page(w.PAGES["weight_check"])


def _actual_weights(b) -> None:
    """Inputs for what was actually weighed, and the batch recalculated from them (issue 8.6). A
    bordered box, not a form: each actual weight is read by the core's parser as it is typed, and a
    recalculation whose weights are no longer on screen is hidden until Recalculate."""
    st.markdown("#### Recalculate from the actual weights")
    summary = w.error_slot(PA)
    with st.container(border=True):
        st.caption("Enter what the balance showed; a weighing left blank is taken as planned.")
        columns = st.columns(2)
        for i, x in enumerate(b.weighings):
            with columns[i % 2]:
                w.quantity_input(None, f"{PA}.{x.key}", ("mg", "g"), page=PA, field=f"actual_{x.key}",
                                 help=f"{x.what[0].upper()}{x.what[1:]}: target {x.shown}"
                                      + (f"; acceptable {x.window}" if x.window else ""))
        st.button("Recalculate", on_click=_recalculate, key=f"{PA}.calculate", icon=":material/calculate:")
    w.form_error_summary(PA, summary)
    if st.session_state.get(f"{PA}.result") is not None and st.session_state.get(f"{PA}.stale"):
        st.info("**The actual weights have changed since the last recalculation.** Its figures are hidden and "
                "the figures and downloads on this page are the plan's: press Recalculate.", icon=":material/update:")
    with st.container(key=f"{PA}-result"):
        _recalculated(b)
    w.scroll_into_view(PA)


def _recalculated(b) -> None:
    from compounding.display import format_quantity
    from compounding.units import capsule, mg

    a = b.actual
    if a is None:
        return
    w.table([{"Weighing": x.what[0].upper() + x.what[1:], "Target": x.shown,
              "Used": format_quantity(a.weights[x.key], mg) + ("" if x.key in a.actual else " (as planned)")}
             for x in b.weighings])
    w.key_figures([
        (term("drug_per_capsule_actual").label, format_quantity(a.drug_per_capsule * (1 * capsule), mg),
         f"{w.fq(a.percent_of_target)} of the strength"),
        (term("fill_weight_per_capsule_actual").label, w.per_capsule(a.fill_weight_per_capsule),
         f"weight check: {w.per_capsule(a.fill_weight_min)} to {w.per_capsule(a.fill_weight_max)}"),
        (term("blend_total_actual").label, w.fq(a.blend_total, mg), "from the weights used"),
    ])
    if a.within_limits:
        st.success("Recalculated from the actual weights: the batch is within its limits.", icon=":material/check:")
    else:
        st.error("Recalculated from the actual weights: the batch is OUTSIDE its limits: " + "; ".join(a.reasons),
                 icon=":material/error:")


def _shown_batch(planned):
    """The batch recalculated from the actual weights when those are still on screen, else the plan:
    its figures, downloads and weight-check target all come from the one shown."""
    w.forget_if_changed(PA, lambda: _actual_inputs(planned))
    recalculated = st.session_state.get(f"{PA}.result")
    return planned if recalculated is None or st.session_state.get(f"{PA}.stale") else recalculated


st.title("Capsules")
st.caption("Naltrexone HCl low-dose capsules from powder or crushed 50 mg tablets. Enter the prescription and "
           "your measured figures; every number below is traced to its inputs.")
w.forget_if_changed(P, _inputs)
mf, method = cf.setup(P)
summary = w.error_slot(P)
with st.container(border=True):
    cf.fields(P, mf, method)
    st.button("Calculate", type="primary", on_click=_calculate, key=f"{P}.calculate", icon=":material/calculate:")
w.form_error_summary(P, summary)

batch = w.current_result(P)
if batch is not None:
    with st.container(key=f"{P}-result"):
        results(_shown_batch(batch))
        save_as_batch("capsules", batch)  # the calculation as a batch record (store); signed-in preparers only
w.scroll_into_view(P)
