"""The oral-liquid inputs, shared by the Oral liquid page and the Independent check page.

Each page passes its own key prefix (``p``), so the QA page never sees what the Oral liquid page holds.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import _drug_form as df
from app_pages import _widgets as w

SOURCES = {"tablets": "50 mg tablets (crushed or whole)", "api": "naltrexone HCl powder"}
COMMON_DOSES = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5]


def _dose_texts(p: str) -> list[str]:
    unit = st.session_state.get(f"{p}.doses.unit", "mg")
    out = []
    for d in st.session_state.get(f"{p}.doses") or []:
        number = w.number_text(d) if isinstance(d, (int, float)) else str(d).strip()
        out.append(f"{number} {unit}")
    return out


def arguments(p: str) -> dict[str, Any]:
    """The keyword arguments of ``prepare_liquid`` from the form's values (read in the callback)."""
    s = st.session_state
    source = s.get(f"{p}.source", "tablets")
    args = dict(source=source, concentration=w.typed_quantity(f"{p}.concentration", "mg/mL"),
                final_volume=w.typed_quantity(f"{p}.final_volume", "mL"), vehicle=s.get(f"{p}.vehicle"),
                doses=_dose_texts(p), compounding_date=w.date_text(s.get(f"{p}.date")),
                balance=s.get(f"{p}.balance"), mwq=w.typed_quantity(f"{p}.mwq", "mg"),
                component_expiries=[d for d in [w.date_text(s.get(f"{p}.expiry"))] if d],
                day_one_is_compounding_day=bool(s.get(f"{p}.day_one")))
    if source == "tablets":
        args.update(tablets=w.number_text(s.get(f"{p}.tablets")),
                    tablet_weight=w.typed_quantity(f"{p}.tablet_weight", "mg"))
    else:
        args.update(df.arguments(p, w.reference().strength_basis))
    return args


def source_choice(p: str) -> str:
    """Tablets or powder: outside the form, so the form shows the fields that apply."""
    return st.radio(w.field_label("source"), list(SOURCES), key=f"{p}.source", format_func=SOURCES.get,
                    horizontal=True, on_change=w.forget_result(p), help=w.describe("source"))


def fields(p: str, source: str, *, doses: bool = True) -> None:
    """The liquid's fields, inside the caller's form; each followed by its error, if any."""
    ref, data = w.reference(), w.liquid_data()
    st.markdown("**Make**" + (" (give any two of tablets, concentration and final volume)" if source == "tablets"
                              else " (give the concentration and the final volume)"))
    cols = st.columns(3 if source == "tablets" else 2)
    if source == "tablets":
        with cols[0]:
            w.quantity_input(None, f"{p}.tablets", ("tablets",), integer=True,
                             help="Leave blank to work it out from the concentration and final volume.")
        cols = cols[1:]
    with cols[0]:
        w.quantity_input(None, f"{p}.concentration", ("mg/mL", "mcg/mL"),
                         help="1 mg/mL is the usual LDN liquid (one 50 mg tablet in 50 mL).")
    with cols[1]:
        w.quantity_input(None, f"{p}.final_volume", ("mL", "L"))

    c1, c2 = st.columns(2)
    vehicles = list(data.vehicles)
    with c1:
        st.selectbox(w.field_label("vehicle"), vehicles, key=f"{p}.vehicle", format_func=lambda k: data.vehicles[k].name,
                     help=w.describe("vehicle"),
                     index=vehicles.index("purified_water") if "purified_water" in vehicles else 0)
        w.field_error(p, "vehicle")
    with c2:
        if source == "tablets":
            w.quantity_input(None, f"{p}.tablet_weight", ("mg", "g"), note="measured; needed for part tablets",
                             help="Weigh at least 10-20 tablets and divide: no published figure exists.")
            w.field_error(p, "weight_of_tablets")
    if source != "tablets":
        st.markdown("**Naltrexone HCl powder** (from the certificate of analysis)")
        df.fields(p, ref.strength_basis)

    if doses:
        dose_fields(p)
    _balance_and_dates(p, ref)


def dose_fields(p: str) -> None:
    st.markdown("**Doses** (for the dose-volume table and syringe check)")
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    with c1:
        st.multiselect(w.field_label("doses"), COMMON_DOSES, key=f"{p}.doses", accept_new_options=True,
                       format_func=lambda d: w.number_text(d) if isinstance(d, float) else str(d),
                       placeholder="choose or type doses, e.g. 1.5", label_visibility="collapsed")
    with c2:
        st.selectbox("Unit of the doses", ("mg", "mcg"), key=f"{p}.doses.unit", label_visibility="collapsed")
    w.field_error(p, "doses", "dose")


def _balance_and_dates(p: str, ref) -> None:
    w.balance_inputs(p, ref)
    with st.expander("Dates"):
        c1, c2 = st.columns(2)
        with c1:
            st.date_input(w.field_label("date"), key=f"{p}.date", value="today", format="YYYY-MM-DD",
                          help=w.describe("date"))
            w.field_error(p, "date")
        with c2:
            st.date_input(w.field_label("component_expiries", "the earliest; optional"), key=f"{p}.expiry", value=None,
                          format="YYYY-MM-DD", help=w.describe("component_expiries"))
            w.field_error(p, "component_expiries")
        # on its own line: in a third column a tablet cut its label
        st.checkbox(w.field_label("day_one_is_compounding_day"), key=f"{p}.day_one",
                    help="Some SOPs count the compounding day as day 1: the BUD is then one day earlier.")
