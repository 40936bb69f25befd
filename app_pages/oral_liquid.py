"""Oral liquid page: tablets / concentration / volume (any two), vehicle, doses; the dose-volume table with
syringes, the concentration recommendation, the BUD. The concentration is printed wherever a number
could be read against the wrong one."""

import streamlit as st

from compounding.glossary import term

from app_pages import _liquid_form as lf
from app_pages import _widgets as w
from app_pages._save_batch import save_as_batch

P = "liq"


def _calculate() -> None:
    from compounding.liquids import prepare_liquid

    args = lf.arguments(P)
    w.run_and_store(P, lambda: prepare_liquid(**args), inputs=args)


def results(r) -> None:
    from compounding.units import mg

    conc = w.fq(r.concentration)
    st.subheader(f"Naltrexone HCl {conc} oral liquid, {w.fq(r.final_volume)}")
    st.markdown(f"<div style='font-size:1.6rem;font-weight:700;border:3px solid #1565c0;border-radius:0.5rem;"
                f"padding:0.4rem 0.8rem;display:inline-block'>Concentration: {conc}</div>", unsafe_allow_html=True)
    st.caption(f"{r.vehicle.name} · compounded {r.compounding_date.isoformat()}")
    figures = []  # the first thing to weigh (or count) first, then what it makes
    if r.source == "tablets":
        if r.tablet_powder_to_weigh is not None:
            figures.append((term("tablet_powder_to_weigh").label, w.fq(r.tablet_powder_to_weigh, mg),
                            f"crush {w.rounded_up(r.tablets_to_crush, r.tablets_equivalent)} of 50 mg"))
        else:
            figures.append((term("tablets_to_use").label, w.fq(r.tablets_to_use), "no weighing needed"))
    else:
        note = w.potency_note(r)
        if r.aliquot is not None:
            figures.append((term("api_to_weigh").label, w.fq(r.aliquot.api_to_weigh, mg),
                            "below the MWQ: " + " ".join(r.aliquot.instructions()[1:]) + f" · {note}"))
        else:
            figures.append((term("api_to_weigh").label, w.fq(r.api_to_weigh, mg), note))
    figures += [(term("concentration").label, conc, f"{w.fq(r.naltrexone_hcl)} in {w.fq(r.final_volume)}"),
                (term("final_volume").label, w.fq(r.final_volume), f"at {conc}"),
                (term("naltrexone_hcl").label, w.fq(r.naltrexone_hcl), f"for {conc}"),
                (term("bud").label, r.bud.date.isoformat(), f"{w.fq(r.bud.days)} · {r.bud.storage_label}")]
    w.key_figures(figures)

    st.markdown(f"#### Vehicle for {w.fq(r.final_volume)} at {conc}")
    w.table([{"Component": c.name, term("role").label: c.role.replace("_", " "),
              term("amount").label: "to the final volume" if c.amount is None else w.fq(c.amount)} for c in r.components])

    if r.dose_volumes:
        st.markdown(f"#### Dose volumes at {conc}")
        w.table([{term("dose").label: w.fq(d.dose), f"{term('volume').label} at {conc}": w.fq(d.volume),
                  term("syringe").label: d.syringe.name if d.syringe else "none holds it",
                  term("on_graduation").label: "yes" if d.on_graduation else "NO",
                  term("measurable").label: "yes" if d.measurable else "NO",
                  "Days per bottle": "—" if d.days_supply is None else (
                      f"{w.fq(d.days_usable)} (limited by the BUD; lasts {w.fq(d.days_supply)})"
                      if d.limited_by_bud else w.fq(d.days_supply))} for d in r.dose_volumes])
    if r.recommended_concentration is not None:
        st.warning(f"**Recommended concentration: {w.fq(r.recommended_concentration)}** (not {conc}): every dose "
                   "then lands on a syringe graduation.", icon=":material/lightbulb:")

    st.markdown("#### Label")
    with st.container(border=True):
        st.markdown("  \n".join(f"**{x}**" if i == 0 else x for i, x in enumerate(r.labels)))
    # the recommendation is shown above, beside the dose table
    warnings = [x for x in r.warnings if not x.startswith("Recommended concentration:")]
    if warnings:
        st.markdown("#### Warnings")
        w.show_warnings(warnings)
    w.show_trace(r.trace)

    st.markdown("#### Records")
    record = w.record_fields(P, "liquid")
    name = ("ldn-liquid", r.source, w.fq(r.concentration).replace("/", "-per-"), w.fq(r.final_volume),
            record.get("lot_number"), r.compounding_date.isoformat())
    with st.container(horizontal=True):
        w.excel_download(r, file_name=w.file_name(*name, ext="xlsx"), key=f"{P}.download_xlsx", **record)
        w.json_download(r, file_name=w.file_name(*name, ext="json"), key=f"{P}.download_json")
        from compounding.sheet import liquid_sheet

        st.download_button("Batch sheet (text)", data=liquid_sheet(r), file_name=w.file_name(*name, ext="txt"),
                           key=f"{P}.download_txt", on_click="ignore", mime="text/plain",
                           icon=":material/description:")


st.title("Oral liquid")
st.caption("Naltrexone HCl oral liquid from 50 mg tablets (a suspension: shake well) or from powder. The usual "
           "strength is 1 mg/mL; several concentrations in circulation is a ten-fold-error risk, so the "
           "concentration is printed on every result.")
w.forget_if_changed(P, lambda: lf.arguments(P))
source = lf.source_choice(P)
summary = w.error_slot(P)
with st.container(border=True):
    lf.fields(P, source)
    st.button("Calculate", type="primary", on_click=_calculate, key=f"{P}.calculate", icon=":material/calculate:")
w.form_error_summary(P, summary)

prep = w.current_result(P)
if prep is not None:
    with st.container(key=f"{P}-result"):
        results(prep)
        save_as_batch("oral_liquid", prep)  # the calculation as a batch record (store); signed-in preparers only
w.scroll_into_view(P)
