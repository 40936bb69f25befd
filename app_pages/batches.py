"""Batches page: search the batch records (lot, patient, strength, status, dates, ingredient lot), a page
of results at a time, and open one: its record, ingredient lots, actual weights, signatures, history."""

import streamlit as st

from app_pages import _batch_view as bv
from app_pages import _records as rec
from app_pages import _widgets as w
from compounding.errors import CompoundingError

P = "rec.search"
OPEN = "rec.open"  # the lot number of the batch shown below the results
PAGE_SIZE = 50
FIELDS = {"lot_number": "Lot number", "patient": "Patient", "strength": "Strength", "ingredient_lot": "Ingredient lot"}


def _query() -> dict:
    """The search as typed (blank parts left out), and the page asked for."""
    s = st.session_state
    query = {k: (s.get(f"{P}.{k}") or "").strip() for k in FIELDS}
    query["status"] = s.get(f"{P}.status") or ""
    for k in ("date_from", "date_to"):
        query[k] = w.date_text(s.get(f"{P}.{k}")) or ""
    return {k: v for k, v in query.items() if v}


def _new_search() -> None:
    st.session_state[f"{P}.page"] = 1


def _turn(page_no: int) -> None:
    st.session_state[f"{P}.page"] = page_no


def _form() -> None:
    statuses = list(rec.STATUS_TEXT)
    with st.form(f"{P}.form", border=True, enter_to_submit=True):
        c = st.columns(4)
        for col, (key, label) in zip(c, FIELDS.items()):
            with col:
                st.text_input(label, key=f"{P}.{key}", placeholder={"lot_number": "LDN-260105-001",
                              "strength": "4.5 mg", "ingredient_lot": "supplier lot"}.get(key))
        c = st.columns(4)
        with c[0]:
            st.selectbox("Status", statuses, index=None, key=f"{P}.status", format_func=rec.STATUS_TEXT.get,
                         placeholder="any")
        with c[1]:
            st.date_input("Created from", value=None, key=f"{P}.date_from", format="YYYY-MM-DD")
        with c[2]:
            st.date_input("Created to", value=None, key=f"{P}.date_to", format="YYYY-MM-DD")
        st.form_submit_button("Search", type="primary", key=f"{P}.submit", on_click=_new_search,
                              icon=":material/search:")


def _results():
    page_no = st.session_state.get(f"{P}.page", 1)
    try:
        page = rec.store().search_batches(**_query(), page=page_no, page_size=PAGE_SIZE)
    except CompoundingError as exc:
        label = FIELDS.get(exc.field or "", exc.field)
        shown = w.error_text({"value": exc.value, "message": exc.message, "allowed": exc.allowed})
        st.error(f"Not searched: **{label}**: {shown}", icon=":material/error:")
        return None
    first = (page.page - 1) * page.page_size + 1
    st.markdown(f"**{page.total} batches** · page {page.page} of {page.pages}"
                + (f" (showing {first}-{first + len(page.items) - 1})" if page.items else ""))
    if page.items:
        rec.batch_list(page.items)
    with st.container(horizontal=True):  # callbacks: the page number changes before this run, not after it
        st.button("Previous page", key=f"{P}.prev", disabled=page.page <= 1, icon=":material/chevron_left:",
                  on_click=_turn, args=(page.page - 1,))
        st.button("Next page", key=f"{P}.next", disabled=page.page >= page.pages, icon=":material/chevron_right:",
                  on_click=_turn, args=(page.page + 1,))
    return page


def _open(page) -> None:
    lots = [b.lot_number for b in page.items] if page else []
    current = st.session_state.get(OPEN)
    if current and current not in lots:
        lots.insert(0, current)  # a batch just saved, or opened before a new search
    chosen = st.selectbox("Open a batch", lots, index=lots.index(current) if current in lots else None,
                          placeholder="choose a lot number from the results", key=f"{P}.open.{current}")
    if chosen != current:  # the box is keyed by what is open, so a batch opened elsewhere shows here too
        st.session_state[OPEN] = chosen
        st.rerun()
    if not chosen:
        return
    store = rec.store()
    try:
        batch, history = store.batch(chosen), store.history(chosen)
    except CompoundingError as exc:
        st.error(rec.refusal_text(exc), icon=":material/error:")
        return
    bv.show(batch, history)
    bv.actions(batch, rec.user())


rec.require()
st.title("Batches")
st.caption("Every batch record of this pharmacy, newest first, 50 to a page. All parts of a search must match; "
           "a patient is found by name, an ingredient lot by its supplier lot number.")
_form()
opened = st.container()  # the open batch above the list: one need not scroll past 50 rows to reach it
page = _results()
with opened:
    _open(page)
