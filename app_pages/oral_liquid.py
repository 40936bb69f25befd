"""Oral liquid page: tablets / concentration / volume (any two), vehicle, doses; the dose-volume table with
syringes, the concentration recommendation, the BUD. The concentration is printed wherever a number
could be read against the wrong one."""

import streamlit as st

from app_pages import _widgets as w

P = "liq"
SOURCES = {"tablets": "50 mg tablets (crushed or whole)", "api": "naltrexone HCl powder"}
COMMON_DOSES = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]
LABELS = {"source": "Source", "tablets": "Tablets", "concentration": "Concentration", "final_volume": "Final volume",
          "vehicle": "Vehicle", "tablet_weight": "Average tablet weight", "doses": "Doses", "dose": "Doses",
          "api_form": "Powder form", "potency": "As-is potency", "balance": "Balance", "mwq": "MWQ",
          "date": "Compounding date", "component_expiries": "Earliest expiry",
          "weight_of_tablets": "Weight of tablets", "naltrexone_hcl": "Naltrexone HCl"}


def _dose_texts() -> list[str]:
    unit = st.session_state.get(f"{P}.doses.unit", "mg")
    out = []
    for d in st.session_state.get(f"{P}.doses") or []:
        number = w.number_text(d) if isinstance(d, (int, float)) else str(d).strip()
        out.append(f"{number} {unit}")
    return out


def _calculate() -> None:
    from compounding.liquids import prepare_liquid

    s = st.session_state
    source = s.get(f"{P}.source", "tablets")

    def compute():
        args = dict(source=source, concentration=w.typed_quantity(f"{P}.concentration", "mg/mL"),
                    final_volume=w.typed_quantity(f"{P}.final_volume", "mL"), vehicle=s.get(f"{P}.vehicle"),
                    doses=_dose_texts(), compounding_date=w.date_text(s.get(f"{P}.date")),
                    balance=s.get(f"{P}.balance"), mwq=w.typed_quantity(f"{P}.mwq", "mg"),
                    component_expiries=[d for d in [w.date_text(s.get(f"{P}.expiry"))] if d],
                    day_one_is_compounding_day=bool(s.get(f"{P}.day_one")))
        if source == "tablets":
            args.update(tablets=w.number_text(s.get(f"{P}.tablets")),
                        tablet_weight=w.typed_quantity(f"{P}.tablet_weight", "mg"))
        else:
            args.update(api_form=s.get(f"{P}.api_form"), potency=w.percent_text(s.get(f"{P}.potency")))
        return prepare_liquid(**args)

    w.run_and_store(P, compute)


def fields(source: str) -> None:
    ref, data = w.reference(), w.liquid_data()
    st.markdown("**Make**" + (" (give any two of tablets, concentration and final volume)" if source == "tablets"
                              else " (give the concentration and the final volume)"))
    cols = st.columns(3 if source == "tablets" else 2)
    if source == "tablets":
        with cols[0]:
            w.quantity_input("Whole 50 mg tablets", f"{P}.tablets", ("tablets",), integer=True,
                             help="Leave blank to work it out from the concentration and final volume.")
            w.field_error(P, "tablets")
        cols = cols[1:]
    with cols[0]:
        w.quantity_input("Concentration", f"{P}.concentration", ("mg/mL", "mcg/mL"),
                         help="1 mg/mL is the usual LDN liquid (one 50 mg tablet in 50 mL).")
        w.field_error(P, "concentration")
    with cols[1]:
        w.quantity_input("Final volume", f"{P}.final_volume", ("mL", "L"))
        w.field_error(P, "final_volume")

    c1, c2 = st.columns(2)
    vehicles = list(data.vehicles)
    with c1:
        st.selectbox("Vehicle", vehicles, key=f"{P}.vehicle", format_func=lambda k: data.vehicles[k].name,
                     index=vehicles.index("purified_water") if "purified_water" in vehicles else 0)
        w.field_error(P, "vehicle")
    with c2:
        if source == "tablets":
            w.quantity_input("Average tablet weight (measured; needed for part tablets)", f"{P}.tablet_weight",
                             ("mg", "g"), help="Weigh at least 10-20 tablets and divide: no published figure exists.")
            w.field_error(P, "tablet_weight", "weight_of_tablets")
        else:
            d1, d2 = st.columns([3, 2])
            forms = list(ref.forms)
            with d1:
                st.selectbox("Powder form", forms, key=f"{P}.api_form",
                             index=forms.index(ref.strength_basis) if ref.strength_basis in forms else 0,
                             format_func=lambda k: ref.forms[k].name.replace("naltrexone hydrochloride", "naltrexone HCl"))
                w.field_error(P, "api_form")
            with d2:
                st.number_input("As-is potency (%)", key=f"{P}.potency", value=None, step=0.1, format="%g",
                                help="Blank: no potency correction (the record says so).")
                w.field_error(P, "potency")

    st.markdown("**Doses** (for the dose-volume table and syringe check)")
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    with c1:
        st.multiselect("Doses", COMMON_DOSES, key=f"{P}.doses", accept_new_options=True,
                       format_func=lambda d: w.number_text(d) if isinstance(d, float) else str(d),
                       placeholder="choose or type doses, e.g. 1.5", label_visibility="collapsed")
    with c2:
        st.selectbox("Unit of the doses", ("mg", "mcg"), key=f"{P}.doses.unit", label_visibility="collapsed")
    w.field_error(P, "doses", "dose")

    c1, c2 = st.columns(2)
    balances = list(ref.balances)
    with c1:
        st.selectbox("Balance", balances, key=f"{P}.balance", index=balances.index(ref.default_balance),
                     format_func=lambda k: f"MWQ {w.fq(ref.balances[k].mwq)} · {ref.balances[k].name}")
        w.field_error(P, "balance")
    with c2:
        w.quantity_input("or its own MWQ (optional)", f"{P}.mwq", ("mg", "g"))
        w.field_error(P, "mwq")
    with st.expander("Dates"):
        c1, c2, c3 = st.columns(3)
        with c1:
            st.date_input("Compounding date", key=f"{P}.date", value="today", format="YYYY-MM-DD")
            w.field_error(P, "date")
        with c2:
            st.date_input("Earliest expiry (optional)", key=f"{P}.expiry", value=None, format="YYYY-MM-DD")
            w.field_error(P, "component_expiries")
        with c3:
            st.checkbox("Count the compounding day as day 1", key=f"{P}.day_one",
                        help="Some SOPs count the compounding day as day 1: the BUD is then one day earlier.")


def results(r) -> None:
    from compounding.units import mg

    conc = w.fq(r.concentration)
    st.subheader(f"Naltrexone HCl {conc} oral liquid, {w.fq(r.final_volume)}")
    st.markdown(f"<div style='font-size:1.6rem;font-weight:700;border:3px solid #1565c0;border-radius:0.5rem;"
                f"padding:0.4rem 0.8rem;display:inline-block'>Concentration: {conc}</div>", unsafe_allow_html=True)
    st.caption(f"{r.vehicle.name} · compounded {r.compounding_date.isoformat()}")
    figures = [("Concentration", conc, f"{w.fq(r.naltrexone_hcl)} in {w.fq(r.final_volume)}"),
               ("Final volume", w.fq(r.final_volume), f"at {conc}"),
               ("Naltrexone HCl in the batch", w.fq(r.naltrexone_hcl), f"for {conc}")]
    if r.source == "tablets":
        if r.tablet_powder_to_weigh is not None:
            figures.append(("Tablet powder to weigh", w.fq(r.tablet_powder_to_weigh, mg),
                            f"crush {w.fq(r.tablets_to_crush)} ({w.fn(r.tablets_equivalent, 2)} tablets' worth)"))
        else:
            figures.append(("Whole 50 mg tablets to use", w.fq(r.tablets_to_use), "no weighing needed"))
    else:
        note = "no potency correction" if r.potency is None else f"as-is potency {w.pct(r.potency)}"
        if r.aliquot is not None:
            figures.append(("Naltrexone HCl powder to weigh", w.fq(r.aliquot.api_to_weigh, mg),
                            f"below the MWQ: dissolve to {w.fq(r.aliquot.stock_volume)}, take "
                            f"{w.fq(r.aliquot.stock_volume_to_take)} · {note}"))
        else:
            figures.append(("Naltrexone HCl powder to weigh", w.fq(r.api_to_weigh, mg), note))
    figures.append(("Beyond-use date", r.bud.date.isoformat(), f"{w.fq(r.bud.days)} · {r.bud.storage_label}"))
    w.key_figures(figures)

    st.markdown(f"#### Vehicle for {w.fq(r.final_volume)} at {conc}")
    w.table([{"Component": c.name, "Role": c.role.replace("_", " "),
              "Amount": "to the final volume" if c.amount is None else w.fq(c.amount)} for c in r.components])

    if r.dose_volumes:
        st.markdown(f"#### Dose volumes at {conc}")
        w.table([{"Dose": w.fq(d.dose), f"Volume at {conc}": w.fq(d.volume),
                  "Syringe": d.syringe.name if d.syringe else "none holds it",
                  "On a graduation": "yes" if d.on_graduation else "NO",
                  "Measurable": "yes" if d.measurable else "NO",
                  "Days per bottle": "-" if d.days_supply is None else w.fq(d.days_supply)} for d in r.dose_volumes])
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
    name = f"ldn-liquid-{w.fn(r.concentration.magnitude)}mg-per-mL-{w.fn(r.final_volume.magnitude)}mL-" \
           f"{r.compounding_date.isoformat()}"
    record = w.record_fields(P, "liquid")
    with st.container(horizontal=True):
        w.excel_download(r, file_name=f"{name}.xlsx", key=f"{P}.download_xlsx", **record)
        w.json_download(r, file_name=f"{name}.json", key=f"{P}.download_json")


st.title("Oral liquid")
st.caption("Naltrexone HCl oral liquid from 50 mg tablets (a suspension: shake well) or from powder. The usual "
           "strength is 1 mg/mL; several concentrations in circulation is a ten-fold-error risk, so the "
           "concentration is printed on every result.")
source = st.radio("Source", list(SOURCES), key=f"{P}.source", format_func=SOURCES.get, horizontal=True,
                  on_change=lambda: st.session_state.pop(f"{P}.error", None))
summary = st.empty()
with st.form(f"{P}.form", enter_to_submit=False):
    fields(source)
    st.form_submit_button("Calculate", type="primary", on_click=_calculate, key=f"{P}.calculate",
                          icon=":material/calculate:")
w.form_error_summary(P, summary, LABELS)

prep = st.session_state.get(f"{P}.result")
if prep is not None:
    results(prep)
