"""Weight check page: each capsule against its limits, mean, SD, RSD and the verdict, with a plot."""

import streamlit as st

from compounding.glossary import term

from app_pages import _widgets as w

P = "qc"
# the fields are named by the glossary (w.field_label); the target by the fill weight it is (w.LABEL_KEYS)
LABELS = {"target": w.field_label("fill_weight_per_capsule")}
MODES = {"net": "net fill weights (shell tared or removed)", "gross": "gross weights (filled capsule, shell included)"}


def _weights():
    from compounding.errors import InputError
    from compounding.qc import parse_weights, read_weights_file

    s = st.session_state
    unit = s.get(f"{P}.weights.unit", "mg")
    text = s.get(f"{P}.weights") or ""
    upload = s.get(f"{P}.file")
    if upload is not None and text.strip():
        raise InputError("were both pasted and uploaded: clear one of them", field="weights",
                         allowed="pasted weights or a balance file, not both")
    if upload is not None:
        return read_weights_file(upload.getvalue(), unit), upload.name
    return parse_weights(text, unit), None


def _inputs() -> dict:
    """What Check weights computes from, as typed (an uploaded file by its name, size and id)."""
    s = st.session_state
    upload = s.get(f"{P}.file")
    return dict(weights=s.get(f"{P}.weights") or "", unit=s.get(f"{P}.weights.unit", "mg"),
                file=None if upload is None else (upload.name, upload.size, upload.file_id),
                mode=s.get(f"{P}.mode", "net"), target=w.typed_quantity(f"{P}.target", "mg"),
                shell=w.typed_quantity(f"{P}.shell", "mg"), individual_low=w.percent_text(s.get(f"{P}.low")),
                individual_high=w.percent_text(s.get(f"{P}.high")),
                mean_tolerance=w.percent_text(s.get(f"{P}.mean_tol")),
                rsd_maximum=w.percent_text(s.get(f"{P}.rsd_max")),
                batch_size=w.number_text(s.get(f"{P}.batch_size")), balance=s.get(f"{P}.balance"),
                mwq=w.typed_quantity(f"{P}.mwq", "mg"))


def _calculate() -> None:
    from compounding.qc import weight_check

    s = st.session_state
    typed = _inputs()

    def compute():
        weights, source = _weights()
        gross = typed["mode"] == "gross"
        if gross and typed["shell"] is None:
            from compounding.errors import InputError

            raise InputError("is needed to weigh gross capsules", field="shell",
                             allowed="the mean weight of an empty shell of this size, e.g. 48 mg")
        result = weight_check(weights, typed["target"], shell=typed["shell"] if gross else None,
                              **{k: typed[k] for k in ("individual_low", "individual_high", "mean_tolerance",
                                                       "rsd_maximum", "batch_size", "balance", "mwq")})
        s[f"{P}.source"] = source
        return result

    w.run_and_store(P, compute, inputs=typed)


def _chart(r):
    import altair as alt
    import pandas as pd

    from compounding.units import mg

    data = pd.DataFrame({"capsule": [c.number for c in r.capsules],
                         "net weight (mg)": [float(c.net.to(mg).magnitude) for c in r.capsules],
                         "within limits": ["yes" if c.within_limits else "NO" for c in r.capsules]})
    lines = pd.DataFrame({"line": ["target", "low limit", "high limit", "mean"],
                          "mg": [float(r.target.magnitude), float(r.lowest_allowed.magnitude),
                                 float(r.highest_allowed.magnitude), float(r.mean.magnitude)]})
    lo = min(float(r.lowest_allowed.magnitude), float(r.minimum.magnitude))
    hi = max(float(r.highest_allowed.magnitude), float(r.maximum.magnitude))
    pad = (hi - lo) * 0.08 or 1
    domain = [lo - pad, hi + pad]
    y = alt.Y("net weight (mg):Q", scale=alt.Scale(domain=domain, zero=False), title="net fill weight (mg)")
    points = alt.Chart(data).mark_circle(size=70).encode(
        x=alt.X("capsule:Q", title="capsule", scale=alt.Scale(domain=[0.5, r.n + 0.5], nice=False),
                axis=alt.Axis(tickMinStep=1, format="d")), y=y,
        color=alt.Color("within limits:N", scale=alt.Scale(domain=["yes", "NO"], range=["#2e7d32", "#c62828"])),
        tooltip=["capsule", "net weight (mg)", "within limits"])
    rules = alt.Chart(lines).mark_rule(strokeDash=[6, 4]).encode(
        y=alt.Y("mg:Q", scale=alt.Scale(domain=domain, zero=False)), color=alt.Color("line:N", scale=alt.Scale(
            domain=["target", "low limit", "high limit", "mean"], range=["#1565c0", "#c62828", "#c62828", "#6d4c41"]),
            legend=alt.Legend(title="")), tooltip=["line", "mg"])
    return alt.layer(rules, points).resolve_scale(color="independent").properties(height=320)


def results(r) -> None:
    source = st.session_state.get(f"{P}.source")
    st.subheader(f"{r.n} capsules weighed" + (f" (from {source})" if source else ""))
    reasons = "\n".join(f"- {x}" for x in r.reasons)
    if r.verdict == "PASS":
        st.success(f"**PASS**: every capsule within {w.pct(r.individual_low)}-{w.pct(r.individual_high)} of "
                   f"{w.fq(r.target)}, mean within ±{w.pct(r.mean_tolerance)}, RSD at most {w.pct(r.rsd_maximum)}.",
                   icon=":material/check_circle:")
    elif r.verdict == "INCOMPLETE":
        st.warning(f"**INCOMPLETE**: no verdict yet, {r.n} of {r.required} capsules weighed\n{reasons}",
                   icon=":material/pending:")
    else:
        st.error(f"**FAIL**\n{reasons}", icon=":material/cancel:")
    w.key_figures([
        (term("mean").label, w.fq(r.mean), f"{w.pct(r.mean_percent_of_target)} of target {w.fq(r.target)}"),
        (term("sd").label + " (sample)", "n/a" if r.sd is None else w.fq(r.sd), "n − 1"),
        (term("rsd").label, "n/a" if r.rsd is None else w.pct(r.rsd), f"limit {w.pct(r.rsd_maximum)}"),
        ("Lightest", w.fq(r.minimum), f"lowest allowed {w.fq(r.lowest_allowed)}"),
        (term("maximum").label, w.fq(r.maximum), f"highest allowed {w.fq(r.highest_allowed)}"),
        ("Outside limits", str(r.outside_limits), f"of {r.n} capsules"),
    ])
    w.show_warnings(r.warnings)
    if not r.balance.warnings:
        st.caption(f"Balance: the {r.balance.balance} (MWQ {w.fq(r.balance.mwq)}) will do. {r.balance.needed}")
    st.altair_chart(_chart(r), width="stretch")
    st.markdown("#### Each capsule")
    rows = []
    for c in r.capsules:
        row = {"Capsule": str(c.number)}
        if c.gross is not None:
            row["Gross"] = w.fq(c.gross)
        row.update({"Net": w.fq(c.net), term("percent_of_target").label: w.pct(c.percent_of_target),
                    term("within_limits").label: "yes" if c.within_limits else "NO"})
        rows.append(row)
    w.table(rows)
    w.show_trace(r.trace)
    lot = st.session_state.get(f"{P}.lot") if st.session_state.get(f"{P}.batch") else None
    w.json_download(r, file_name=w.file_name("weight-check", lot, w.stamp(P), ext="json"), key=f"{P}.download_json")


st.title("Weight check")
st.caption(f"Weigh every capsule (or a sample of at least {int(w.qc_limits().sample_size.quantity.magnitude)}; "
           "the verdict is INCOMPLETE until then). Paste the weights, one per line, or upload the balance's CSV "
           "export; each capsule is compared with the target fill weight.")
if st.session_state.get(f"{P}.batch"):
    st.info(f"Target and limits from the capsule batch: {st.session_state[f'{P}.batch']}.", icon=":material/link:")
w.forget_if_changed(P, _inputs)
limits = w.qc_limits()
summary = w.error_slot(P)
with st.container(border=True):
    c1, c2 = st.columns(2)
    with c1:
        w.quantity_input(None, f"{P}.target", ("mg", "g"), field="target",
                         help="The fill weight per capsule from the batch sheet.")
        st.radio("The weights are", list(MODES), key=f"{P}.mode", format_func=MODES.get)
        w.quantity_input(None, f"{P}.shell", ("mg", "g"), note="for gross weights",
                         help="Mean weight of empty shells of this size; subtracted from each gross weight.")
        w.quantity_input(None, f"{P}.batch_size", ("capsules",), integer=True, note="optional",
                         help=f"A batch smaller than the QC sample of {int(limits.sample_size.quantity.magnitude)} "
                              "is complete when every capsule is weighed.")
    with c2:
        d1, d2 = st.columns(2)
        pct = lambda fig: fig.quantity.to("percent").magnitude  # noqa: E731
        with d1:
            w.quantity_input(None, f"{P}.low", ("%",), note="% of target",
                             value=pct(limits.individual_low), help=limits.individual_low.source, field="individual_low")
            w.quantity_input(None, f"{P}.mean_tol", ("%",), note="± % of target",
                             value=pct(limits.mean_tolerance), help=limits.mean_tolerance.source, field="mean_tolerance")
        with d2:
            w.quantity_input(None, f"{P}.high", ("%",), note="% of target",
                             value=pct(limits.individual_high), help=limits.individual_high.source, field="individual_high")
            w.quantity_input(None, f"{P}.rsd_max", ("%",), value=pct(limits.rsd_maximum),
                             help=limits.rsd_maximum.source, field="rsd_maximum")
    c1, c2 = st.columns([3, 1])
    with c1:
        st.text_area(w.field_label("weights", "one per line; a weight may carry its own unit, e.g. 0.2713 g"),
                     key=f"{P}.weights", height=180, placeholder="271.2\n270.8\n272.1\n...")
    with c2:
        st.selectbox(w.field_label("weights_unit", "plain numbers"), ("mg", "g"), key=f"{P}.weights.unit")
        w.field_error(P, "weights_unit")
    w.field_error(P, "weights")
    w.balance_inputs(P, w.reference())
    st.file_uploader(w.field_label("weights_file", "or upload the balance's export: CSV or text"),
                     type=["csv", "txt", "tsv"], key=f"{P}.file")
    w.field_error(P, "weights_file")
    st.button("Check weights", type="primary", on_click=_calculate, key=f"{P}.calculate", icon=":material/scale:")
w.form_error_summary(P, summary, LABELS)

result = w.current_result(P, "check")
if result is not None:
    with st.container(key=f"{P}-result"):
        results(result)
w.scroll_into_view(P)
