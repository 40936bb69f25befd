"""The capsule prescription inputs, shared by the Capsules page and the Independent check page.

Each page passes its own key prefix, so the QA page never sees what the Capsules page holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from app_pages import _drug_form as df
from app_pages import _widgets as w

METHODS = {"packing_statistic": "Measured fill weight (packing statistic)", "density": "Bulk densities"}

# every field's label is the glossary's (w.field_label); the error summary names fields by it too


def capsule_formulas() -> dict[str, Any]:
    return {k: f for k, f in w.formulas().items() if f.preparation == "capsules"}


def setup(p: str) -> tuple[Any, str]:
    """Formula (which sets the source) and fill method: outside the form, so the form shows the
    fields that apply (potency for powder, tablet weight for tablets)."""
    forms = capsule_formulas()
    # the whole width: in a column a tablet cut the formula's name
    fid = st.selectbox(w.field_label("formula", "sets the source: naltrexone HCl powder or crushed 50 mg tablets"),
                       list(forms), key=f"{p}.formula", on_change=w.forget_result(p), help=w.describe("formula"),
                       format_func=lambda k: f"{k} v{forms[k].version} · {forms[k].name}")
    method = st.radio(w.field_label("method"), list(METHODS), key=f"{p}.method", horizontal=True,
                      format_func=METHODS.get, on_change=w.forget_result(p), help=w.describe("method"))
    return forms[fid], method


def fields(p: str, mf: Any, method: str) -> None:
    """The prescription fields, inside the caller's form; each followed by its error, if any."""
    ref, limits = w.reference(), w.qc_limits()
    st.markdown("**Prescription**")
    c1, c2, c3 = st.columns(3)
    with c1:
        w.quantity_input(None, f"{p}.strength", w.MASS_UNITS,
                         help="As naltrexone hydrochloride (the salt, anhydrous basis), as on the 50 mg tablets.")
    with c2:
        w.quantity_input(None, f"{p}.quantity", ("capsules",), integer=True)
    with c3:
        w.quantity_input(None, f"{p}.extra", ("%", "capsules"),
                         help="A percentage (rounded up to whole capsules) or a number of capsules. Blank: none.")

    if mf.source == "api":
        st.markdown("**Naltrexone HCl powder** (from the certificate of analysis)")
        df.fields(p, "hcl_anhydrous")
    else:
        st.markdown("**Commercial 50 mg tablets** (crushed)")
        c1, _ = st.columns([1, 1])
        with c1:
            w.quantity_input(None, f"{p}.tablet_weight", ("mg", "g"), note="measured",
                             help="Weigh at least 10-20 tablets and divide: no published figure exists.")

    st.markdown("**Capsule and filler**")
    c1, c2 = st.columns(2)
    sizes = list(ref.capsule_sizes)
    fillers = list(ref.fillers)
    with c1:
        st.selectbox(w.field_label("capsule_size"), sizes, key=f"{p}.capsule_size", help=w.describe("capsule_size"),
                     index=sizes.index(mf.default_capsule_size) if mf.default_capsule_size in sizes else 0,
                     format_func=lambda s: f"size {s} ({w.fq(ref.capsule_sizes[s].quantity)})")
        w.field_error(p, "capsule_size")
    with c2:
        st.selectbox(w.field_label("filler"), fillers, key=f"{p}.filler", help=w.describe("filler"),
                     index=fillers.index(mf.default_filler) if mf.default_filler in fillers else 0,
                     format_func=lambda k: ref.fillers[k].name + {"refuse": " (not for LDN)", "warn": " (caution)"}
                     .get(ref.fillers[k].status, ""))
        w.field_error(p, "filler")
    c1, c2 = st.columns(2)
    if method == "packing_statistic":
        with c1:
            w.quantity_input(None, f"{p}.fill_weight", ("mg", "g"), note="measured",
                             help="Per capsule of this size: the packing statistic, mg of this filler lot one capsule holds. "
                                  "Blank: the table estimate is used, with a warning.")
        with c2:
            w.quantity_input(None, f"{p}.api_fill_weight", ("mg", "g"), note="optional",
                             help="The drug powder's own packing statistic in this size. Blank: displacement "
                                  "factor 1 (the drug displaces its own mass).")
    else:
        with c1:
            w.quantity_input(None, f"{p}.drug_bulk_density", ("g/mL",))
        with c2:
            w.quantity_input(None, f"{p}.filler_bulk_density", ("g/mL",),
                             note="blank: reference value")

    st.markdown("**Balance**")
    w.balance_inputs(p, ref)

    with st.expander("QC limits and dates"):
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            w.quantity_input(None, f"{p}.qc_low", ("%",),
                             value=limits.individual_low.quantity.to("percent").magnitude)
        with c2:
            w.quantity_input(None, f"{p}.qc_high", ("%",),
                             value=limits.individual_high.quantity.to("percent").magnitude)
        with c3:
            st.date_input(w.field_label("date"), key=f"{p}.date", value="today", format="YYYY-MM-DD",
                          help=w.describe("date"))
            w.field_error(p, "date")
        with c4:
            st.date_input(w.field_label("component_expiries", "the earliest; optional"), key=f"{p}.expiry",
                          value=None, help=w.describe("component_expiries"),
                          format="YYYY-MM-DD", min_value=dt.date(2000, 1, 1))
            w.field_error(p, "component_expiries")


def arguments(p: str, mf: Any, method: str) -> dict[str, Any]:
    """The keyword arguments of ``capsule_batch`` from the form's values (read in the callback)."""
    s = st.session_state
    args: dict[str, Any] = dict(
        formula=mf.id, strength=w.typed_quantity(f"{p}.strength", "mg"), quantity=w.number_text(s.get(f"{p}.quantity")),
        capsule_size=s.get(f"{p}.capsule_size"), filler=s.get(f"{p}.filler"), method=method,
        balance=s.get(f"{p}.balance"), mwq=w.typed_quantity(f"{p}.mwq", "mg"),
        qc_limits=(w.percent_text(s.get(f"{p}.qc_low")), w.percent_text(s.get(f"{p}.qc_high"))),
        compounding_date=w.date_text(s.get(f"{p}.date")),
        component_expiries=[d for d in [w.date_text(s.get(f"{p}.expiry"))] if d],
    )
    extra_unit = s.get(f"{p}.extra.unit", "%")
    extra = s.get(f"{p}.extra")
    args["extra"] = None if extra is None else (w.percent_text(extra) if extra_unit == "%" else w.number_text(extra))
    if mf.source == "api":
        args.update(df.arguments(p, "hcl_anhydrous"))
    else:
        args["tablet_weight"] = w.typed_quantity(f"{p}.tablet_weight", "mg")
    if method == "packing_statistic":
        args.update(fill_weight=w.typed_quantity(f"{p}.fill_weight", "mg"),
                    api_fill_weight=w.typed_quantity(f"{p}.api_fill_weight", "mg"))
    else:
        args.update(drug_bulk_density=w.typed_quantity(f"{p}.drug_bulk_density", "g/mL"),
                    filler_bulk_density=w.typed_quantity(f"{p}.filler_bulk_density", "g/mL"))
    return args
