"""Widgets and helpers shared by the pages. No arithmetic here: numbers go to ``compounding``.

Conventions every page follows:

- inputs sit in a bordered box (not an ``st.form``: a change must reach the program to mark the
  result out of date); the Calculate button's ``on_click`` callback runs the core and keeps the
  result (or the error) in ``st.session_state`` under ``<page>.result`` / ``<page>.error`` with the
  inputs it came from (:func:`run_and_store`), so a later rerun (a download, a link, a chart hover)
  never loses it; once an input differs from those, the result and its downloads are hidden as out
  of date and the error goes (:func:`forget_if_changed`, :func:`current_result`);
- a quantity is a text box plus a chosen unit (never a browser number box, which reinterprets
  ``0,5`` as 5); the two are joined into the text a person would type (``"4.5 mg"``) and handed to
  the core, so the core's one parser and its limits apply unchanged (:func:`quantity_input`);
- a :class:`~compounding.errors.CompoundingError` is shown beside the field it names (``.field``),
  with what is allowed; an error whose field has no widget is shown above the form;
- numbers are shown with :mod:`compounding.display` (rounded once, no trailing zeros).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Iterable, Sequence

import streamlit as st

from compounding.errors import CompoundingError
from compounding.glossary import term

PAGES = {
    "capsules": "app_pages/capsules.py",
    "oral_liquid": "app_pages/oral_liquid.py",
    "titration": "app_pages/titration.py",
    "independent_check": "app_pages/independent_check.py",
    "weight_check": "app_pages/weight_check.py",
    "reference_data": "app_pages/reference_data.py",
}

MASS_UNITS = ("mg", "mcg", "g")


# --- inputs that survive a visit to another page ---------------------------------------------------

INPUT_PREFIXES = ("cap.", "liq.", "tit.", "qa.", "qal.", "qc.", "wl.")
PAGE_PREFIXES = {"Capsules": ("cap.",), "Oral liquid": ("liq.",), "Titration plan": ("tit.",),
                 "Independent check (QA)": ("qa.", "qal."), "Weight check": ("qc.",), "Worklist": ("wl.",)}
# widgets whose value Streamlit does not let a script set (buttons, uploads, the table editor)
NOT_SETTABLE = (".calculate", ".to_weight_check", ".file", ".stages", ".write", ".create")


def keep_inputs(current: str | None = None) -> None:
    """Keep every page's inputs when the pharmacist visits another page and comes back.

    Streamlit forgets a widget's value when a run does not draw it; writing the value back into
    session state at the start of each run makes it the user's own value, which Streamlit keeps.
    Not for the page being drawn (``current``, its title): a value written there is sent back to
    the browser and would overwrite what was typed meanwhile into its next field. Its quantity
    fields keep their own values when hidden (``persist_state``, :func:`quantity_input`).
    """
    state = st.session_state
    skip = PAGE_PREFIXES.get(current or "", ())
    for key in list(state.keys()):
        if isinstance(key, str) and key.startswith(INPUT_PREFIXES) and not key.startswith(skip) \
                and ".download" not in key and not key.endswith(NOT_SETTABLE):
            try:
                state[key] = state[key]
            except Exception:  # noqa: BLE001 - a widget Streamlit will not let us set keeps its own behaviour
                pass


# --- cached reference data ------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def reference():
    from compounding.reference import reference as load

    return load()


@st.cache_resource(show_spinner=False)
def formulas():
    from compounding.formulas import formulas as load

    return load()


@st.cache_resource(show_spinner=False)
def liquid_data():
    from compounding.liquid_data import liquid_data as load

    return load()


@st.cache_resource(show_spinner=False)
def qc_limits():
    from compounding.qc import qc_limits as load

    return load()


# --- typed text for the core -----------------------------------------------------------------------

def number_text(value: Any) -> str | None:
    """The text handed to the core for a number box: what was typed, unchanged (None when blank);
    a number the program itself put there (4.5, 271.03) as the decimal it prints as."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, Fraction):
        from compounding.display import format_exact

        return format_exact(value)
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_TYPED_UNIT = re.compile(r"^\s*[+-]?[0-9.,]*\s*(?P<unit>.*?)\s*$")


def quantity_text(value: Any, unit: str | None) -> str | None:
    """``"4.5 mg"`` from the typed "4.5" and the chosen "mg"; None when the box is blank (the core
    then says what is missing). A unit typed in the box too is kept when it is the one chosen
    ("4.5 mg" beside mg); a different one ("4.5 mcg" beside mg) reaches the core as "4.5 mcg mg",
    which it refuses: the program never picks one of two units silently."""
    number = number_text(value)
    if number is None or not unit:
        return number
    unit = "%" if unit == "percent" else unit
    typed = _TYPED_UNIT.match(number).group("unit")
    if typed == unit:
        return number
    return f"{number}%" if unit == "%" else f"{number} {unit}"


def percent_text(value: Any) -> str | None:
    return quantity_text(value, "%")


# --- names: every field's label comes from the glossary (compounding.glossary) ---------------------

#: a widget key (whole, or its name after the page prefix) that is not the core's name for the field it sets
KEY_FIELDS = {"expiry": "component_expiries", "day_one": "day_one_is_compounding_day", "qc.low": "individual_low",
              "qc.high": "individual_high", "qc.mean_tol": "mean_tolerance", "qc.rsd_max": "rsd_maximum",
              "qc.weights.unit": "weights_unit", "qc.file": "weights_file"}
#: fields whose label on a page is the glossary's word for another key, where the field's own reads
#: wrongly there: the weight check's ``target`` is a fill weight, not the titration's target dose
LABEL_KEYS = {"qc.target": "fill_weight_per_capsule"}
#: session state: each quantity box drawn this session, by key → the core field it sets (the name its
#: refusal carries); tests/test_app_glossary.py checks every one is labelled by the glossary
BOUND = "_bound_fields"


def field_of(key: str) -> str | None:
    """The glossary key whose label a widget shows, from the widget's key: ``cap.strength`` →
    ``strength``, ``cap.expiry`` → ``component_expiries``, ``cap.actual.drug`` → ``actual_drug``,
    ``qa.amount.api_to_weigh`` → ``api_to_weigh``, ``cap.record.patient`` → ``patient``; None for a
    widget that sets no core field (a unit chooser, ``Your volume for dose 1``)."""
    if key in LABEL_KEYS or key in KEY_FIELDS:
        return LABEL_KEYS.get(key) or KEY_FIELDS[key]
    name = key.partition(".")[2]
    if name.startswith("actual."):
        name = "actual_" + name.removeprefix("actual.")
    name = name.removeprefix("record.").removeprefix("amount.")
    name = KEY_FIELDS.get(name, name)
    try:
        term(name)
    except KeyError:
        return None
    return name


def field_label(field: str, note: str | None = None) -> str:
    """The glossary's label for ``field``, with a note the glossary has no word for:
    ``field_label("api_fill_weight", "optional")`` is "Drug powder fill weight (optional)"."""
    return term(field).label + (f" ({note})" if note else "")


def describe(field: str) -> str:
    """The glossary's description of ``field``, for a widget's help."""
    return term(field).description


def field_name(field: str | None) -> str:
    """What a refusal's field is called on the page: the glossary's label (``qa.api_to_weigh`` and
    ``stages[2].dose`` by their own name), else the field as the core names it."""
    if not field:
        return "an input"
    for key in (field, field.removeprefix("qa.")):
        try:
            return term(key).label
        except KeyError:
            continue
    return field


# --- input widgets ----------------------------------------------------------------------------------

# what the core parser reads for each unit a chooser offers (counts: a whole number of them)
UNIT_KINDS = {"mg": "mass", "mcg": "mass", "g": "mass", "mL": "volume", "L": "volume", "mg/mL": "concentration",
              "mcg/mL": "concentration", "g/mL": "density", "%": "percent", "days": "duration",
              "weeks": "duration", "capsules": "capsule", "tablets": "tablet"}


_PLURALS = ("capsules", "tablets", "days", "weeks")


def box_key(key: str) -> str:
    """The key of the container around a quantity field (CSS class ``st-key-<box_key>``)."""
    return "q-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def quantity_input(label: str | None, key: str, units: Sequence[str], *, value: Any = None,
                   unit: str | None = None, help: str | None = None, step: float | None = None,
                   placeholder: str | None = None, integer: bool = False, field: str | None = None,
                   page: str | None = None, note: str | None = None) -> str | None:
    """A text box for the number and, with several units, a unit chooser beside it; returns the text
    for the core (``"4.5 mg"``), or None when blank. ``value``: a default (text or number).

    A text box, not a browser number box: a number box reinterprets what was typed (``0,5`` became 5)
    before the program sees it. The core's one parser reads the text, and its reading is shown
    under the box at once: a refusal ("has a comma …; write 0.5"), or, for a number written
    differently from how the program writes it, what it was read as ("1.000" → "read as 1 mg").
    With one unit (a count of capsules, a %), the unit is part of the label and there is no chooser.
    ``field``: the core's name for this input (default: the key after the page prefix); the core's
    own error for it replaces the reading and is shown under the box (:func:`field_error`); ``page``:
    where that error is kept (default: the key's first part, ``cap`` for ``cap.strength``). ``step`` and ``integer`` are accepted for old callers.
    ``label`` None: the glossary's label of the field the key sets (:func:`field_of`), with ``note``
    in brackets ("optional"), and its description as ``help`` when none is given.
    """
    first, _, name = key.partition(".")
    st.session_state.setdefault(BOUND, {})[key] = field or name
    if label is None:
        known = field_of(key)
        if len(units) == 1 and units[0].lower() not in (term(known).label + (note or "")).lower():
            note = f"{units[0]}; {note}" if note else units[0]  # one bracket: "Batch size (capsules; optional)"
        label = field_label(known, note)
        help = help or describe(known)
    default = number_text(value)
    with st.container(key=box_key(key)):
        if len(units) == 1:
            shown = label if units[0].lower() in label.lower() else f"{label} ({units[0]})"
            text = st.text_input(shown, key=key, value=default or "", help=help, placeholder=placeholder,
                                 persist_state="session")
            chosen = units[0]
        else:
            # the chooser as wide as its longest unit, the box takes the rest: on a tablet a share of
            # the column cut "mg/mL" to "mg/m"
            with st.container(horizontal=True, vertical_alignment="bottom", gap="small", wrap=False):
                text = st.text_input(label, key=key, value=default or "", help=help, placeholder=placeholder,
                                     persist_state="session")
                index = units.index(unit) if unit in units else 0
                chosen = st.selectbox(f"Unit of {label.lower()}", units, key=f"{key}.unit", index=index,
                                      persist_state="session",
                                      label_visibility="collapsed", width=56 + 8 * max(len(u) for u in units))
        _show_reading(key, text, chosen, field, page)
    field_error(page or first, field or name)  # the core's own refusal of this field, beside it
    return quantity_text(text, chosen)


def read_as(text: str | None, unit: str) -> tuple[str | None, CompoundingError | None]:
    """How the core's parser reads ``text`` in a box beside ``unit``: (``"1 mg"``, None), or
    (None, its refusal). Ranges are not judged here (the calculation does that, with its reasons)."""
    from compounding.display import format_exact
    from compounding.errors import RangeError
    from compounding.units import as_count, capsule, parse_quantity, tablet

    joined = quantity_text(text, unit)
    kind = UNIT_KINDS.get(unit)
    if joined is None or kind is None:
        return None, None
    try:
        if kind in ("capsule", "tablet"):
            number = str(as_count(text, "typed", {"capsule": capsule, "tablet": tablet}[kind],
                                  minimum=-10**12).magnitude)
        else:
            number = format_exact(parse_quantity(joined, "typed", kind).magnitude)
    except RangeError:
        return None, None
    except CompoundingError as exc:
        exc.value = joined
        return None, exc
    if unit == "%":
        return f"{number}%", None
    return f"{number} {unit[:-1] if number == '1' and unit in _PLURALS else unit}", None


def _show_reading(key: str, text: str | None, unit: str, field: str | None, page: str | None) -> None:
    first, _, name = key.partition(".")
    err = st.session_state.get(f"{page or first}.error")
    if err and err.get("field") == (field or name):
        return  # the core's own message for this field is shown next
    shown, refusal = read_as(text, unit)
    if refusal is not None:
        st.error(error_text({"value": refusal.value, "message": refusal.message, "allowed": refusal.allowed}),
                 icon=":material/error:")
    elif shown is not None and text not in (shown, shown.rsplit(" ", 1)[0], shown.rstrip("%")):
        st.caption(f"Read as **{shown}**")


def balance_inputs(page: str, ref) -> None:
    """The balance chooser (shown with its MWQ) and an optional MWQ of the user's own balance."""
    c1, c2 = st.columns([3, 2])  # the balance's name needs the width on a tablet
    balances = list(ref.balances)
    with c1:
        st.selectbox(field_label("balance"), balances, key=f"{page}.balance", help=describe("balance"),
                     index=balances.index(ref.default_balance), format_func=lambda k: f"MWQ {fq(ref.balances[k].mwq)} · {ref.balances[k].name}")
        field_error(page, "balance")
    with c2:
        quantity_input(None, f"{page}.mwq", ("mg", "g"), note="optional",
                       help="Your balance's minimum weighable quantity; overrides the one above.")


def typed_quantity(key: str, default_unit: str | None = None) -> str | None:
    """The text of a :func:`quantity_input` read back from session state (in a callback)."""
    unit = st.session_state.get(f"{key}.unit", default_unit)
    return quantity_text(st.session_state.get(key), unit)


def date_text(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


# --- errors beside their fields ---------------------------------------------------------------------

def store_error(page: str, error: CompoundingError) -> None:
    st.session_state[f"{page}.error"] = {
        "field": error.field, "message": error.message, "allowed": error.allowed,
        "value": None if error.value is None else _shown(error.value), "text": str(error),
    }
    st.session_state.pop(f"{page}.result", None)  # never show an old result beside a new error
    st.session_state[f"{page}.error_shown"] = False


def _shown(value: Any) -> str:
    try:
        from compounding.display import format_quantity

        return format_quantity(value)
    except Exception:  # noqa: BLE001 - a message must never fail to build
        return str(value)


def error_text(err: dict) -> str:
    value = f"**{err['value']}**: " if err.get("value") not in (None, "", "None") else ""
    allowed = f"  \nAllowed: {err['allowed']}" if err.get("allowed") else ""
    return f"{value}{err['message']}{allowed}"


def field_error(page: str, *fields: str) -> None:
    """Show the page's stored error here when it names one of ``fields``."""
    err = st.session_state.get(f"{page}.error")
    if err and err.get("field") in fields:
        first = not st.session_state.get(f"{page}.error_shown")
        # the first showing is the one brought into view after Calculate (see scroll_into_view)
        with st.container(key=f"{page}-field-error") if first else st.container():
            st.error(error_text(err), icon=":material/error:")
        st.session_state[f"{page}.error_shown"] = True


def error_slot(page: str):
    """The place above the form for :func:`form_error_summary` (brought into view when the error
    has no field of its own)."""
    return st.container(key=f"{page}-summary")


def form_error_summary(page: str, slot, labels: dict[str, str] | None = None) -> None:
    """Fill ``slot`` (from :func:`error_slot`, above the form) with the error, or a pointer to the field
    (named by ``labels``, else by the glossary: :func:`field_name`)."""
    err = st.session_state.get(f"{page}.error")
    if not err:
        return
    field = err.get("field")
    name = (labels or {}).get(field or "") or field_name(field)
    if st.session_state.get(f"{page}.error_shown"):
        slot.error(f"Not calculated: check **{name}** below.", icon=":material/error:")
    else:
        where = f"**{name}**: " if field else ""
        slot.error(f"Not calculated. {where}{error_text(err)}", icon=":material/error:")


def forget_result(page: str) -> Callable[[], None]:
    """An ``on_change`` for a choice that redraws the form (formula, source, form): the result and
    error shown belong to the old choice, so they go."""
    def forget() -> None:
        for suffix in (".result", ".error"):
            st.session_state.pop(f"{page}{suffix}", None)
    return forget


# --- results that belong to the inputs on screen ------------------------------------------------------

def run_and_store(page: str, compute: Callable[[], Any], *, inputs: Any = None,
                  on_result: Callable[[Any], None] | None = None) -> None:
    """Call ``compute`` (in the Calculate button's on_click); keep its result, or the core's error, in
    session state, with ``inputs``: what it was computed from (compared by :func:`forget_if_changed`)."""
    s = st.session_state
    s.pop(f"{page}.error", None)
    s[f"{page}.inputs"] = inputs
    s[f"{page}.scroll"] = True  # bring the result (or the error) into view on the coming run
    s[f"{page}.stale"] = False
    try:
        result = compute()
    except CompoundingError as exc:
        store_error(page, exc)
        return
    except Exception as exc:  # noqa: BLE001 - a bug must not show a pharmacist a traceback
        import logging

        logging.getLogger("ldn.app").exception("calculation failed on page %s", page)
        store_error(page, CompoundingError(
            f"the calculator failed unexpectedly ({type(exc).__name__}: {exc}). This is a fault in the "
            "program, not in your input; nothing was calculated. Please report it."))
        return
    s[f"{page}.result"] = result
    s[f"{page}.result_id"] = s.get(f"{page}.result_id", 0) + 1
    s[f"{page}.result_time"] = dt.datetime.now()
    if on_result is not None:
        on_result(result)


def forget_if_changed(page: str, inputs: Callable[[], Any]) -> None:
    """At the top of a page, before its fields are drawn: a result or error computed from other
    inputs than those now on screen no longer applies. The error goes; the result is kept (it comes
    back if the inputs are put back) but :func:`current_result` shows it only when up to date.
    ``inputs``: the page's function giving what Calculate would compute from (typed texts, choices)."""
    s = st.session_state
    if s.get(f"{page}.result") is None and s.get(f"{page}.error") is None:
        return
    try:
        now = inputs()
    except Exception:  # noqa: BLE001 - inputs that cannot even be read are not the ones computed from
        now = _CHANGED
    stale = now != s.get(f"{page}.inputs", _CHANGED)
    s[f"{page}.stale"] = stale
    if stale:
        s.pop(f"{page}.error", None)


_CHANGED = object()


def current_result(page: str, what: str = "result"):
    """The page's result when it belongs to the inputs on screen; otherwise None, with a notice in
    its place that the last result (and its downloads) is out of date."""
    s = st.session_state
    result = s.get(f"{page}.result")
    if result is None:
        return None
    if s.get(f"{page}.stale"):
        st.info(f"**The inputs have changed since the last {what}.** Its figures and downloads are hidden: "
                "press the button above to calculate from the inputs on screen.", icon=":material/update:")
        return None
    return result


def scroll_into_view(page: str) -> None:
    """Right after Calculate, bring what it gave into view: the key result at the top of the screen,
    or the error beside its field. The button sits at the bottom of a long form, so without this the
    result (or the reason there is none) would start below the screen."""
    if not st.session_state.pop(f"{page}.scroll", False):
        return
    run = st.session_state.get(f"{page}.result_id", 0)
    page = re.sub(r"[^a-zA-Z0-9_-]", "-", page)  # as Streamlit writes a key into its CSS class
    st.html(f"""<script>/* {page} {run} {dt.datetime.now().timestamp()} */
    (() => {{
      const find = () => document.querySelector('.st-key-{page}-field-error')
        || document.querySelector('.st-key-{page}-result') || document.querySelector('.st-key-{page}-summary');
      // scroll, then again while the page is still settling (elements drawn late move it), for 2 s at most
      let last = null, still = 0, tries = 0;
      const go = () => {{
        const el = find();
        if (el) {{
          const top = el.getBoundingClientRect().top;
          still = last !== null && Math.abs(top - last) < 1 ? still + 1 : 0;
          if (still === 0) {{
            el.style.scrollMarginTop = '4.5rem';  // below the navigation bar
            el.scrollIntoView({{block: el.classList.contains('st-key-{page}-result') ? 'start' : 'center'}});
          }}
          last = el.getBoundingClientRect().top;
        }}
        if (still < 3 && ++tries < 20) setTimeout(go, 100);
      }};
      requestAnimationFrame(go);
    }})();
    </script>""", unsafe_allow_javascript=True)


# --- showing results --------------------------------------------------------------------------------

def fq(q, unit=None) -> str:
    from compounding.display import format_quantity

    return format_quantity(q, unit)


def rounded_up(count, unrounded) -> str:
    """A count rounded up, saying so: "9 tablets (rounded up from 8.91)" (one rule, in the core)."""
    from compounding.display import format_rounded_up

    return format_rounded_up(count, unrounded)


def fn(x, places: int = 4) -> str:
    from compounding.display import format_number

    return format_number(x, places)


def pct(ratio) -> str:
    """An exact ratio as a percentage: Fraction(9, 10) → "90%" (converted by the unit registry)."""
    from compounding.units import Q, dimensionless, percent

    return fq(Q(ratio, dimensionless).to(percent))


def potency_note(r) -> str:
    """A powder's potency correction in words, with its basis (what the potency is the content of)
    and the salt factor when there is one: "as-is potency 98.5% of naltrexone HCl dihydrate ..."."""
    note = ("no potency correction" if r.potency is None else
            f"as-is potency {pct(r.potency)}" + (f" ({r.potency_basis_text})" if r.potency_basis_text else ""))
    if r.salt_factor is not None and r.salt_factor != 1:
        note += f" · salt factor {fn(r.salt_factor)}"
    return note


def per_capsule(q) -> str:
    """A mass per capsule shown as a mass: "271.03 mg"."""
    from compounding.units import capsule, mg

    return fq(q * (1 * capsule), mg)


def key_figures(items: Iterable[tuple[str, str, str | None]], columns: int = 3) -> None:
    """Large, unmistakable numbers: (label, value, caption) in rows of ``columns``."""
    items = list(items)
    for start in range(0, len(items), columns):
        cols = st.columns(columns)
        for col, (label, value, caption) in zip(cols, items[start:start + columns]):
            with col:
                st.metric(label, value, border=True)
                if caption:
                    st.caption(caption)


def show_warnings(warnings: Iterable[str]) -> None:
    for w in warnings:
        st.warning(w, icon=":material/warning:")


def show_trace(trace) -> None:
    with st.expander("Calculation trace (every number, its formula and inputs)"):
        st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(trace, 1)))


def json_bytes(result) -> bytes:
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False).encode("utf-8")


EXCEL_KINDS = {"CapsuleBatch": "capsules", "LiquidPreparation": "liquid", "TitrationPlan": "titration"}


def excel_available(kind: str = "capsules") -> bool:
    """Whether the Excel exporter for this kind of record is installed (``capsules``, ``liquid``, ...)."""
    import importlib.util

    try:
        return importlib.util.find_spec(f"compounding.excel._{kind}") is not None
    except ModuleNotFoundError:
        return False


def excel_download(result, *, file_name: str, key: str, **record_fields: Any) -> None:
    """The Excel batch record, generated when clicked (openpyxl loads only then); a clear note while
    the exporter for this kind of record is missing."""
    if not excel_available(EXCEL_KINDS.get(type(result).__name__, "")):
        st.button("Excel record (not available yet)", disabled=True, key=key,
                  help="The Excel exporter for this kind of record is not in this version yet.")
        return

    def build() -> bytes:
        from compounding.excel import workbook_bytes

        return workbook_bytes(result, **record_fields)

    st.download_button("Excel batch record", data=build, file_name=file_name, key=key, on_click="ignore",
                       icon=":material/table_view:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def record_fields(page: str, kind: str = "capsules") -> dict[str, str]:
    """Free-text fields printed on the Excel record (pharmacy, lot, patient, who compounded ...).

    Outside the calculation form: they change no number, and a change only rebuilds the download.
    """
    if not excel_available(kind):
        return {}
    from compounding.excel import RECORD_FIELDS

    out = {}
    with st.expander("Record details for the Excel record (optional: blank cells are left to fill by hand)"):
        cols = st.columns(2)
        for i, (key, label) in enumerate(RECORD_FIELDS.items()):
            with cols[i % 2]:
                value = st.text_input(label, key=f"{page}.record.{key}", help=describe(key))
            if value.strip():
                out[key] = value.strip()
    return out


def file_name(*parts: Any, ext: str) -> str:
    """A download's name from its parts, blank ones left out, safe in any file system:
    ``file_name("ldn-capsules", "api", "4.5 mg", "LOT 7/B", "2026-11-27", ext="json")`` is
    ``"ldn-capsules-api-4.5mg-LOT-7-B-2026-11-27.json"``."""
    clean = []
    for part in parts:
        text = re.sub(r"(\d) (?=[A-Za-z%])", r"\1", str(part or "").strip())  # "4.5 mg" → "4.5mg"
        text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
        if text:
            clean.append(text[:40])
    return "-".join(clean) + f".{ext}"


def stamp(page: str) -> str:
    """When the page's result was calculated, for the names of records kept as evidence (QA, weights)."""
    when = st.session_state.get(f"{page}.result_time") or dt.datetime.now()
    return when.strftime("%Y-%m-%d-%H%M%S")


def json_download(result, *, file_name: str, key: str) -> None:
    st.download_button("JSON", data=json_bytes(result), file_name=file_name, key=key,
                       on_click="ignore", mime="application/json", icon=":material/data_object:")


def table(rows: list[dict[str, str]]) -> None:
    """A small static table of already-formatted strings (no float formatting by the frontend).

    Streamlit renders table cells as Markdown: a lone "-" would become a list bullet, so it is
    written as a dash.
    """
    import pandas as pd

    rows = [{k: "—" if v == "-" else v for k, v in row.items()} for row in rows]

    st.table(pd.DataFrame(rows).set_index(list(rows[0])[0]) if rows else pd.DataFrame())
