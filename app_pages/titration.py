"""Titration plan page: a preset regimen or your own steps, capsules or liquid, a start date; a chart of the
dose over time, what to dispense, and the dated patient chart."""

import streamlit as st

from compounding.glossary import term

from app_pages import _widgets as w

P = "tit"
MODES = {"regimen": "Regimen (a preset, or your own start, step and target)", "stages": "Explicit stages"}
FORMS = {"capsules": "Capsules", "liquid": "Oral liquid"}
OWN = "(own regimen)"
# the fields are named by the glossary (w.field_label); a stage's cell by its row
LABELS = {f"stages[{i}].{x}": f"Stages, row {i + 1}, {x}" for i in range(60) for x in ("dose", "days")}
# text cells, read by the core's parser like every other quantity (a number cell reinterprets "0,5")
DEFAULT_STAGES = {"Dose": ["1.5", "3", "4.5"], "Days": ["14", "14", "28"]}


def _stages_table():
    """The stage editor's rows: the defaults with the user's edits applied (read in the callback)."""
    import pandas as pd

    df = pd.DataFrame(DEFAULT_STAGES)
    edits = st.session_state.get(f"{P}.stages") or {}
    for row, changes in (edits.get("edited_rows") or {}).items():
        for col, value in changes.items():
            df.loc[int(row), col] = value
    rows = df.to_dict("records")
    rows += [dict({"Dose": None, "Days": None}, **r) for r in edits.get("added_rows") or []]
    deleted = {int(i) for i in edits.get("deleted_rows") or []}
    return [r for i, r in enumerate(rows) if i not in deleted]


def _inputs() -> dict:
    """What Plan computes from: the keyword arguments of ``plan_titration`` as typed."""
    s = st.session_state
    form = s.get(f"{P}.form", "capsules")
    mode = s.get(f"{P}.mode", "regimen")
    args = dict(form=form, start_date=w.date_text(s.get(f"{P}.start_date")))
    if mode == "stages":
        unit = s.get(f"{P}.stages.unit", "mg")
        rows = [(_cell(r.get("Dose")), _cell(r.get("Days"))) for r in _stages_table()]
        args["stages"] = [(w.quantity_text(dose, unit) or "", days) for dose, days in rows
                          if dose is not None or days is not None]
    else:
        preset = s.get(f"{P}.preset")
        args.update(preset=None if preset == OWN else preset,
                    start=w.typed_quantity(f"{P}.start", "mg"), step=w.typed_quantity(f"{P}.step", "mg"),
                    every=w.typed_quantity(f"{P}.every", "days"), target=w.typed_quantity(f"{P}.target", "mg"),
                    maintain=w.typed_quantity(f"{P}.maintain", "days"))
    if form == "liquid":
        args.update(concentration=w.typed_quantity(f"{P}.concentration", "mg/mL"), vehicle=s.get(f"{P}.vehicle"),
                    overage=w.percent_text(s.get(f"{P}.overage")))
    return args


def _calculate() -> None:
    from compounding.titration import plan_titration

    args = _inputs()
    w.run_and_store(P, lambda: plan_titration(**args), inputs=args)


def _cell(value):
    """A stage cell's text as typed; None for an empty cell (None, NaN or blank)."""
    if value is None or value != value:  # NaN from an emptied cell
        return None
    return w.number_text(value if isinstance(value, str) else w.number_text(value))


def fields(mode: str, form: str) -> None:
    data = w.liquid_data()
    if mode == "regimen":
        presets = [OWN] + list(data.regimens)
        st.selectbox(w.field_label("preset", "the fields below override it; blank fields take the preset's value"),
                     presets, key=f"{P}.preset", help=w.describe("preset"), index=presets.index("ldnrt_slow") if "ldnrt_slow" in presets else 0,
                     format_func=lambda k: k if k == OWN else data.regimens[k].name)
        w.field_error(P, "preset")
        c1, c2, c3 = st.columns(3)
        with c1:
            w.quantity_input(None, f"{P}.start", ("mg", "mcg"))
            w.quantity_input(None, f"{P}.target", ("mg", "mcg"))
        with c2:
            w.quantity_input(None, f"{P}.step", ("mg", "mcg"))
        with c3:
            w.quantity_input(None, f"{P}.every", ("days", "weeks"), integer=True)
            w.quantity_input(None, f"{P}.maintain", ("days", "weeks"), integer=True)
    else:
        import pandas as pd

        st.markdown("**Stages** (one row per dose; add or delete rows)")
        c1, c2 = st.columns([4, 1])
        with c1:
            st.data_editor(pd.DataFrame(DEFAULT_STAGES), key=f"{P}.stages", num_rows="dynamic", hide_index=True,
                           column_config={"Dose": st.column_config.TextColumn("Dose"),
                                          "Days": st.column_config.TextColumn("Days")})
        with c2:
            st.selectbox("Unit of the doses", ("mg", "mcg"), key=f"{P}.stages.unit")
        w.field_error(P, "stages", *(f"stages[{i}].{x}" for i in range(60) for x in ("dose", "days")))
    if form == "liquid":
        c1, c2, c3 = st.columns([3, 3, 2])
        with c1:
            w.quantity_input(None, f"{P}.concentration", ("mg/mL", "mcg/mL"), note="blank: 1 mg/mL")
        with c2:
            vehicles = list(data.vehicles)
            st.selectbox(w.field_label("vehicle", "sets the BUD of each fill"), vehicles, key=f"{P}.vehicle",
                         help=w.describe("vehicle"),
                         format_func=lambda k: data.vehicles[k].name,
                         index=vehicles.index("purified_water") if "purified_water" in vehicles else 0)
            w.field_error(P, "vehicle")
        with c3:
            w.quantity_input(None, f"{P}.overage", ("%",), note="% per fill",
                             help="Extra volume for losses in each bottle; blank: none.")
    st.date_input(w.field_label("start_date", "day 1"), key=f"{P}.start_date", value="today", format="YYYY-MM-DD",
                  help=w.describe("start_date"))
    w.field_error(P, "start_date")


def _chart(plan):
    import altair as alt
    import pandas as pd

    rows = [{"date": s.start_date.isoformat(), "dose (mg)": float(s.dose.magnitude), "stage": i}
            for i, s in enumerate(plan.stages, 1)]
    last = plan.stages[-1]
    rows.append({"date": (last.end_date.isoformat()), "dose (mg)": float(last.dose.magnitude), "stage": len(rows)})
    data = pd.DataFrame(rows)
    return alt.Chart(data).mark_line(interpolate="step-after", point=True, strokeWidth=3).encode(
        x=alt.X("date:T", title="date"), y=alt.Y("dose (mg):Q", title="daily dose (mg naltrexone HCl)",
                                                  scale=alt.Scale(domainMin=0)),
        tooltip=["date:T", "dose (mg)"]).properties(height=280)


def results(plan) -> None:
    from compounding.units import mg

    conc = None if plan.concentration is None else w.fq(plan.concentration)
    first, last = plan.stages[0], plan.stages[-1]
    st.subheader(f"{w.fq(first.dose)} to {w.fq(last.dose)} over {plan.total_days} days, as "
                 f"{'capsules' if plan.form == 'capsules' else f'oral liquid {conc}'}")
    st.caption(f"From {plan.start_date.isoformat()} to {last.end_date.isoformat()}"
               + (f" · preset {plan.preset}" if plan.preset else ""))
    figures = [(term("total_days").label, str(plan.total_days), f"{len(plan.stages)} stages"),
               (term("total_drug").label, w.fq(plan.total_drug, mg), "one dose daily at bedtime")]
    if plan.form == "capsules":
        # one capsule a day, of that day's strength: the plan's days are its capsules
        figures.append(("Capsules to dispense", str(plan.total_days), ", ".join(
            f"{n} × {w.fq(s)}" for s, n in plan.capsules_per_strength)))
    else:
        figures += [(term("concentration").label, conc, f"{w.fq(plan.total_volume)} in all"),
                    (term("total_volume").label, w.fq(plan.total_volume), f"at {conc}"),
                    (term("fills").label + " (bottles)", str(len(plan.fills)), f"each within its BUD of {plan.bud_days} days")]
    w.key_figures(figures)
    st.altair_chart(_chart(plan), width="stretch")

    st.markdown("#### Stages")
    rows = []
    for i, s in enumerate(plan.stages, 1):
        row = {"Stage": str(i), term("dose").label: w.fq(s.dose), term("days").label: str(s.days),
               "From": s.start_date.isoformat(), "To": s.end_date.isoformat()}
        if s.dose_volume is not None:
            dv = s.dose_volume
            row.update({f"{term('volume').label} at {conc}": w.fq(dv.volume),
                        term("syringe").label: dv.syringe.name if dv.syringe else "none",
                        term("on_graduation").label: "yes" if dv.on_graduation else "NO"})
        rows.append(row)
    w.table(rows)

    st.markdown("#### Dispensing")
    if plan.form == "capsules":
        w.table([{"Capsule strength": w.fq(s), "Capsules": str(n)} for s, n in plan.capsules_per_strength])
        if plan.single_strength is not None:
            s, n = plan.single_strength
            st.caption(f"Alternative: {n} capsules of {w.fq(s)} only (the patient takes several per dose).")
    else:
        w.table([{"Bottle": str(f.number), "Make on": f.date.isoformat(), "Days": f"{f.first_day}-{f.last_day}",
                  "Naltrexone HCl": w.fq(f.naltrexone_hcl), f"Volume at {conc}": w.fq(f.volume),
                  "Tablets' worth": w.fn(f.tablets_equivalent)} for f in plan.fills])

    st.markdown("#### Patient chart")
    chart_rows = []
    for d in plan.chart:
        take = (f"1 capsule of {w.fq(d.capsule)}" if d.capsule is not None else
                f"{w.fq(d.volume)} of {conc}" + (f" ({d.syringe.name})" if d.syringe else ""))
        chart_rows.append({"Day": d.day, "Date": d.date.isoformat(), "Dose": w.fq(d.dose), "Take": take,
                           **({"Bottle": d.fill} if d.fill is not None else {}), "Taken": ""})
    import pandas as pd

    chart = pd.DataFrame(chart_rows)
    st.dataframe(chart, hide_index=True, height=300, width="stretch")
    if plan.warnings:
        st.markdown("#### Warnings")
        w.show_warnings(plan.warnings)
    w.show_trace(plan.trace)
    st.markdown("#### Records")
    record = w.record_fields(P, "titration")
    name = ("ldn-titration", plan.form, record.get("lot_number"), plan.start_date.isoformat())
    with st.container(horizontal=True):
        w.excel_download(plan, file_name=w.file_name(*name, ext="xlsx"), key=f"{P}.download_xlsx", **record)
        w.json_download(plan, file_name=w.file_name(*name, ext="json"), key=f"{P}.download_json")
        st.download_button("Patient chart (CSV)", data=chart.to_csv(index=False),
                           file_name=w.file_name(*name, "chart", ext="csv"),
                           key=f"{P}.download_csv", on_click="ignore", mime="text/csv", icon=":material/event:")


st.title("Titration plan")
w.forget_if_changed(P, _inputs)
st.caption("Doses of naltrexone HCl once daily at bedtime, stepping up to the target. The best dose is individual: "
           "allow 2-3 months at the target to judge the effect.")
c1, c2 = st.columns(2)
with c1:
    mode = st.radio("Plan from", list(MODES), key=f"{P}.mode", format_func=MODES.get, horizontal=True,
                    on_change=w.forget_result(P))
with c2:
    form = st.radio(w.field_label("form"), list(FORMS), key=f"{P}.form", format_func=FORMS.get, horizontal=True,
                    on_change=w.forget_result(P), help=w.describe("form"))
summary = w.error_slot(P)
with st.container(border=True):
    fields(mode, form)
    st.button("Plan", type="primary", on_click=_calculate, key=f"{P}.calculate", icon=":material/trending_up:")
w.form_error_summary(P, summary, LABELS)

plan = w.current_result(P, "plan")
if plan is not None:
    with st.container(key=f"{P}-result"):
        results(plan)
w.scroll_into_view(P)
