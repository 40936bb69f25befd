"""Worklist page: a day's prescriptions from one file → the validation report → the batch plan →
records, labels and dose charts, and (with the batch-record store) the draft batches.

All work is in ``compounding.worklist`` and ``compounding.labels``; this page only collects the
file and the options, keeps each result in session state under the inputs it came from (a changed
file or option hides it until it is recomputed) and shows it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from typing import Any, Callable

import streamlit as st

from app_pages import _widgets as w
from compounding.errors import CompoundingError

P = "wl"
LABELS = {"file": "Worklist file", "date": "Compounding date", "extra": w.field_label("extra", "per batch"),
          "liquid_overage": "Liquid overage", "tablet_weight": w.field_label("tablet_weight"),
          "potency": w.field_label("potency", "of the API lot"), "anticipatory": "Anticipatory stock",
          "lots": "Lots on hand", "lot_prefix": "Lot prefix", "pharmacy": "Pharmacy name",
          "pharmacy_contact": "Pharmacy address and phone", "label_size": "Label stock", "barcode": "Barcode"}
OPTION_FIELDS = ("extra", "liquid_overage", "tablet_weight", "potency", "anticipatory", "lots", "lot_prefix")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- small helpers --------------------------------------------------------------------------------

def _say_error(exc: CompoundingError, what: str) -> None:
    field = exc.field or ""
    err = {"field": field, "message": exc.message, "allowed": exc.allowed,
           "value": None if exc.value is None else str(exc.value)}
    where = f"**{LABELS.get(field, field)}**: " if field else ""
    hint = "  \nSet it under *Batch options* above." if field in OPTION_FIELDS else ""
    st.error(f"{what}. {where}{w.error_text(err)}{hint}", icon=":material/error:")


def _guarded(what: str, work: Callable[[], Any]) -> Any:
    """``work()``, or None after showing its refusal (or, for a fault of the program, saying so)."""
    try:
        return work()
    except CompoundingError as exc:
        problems = getattr(exc, "problems", None)
        _say_error(exc, what)
        if problems and all(isinstance(x, str) for x in problems):
            st.markdown("\n".join(f"- {x}" for x in problems))
        elif problems:
            _problem_table(problems)
    except Exception as exc:  # noqa: BLE001 - a bug must not show a pharmacist a traceback
        import logging

        logging.getLogger("ldn.app").exception("worklist page failed: %s", what)
        st.error(f"{what}: the program failed unexpectedly ({type(exc).__name__}: {exc}). This is a fault in the "
                 "program, not in your file. Please report it.", icon=":material/error:")
    return None


def _memo(name: str, signature: tuple, work: Callable[[], Any]) -> Any:
    """``work()`` once per ``signature``: reruns (a download, a checkbox) reuse it."""
    key = f"{P}.memo.{name}"
    kept = st.session_state.get(key)
    if kept is not None and kept[0] == signature:
        return kept[1]
    value = work()
    st.session_state[key] = (signature, value)
    return value


def _digest(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()


def _text(key: str) -> str | None:
    value = (st.session_state.get(f"{P}.{key}") or "").strip()
    return value or None


def _table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    """A static table, every column shown (``w.table`` makes the first column an index, which this
    Streamlit hides when it looks like a plain row count: the report's row numbers vanished)."""
    import pandas as pd

    rows = [{k: "—" if v == "-" else v for k, v in r.items()} for r in rows]
    frame = pd.DataFrame(rows, columns=columns).fillna("")  # a column only some rows have
    if len(rows) <= 300:  # static: readable, printable, searchable in the browser
        st.table(frame, hide_index=True)
    else:
        st.dataframe(frame, hide_index=True, width="stretch")


def _problem_table(problems) -> None:
    _table([{"row": getattr(p, "row", ""), "column": getattr(p, "column", ""),
             "reason": getattr(p, "reason", str(p))} for p in problems], ["row", "column", "reason"])


# --- inputs ---------------------------------------------------------------------------------------

def _templates() -> None:
    from compounding.worklist.export import template_bytes

    st.markdown("**1. Start from the template**: one row per prescription; the columns are explained on the "
                "template's *columns* sheet and in the README.")
    c1, c2, c3 = st.columns(3)
    c1.download_button("Template (CSV)", data=template_bytes("csv"), file_name="ldn-worklist-template.csv",
                       mime="text/csv", key=f"{P}.download_template_csv", on_click="ignore",
                       icon=":material/download:")
    c2.download_button("Template (XLSX)", data=template_bytes("xlsx"), file_name="ldn-worklist-template.xlsx",
                       mime=XLSX, key=f"{P}.download_template_xlsx", on_click="ignore", icon=":material/download:")
    c3.download_button("Template (JSON)", data=template_bytes("json"), file_name="ldn-worklist-template.json",
                       mime="application/json", key=f"{P}.download_template_json", on_click="ignore",
                       icon=":material/download:")


def _inputs() -> None:
    st.markdown("**2. Upload the worklist** and choose the compounding date.")
    st.file_uploader("Worklist file (CSV, XLSX, or JSON list of orders)", key=f"{P}.file",
                     help="Every row is checked before anything is planned.")
    c1, c2 = st.columns([1, 2])
    # defaults set once in session state, not as the widgets' defaults: keep_inputs writes these keys back
    # after a visit to another page, and a widget with both warns on the page
    st.session_state.setdefault(f"{P}.date", dt.date.today())
    st.session_state.setdefault(f"{P}.lot_prefix", "LDN")
    c1.date_input(w.field_label("date"), key=f"{P}.date", format="YYYY-MM-DD", help=w.describe("date"))
    with st.expander("Batch options: extra, tablets or API lot, anticipatory stock, lots on hand"):
        a, b = st.columns(2)
        a.text_input(LABELS["extra"], key=f"{P}.extra", placeholder="none, or e.g. 2 or 10%")
        b.text_input(LABELS["liquid_overage"], key=f"{P}.liquid_overage", placeholder="none, or e.g. 5%")
        a.text_input(LABELS["tablet_weight"], key=f"{P}.tablet_weight", placeholder="e.g. 321 mg",
                     help="Batches made from 50 mg tablets need it (crushed tablets are weighed).")
        b.text_input(LABELS["potency"], key=f"{P}.potency", placeholder="e.g. 98.5%",
                     help="Batches made from API powder: the lot's as-is potency.")
        a.text_input(LABELS["lot_prefix"], key=f"{P}.lot_prefix")
        st.text_area(f"{LABELS['anticipatory']}, one per line", key=f"{P}.anticipatory",
                     placeholder="capsules:4.5 mg:60\noral liquid:1 mg/mL:200 mL",
                     help="Made ahead of prescriptions from the pharmacy's prescription history (21 U.S.C. 353a).")
        st.file_uploader(f"{LABELS['lots']} (CSV/XLSX with columns kind, lot, expiry, quantity)", key=f"{P}.lots.file",
                         help="Matched first-expiry-first-out; a lot expiring before a batch's BUD is not used.")


def _options() -> dict[str, Any]:
    specs = [line.strip() for line in (st.session_state.get(f"{P}.anticipatory") or "").splitlines() if line.strip()]
    return {"extra": _text("extra"), "liquid_overage": _text("liquid_overage"),
            "tablet_weight": _text("tablet_weight"), "potency": _text("potency"),
            "lot_prefix": _text("lot_prefix") or "LDN", "anticipatory": tuple(specs)}


# --- validation report ----------------------------------------------------------------------------

def _worklist(upload) -> tuple[Any, tuple]:
    """(the validated worklist or None, the inputs it came from)."""
    from compounding.worklist import read_worklist

    data, date = upload.getvalue(), st.session_state.get(f"{P}.date") or dt.date.today()
    signature = (_digest(data), upload.name, date.isoformat())
    return _guarded("Not read", lambda: _memo("worklist", signature, lambda: read_worklist(
        data, compounding_date=date.isoformat(), name=upload.name))), signature


def _report(wl, source: tuple) -> bool:
    """Show the validation report; True when the plan may go ahead. The choice to drop bad rows is
    made for one file: a new file (or a changed one) is reviewed again."""
    st.markdown("**3. Validation report**")
    if wl.notes:
        with st.expander(f"Notes on the file ({len(wl.notes)})"):
            st.markdown("\n".join(f"- {n}" for n in wl.notes))
    if not wl.problems:
        st.success(f"All {wl.rows} prescription rows of {wl.name} are valid.", icon=":material/check_circle:")
        return True
    st.error(f"{len(wl.problems)} problem(s) on {len(wl.bad_rows)} of {wl.rows} rows of {wl.name}. Nothing is "
             "planned from this file unless you drop the bad rows (or fix them and upload it again).",
             icon=":material/error:")
    _problem_table(wl.problems)
    if any(p.row == 1 for p in wl.problems):
        st.info("Row 1 is the header: fix the column names and upload the file again.", icon=":material/info:")
        return False
    good = wl.rows - len(wl.bad_rows)
    return st.checkbox(f"Drop the {len(wl.bad_rows)} bad row(s) and plan the other {good}",
                       key=f"{P}.drop.{source[0][:16]}.{source[2]}")


# --- the plan -------------------------------------------------------------------------------------

def _plan(wl, source: tuple, drop: bool) -> tuple[Any, tuple] | None:
    from compounding.worklist.plan import plan_worklist

    options = _options()
    lots = st.session_state.get(f"{P}.lots.file")
    lots_data = None if lots is None else lots.getvalue()
    signature = (source, drop, tuple(sorted(options.items())), _digest(lots_data))

    def work():
        with st.spinner("Planning the batches…"):
            return plan_worklist(wl, drop_bad_rows=drop, lots=lots_data, **options)
    plan = _guarded("Not planned", lambda: _memo("plan", signature, work))
    if plan is None:
        return None
    stored = st.session_state.get(f"{P}.stored")
    if stored and stored[0] == signature:  # already in the store: the plan carries the store's lots
        from compounding.worklist.drafts import relabel

        plan = relabel(plan, dict(stored[1]))
    return plan, signature


def _show_plan(plan) -> None:
    st.markdown("**4. Batch plan**")
    containers = sum(1 for b in plan.batches for a in b.allocations if a.rx_number)
    w.key_figures([("Prescriptions planned", str(plan.prescriptions), None),
                   ("Batches", str(len(plan.batches)), None),
                   ("Containers to label", str(containers), None),
                   ("Rows dropped", str(len({p.row for p in plan.dropped})), None)], columns=4)
    if plan.dropped:
        st.warning(f"Dropped rows (not planned): {len(plan.dropped)} problem(s) on "
                   f"{len({p.row for p in plan.dropped})} row(s).", icon=":material/warning:")
        _problem_table(plan.dropped)
    many = len(plan.batches) > 12
    for b in plan.batches:
        head = (f"Batch {b.number} · {b.lot} · {b.title} · make {w.fq(b.made)} · made "
                f"{b.compounding_date.isoformat()}, BUD {b.bud.isoformat()}")
        with st.expander(head, expanded=not many):
            st.caption(f"Formula {b.formula}; storage: {b.storage_label}")
            _table([_allocation_row(a) for a in b.allocations])
            w.show_warnings(b.result.warnings)
    _needs(plan)
    if plan.notes:
        with st.expander(f"Notes on the plan ({len(plan.notes)})"):
            st.markdown("\n".join(f"- {n}" for n in plan.notes))


def _allocation_row(a) -> dict[str, str]:
    row = {"Rx": a.rx_number or "anticipatory stock", "Patient": a.patient or "—", "Quantity": w.fq(a.quantity)}
    if a.dose is not None:
        row["Dose"] = f"{w.fq(a.dose)} = {w.fq(a.dose_volume)}"
    if a.schedule:
        row["Covers"] = a.schedule
    if a.fill:
        row["Fill"] = str(a.fill)
    return row


def _needs(plan) -> None:
    st.markdown("**Ingredient needs** (all batches)")
    _table([{"Ingredient or item": n.name, "Kind": n.kind, "Quantity": w.fq(n.quantity), "Note": n.note or ""}
             for n in plan.needs])
    if plan.stock is None:
        st.caption("Upload the lots on hand (Batch options) to check these needs against stock, first expiry "
                   "first out.")
        return
    if plan.stock.short:
        st.error(f"Short: the lots on hand do not cover {len(plan.stock.short)} need(s).", icon=":material/error:")
        _table([{"Batch": s.batch_lot, "Ingredient or item": s.name, "Kind": s.kind, "Short by": w.fq(s.quantity)}
                 for s in plan.stock.short])
    else:
        st.success("Nothing is short: the lots on hand cover every batch.", icon=":material/check_circle:")
    with st.expander("Lots taken (first expiry first out)"):
        if plan.stock.takes:
            _table([{"Batch": t.batch_lot, "Kind": t.kind, "Lot": t.lot,
                      "Expiry": t.expiry.isoformat() if t.expiry else "—", "Quantity": w.fq(t.quantity)}
                     for t in plan.stock.takes])
        if plan.stock.notes:
            st.markdown("\n".join(f"- {n}" for n in plan.stock.notes))


# --- files ----------------------------------------------------------------------------------------

def _file_inputs() -> None:
    from compounding.labels.stock import label_data

    data = label_data()
    a, b = st.columns(2)
    a.text_input(LABELS["pharmacy"], key=f"{P}.pharmacy", help="Printed on every label and record.")
    b.text_input(LABELS["pharmacy_contact"], key=f"{P}.pharmacy_contact", help="Printed on every label.")
    keys = list(data.stocks)
    a.selectbox(LABELS["label_size"], keys, index=keys.index(data.default), key=f"{P}.label_size",
                format_func=lambda k: data.stock(k).name)
    b.selectbox(LABELS["barcode"], ["datamatrix", "qr"], key=f"{P}.barcode",
                format_func={"datamatrix": "GS1 DataMatrix", "qr": "QR code"}.get)
    a.selectbox(w.field_label("paper", "dose chart"), ["A4", "Letter"], key=f"{P}.paper", help=w.describe("paper"))


def _write_files(plan) -> dict[str, Any]:
    """The workbook zip, and the labels and charts when the pharmacy is given, with a progress bar."""
    from compounding.labels import charts_pdf_bytes, labels_pdf_bytes
    from compounding.worklist.export import records_zip

    pharmacy, contact = _text("pharmacy"), _text("pharmacy_contact")
    record = {k: v for k, v in (("pharmacy_name", pharmacy), ("pharmacy_contact", contact)) if v}
    bar = st.progress(0.0, text="Writing the plan workbook…")

    def progress(done: int, total: int) -> None:
        text = "Writing the plan workbook…" if done <= 1 else f"Batch record {done - 1} of {total - 1} written"
        bar.progress(0.85 * done / total, text=text)
    files: dict[str, Any] = {"zip": records_zip(plan, progress=progress, **record)}
    if pharmacy and contact:
        bar.progress(0.9, text="Writing the labels…")
        files["labels"] = labels_pdf_bytes(plan, size=st.session_state.get(f"{P}.label_size"),
                                           barcode=st.session_state.get(f"{P}.barcode") or "datamatrix",
                                           pharmacy=pharmacy, contact=contact)
        if plan.titrations:
            bar.progress(0.95, text="Writing the dose charts…")
            files["charts"] = charts_pdf_bytes(plan, pharmacy=pharmacy, contact=contact,
                                               paper=st.session_state.get(f"{P}.paper") or "A4")
    bar.progress(1.0, text="Done: the files are ready to download.")
    return files


def _files(plan, signature: tuple) -> None:
    st.markdown("**5. Records, labels and dose charts**")
    _file_inputs()
    stem = f"worklist-{plan.compounding_date.isoformat()}"
    st.download_button("Plan (JSON)", data=lambda: json.dumps(plan.as_dict(), indent=1, ensure_ascii=False),
                       file_name=f"{stem}-plan.json", mime="application/json", key=f"{P}.download_json",
                       on_click="ignore", icon=":material/data_object:")
    inputs = (signature, tuple(plan.batches[i].lot for i in range(len(plan.batches))),
              *(st.session_state.get(f"{P}.{k}") for k in ("pharmacy", "pharmacy_contact", "label_size", "barcode", "paper")))
    if st.button("Write the workbook, labels and dose charts", key=f"{P}.write", type="primary"):
        files = _guarded("Not written", lambda: _write_files(plan))
        if files is not None:
            st.session_state[f"{P}.files"] = (inputs, files)
    kept = st.session_state.get(f"{P}.files")
    if not kept or kept[0] != inputs:
        return
    files = kept[1]
    c1, c2, c3 = st.columns(3)
    c1.download_button("Workbook: plan and batch records (.zip)", data=files["zip"], file_name=f"{stem}-records.zip",
                       mime="application/zip", key=f"{P}.download_zip", on_click="ignore",
                       icon=":material/table_view:")
    if "labels" in files:
        pdf, n = files["labels"]
        c2.download_button(f"Labels (PDF, {n})", data=pdf, file_name=f"{stem}-labels.pdf", mime="application/pdf",
                           key=f"{P}.download_labels", on_click="ignore", icon=":material/label:")
    else:
        c2.info("Enter the pharmacy's name and address/phone to make the labels.", icon=":material/info:")
    if "charts" in files:
        pdf, n = files["charts"]
        c3.download_button(f"Dose charts (PDF, {n})", data=pdf, file_name=f"{stem}-dose-charts.pdf",
                           mime="application/pdf", key=f"{P}.download_charts", on_click="ignore",
                           icon=":material/calendar_month:")


# --- the store ------------------------------------------------------------------------------------

def store_configured(environ=os.environ) -> bool:
    """The store is used only where the pharmacy configured one (never a file created by surprise)."""
    from compounding.store.db import ENV_DATA_DIR, ENV_URL

    return any((environ.get(k) or "").strip() for k in (ENV_URL, ENV_DATA_DIR))


@st.cache_resource(show_spinner=False)
def _open_store(url: str):
    from compounding.store import Store

    return Store.open(url)


def session_user() -> str | None:
    """The signed-in user's username (``st.session_state["user"]``: a username or a user object)."""
    user = st.session_state.get("user")
    return getattr(user, "username", user) or None


def _store_section(plan, signature: tuple) -> None:
    from compounding.store.db import database_url

    st.markdown("**6. Batch records store**")
    store = _guarded("The store cannot be opened", lambda: _open_store(database_url()))
    if store is None:
        return
    stored = st.session_state.get(f"{P}.stored")
    if stored and stored[0] == signature:
        st.success(f"{len(stored[1])} draft batch(es) created; the labels and records above carry the store's "
                   "lot numbers.", icon=":material/check_circle:")
        _table([{"Planned as": p, "Store lot": s} for p, s in stored[1]])
        return
    user = session_user()
    if user is None:
        preparers = [u for u in store.users() if u.active and u.role in ("technician", "pharmacist")]
        if not preparers:
            st.info("No store user may create batches yet (a technician or pharmacist): add one with "
                    "`python -m compounding users add`.", icon=":material/info:")
            return
        a, b = st.columns(2)
        a.selectbox("Store user", [u.username for u in preparers], key=f"{P}.store_user")
        b.text_input("Password", type="password", key=f"{P}.store_password")
    st.caption("Creates one draft batch per planned batch with its allocations; the store gives each its lot number.")
    earlier = st.session_state.get(f"{P}.stored_from", {}).get(signature[0][0])  # by the file's content
    if earlier:
        st.warning(f"Drafts were already created from this file ({', '.join(earlier)}): creating batches again "
                   "makes new drafts for the same prescriptions.", icon=":material/warning:")
        if not st.checkbox("Create them again", key=f"{P}.again"):
            return
    if st.button("Create batches", key=f"{P}.create", type="primary"):
        created = _guarded("No batch was created", lambda: _create(store, user, plan))
        if created is not None:
            lots = tuple((p, v.lot_number) for p, v in created)
            st.session_state[f"{P}.stored"] = (signature, lots)
            st.session_state.setdefault(f"{P}.stored_from", {})[signature[0][0]] = [s for _, s in lots]
            st.session_state.pop(f"{P}.files", None)  # files written before carry the plan's lots
            st.rerun()


def _create(store, user: str | None, plan) -> list:
    from compounding.worklist.drafts import create_draft_batches

    if user is None:
        user = st.session_state.get(f"{P}.store_user")
        store.authenticate(user, st.session_state.get(f"{P}.store_password") or "")
    return create_draft_batches(store, user, plan)


# --- the page -------------------------------------------------------------------------------------

st.title("Worklist")
st.caption("The day's prescriptions at once: every row checked, identical preparations grouped into batches with "
           "their allocations, ingredient needs against the lots on hand, batch records, a label per container "
           "and a dose chart per titration.")
_templates()
_inputs()
upload = st.session_state.get(f"{P}.file")
if upload is None:
    st.info("Upload a worklist (CSV, XLSX or JSON) to see its validation report and batch plan.",
            icon=":material/upload_file:")
    st.stop()
worklist, source = _worklist(upload)
if worklist is None or not _report(worklist, source):
    st.stop()
planned = _plan(worklist, source, bool(worklist.problems))
if planned is None:
    st.stop()
_show_plan(planned[0])
_files(*planned)
if store_configured():
    _store_section(*planned)
