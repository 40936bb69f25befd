"""Independent check (QA): a second pharmacist re-enters the prescription and their own amounts; the app
recomputes and flags each difference, loudly for ten-fold and salt-factor errors.

This page keeps its own inputs (prefix ``qa``) and never shows the Capsules page's calculation.
"""

import streamlit as st

from app_pages import _capsule_form as cf
from app_pages import _liquid_form as lf
from app_pages import _widgets as w

P = "qa"  # capsules
PL = "qal"  # oral liquid
R = "qa_record"  # an uploaded Excel record
PREPARATIONS = {"capsules": "Capsules", "oral_liquid": "Oral liquid"}
SOURCE_ONLY = {"api": {"api_to_weigh"}, "tablets": {"tablets_to_crush", "tablet_powder_to_weigh", "tablets_to_use"}}
DOSE_ROWS = 3
STATUS = {"agree": "agrees", "differ": "DIFFERS", "ten-fold": "TEN-FOLD ERROR", "salt-factor": "SALT-FACTOR ERROR",
          "dose-factor": "DOSE ERROR (× 2 or more)", "not-applicable": "not part of this preparation"}


def _checkables(source: str, preparation: str = "capsules"):
    from compounding.check import CHECKABLE

    other = set().union(*(keys for s, keys in SOURCE_ONLY.items() if s != source))
    return {k: c for k, c in CHECKABLE[preparation].items() if k not in other}


def _amount_text(key: str, check, p: str = P) -> str | None:
    value = st.session_state.get(f"{p}.amount.{key}")
    if check.kind in ("capsules", "tablets"):
        return w.number_text(value)
    return w.typed_quantity(f"{p}.amount.{key}", check.units[0])


def _inputs() -> tuple[dict, dict]:
    """What Compare computes from (capsules): the prescription and the amounts, as typed."""
    mf = cf.capsule_formulas()[st.session_state[f"{P}.formula"]]
    method = st.session_state.get(f"{P}.method", "packing_statistic")
    return cf.arguments(P, mf, method), {k: _amount_text(k, c) for k, c in _checkables(mf.source).items()}


def _inputs_liquid() -> tuple[dict, dict, list]:
    """What Compare computes from (oral liquid): the prescription, amounts and dose volumes, as typed."""
    source = st.session_state.get(f"{PL}.source", "tablets")
    amounts = {k: _amount_text(k, c, PL) for k, c in _checkables(source, "oral_liquid").items()}
    pairs = [(w.typed_quantity(f"{PL}.dv{i}.dose", "mg"), w.typed_quantity(f"{PL}.dv{i}.volume", "mL"))
             for i in range(DOSE_ROWS)]
    return lf.arguments(PL), amounts, pairs


def _calculate() -> None:
    from compounding.check import independent_check

    typed = _inputs()
    w.run_and_store(P, lambda: independent_check("capsules", *typed), inputs=typed)


def _calculate_liquid() -> None:
    from compounding.check import independent_check

    args, amounts, pairs = typed = _inputs_liquid()
    w.run_and_store(PL, lambda: independent_check("oral_liquid", args, amounts, dose_volumes=pairs), inputs=typed)


def amount_fields(source: str, preparation: str = "capsules", p: str = P) -> None:
    st.markdown("**Your own amounts** (computed without looking at the first calculation; leave blank what you "
                "did not compute)")
    items = list(_checkables(source, preparation).items())
    for start in range(0, len(items), 3):
        cols = st.columns(3)
        for col, (key, check) in zip(cols, items[start:start + 3]):
            with col:
                units = (check.kind,) if check.kind in ("capsules", "tablets") else check.units
                w.quantity_input(None, f"{p}.amount.{key}", units, field=f"qa.{key}")
    w.field_error(p, "qa.amounts")


def dose_volume_fields() -> None:
    st.markdown("**Dose volumes** (the volume you would measure for a dose)")
    for i in range(DOSE_ROWS):
        c1, c2 = st.columns(2)
        with c1:
            w.quantity_input(f"Dose {i + 1}", f"{PL}.dv{i}.dose", ("mg", "mcg"), field=f"qa.dose_volumes[{i}].dose")
        with c2:
            w.quantity_input(f"Your volume for dose {i + 1}", f"{PL}.dv{i}.volume", ("mL",),
                             field=f"qa.dose_volumes[{i}].volume")
    w.field_error(PL, "qa.dose_volumes")


def results(r, p: str = P) -> None:
    verdict = r.verdict
    counts = r.counts
    if verdict == "STOP":
        loud = [c for c in r.comparisons if c.loud]
        st.error(f"## STOP: {len(loud)} dangerous difference{'s' if len(loud) > 1 else ''}\n"
                 "Do not release the batch. Find the error before anything is weighed or dispensed.",
                 icon=":material/dangerous:")
        for c in loud:
            st.error(f"**{c.label}** · {c.message}", icon=":material/priority_high:")
    elif verdict == "DIFFERENCES":
        st.warning(f"**Differences found** in {counts.get('differ', 0)} of {len(r.comparisons)} amounts: resolve "
                   "each with the first pharmacist before release.", icon=":material/warning:")
    else:
        st.success(f"**All {len(r.comparisons)} amounts agree** with the recalculation.",
                   icon=":material/check_circle:")
    for c in r.comparisons:
        if c.status == "differ":
            st.warning(f"**{c.label}** · {c.message}", icon=":material/warning:")
    w.table([{"Amount": c.label, "You entered": w.fq(c.entered),
              "Recalculated": "—" if c.expected is None else w.fq(c.expected),
              "Result": STATUS.get(c.status, c.status)} for c in r.comparisons])
    if r.not_entered:
        st.caption("Not entered (not compared): " + ", ".join(r.not_entered) + ".")
    if r.result.warnings:
        with st.expander("Warnings of the recalculation"):
            w.show_warnings(r.result.warnings)
    w.show_trace(r.result.trace)
    preparation = "capsules" if p == P else "oral-liquid"
    source = getattr(r.result, "source", None)
    w.json_download(r, file_name=w.file_name("independent-check", preparation, source, w.stamp(p), ext="json"),
                    key=f"{p}.download_json")


def _check_record() -> None:
    from compounding.check import check_record

    upload = st.session_state.get(f"{R}.file")
    if upload is None:
        st.session_state.pop(f"{R}.result", None)
        st.session_state.pop(f"{R}.error", None)
        return
    w.run_and_store(R, lambda: check_record(upload.getvalue(), name=upload.name))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def record_results(r) -> None:
    rep = r.report
    loud = [f for f in r.findings if f.loud]
    if r.verdict == "AGREE":
        st.success(f"**{r.name}**: every one of {rep.checked} values agrees with the recalculation "
                   f"({rep.kind} record, engine {rep.engine_version or 'unknown'}).", icon=":material/check_circle:")
    elif r.verdict == "STOP":
        st.error(f"## STOP: {_plural(len(loud), 'dangerous difference')} in {r.name}\n"
                 "Do not release the batch. Find the error before anything is weighed or dispensed.",
                 icon=":material/dangerous:")
    else:
        st.warning(f"**{r.name}**: {_plural(len(r.findings), 'value')} differ{'s' if len(r.findings) == 1 else ''} "
                   "from the recalculation: resolve each before release.", icon=":material/warning:")
    for f in loud:  # the dangerous ones first, each with its label, values and units
        st.error(f.message, icon=":material/priority_high:")
    for f in r.findings:
        if not f.loud:
            st.warning(f.message, icon=":material/warning:")
    for note in rep.notes:
        st.caption(f"Note: {note}")
    stem = r.name.rsplit(".", 1)[0] if r.name != "the record" else None
    w.json_download(r, file_name=w.file_name("record-check", stem, w.stamp(R), ext="json"), key=f"{R}.download_json")


st.title("Independent check (QA)")
st.caption("For the verifying pharmacist: re-enter the prescription and your own computed amounts, without "
           "looking at the first calculation, or upload the exported Excel record. The app recomputes and "
           "compares; ten-fold and salt-factor errors are flagged loudly.")
w.forget_if_changed(P, _inputs)
w.forget_if_changed(PL, _inputs_liquid)
reenter, record = st.tabs(["Re-enter and compare", "Check an exported Excel record"])
with reenter:
    preparation = st.radio(w.field_label("preparation"), list(PREPARATIONS), key=f"{P}.preparation", horizontal=True,
                           format_func=PREPARATIONS.get, help=w.describe("preparation"))
    if preparation == "capsules":
        mf, method = cf.setup(P)
        summary = w.error_slot(P)
        with st.container(border=True):
            cf.fields(P, mf, method)
            st.divider()
            amount_fields(mf.source)
            st.button("Compare", type="primary", on_click=_calculate, key=f"{P}.calculate",
                      icon=":material/fact_check:")
        w.form_error_summary(P, summary, {"qa.amounts": "Your own amounts"})
        check = w.current_result(P, "comparison")
        if check is not None:
            with st.container(key=f"{P}-result"):
                results(check)
        w.scroll_into_view(P)
    else:
        source = lf.source_choice(PL)
        summary = w.error_slot(PL)
        with st.container(border=True):
            lf.fields(PL, source, doses=False)
            st.divider()
            amount_fields(source, "oral_liquid", PL)
            dose_volume_fields()
            st.button("Compare", type="primary", on_click=_calculate_liquid, key=f"{PL}.calculate",
                      icon=":material/fact_check:")
        w.form_error_summary(PL, summary, {"qa.amounts": "Your own amounts", "qa.dose_volumes": "Dose volumes"})
        check = w.current_result(PL, "comparison")
        if check is not None:
            with st.container(key=f"{PL}-result"):
                results(check, PL)
        w.scroll_into_view(PL)
with record:
    st.file_uploader("Excel batch record exported by this calculator (.xlsx)", type=["xlsx"], key=f"{R}.file",
                     on_change=_check_record)
    w.field_error(R, "file")
    w.form_error_summary(R, st.empty(), {"file": "Excel record"})
    checked = st.session_state.get(f"{R}.result")
    if checked is not None:
        record_results(checked)
